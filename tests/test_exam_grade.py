"""`grader exam grade`: a class of 40 with perfect, partial, blank, broken and hostile submissions."""
import csv
import io
import json
import os
import shutil
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from browsing import chromium, run_chromium
from click.testing import CliRunner

from grader.cli import cli
from test_exam_build import SECRET, tree, write_exam

PERFECT = [f"s{i:02d}" for i in (*range(1, 11), *range(36, 41))]
PARTIAL = [f"s{i:02d}" for i in range(11, 19)]
BLANK = [f"s{i:02d}" for i in range(19, 24)]


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], env={"GRADER_SECRET": SECRET}, catch_exceptions=False)
    return result


def answers_of(entry: dict) -> dict:
    return {p["id"]: p["answer"] for p in entry["parts"]}


def submission(sid: str, key: dict, answers: list[dict], **extra) -> dict:
    problems = [{"problem": e["problem"], "answers": a} for e, a in zip(key["students"][sid], answers)]
    return {"student": sid, "exam": "midterm-1", "problems": problems, **extra}


def unbiased(entry: dict) -> str:
    batch = [Fraction(x) for x in entry["params"]["batch"]]
    mean = sum(batch) / len(batch)
    value = sum((x - mean) ** 2 for x in batch) / (len(batch) - 1)
    return f"{value.numerator}/{value.denominator}"


def write_submissions(folder: Path, key: dict) -> dict[str, str]:
    """The class's submissions under arbitrary names; returns the names of the broken ones."""
    folder.mkdir()
    (folder / "batch-2").mkdir()
    students = key["students"]
    put = lambda name, value: (folder / name).write_text(json.dumps(value), encoding="utf-8")  # noqa: E731
    for n, sid in enumerate(PERFECT):
        answers = [answers_of(e) for e in students[sid]]
        if n % 2:  # another notation: decimals
            answers[0]["output"] = [round(float(Fraction(x)), 4) for x in answers[0]["output"]]
        put(f"{'batch-2/' if n % 3 == 0 else ''}upload_{n * 7919 % 1000:03d}.json", submission(sid, key, answers))
    for sid in PARTIAL:
        first, second = students[sid]
        put(f"{sid}-final.json", submission(sid, key, [answers_of(first), {
            "mean": second["parts"][0]["answer"], "variance": unbiased(second), "output": None}]))
    for sid in BLANK:
        skeleton = {"student": sid, "exam": "midterm-1", "problems": [
            {"problem": e["problem"], "answers": {p["id"]: None for p in e["parts"]}} for e in students[sid]]}
        put(f"answers ({sid}).json", skeleton)
    broken = {}
    (folder / "s24.json").write_text('{"student": "s24", "problems": [', encoding="utf-8")
    broken["s24.json"] = "not valid JSON"
    (folder / "s25.pdf").write_bytes(b"%PDF-1.4\x00\x01\x02binary")
    broken["s25.pdf"] = "binary"
    put("s26.json", {"student": "s26", "exam": "midterm-1", "problems": {"mean": 1}})
    broken["s26.json"] = "must be a non-empty list"
    (folder / "s27.json").write_text(json.dumps(submission("s27", key, [{}, {}])) + " " * (1024 * 1024 + 10))
    broken["s27.json"] = "the limit is"
    hostile = [answers_of(e) for e in students["s28"]]
    hostile[0]["mean"] = "<script>alert('x')</script>"
    hostile[0]["variance"] = "9" * 5000
    hostile[1]["mean"] = "2**2**2**2**2**2**2**2"
    hostile[1]["output"] = [[[[[[[[[[1]]]]]]]]]]
    put("s28.json", submission("s28", key, hostile))
    put("s29.json", submission("s29", key, [answers_of(e) for e in students["s29"]],
                               seed=3, params={"batch": [1, 7, 7, 9]}))  # params of its own are ignored
    put("s30.json", dict(submission("s30", key, [{}, {}]), exam="final"))
    broken["s30.json"] = "for exam 'final'"
    put("zz.json", {"student": "zz99", "exam": "midterm-1", "problems": [{"problem": "batchnorm-forward", "answers": {}}]})
    broken["zz.json"] = "'zz99' is not in the exam's key"
    # an earlier submission of s01: with --take latest, the perfect one counts
    put("s01-copy.json", submission("s01", key, [{}, {}], submitted_at="2020-01-01T09:00:00+01:00"))
    # a stray key makes only its problem invalid
    put("s31.json", {"student": "s31", "exam": "midterm-1",
                     "problems": [{"problem": "batchnorm-forward", "answers": {"nope": 1, "mean": 0}}]})
    os.symlink("/dev/zero", folder / "zero.json")
    broken["zero.json"] = "symbolic link"
    (folder.parent / "elsewhere").mkdir(exist_ok=True)
    os.symlink(folder.parent / "elsewhere", folder / "linked-folder")  # listed as skipped, not followed
    broken["linked-folder"] = "symbolic link"
    (folder / ".DS_Store").write_bytes(b"\x00junk")  # hidden files are not submissions
    return broken


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    exam, roster = write_exam(folder)
    assert run("exam", "build", exam, "--roster", roster, "--out", folder / "exam", "--no-pdf", "--jobs", "2").exit_code == 0
    key = json.loads((folder / "exam/staff/key.json").read_text())
    broken = write_submissions(folder / "subs", key)
    result = run("exam", "grade", folder / "exam", folder / "subs", "--out", folder / "results", "--jobs", "2")
    assert result.exit_code == 0, result.output
    return {"dir": folder, "key": key, "broken": broken, "output": result.output, "results": folder / "results"}


