"""`grader export gradescope`: the zip unpacked into a fake autograder root (AUTOGRADER_ROOT),
setup.sh's install step run into a fresh venv from the wheel inside, and run_autograder run in
that one tree for a right, a partial, a blank, a hostile, an unknown and an unreadable
submission; every results.json is checked against a JSON Schema written from Gradescope's
specification.

The wheel is built once per source (`wheel`: cached under the system's temp folder by a hash of
the packaged files, one build at a time across xdist workers) and shipped with `--wheel`. The
fresh venv borrows the interpreter's pip (`--without-pip --system-site-packages`) and gets the
wheel with `--no-deps --no-index` (offline); its dependencies (NumPy, SymPy, ...) come from this
test environment's site-packages through PYTHONPATH, which holds no `grader` of its own, so the
package graded with is the one installed from the zip's wheel."""
import csv
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from grader import registry
from grader.cli import cli
from test_exam_build import SECRET, write_exam

SCHEMA = json.loads((Path(__file__).parent / "data" / "gradescope_results.schema.json").read_text())
STUDENTS = 4
# batchnorm-forward first (its misconception is tested), then every other problem of the catalog
EXAM_IDS = ["batchnorm-forward"] + [p for p in registry.ids() if p != "batchnorm-forward"]
EXAM = 'id = "midterm-1"\ntitle = "Midterm 1"\n' + "".join(
    f'\n[[problem]]\nid = "{pid}"\npoints = {10 if pid == "batchnorm-forward" else 5}\n' for pid in EXAM_IDS)


def run_cli(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"GRADER_SECRET": SECRET}, catch_exceptions=False)


def deps_env(root: Path) -> dict:
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PYTHONPATH=sysconfig.get_paths()["purelib"])
    env.pop("GRADER_PROBLEMS", None)
    return env


def source_hash(root: Path) -> str:
    """A hash of what goes into the wheel: pyproject.toml and the packaged folders' files."""
    digest = hashlib.sha256()
    files = [root / "pyproject.toml"] + sorted(p for folder in ("grader", "problems", "templates")
                                               for p in (root / folder).rglob("*")
                                               if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


@pytest.fixture(scope="session")
def wheel() -> Path:
    """This package's wheel, built by the export's own `build_wheel` once per source: kept under
    the temp folder by source hash, built under a lock so parallel workers build it once."""
    from grader.exports.gradescope import build_wheel, project_root

    root = project_root()
    if root is None:
        pytest.skip("SKIPPED LOUDLY: grader is not running from its source checkout, so no wheel can be built")
    cache = Path(tempfile.gettempdir()) / "grader-test-wheels"
    cache.mkdir(exist_ok=True)
    folder = cache / source_hash(root)
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not any(folder.glob("*.whl")):
            for old in cache.iterdir():  # wheels of sources a day old are no longer anyone's
                if old.is_dir() and time.time() - old.stat().st_mtime > 86400:
                    shutil.rmtree(old, ignore_errors=True)
            building = Path(tempfile.mkdtemp(dir=cache))
            build_wheel(building)
            shutil.rmtree(folder, ignore_errors=True)
            building.rename(folder)
    return next(folder.glob("*.whl"))


@pytest.fixture(scope="module")
def autograder(tmp_path_factory, wheel):
    """(root, key): the exported autograder installed as Gradescope would install it."""
    folder = tmp_path_factory.mktemp("gradescope")
    exam, roster = write_exam(folder, EXAM, students=STUDENTS)
    assert run_cli("exam", "build", exam, "--roster", roster, "--out", folder / "exam", "--no-pdf",
                   "--jobs", "1").exit_code == 0
    result = run_cli("export", "gradescope", folder / "exam", "--out", folder / "autograder.zip", "--wheel", wheel)
    assert result.exit_code == 0, result.output
    root = folder / "root"
    with zipfile.ZipFile(folder / "autograder.zip") as zf:
        names = zf.namelist()
        zf.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "key.json"} <= set(names)
    assert any(n.endswith(".whl") for n in names)
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    env = deps_env(root) | {"GRADER_PYTHON": sys.executable, "GRADER_VENV_OPTIONS": "--without-pip --system-site-packages",
                            "GRADER_PIP_OPTIONS": "--no-deps --no-index --no-compile"}
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root, env=env,
                           capture_output=True, text=True, timeout=300)
    assert setup.returncode == 0, setup.stderr
    assert f"ready: exam midterm-1, {STUDENTS} students" in setup.stdout
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    installed = subprocess.run([str(root / "venv" / "bin" / "python"), "-c", "import grader; print(grader.__file__)"],
                               cwd=root, env=deps_env(root), capture_output=True, text=True, timeout=60)
    assert Path(installed.stdout.strip()).is_relative_to(root / "venv"), installed
    key = json.loads((folder / "exam" / "staff" / "key.json").read_text())
    return root, key


