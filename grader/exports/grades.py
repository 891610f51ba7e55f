"""Grade CSVs for Blackboard's Grade Center and Brightspace (D2L), written by `exam grade` beside
canvas.csv from the same summary (SPEC §12). One row a roster student; a student without a grade
gets an empty cell, never a zero."""
from __future__ import annotations

import csv
import io

from grader.exam.lms import canvas_name, shown
from grader.text import csv_cell

BLACKBOARD_COLUMNS = ["Last Name", "First Name", "Username", "Student ID"]


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _score(summary, sid: str) -> str:
    """The student's total as canvas.csv writes it: empty without a grade or with parts pending."""
    grade = summary.grades.get(sid)
    return shown(grade.rounded()["total"]) if grade is not None and not grade.pending else ""


def _names(info: dict) -> tuple[str, str]:
    """(last, first), split from Canvas's "Last, First" form of the roster name; empty without one."""
    last, _, first = canvas_name(info, "").partition(",")
    return last.strip(), first.strip()


def blackboard(summary) -> str:
    """Blackboard Grade Center upload: the student columns (Username and Student ID both the
    roster id), then the exam as a new column `<title> [Total Pts: <max> Score]`."""
    maximum = shown(summary.max_score)
    rows = [BLACKBOARD_COLUMNS + [csv_cell(f"{summary.title} [Total Pts: {maximum} Score]")]]
    for sid, info in summary.students.items():
        last, first = _names(info)
        rows.append([csv_cell(last), csv_cell(first), csv_cell(sid), csv_cell(sid), _score(summary, sid)])
    return _csv(rows)


def brightspace(summary) -> str:
    """Brightspace grades import: `OrgDefinedId` (the roster id, with the `#` prefix Brightspace
    expects), `<title> Points Grade`, and the `End-of-Line Indicator` column of `#`."""
    rows = [["OrgDefinedId", csv_cell(f"{summary.title} Points Grade"), "End-of-Line Indicator"]]
    for sid in summary.students:
        rows.append(["#" + csv_cell(sid), _score(summary, sid), "#"])
    return _csv(rows)


CSVS = {"blackboard.csv": blackboard, "brightspace.csv": brightspace}