def gradebook(results: Path) -> dict[str, dict]:
    rows = list(csv.DictReader(io.StringIO((results / "gradebook.csv").read_text())))
    return {row["student"]: row for row in rows if row["student"]}


def test_gradebook(graded):
    book = gradebook(graded["results"])
    first = next(iter(book.values()))
    assert list(first) == ["student", "batchnorm-forward#1", "batchnorm-forward#2", "total", "pending", "note"]
    assert set(book) == {f"s{i:02d}" for i in range(1, 41)}
    for sid in PERFECT + ["s29"]:
        assert (book[sid]["batchnorm-forward#1"], book[sid]["batchnorm-forward#2"], book[sid]["total"]) == ("10", "6", "16"), sid
    for sid in PARTIAL:
        assert (book[sid]["batchnorm-forward#1"], book[sid]["batchnorm-forward#2"], book[sid]["total"]) == ("10", "2", "12"), sid
    for sid in BLANK:
        assert book[sid]["total"] == "0" and book[sid]["note"] == ""
    # hostile parts are invalid; the output (problem 1) and the variance (problem 2) are right
    assert (book["s28"]["batchnorm-forward#1"], book["s28"]["batchnorm-forward#2"]) == ("3.33", "2")
    assert (book["s31"]["batchnorm-forward#1"], book["s31"]["total"], book["s31"]["note"]) == ("0", "0", "")
    for sid in ("s24", "s25", "s27", "s32", "s33", "s34", "s35"):
        assert book[sid]["total"] == "" and book[sid]["note"] == "no submission", sid
    assert book["s30"]["note"].startswith("submission skipped: s30.json") and book["s30"]["total"] == ""
    assert all(book[sid]["pending"] == "0" for sid in PERFECT)


def test_broken_and_hostile_are_named_everywhere(graded):
    summary = json.loads((graded["results"] / "summary.json").read_text())
    reasons = {s["file"]: s["reason"] for s in summary["skipped"]}
    report = (graded["results"] / "report.html").read_text()
    output = " ".join(graded["output"].split())
    assert set(reasons) == set(graded["broken"])
    for name, needle in graded["broken"].items():
        assert needle in reasons[name], (name, reasons[name])
        assert name in output and name in report
    assert ".DS_Store" not in reasons
    assert [(n["file"], n["student"]) for n in summary["not_taken"]] == [("s01-copy.json", "s01")]
    assert "s01-copy.json" in output and "s01-copy.json" in report


