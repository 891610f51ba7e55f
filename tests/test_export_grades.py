"""Blackboard and Brightspace grade CSVs: the pure writers, and `exam grade` writing them beside
canvas.csv."""
import csv
import io
import json
from fractions import Fraction
from pathlib import Path

from click.testing import CliRunner

from grader.cli import cli
from grader.exam.grade import Column, GradeSummary, PartGrade, ProblemGrade, StudentGrade
from grader.exports.grades import blackboard, brightspace
from test_exam_build import SECRET, write_exam


def graded(sid: str, *scores) -> StudentGrade:
    """A student's grade on a two-part problem; a score of None is a manual part still pending."""
    parts = [PartGrade(id=f"p{i}", verdict="manual" if s is None else "partial",
                       score=None if s is None else Fraction(s), max=Fraction(8)) for i, s in enumerate(scores)]
    return StudentGrade(student=sid, file=f"{sid}.json", problems=[ProblemGrade(0, "q", "q", "v", parts)])


def summary():
    students = {"s01": {"name": "Ada Lovelace", "email": "ada@uni.edu"},
                "s02": {"name": "Hopper, Grace", "email": ""},
                "=HYPERLINK(1)": {"name": "=cmd|' /C calc'!A0", "email": ""},
                "s04": {"name": "", "email": ""},
                "s05": {"name": "Alan Turing", "email": ""}}
    grades = {"s01": graded("s01", "25/3", "25/6"), "s02": graded("s02", 0, 0),
              "=HYPERLINK(1)": graded("=HYPERLINK(1)", 3, 0), "s05": graded("s05", 8, None)}
    return GradeSummary(exam="midterm-1", title="Midterm 1", out=Path("."), columns=[Column(0, "q", "q", 16, ("p0", "p1"))],
                        students=students, grades=grades, skipped=[], missing=["s04"], max_score=Fraction(16))


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_blackboard_columns_names_and_scores():
    table = rows(blackboard(summary()))
    assert table[0] == ["Last Name", "First Name", "Username", "Student ID", "Midterm 1 [Total Pts: 16 Score]"]
    assert table[1] == ["Lovelace", "Ada", "s01", "s01", "12.5"]
    assert table[2] == ["Hopper", "Grace", "s02", "s02", "0"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)
    assert table[4] == ["", "", "s04", "s04", ""]  # no grade: an empty cell, not a zero
    assert table[5] == ["Turing", "Alan", "s05", "s05", ""]  # a manual part pending: no total yet


def test_brightspace_org_defined_id_points_grade_and_end_of_line():
    table = rows(brightspace(summary()))
    assert table[0] == ["OrgDefinedId", "Midterm 1 Points Grade", "End-of-Line Indicator"]
    assert table[1] == ["#s01", "12.5", "#"] and table[4] == ["#s04", "", "#"] and table[5] == ["#s05", "", "#"]
    assert all(row[-1] == "#" for row in table[1:])
    assert table[3][0] == "#'=HYPERLINK(1)"  # a formula-like id is quoted, never run


def test_exam_grade_writes_them_beside_canvas_csv(tmp_path):
    run = lambda *a: CliRunner().invoke(cli, [str(x) for x in a], env={"GRADER_SECRET": SECRET},  # noqa: E731
                                        catch_exceptions=False)
    exam, roster = write_exam(tmp_path, students=3)
    assert run("exam", "build", exam, "--roster", roster, "--out", tmp_path / "exam", "--no-pdf", "--jobs", "1").exit_code == 0
    key = json.loads((tmp_path / "exam/staff/key.json").read_text())
    subs = tmp_path / "subs"
    subs.mkdir()
    entries = key["students"]["s01"]
    (subs / "a.json").write_text(json.dumps({"student": "s01", "exam": "midterm-1", "problems": [
        {"problem": e["problem"], "answers": {p["id"]: p["answer"] for p in e["parts"]}} for e in entries]}))
    assert run("exam", "grade", tmp_path / "exam", subs, "--out", tmp_path / "results", "--jobs", "1").exit_code == 0
    results = tmp_path / "results"
    assert (results / "canvas.csv").is_file()
    board = rows((results / "blackboard.csv").read_text())
    space = rows((results / "brightspace.csv").read_text())
    assert board[0][-1] == "Midterm 1 [Total Pts: 16 Score]"
    assert [r[2] for r in board[1:]] == ["s01", "s02", "s03"] and [r[-1] for r in board[1:]] == ["16", "", ""]
    assert [r[:2] for r in space[1:]] == [["#s01", "16"], ["#s02", ""], ["#s03", ""]]
