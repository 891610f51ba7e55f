"""A Gradescope autograder for an exam (SPEC §12).

`build_autograder` writes the zip: setup.sh, run_autograder, the exam's key, the roster's ids and
emails, and this package's wheel. In the container, `run_autograder` calls `main()`, which grades
the answers file in ROOT/submission/ for the student ROOT/submission_metadata.json names, through
the same path as `exam grade` (the key's points, rounded alike), and writes
ROOT/results/results.json in Gradescope's format. A submission that cannot be graded gets a 0 with the reason, never a crash."""
from __future__ import annotations

import json
import os
import stat
import sys
import zipfile
from pathlib import Path
from typing import Any

from grader import __version__
from grader.exports import ExportError, render_template
from grader.text import md_code, md_text, one_line, visible

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
MAX_SUBMISSION_BYTES = 1024 * 1024
ANSWER_SUFFIXES = (".json", ".toml")
KEY, ROSTER, CONFIG = "key.json", "roster.json", "config.json"


# -- results.json (pure) ------------------------------------------------------------------------
def failure(message: str, visibility: str = "visible") -> dict:
    """A results.json for a submission that could not be graded: 0 points and the reason."""
    return {"score": 0, "output": message, "output_format": "md", "visibility": visibility,
            "stdout_visibility": "hidden", "tests": []}


def _feedback_md(text: str) -> str:
    text = visible(text.strip(), keep="\n")
    if "\n" in text:
        return "```text\n" + text.replace("```", "ʼʼʼ") + "\n```"
    return md_text(text)


def part_output(part, raw: dict) -> str:
    """One part's verdict, the student's answer and what it was read as, the feedback and what
    changed the engine's verdict, as Markdown (the answer as a code span on one line). `part` is
    the exam's PartGrade, `raw` the part's graded record (answer, read_as, feedback)."""
    lines = ["Pending: a person grades this part." if part.pending else f"**{part.verdict}**"]
    if raw.get("answer") is not None:
        lines.append(f"Your answer: {md_code(raw['answer'], 200)}")
    if raw.get("read_as"):
        lines.append(f"Read as {md_code(str(raw['read_as'].get('text', '')), 200)}.")
    if raw.get("feedback"):
        lines.append(_feedback_md(raw["feedback"]))
    lines += [md_text(why) for why in part.why]
    return "\n\n".join(lines)


def results_json(title: str, columns: list, grade, problems: list[dict], visibility: str = "visible",
                 note: str = "") -> dict:
    """Gradescope's results.json for one graded student, written alike by `exam grade` and the
    autograder: `grade` is the StudentGrade (the exam's point policy: rounded points that add
    up, overrides, people's scores), `problems` the graded records of its problems. One test a
    part (name with the part id, Markdown output, tags = misconceptions); a manual part no
    person has scored is not failed: its output starts with "Pending" and its tags hold `pending`."""
    from grader.exam.points import shown, value
    from grader.render import part_label

    rounded = grade.rounded()
    tests = []
    for col, problem, record, scores in zip(columns, grade.problems, problems, rounded["parts"]):
        for j, (part, raw, score) in enumerate(zip(problem.parts, record["parts"], scores)):
            test = {"name": f"Problem {col.index + 1} ({col.problem}) ({part_label(j)}) {part.id}",
                    "number": f"{col.index + 1}.{j + 1}", "score": value(score), "max_score": value(part.max),
                    "output": part_output(part, raw), "output_format": "md", "visibility": visibility,
                    "tags": [part.misconception] if part.misconception else []}
            if part.pending:
                test["tags"].append("pending")
            else:
                test["status"] = "passed" if part.verdict == "correct" else "failed"
            tests.append(test)
    summary = f"{md_text(title)}: {shown(rounded['total'])} / {shown(grade.max)}"
    if grade.pending:
        summary += f" ({grade.pending} part(s) pending)"
    return {"score": value(rounded["total"]), "output": summary + (f"\n\n{note}" if note else ""),
            "output_format": "md", "test_output_format": "md", "visibility": visibility,
            "stdout_visibility": "hidden", "tests": tests}