def test_feedback_and_lms_files(graded):
    results = graded["results"]
    graded_ids = PERFECT + PARTIAL + BLANK + ["s28", "s29", "s31"]
    assert sorted(p.stem for p in (results / "gradescope").iterdir()) == sorted(graded_ids)
    for sid in graded_ids:
        gs = json.loads((results / "gradescope" / f"{sid}.json").read_text())
        assert gs["score"] == pytest.approx(sum(t["score"] for t in gs["tests"]))
        assert len(gs["tests"]) == 6
        assert all({"name", "score", "max_score", "output"} <= set(t) for t in gs["tests"])
        assert "seed" not in json.dumps(gs)
    perfect = (results / "feedback/s01.md").read_text()
    assert "**Total: 16 / 16**" in perfect and "Student 1 \\(s01\\)" in perfect
    partial = (results / "feedback/s11.md").read_text()
    assert "m − 1" in partial  # the misconception's feedback
    assert "exam 'final'" in (results / "feedback/s30.md").read_text()
    stray = (results / "feedback/s31.md").read_text()
    assert "unknown part 'nope'" in stray and "(0 / 10)" in stray
    rows = list(csv.reader(io.StringIO((results / "canvas.csv").read_text())))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Midterm 1"]
    assert rows[1][0] == "Points Possible" and rows[1][5] == "16"
    by_id = {r[2]: r for r in rows[2:]}
    assert len(by_id) == 40 and by_id["s01"][0] == "1, Student" and by_id["s01"][3] == "s01@uni.edu"
    assert by_id["s01"][5] == "16" and by_id["s11"][5] == "12" and by_id["s32"][5] == ""


def test_statistics_and_report(graded):
    summary = json.loads((graded["results"] / "summary.json").read_text())
    assert summary["overall"]["graded"] == 31 and summary["overall"]["max_score"] == 16
    assert sum(b["count"] for b in summary["histogram"]) == 31
    variance = next(p for p in summary["parts"] if p["problem_index"] == 2 and p["part"] == "variance")
    assert variance["misconceptions"] == {"unbiased-variance": len(PARTIAL)}
    assert variance["share_correct"] == pytest.approx(17 / 31, abs=1e-4)  # 15 perfect, s28, s29
    assert variance["mistakes"][0] == ["misconception: unbiased-variance", len(PARTIAL)]
    # every student has a variant of their own: no raw wrong value is shared within one
    variants = Counter(e[1]["seed"] for e in graded["key"]["students"].values())
    assert max(variants.values()) == 1 and variance["wrong_answers"] == []
    mean = next(p for p in summary["parts"] if p["problem_index"] == 1 and p["part"] == "mean")
    assert mean["n"] == 31 and mean["small_n"] is False
    report = (graded["results"] / "report.html").read_text()
    assert report.count('<rect class="bin"') == 10 and "<svg" in report
    assert "<script" not in report
    hostile = (graded["results"] / "feedback/s28.html").read_text()
    assert "<script" not in hostile and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in hostile
    assert "`<script>alert('x')</script>`" in (graded["results"] / "feedback/s28.md").read_text()
    assert " src=" not in report and " href=" not in report  # self-contained
    assert "unbiased-variance" in report
    assert "unbiased-variance×8" in "".join(graded["output"].replace("│", "").split())


