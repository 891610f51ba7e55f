"""`grader exam grade`: every submission against the staff key, in parallel, resumable.

A submission that cannot be graded (not JSON, binary, huge, the wrong shape, another exam, a
student not in the key, a duplicate) is named and skipped; nothing stops the run. Each graded
submission is cached under RESULTS/.cache by a hash of the key, the grader version, the file's
name and its bytes, so a rerun reuses finished work and gives the same results."""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import __version__
from grader.errors import AnswerFileError, ExamError, GraderError
from grader.exam.files import sha256, write_json

MAX_SUBMISSION_BYTES = 1024 * 1024
MAX_KEY_BYTES = 512 * 1024 * 1024
SHOWN_ANSWER_CHARS = 80
CACHE = ".cache"
WRONG = ("incorrect", "partial", "invalid")


@dataclass
class Column:
    """One problem of the exam as a gradebook column."""

    index: int
    problem: str
    label: str
    points: float


@dataclass
class GradeSummary:
    exam: str
    title: str
    out: Path
    columns: list[Column]
    students: dict[str, dict]  # id -> {"name", "email"}: the roster, in id order
    graded: dict[str, dict]  # id -> record of the graded submission
    skipped: list[dict]  # {"file", "reason", "student"?}
    missing: list[str]  # roster students with no submission at all
    reused: int = 0
    stats: dict = field(default_factory=dict)


_KEY: dict = {}


def _load_key(path: str) -> None:
    from grader.submission import read_json

    _KEY.clear()
    _KEY.update(read_json(path, "key file", max_bytes=MAX_KEY_BYTES))


def _shown(raw: Any) -> str:
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_ANSWER_CHARS else text[:SHOWN_ANSWER_CHARS - 1] + "…"


def grade_submission(task: tuple[str, bytes]) -> dict:
    """Grade one submission (its name and bytes) against the loaded key: a record
    `{"status": "graded", "student", "result", "wrong"}` or `{"status": "skipped", "reason"}`."""
    from grader.checking import check, key_entries, match_answers
    from grader.submission import loads, parse_submission

    name, data = task
    student = None
    try:
        sub = parse_submission(loads(data, name, "answers file"), name)
        if sub.single or sub.student is None:
            raise AnswerFileError("not an exam submission: it needs `student` and `problems`", path=name)
        student = sub.student
        if sub.exam is not None and sub.exam != _KEY.get("exam"):
            raise AnswerFileError(f"the submission is for exam {sub.exam!r}, not {_KEY.get('exam')!r}",
                                  path=name, field="exam")
        if student not in _KEY["students"]:
            raise AnswerFileError(f"student {student!r} is not in the exam's key", path=name, field="student")
        result = check(sub, name, _KEY, "staff/key.json")
        matched = match_answers(key_entries(_KEY, "staff/key.json", sub), sub, name)
        wrong = [{part["id"]: _shown(pa.answers.get(part["id"])) for part in res["parts"] if part["verdict"] in WRONG}
                 for res, pa in zip(result["problems"], matched)]
        return {"status": "graded", "student": student, "result": result, "wrong": wrong}
    except GraderError as exc:
        return _skipped(str(exc), student)
    except Exception as exc:  # noqa: BLE001 - one submission never stops the run
        return _skipped(f"{name}: could not be graded ({type(exc).__name__}: {_shown(str(exc))})", student)


def _skipped(reason: str, student: str | None = None) -> dict:
    out = {"status": "skipped", "reason": " ".join(reason.split())}
    if student is not None:
        out["student"] = student
    return out


def _crashed(task: tuple[str, bytes], exc: BaseException) -> dict:
    return _skipped(f"{task[0]}: the grading process died on this submission ({type(exc).__name__})")


def submission_files(folder: Path) -> list[tuple[str, Path]]:
    """Every file under `folder` (hidden ones aside), as (name relative to the folder, path),
    sorted by name."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith("."):
                path = Path(root) / name
                found.append((path.relative_to(folder).as_posix(), path))
    return sorted(found)


def _read_submission(name: str, path: Path) -> bytes | str:
    """The file's bytes, or why it is not read (a link, not a regular file, too large)."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return f"{name}: a symbolic link, not a file"
        if not stat.S_ISREG(info.st_mode):
            return f"{name}: not a regular file"
        if info.st_size > MAX_SUBMISSION_BYTES:
            return f"{name}: {info.st_size} bytes; the limit is {MAX_SUBMISSION_BYTES}"
        with open(path, "rb") as fh:
            data = fh.read(MAX_SUBMISSION_BYTES + 1)
    except OSError as exc:
        return f"{name}: cannot read it: {exc.strerror}"
    if len(data) > MAX_SUBMISSION_BYTES:
        return f"{name}: more than {MAX_SUBMISSION_BYTES} bytes"
    return data