# -- in the container -----------------------------------------------------------------------------
def _read_bounded(path: Path, what: str) -> bytes:
    from grader.errors import AnswerFileError

    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise AnswerFileError(f"{what} is not a regular file", path=path.name)
        with open(path, "rb") as fh:
            data = fh.read(MAX_SUBMISSION_BYTES + 1)
    except FileNotFoundError:
        raise AnswerFileError(f"{what} not found", path=path.name) from None
    except OSError as exc:
        raise AnswerFileError(f"cannot read {what}: {exc.strerror}", path=path.name) from None
    if len(data) > MAX_SUBMISSION_BYTES:
        raise AnswerFileError(f"{what} is larger than {MAX_SUBMISSION_BYTES} bytes", path=path.name)
    return data


def load_answers(data: bytes, name: str) -> Any:
    """An answers file's value: TOML by its extension, else JSON."""
    from grader.errors import AnswerFileError
    from grader.submission import loads

    if not name.lower().endswith(".toml"):
        return loads(data, name, "answers file")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise AnswerFileError(f"answers file is not UTF-8 text (byte {exc.start})", path=name) from None
    except tomllib.TOMLDecodeError as exc:
        raise AnswerFileError(f"not valid TOML: {exc}", path=name) from None


def answers_file(folder: Path) -> tuple[Path, list[str]]:
    """The submission's answers file (answers.json or answers.toml first, else the first .json or
    .toml by name) and the names of the other files, which are not graded."""
    from grader.errors import AnswerFileError

    found = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(top) / f for f in files if not f.startswith(".")]
    candidates = sorted((p for p in found if p.suffix.lower() in ANSWER_SUFFIXES),
                        key=lambda p: (p.stem.lower() != "answers", p.relative_to(folder).as_posix()))
    if not candidates:
        raise AnswerFileError("no answers file: upload answers.json or answers.toml")
    chosen = candidates[0]
    return chosen, sorted(p.relative_to(folder).as_posix() for p in found if p != chosen)


def student_of(metadata: Any, roster: dict[str, str]) -> str:
    """The roster id of the submitter: `users[0]`'s sid matched against the roster's ids, else
    its email against the roster's emails (or ids)."""
    from grader.errors import AnswerFileError

    users = metadata.get("users") if isinstance(metadata, dict) else None
    user = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else None
    if user is None:
        raise AnswerFileError("submission_metadata.json names no user")
    sid = str(user.get("sid") or "").strip()
    email = str(user.get("email") or "").strip().lower()
    if sid and sid in roster:
        return sid
    for rid, remail in roster.items():
        if email and email in (remail.strip().lower(), rid.lower()):
            return rid
    who = ", ".join(x for x in (f"SID {one_line(sid, 60)}" if sid else "", f"email {one_line(email, 80)}" if email else "") if x)
    raise AnswerFileError(f"your Gradescope account ({who or 'no SID or email'}) is not on this exam's roster: "
                          "ask the course staff to add you")


def grade(root: Path) -> dict:
    """results.json for the submission under the autograder root `root`: graded as `exam grade`
    grades it (the key's variant and points, the same parts for every student, rounded points)."""
    from grader.checking import match_answers
    from grader.errors import AnswerFileError, GraderError
    from grader.exam.grade import assemble, columns_of, grade_problem
    from grader.exam.overrides import Overrides
    from grader.exam.points import exact
    from grader.submission import loads, parse_submission

    source = root / "source"
    config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    visibility = config.get("visibility", "visible")
    try:
        key = loads((source / KEY).read_bytes(), KEY, "key file")
        roster = json.loads((source / ROSTER).read_text(encoding="utf-8"))
        metadata = loads(_read_bounded(root / "submission_metadata.json", "submission_metadata.json"),
                         "submission_metadata.json", "submission metadata")
        student = student_of(metadata, roster)
        if student not in key["students"]:
            raise AnswerFileError(f"student {one_line(student, 60)} has no variant in this exam's key: ask the course staff")
        path, others = answers_file(root / "submission")
        name = path.relative_to(root / "submission").as_posix()
        data = load_answers(_read_bounded(path, "answers file"), name)
        if isinstance(data, dict) and "problems" not in data:
            data = {"problems": [data]}  # one problem's answers
        entries = key["students"][student]
        matched = match_answers([(e, f"students.{student}[{i}]") for i, e in enumerate(entries)],
                                parse_submission(data, name), name)
        problems = [grade_problem(e, m.answers, m.field, name, student, i, [])
                    for i, (e, m) in enumerate(zip(entries, matched))]
        mismatch = next((p["mismatch"] for p in problems if "mismatch" in p), None)
        if mismatch:
            raise AnswerFileError(f"the key does not match this grader: {mismatch}")
        points = [{p.get("id"): exact(p.get("points", 0)) for p in e.get("parts", []) if isinstance(p, dict)}
                  for e in entries]
        columns = columns_of(key)
        graded = assemble({"student": student, "file": name, "problems": problems}, columns, points, Overrides(), {})
    except GraderError as exc:
        return failure(f"Not graded (0 points): {_feedback_md(str(exc))}", visibility)
    note = f"Graded {md_code(name)}." + (f" Not graded: {', '.join(md_code(o, 80) for o in others[:10])}." if others else "")
    return results_json(config.get("title", key["exam"]), columns, graded, problems, visibility, note)