def test_check_with_the_key_agrees(graded):
    book = gradebook(graded["results"])
    key_path = graded["dir"] / "exam/staff/key.json"
    for name in ("s11-final.json", "s29.json", "answers (s19).json"):
        result = run("check", graded["dir"] / "subs" / name, "--key", key_path, "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert str(data["score"]) == book[data["student"]]["total"]


def test_rerun_reuses_work_and_gives_the_same_files(graded, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(graded["results"], results)
    before = tree(results)
    again = run("exam", "grade", graded["dir"] / "exam", graded["dir"] / "subs", "--out", results, "--jobs", "2")
    assert again.exit_code == 0
    assert "reused 32 result(s)" in again.output, again.output
    assert tree(results) == before
    assert not [p for p in results.rglob("*") if p.name.endswith(".tmp")]


def test_changed_submission_is_regraded(graded, tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(graded["dir"] / "subs", subs, symlinks=True)
    results = tmp_path / "results"
    shutil.copytree(graded["results"], results)
    blank = json.loads((subs / "answers (s19).json").read_text())
    blank["problems"][0]["answers"] = answers_of(graded["key"]["students"]["s19"][0])
    (subs / "answers (s19).json").write_text(json.dumps(blank))
    again = run("exam", "grade", graded["dir"] / "exam", subs, "--out", results, "--jobs", "1")
    assert "reused 31 result(s)" in again.output
    assert gradebook(results)["s19"]["total"] == "10"
    assert len(list((results / ".cache").iterdir())) == 32  # the stale result is gone


def test_serial_and_parallel_agree(graded, tmp_path):
    result = run("exam", "grade", graded["dir"] / "exam", graded["dir"] / "subs", "--out", tmp_path / "r", "--jobs", "1")
    assert result.exit_code == 0
    assert tree(tmp_path / "r") == tree(graded["results"])


def test_grade_input_errors(graded, tmp_path):
    result = run("exam", "grade", tmp_path, graded["dir"] / "subs", "--out", tmp_path / "r")
    assert result.exit_code == 2 and "no staff/key.json" in result.output and result.output.count("\n") == 1
    result = run("exam", "grade", graded["dir"] / "exam", tmp_path / "nope", "--out", tmp_path / "r")
    assert result.exit_code == 2 and "submissions folder does not exist" in result.output


def _die_on_three(x):
    if x == 3:
        os._exit(7)
    return x * 10


def test_a_dying_worker_costs_one_item_only():
    from grader.exam.parallel import run_all

    out = run_all(_die_on_three, range(8), jobs=2, description="test", on_crash=lambda item, exc: f"crashed {item}")
    assert out == [0, 10, 20, "crashed 3", 40, 50, 60, 70]
    # results handed to on_result (each as it arrives) are not kept besides
    seen = {}
    out = run_all(_die_on_three, range(8), jobs=2, description="test", on_crash=lambda item, exc: f"crashed {item}",
                  on_result=seen.__setitem__)
    assert out == [] and seen == {0: 0, 1: 10, 2: 20, 3: "crashed 3", 4: 40, 5: 50, 6: 60, 7: 70}


@pytest.mark.browser
def test_report_and_a_students_exam_render_in_chromium(graded, tmp_path):
    browser = chromium()
    report = (graded["results"] / "report.html").resolve().as_uri()
    dom = run_chromium(browser, tmp_path, report, "--dump-dom").stdout
    assert dom.count('class="bin"') == 10 and "<table" in dom and "unbiased-variance" in dom
    shot = tmp_path / "report.png"
    run_chromium(browser, tmp_path, report, f"--screenshot={shot}", width=1200, height=1600)
    assert shot.is_file() and shot.stat().st_size > 10_000
    exam = next((graded["dir"] / "exam" / "students").glob("*/exam.html")).resolve().as_uri()
    dom = run_chromium(browser, tmp_path, exam, "--dump-dom").stdout
    assert "<math" in dom and 'class="problem' in dom


def rerun(graded, tmp_path, *extra, subs=None):
    results = tmp_path / "results"
    if not results.exists():
        shutil.copytree(graded["results"], results)
    return run("exam", "grade", graded["dir"] / "exam", subs or graded["dir"] / "subs", "--out", results,
               "--jobs", "1", *extra), results


def test_take_first_and_best(graded, tmp_path):
    result, results = rerun(graded, tmp_path, "--take", "first", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["not_taken"] == 1
    assert gradebook(results)["s01"]["total"] == "0"  # the earlier, empty file
    changes = list(csv.DictReader(io.StringIO((results / "changes.csv").read_text())))
    assert {r["student"] for r in changes} == {"s01"} and all("another submission taken" in r["why"] for r in changes)
    result, results = rerun(graded, tmp_path, "--take", "best")
    assert result.exit_code == 0 and gradebook(results)["s01"]["total"] == "16"


def test_submitted_at_must_carry_an_offset(graded, tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(graded["dir"] / "subs", subs, symlinks=True)
    doc = json.loads((subs / "s01-copy.json").read_text())
    doc["submitted_at"] = "2020-01-01 09:00"
    (subs / "s01-copy.json").write_text(json.dumps(doc))
    result, results = rerun(graded, tmp_path, subs=subs)
    summary = json.loads((results / "summary.json").read_text())
    reason = next(s["reason"] for s in summary["skipped"] if s["file"] == "s01-copy.json")
    assert "submitted_at" in reason and "ISO 8601 with an offset" in reason


@pytest.mark.parametrize("text, needle", [
    ('[[drop]]\nproblem = "nope"\npart = "mean"\n', "overrides.toml, line 1: [[drop]]: `problem` must be one of"),
    ('[[drop]]\nproblem = "batchnorm-forward"\npart = "x"\n', "`part` must be a part of batchnorm-forward"),
    ('\n[[adjust]]\nstudent = "s01"\npoints = 1\n', "overrides.toml, line 2: [[adjust]]: `reason` is needed"),
    ('[[adjust]]\nstudent = "zz"\npoints = 1\nreason = "r"\n', "`student` must name a student of the exam"),
    ('[[accept]]\nproblem = "batchnorm-forward#2"\npart = "mean"\n', "`answer` is needed"),
    ('[[bonus]]\n', "unknown table 'bonus'"),
    ('[[drop]\n', "not valid TOML"),
])
def test_override_errors_are_one_line(graded, tmp_path, text, needle):
    (tmp_path / "overrides.toml").write_text(text)
    result = run("exam", "grade", graded["dir"] / "exam", graded["dir"] / "subs", "--out", tmp_path / "r",
                 "--overrides", tmp_path / "overrides.toml")
    assert result.exit_code == 2 and result.output.count("\n") == 1 and needle in result.output, result.output


def test_edited_key_points_are_honoured_everywhere_and_edited_answers_refused(graded, tmp_path):
    exam = tmp_path / "exam"
    shutil.copytree(graded["dir"] / "exam", exam)
    key = json.loads((exam / "staff/key.json").read_text())
    for entries in key["students"].values():
        entries[1]["parts"][0]["points"] = 1.5  # mean of problem 2: 2 -> 1.5
        entries[1]["points"] = 5.5
    (exam / "staff/key.json").write_text(json.dumps(key))
    result = run("exam", "grade", exam, graded["dir"] / "subs", "--out", tmp_path / "r", "--jobs", "1")
    assert result.exit_code == 0, result.output
    book = gradebook(tmp_path / "r")
    assert book["s01"]["total"] == "15.5" and book["s11"]["total"] == "11.5"
    assert "**Total: 15.5 / 15.5**" in (tmp_path / "r/feedback/s01.md").read_text()
    rows = list(csv.reader(io.StringIO((tmp_path / "r/canvas.csv").read_text())))
    assert rows[1][5] == "15.5" and json.loads((tmp_path / "r/summary.json").read_text())["overall"]["max_score"] == 15.5
    key["students"]["s05"][0]["parts"][0]["answer"] = "123"
    (exam / "staff/key.json").write_text(json.dumps(key))
    result = run("exam", "grade", exam, graded["dir"] / "subs", "--out", tmp_path / "r", "--jobs", "1")
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "student s05, problem 1 (batchnorm-forward), part mean: the key's answer 123" in result.output


def test_explain_and_json(graded, tmp_path):
    result, _ = rerun(graded, tmp_path, "--explain", "s11")
    assert result.exit_code == 0
    assert "variance: incorrect, 0 / 2" in result.output and "reference:" in result.output
    result, _ = rerun(graded, tmp_path, "--explain", "nobody")
    assert result.exit_code == 2 and "student 'nobody' is not in the exam" in result.output
    result, _ = rerun(graded, tmp_path, "--json")
    data = json.loads(result.output)
    assert data | {"out": ""} == {"exam": "midterm-1", "students": 40, "problems": 2, "graded": 31, "skipped": 8,
                                  "not_taken": 1, "missing": 8, "pending": 0, "changes": 0, "reused": 32, "out": ""}


def _stamps(results: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(results).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for folder in ("feedback", "gradescope") for p in (results / folder).iterdir()}


def test_regrade_after_an_override_rewrites_only_the_students_it_changed(graded, tmp_path):
    (tmp_path / "overrides.toml").write_text(
        '[[full_credit]]\nproblem = "batchnorm-forward#2"\npart = "variance"\nstudents = ["s11", "s12"]\n\n'
        '[[adjust]]\nstudent = "s19"\npoints = 1\nreason = "a misprint"\n')
    results = tmp_path / "results"
    shutil.copytree(graded["results"], results)
    before, old = _stamps(results), tree(results)
    result, _ = rerun(graded, tmp_path, "--overrides", tmp_path / "overrides.toml")
    assert result.exit_code == 0, result.output
    fresh = run("exam", "grade", graded["dir"] / "exam", graded["dir"] / "subs", "--out", tmp_path / "fresh",
                "--jobs", "2", "--overrides", tmp_path / "overrides.toml")
    assert fresh.exit_code == 0, fresh.output
    now, scratch = tree(results), tree(tmp_path / "fresh")
    # every file but the record of what moved since the previous run is what a full run writes
    assert set(now) == set(scratch)
    assert [rel for rel in now if now[rel] != scratch[rel]] == ["changes.csv", "report.html", "summary.json"]
    after = _stamps(results)
    assert set(after) == set(before)
    changed = {"s11", "s12", "s19"}
    for rel in before:
        sid = rel.split("/")[1].rsplit(".", 1)[0]
        if sid in changed:
            assert now[rel] != old[rel] and after[rel] != before[rel], rel
        else:
            assert after[rel] == before[rel], f"{rel} was rewritten"
    assert {r["student"] for r in csv.DictReader(io.StringIO(now["changes.csv"].decode()))} == {"s11", "s12"}