def submit(root: Path, files: dict[str, bytes | str | dict], user: dict) -> dict:
    """Put a submission in place, run run_autograder as Gradescope does, return results.json."""
    sub = root / "submission"
    shutil.rmtree(sub, ignore_errors=True)
    sub.mkdir()
    for name, content in files.items():
        data = json.dumps(content) if isinstance(content, dict) else content
        (sub / name).write_bytes(data.encode() if isinstance(data, str) else data)
    (root / "submission_metadata.json").write_text(json.dumps({"users": [user], "assignment": {"title": "Midterm"}}))
    (root / "results" / "results.json").unlink(missing_ok=True)
    proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=deps_env(root), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, SCHEMA)
    return results


def answers(key: dict, sid: str) -> list[dict]:
    return [{p["id"]: p["answer"] for p in entry["parts"]} for entry in key["students"][sid]]


def exam_submission(key: dict, sid: str, per_problem: list[dict], student: str | None = None) -> dict:
    problems = [{"problem": e["problem"], "answers": a} for e, a in zip(key["students"][sid], per_problem)]
    return {"student": student or sid, "exam": "midterm-1", "problems": problems}


def test_right_student_by_email_gets_full_marks(autograder):
    root, key = autograder
    results = submit(root, {"answers.json": exam_submission(key, "s01", answers(key, "s01"))},
                     {"email": "S01@Uni.edu", "sid": "", "name": "Student 1"})
    total = sum(p["points"] for e in key["students"]["s01"] for p in e["parts"])
    manual = [t for t in results["tests"] if "pending" in t["tags"]]
    assert results["score"] == pytest.approx(total - sum(t["max_score"] for t in manual))
    assert manual and all("status" not in t and t["output"].startswith("Pending") for t in manual)
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in results["tests"] if t not in manual)
    assert len(results["tests"]) == sum(len(e["parts"]) for e in key["students"]["s01"])
    assert {re.match(r"Problem \d+ \((\S+)\)", t["name"]).group(1) for t in results["tests"]} == set(EXAM_IDS)
    names = [t["name"] for t in results["tests"]]
    assert names[:3] == ["Problem 1 (batchnorm-forward) (a) mean", "Problem 1 (batchnorm-forward) (b) variance",
                         "Problem 1 (batchnorm-forward) (c) output"]
    assert all(t["output_format"] == "md" and t["visibility"] == "visible" for t in results["tests"])


def test_partial_student_by_sid_is_tagged_with_the_misconception(autograder):
    root, key = autograder
    given = [answers(key, "s02")[0]] + [{} for _ in key["students"]["s02"][1:]]
    batch = [Fraction(x) for x in key["students"]["s02"][0]["params"]["batch"]]
    mean = sum(batch) / len(batch)
    unbiased = sum((x - mean) ** 2 for x in batch) / (len(batch) - 1)
    given[0]["variance"] = f"{unbiased.numerator}/{unbiased.denominator}"
    given[1] = {}
    results = submit(root, {"my answers.json": exam_submission(key, "s02", given)},
                     {"email": "someone@else.org", "sid": "s02"})
    tests = {t["name"]: t for t in results["tests"]}
    variance = tests["Problem 1 (batchnorm-forward) (b) variance"]
    assert variance["status"] == "failed" and variance["score"] == 0
    assert variance["tags"] and "pending" not in variance["tags"]
    assert all(t["output"].startswith("**unanswered**") for t in results["tests"] if t["name"].startswith("Problem 2 "))
    assert 0 < results["score"] < sum(t["max_score"] for t in results["tests"])


def test_results_agree_with_exam_grade_for_the_same_submission(autograder, tmp_path):
    """The autograder and `exam grade` on one submission: the same total (gradebook.csv) and the
    same tests (gradescope/<id>.json), rounded points adding up alike (5 points over 3 parts)."""
    root, key = autograder
    given = answers(key, "s02")
    given[0] = dict(given[0], variance="1/7")
    given[2] = {}
    submission = exam_submission(key, "s02", given)
    results = submit(root, {"answers.json": submission}, {"email": "", "sid": "s02"})
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "answers.json").write_text(json.dumps(submission))
    exam = root.parent / "exam"
    assert run_cli("exam", "grade", exam, subs, "--out", tmp_path / "results", "--jobs", "1").exit_code == 0
    book = {row["student"]: row for row in csv.DictReader((tmp_path / "results" / "gradebook.csv").open())}
    assert book["s02"]["total"] == str(results["score"]) and book["s02"]["pending"] == str(
        sum("pending" in t["tags"] for t in results["tests"]))
    written = json.loads((tmp_path / "results" / "gradescope" / "s02.json").read_text())
    assert written["score"] == results["score"]
    assert [(t["name"], t["score"], t["max_score"], t.get("status"), t["tags"]) for t in written["tests"]] == \
        [(t["name"], t["score"], t["max_score"], t.get("status"), t["tags"]) for t in results["tests"]]
    assert any(t["max_score"] != int(t["max_score"]) for t in results["tests"])  # rounded shares are in play


def test_blank_submission_scores_zero_part_by_part(autograder):
    root, key = autograder
    blank = [{pid: None for pid in a} for a in answers(key, "s03")]
    results = submit(root, {"answers.toml": _toml(exam_submission(key, "s03", blank))}, {"email": "s03@uni.edu"})
    assert results["score"] == 0 and len(results["tests"]) == sum(len(e["parts"]) for e in key["students"]["s03"])
    assert all(t.get("status") == "failed" and "unanswered" in t["output"] for t in results["tests"])