def main(argv: list[str] | None = None) -> int:
    """`python -m grader.exports.gradescope [--check]`: grade into ROOT/results/results.json
    (ROOT from AUTOGRADER_ROOT, default /autograder); `--check` only checks the installation."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    if argv == ["--check"]:
        key = json.loads((root / "source" / KEY).read_text(encoding="utf-8"))
        print(f"grader {__version__} ready: exam {one_line(key['exam'], 80)}, {len(key['students'])} students")
        return 0
    try:
        results = grade(root)
    except Exception as exc:  # noqa: BLE001 - a student's submission never crashes the autograder
        results = failure(f"Not graded (0 points): the autograder failed ({type(exc).__name__}); "
                          "please tell the course staff.")
        print(f"autograder error: {type(exc).__name__}: {one_line(str(exc), 300)}", file=sys.stderr)
    out = root / "results"
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "results.json.tmp"
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out / "results.json")
    print(f"score {results['score']}, {len(results['tests'])} tests")
    return 0


# -- building the zip -----------------------------------------------------------------------------
def project_root() -> Path | None:
    """The source checkout this package runs from (where pyproject.toml is), if any."""
    import grader

    root = Path(grader.__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "grader").is_dir() else None


def build_wheel(dest: Path) -> Path:
    """This package's wheel, built from its source checkout with `pip wheel --no-deps`."""
    import subprocess

    root = project_root()
    if root is None:
        raise ExportError("grader is not running from its source checkout, so its wheel cannot be built here: "
                          "build one (pip wheel --no-deps .) and pass --wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                           "-w", str(dest), str(root)], capture_output=True, text=True, timeout=600)
    wheels = sorted(dest.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        last = (proc.stderr.strip().splitlines() or ["no wheel written"])[-1]
        raise ExportError(f"building the wheel failed: {one_line(last, 200)}")
    return wheels[-1]


def _add(zf: zipfile.ZipFile, name: str, data: bytes | str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)


def build_autograder(exam_dir: Path, out: Path, wheel: Path | None = None, visibility: str = "visible") -> dict:
    """Write the autograder zip for the exam built in `exam_dir`; returns what it holds."""
    import tempfile

    from grader.exam.grade import read_key

    if visibility not in VISIBILITIES:
        raise ExportError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    if out.resolve().is_relative_to((exam_dir / "students").resolve()):
        raise ExportError("the autograder holds the key: write it outside the students' folder", where=str(out))
    key, key_bytes, manifest = read_key(exam_dir)
    students = manifest.get("students") if isinstance(manifest.get("students"), dict) else {}
    roster = {sid: str((students.get(sid) or {}).get("email", "")) for sid in sorted(key["students"])}
    config = {"exam": key["exam"], "title": str(manifest.get("title") or key["exam"]), "visibility": visibility,
              "grader_version": __version__}
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            wheel = build_wheel(Path(tmp))
        elif not wheel.is_file() or wheel.suffix != ".whl":
            raise ExportError(f"{wheel}: not a wheel file")
        fallback = json.dumps(failure("Not graded (0 points): the autograder could not start; "
                                      "please tell the course staff.", visibility))
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".part")
        with zipfile.ZipFile(partial, "w") as zf:
            _add(zf, "setup.sh", render_template("gradescope_setup.sh.j2", wheel=wheel.name, version=__version__), True)
            _add(zf, "run_autograder", render_template("gradescope_run_autograder.j2", fallback=fallback), True)
            _add(zf, KEY, key_bytes)
            _add(zf, ROSTER, json.dumps(roster, indent=2, ensure_ascii=False) + "\n")
            _add(zf, CONFIG, json.dumps(config, indent=2, ensure_ascii=False) + "\n")
            _add(zf, wheel.name, wheel.read_bytes())
        partial.replace(out)
    return {"exam": key["exam"], "students": len(key["students"]), "wheel": wheel.name, "out": str(out)}


if __name__ == "__main__":
    sys.exit(main())