def read_key(exam_dir: Path) -> tuple[dict, bytes, dict]:
    """The staff key (checked for shape), its bytes and the manifest (empty when missing)."""
    from grader.submission import loads

    key_path = exam_dir / "staff" / "key.json"
    try:
        data = key_path.read_bytes()
    except OSError:
        raise ExamError("no staff/key.json: is this a folder written by `grader exam build`?", where=str(exam_dir)) from None
    key = loads(data, str(key_path), "key file")
    students = key.get("students") if isinstance(key, dict) else None
    if not isinstance(students, dict) or not students or not isinstance(key.get("exam"), str):
        raise ExamError("not an exam key (expected `exam` and a non-empty `students` object)", where=str(key_path))
    for sid, entries in students.items():
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise ExamError(f"malformed entry for student {sid!r}", where=str(key_path))
    manifest = {}
    manifest_path = exam_dir / "staff" / "manifest.json"
    if manifest_path.is_file():
        manifest = loads(manifest_path.read_bytes(), str(manifest_path), "manifest")
    return key, data, manifest if isinstance(manifest, dict) else {}


def columns_of(key: dict) -> list[Column]:
    """The exam's problems, in order, from the key (every student has the same problems)."""
    first = next(iter(key["students"].values()))
    ids = [str(e.get("problem")) for e in first]
    cols = []
    for i, entry in enumerate(first):
        pid = ids[i]
        nth = ids[:i + 1].count(pid)
        label = pid if ids.count(pid) == 1 else f"{pid}#{nth}"
        cols.append(Column(i, pid, label, entry.get("points", 0)))
    return cols


def grade_exam(exam_dir: Path, submissions: Path, out: Path, *, jobs: int = 1) -> GradeSummary:
    """Grade every file in `submissions` against `exam_dir`'s key; write everything under `out`."""
    from grader.exam.parallel import run_all

    if not submissions.is_dir():
        raise ExamError("the submissions folder does not exist", where=str(submissions))
    key, key_bytes, manifest = read_key(exam_dir)
    roster = manifest.get("students") if isinstance(manifest.get("students"), dict) else {}
    students = {sid: {"name": str((roster.get(sid) or {}).get("name", "")),
                      "email": str((roster.get(sid) or {}).get("email", ""))}
                for sid in sorted(key["students"])}
    salt = f"{__version__}\x1f{sha256(key_bytes)}\x1f".encode()
    cache = out / CACHE
    records: dict[str, dict] = {}
    todo: list[tuple[str, bytes]] = []
    digests: dict[str, str] = {}
    for name, path in submission_files(submissions):
        data = _read_submission(name, path)
        if isinstance(data, str):
            records[name] = _skipped(data)
            continue
        digests[name] = sha256(salt + name.encode() + b"\x00" + data)
        cached = _read_cache(cache / f"{digests[name]}.json")
        if cached is not None:
            records[name] = cached
        else:
            todo.append((name, data))
    reused = len(digests) - len(todo)
    fresh = run_all(grade_submission, todo, jobs=jobs, description="grading", initializer=_load_key,
                    initargs=(str(exam_dir / "staff" / "key.json"),), on_crash=_crashed)
    for (name, _), record in zip(todo, fresh):
        write_json(cache / f"{digests[name]}.json", record)
        records[name] = record
    _prune(cache, {f"{d}.json" for d in digests.values()})

    graded, skipped = {}, []
    for name in sorted(records):
        record = dict(records[name], file=name)
        sid = record.get("student")
        if record["status"] == "graded" and sid in graded:
            record = dict(_skipped(f"{name}: another submission of student {sid!r} ({graded[sid]['file']}) "
                                   "was graded; this one was not", sid), file=name)
        if record["status"] == "graded":
            graded[sid] = record
        else:
            skipped.append(record)
    skipped_ids = {r.get("student") for r in skipped}
    missing = [sid for sid in students if sid not in graded and sid not in skipped_ids]
    summary = GradeSummary(key["exam"], str(manifest.get("title") or key["exam"]), out, columns_of(key),
                           students, graded, skipped, missing, reused)
    from grader.exam.lms import write_outputs
    from grader.exam.stats import summarize

    summary.stats = summarize(summary)
    write_outputs(summary)
    return summary


def _read_cache(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("status") in ("graded", "skipped") else None


def _prune(folder: Path, keep: set[str]) -> None:
    """Remove files this run neither wrote nor reused (stale results of changed submissions)."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and path.name not in keep:
                path.unlink()