def _toml(submission: dict) -> str:
    lines = [f'student = "{submission["student"]}"', f'exam = "{submission["exam"]}"']
    for problem in submission["problems"]:
        lines += ["", "[[problems]]", f'problem = "{problem["problem"]}"', "[problems.answers]"]
        lines += [f"# {pid} left blank" for pid in problem["answers"]]
    return "\n".join(lines) + "\n"


def test_hostile_submission_is_graded_for_the_metadata_student_safely(autograder):
    root, key = autograder
    own = [answers(key, "s04")[0]] + [{} for _ in key["students"]["s04"][1:]]
    own[0]["mean"] = "\x1b[2J\u202e\ud800exp(exp(9^99))"
    own[0]["variance"] = "1e9999"
    assert key["students"]["s01"][0]["params"] != key["students"]["s04"][0]["params"]
    # the file claims to be s01 and carries s01's parameters; Gradescope says s04 uploaded it
    claimed = exam_submission(key, "s04", own, student="s01")
    claimed["problems"][0]["params"] = key["students"]["s01"][0]["params"]
    results = submit(root, {"answers.json": claimed, "notes.txt": "\x00\x01"}, {"email": "s04@uni.edu", "sid": "s04"})
    mean, variance, output = results["tests"][:3]
    assert output["name"].endswith(" output") and output["status"] == "passed"  # right for s04's variant
    for test in (mean, variance):  # neither scores; one the engine cannot read is left to a person
        assert test["score"] == 0 and (test.get("status") == "failed" or "pending" in test["tags"])
    text = json.dumps(results, ensure_ascii=False)
    assert "\x1b" not in text and "\u202e" not in text
    assert "Your answer: `\\x1b[2J\\u202e\ufffdexp(exp(9^99))`" in mean["output"]  # shown, never sent raw
    assert "notes.txt" in results["output"]


@pytest.mark.parametrize("user, files, reason", [
    ({"email": "stranger@example.com", "sid": "999"}, {"answers.json": {"problems": []}}, "not on this exam's roster"),
    ({"email": "s01@uni.edu"}, {"answers.json": b"\x00\xff binary"}, "binary"),
    ({"email": "s01@uni.edu"}, {"answers.json": "{not json"}, "not valid JSON"),
    ({"email": "s01@uni.edu"}, {"README.md": "no answers here"}, "no answers file"),
])
def test_unknown_student_or_unreadable_file_is_a_zero_with_the_reason(autograder, user, files, reason):
    root, _ = autograder
    results = submit(root, files, user)
    assert results["score"] == 0 and results["tests"] == []
    assert results["output"].startswith("Not graded (0 points)") and reason in results["output"].replace("\\", "")


def test_results_mark_a_manual_part_pending_not_failed():
    from grader.exam.grade import Column, PartGrade, ProblemGrade, StudentGrade
    from grader.exports.gradescope import results_json

    parts = [PartGrade("s1", "correct", Fraction(1), Fraction(1)), PartGrade("s1_why", "manual", None, Fraction(2))]
    grade = StudentGrade("s01", "a.json", [ProblemGrade(0, "concepts", "concepts", "v", parts)])
    raw = [{"parts": [{"id": "s1", "verdict": "correct", "feedback": "", "answer": "A"},
                      {"id": "s1_why", "verdict": "manual", "feedback": "Rubric: *shared* weights", "answer": "x"}]}]
    out = results_json("Quiz <1>", [Column(0, "concepts", "concepts", 3, ("s1", "s1_why"))], grade, raw)
    jsonschema.validate(out, SCHEMA)
    manual = out["tests"][1]
    assert "status" not in manual and manual["tags"] == ["pending"] and manual["output"].startswith("Pending")
    assert out["tests"][0]["status"] == "passed" and out["score"] == 1
    assert "\\*shared\\*" in manual["output"] and "Quiz \\<1\\>" in out["output"] and "1 part(s) pending" in out["output"]


def test_cli_errors_are_one_line(tmp_path, autograder):
    result = CliRunner().invoke(cli, ["export", "gradescope", str(tmp_path), "--out", str(tmp_path / "a.zip")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ") and "key.json" in result.output
    exam = autograder[0].parent / "exam"
    for out, extra, needle in [(tmp_path / "a.zip", ["--wheel", str(tmp_path / "missing.whl")], "not a wheel file"),
                               (exam / "students" / "s01" / "a.zip", [], "outside the students' folder")]:
        result = CliRunner().invoke(cli, ["export", "gradescope", str(exam), "--out", str(out), *extra])
        assert result.exit_code == 2 and result.output.startswith("Error: ") and needle in result.output
        assert result.output.count("\n") == 1 and not out.exists()


def test_export_help_lists_every_target():
    result = CliRunner().invoke(cli, ["export", "--help"])
    assert result.exit_code == 0
    for name in ("gradescope", "qti", "moodle", "prairielearn"):
        assert name in result.output
    assert "export" in CliRunner().invoke(cli, ["--help"]).output
