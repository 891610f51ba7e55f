"""`grader exam grade`: every submission against the staff key, in parallel, resumable, exact.

The run, step by step:
1. The key is indexed (where each student's entries lie in key.json), never held whole; a
   grading task carries its file's path and its student's place in the key.
2. Every file of SUBMISSIONS is read (regular files only, bounded) and its shape checked here;
   a file that cannot be graded is named and skipped, and nothing stops the run.
3. Each problem of each submission is graded against what it depends on, its *inputs*: the
   grader version, the problem file's SHA-256, the student's key entry and the `[[accept]]`
   overrides of its parts. A problem whose inputs match the cached result is not graded again;
   each submission's result is written to RESULTS/.cache as soon as it is graded, and only its
   grade (what outputs and statistics need) stays in memory.
4. One submission per student is taken (`--take latest|first|best`); overrides and the scores
   people entered for manual parts are applied (pure functions, no grading).
5. Every output is written to a staging folder, then moved into place as one set, with the
   completion marker RESULTS/.complete written last.

A second run on the same RESULTS while one runs is refused (RESULTS/.lock)."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

from grader import __version__
from grader.errors import AnswerFileError, ExamError, GraderError
from grader.exam.files import sha256
from grader.exam.key import KeyIndex, entries_at
from grader.exam.points import exact, round_parts, shown, total
from grader.text import json_dumps, one_line

MAX_SUBMISSION_BYTES = 1024 * 1024
SHOWN_ANSWER_CHARS = 80
KEPT_ANSWER_CHARS = 2000
CACHE = ".cache"
LOCK = ".lock"
TAKE = ("latest", "first", "best")
WRONG = ("incorrect", "partial", "invalid")
ZERO = Fraction(0)


@dataclass
class Column:
    """One problem of the exam as a gradebook column: its place, id, label (`id#2` when the id
    repeats), points and part ids (the same for every student)."""

    index: int
    problem: str
    label: str
    points: float
    parts: tuple[str, ...] = ()


@dataclass(slots=True)
class PartGrade:
    """One part of one student after overrides and people's scores. `score` is None while a
    manual part waits for a person (pending); `why` lists what changed the engine's verdict."""

    id: str
    verdict: str
    score: Fraction | None
    max: Fraction
    fraction: float = 0.0
    why: tuple[str, ...] = ()
    misconception: str | None = None
    relation: str | None = None
    answer: str | None = None  # a wrong answer on one line (None when right or unanswered)
    by_person: bool = False  # scored by a person (`--scores`), not by the engine

    @property
    def pending(self) -> bool:
        return self.score is None


@dataclass(slots=True)
class ProblemGrade:
    index: int
    label: str
    problem: str
    variant: str
    parts: list[PartGrade]
    invalid: str = ""  # why the whole problem is invalid (a stray key in its answers)

    @property
    def score(self) -> Fraction:
        return total(p.score or 0 for p in self.parts)

    @property
    def max(self) -> Fraction:
        return total(p.max for p in self.parts)


@dataclass
class StudentGrade:
    """One student's graded exam. `rounded()` gives every value as people see it."""

    student: str
    file: str
    problems: list[ProblemGrade]
    adjust: list[tuple[Fraction, str]] = field(default_factory=list)
    _rounded: dict | None = field(default=None, repr=False, compare=False)

    @property
    def score(self) -> Fraction:
        return total(p.score for p in self.problems) + total(a for a, _ in self.adjust)

    @property
    def max(self) -> Fraction:
        return total(p.max for p in self.problems)

    @property
    def pending(self) -> int:
        return sum(part.pending for p in self.problems for part in p.parts)

    def rounded(self) -> dict:
        """`{"total", "max", "problems": [score], "parts": [[score]], "maxima": [...]}`, each to
        2 decimals with largest-remainder rounding: parts add up to their problem, problems
        (and adjustments) to the total. Computed once: a grade is not changed after assembly."""
        if self._rounded is not None:
            return self._rounded
        problems = round_parts([p.score for p in self.problems])
        parts = [round_parts([q.score or 0 for q in p.parts], total=s) for p, s in zip(self.problems, problems)]
        adjust = total(a for a, _ in self.adjust)
        self._rounded = {"total": total(problems) + adjust, "max": self.max, "problems": problems, "parts": parts,
                         "maxima": [p.max for p in self.problems]}
        return self._rounded


@dataclass
class GradeSummary:
    """What `exam grade` found, the object every output writer (grader.exam.lms and the export
    writers) receives:

    - `exam`, `title`, `out`; `columns`: the problems (Column);
    - `students`: the roster, id -> {"name", "email", and when the roster had them "sortable"
      ("Last, First"), "canvas_id", "sis_user_id", "sis_login", "section"}, in id order;
    - `grades`: id -> StudentGrade of the submission taken (scores as exact Fractions; use
      `StudentGrade.rounded()` for what people see);
    - `skipped`: [{"file", "reason", "student"?}]; `not_taken`: [{"file", "student", "reason"}];
      `missing`: roster ids with no submission at all;
    - `max_score`: the exam's points (after `[[drop]]`); `stats`: item statistics;
    - `changes`: [{"student", "problem", "part", "old", "new", "why"}] since the previous run;
    - `inputs`: what grading used (grader version, problem files' SHA-256, key, overrides)."""

    exam: str
    title: str
    out: Path
    columns: list[Column]
    students: dict[str, dict]
    grades: dict[str, StudentGrade]
    skipped: list[dict]
    missing: list[str]
    not_taken: list[dict] = field(default_factory=list)
    reused: int = 0
    max_score: Fraction = Fraction(0)
    stats: dict = field(default_factory=dict)
    changes: list[dict] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)
    records: dict[str, Path] = field(default_factory=dict)  # id -> cache file of the submission taken

    def record(self, sid: str) -> dict:
        """The full cached result of the submission taken for `sid` (answers, feedback, references,
        worked solutions), read from disk: the summary itself keeps only what statistics need."""
        return json.loads(self.records[sid].read_text(encoding="utf-8"))


# -- grading one submission (in a worker process) ---------------------------------------------

def _shown(raw: Any, limit: int = SHOWN_ANSWER_CHARS) -> str:
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
    return one_line(" ".join(text.split()), limit)


def _same_answer(part_type, stored: Any, computed: Any, reference: Any) -> bool:
    if json.dumps(stored, sort_keys=True) == json.dumps(computed, sort_keys=True):
        return True
    try:
        return part_type.same(stored, reference)
    except Exception:  # noqa: BLE001 - a stored answer that cannot even be read is a mismatch
        return False


def grade_problem(entry: dict, answers: dict, field_name: str, name: str, sid: str, index: int,
                  accepts: list[tuple[str, Any]]) -> dict:
    """One problem of one submission: `{"parts": [...], "variant"}`, `{"invalid": reason, ...}`
    for a stray key, or `{"mismatch": message}` when the key's answers are not what the problem
    now computes."""
    from grader.checking import check_part_ids, instance_from
    from grader.exam.stats import relation
    from grader.grading import grade, run
    from grader.markup import markdown_to_terminal_text
    from grader.render import show_answer, texts

    where = f"students.{sid}[{index}]"
    inst = instance_from(entry["problem"], entry.get("seed"), entry["params"], "staff/key.json", where)
    label = f"student {sid}, problem {index + 1} ({entry['problem']})"
    stored = {p.get("id"): p for p in entry.get("parts", []) if isinstance(p, dict)}
    if list(stored) != inst.part_ids:
        return {"mismatch": f"{label}: the key lists parts {', '.join(map(str, stored))} but the problem now has "
                            f"{', '.join(inst.part_ids)}; rebuild the key with `grader exam build`"}
    for part in inst.parts:
        computed = inst.answer(part.id)
        if not _same_answer(part.type, stored[part.id].get("answer"), computed, inst.reference(part.id)):
            return {"mismatch": f"{label}, part {part.id}: the key's answer {_shown(stored[part.id].get('answer'))} "
                                f"is not what the problem now computes ({_shown(computed)}); rebuild the key with "
                                "`grader exam build`, or add an [[accept]] override"}
    variant = hashlib.sha256(json.dumps([entry["problem"], entry["params"]], sort_keys=True).encode()).hexdigest()[:10]
    solutions = texts(inst).solutions
    # the review page shows worked solutions with their math as Unicode text: MathML for every
    # part of every student would cost more than grading them
    plain = {pid: markdown_to_terminal_text(text) for pid, text in solutions.items()}
    try:
        check_part_ids(inst, answers, name, field_name)
    except AnswerFileError as exc:
        reason = one_line(str(exc), 300)
        return {"variant": variant, "invalid": reason, "parts": [
            {"id": p.id, "verdict": "invalid", "fraction": 0.0, "feedback": reason, "answer": None,
             "reference": show_answer(inst.answer(p.id)), "solution": solutions[p.id], "solution_text": plain[p.id]}
            for p in inst.parts]}
    result = grade(inst, answers, {p.id: 1 for p in inst.parts})
    parts = []
    for part, res in zip(inst.parts, result.parts):
        raw = answers.get(part.id)
        out = {"id": part.id, "verdict": res.verdict, "fraction": float(res.score), "feedback": res.feedback,
               "answer": None if res.verdict == "unanswered" else _shown(raw, KEPT_ANSWER_CHARS),
               "reference": show_answer(inst.answer(part.id)), "solution": solutions[part.id],
               "solution_text": plain[part.id]}
        if res.read_as:
            out["read_as"] = res.read_as
        if res.misconception:
            out["misconception"] = res.misconception
        if res.verdict in ("incorrect", "partial"):
            rel = None if res.misconception else relation(part.type, raw, inst.reference(part.id))
            if rel:
                out["relation"] = rel
            for n, (pid, answer) in enumerate(accepts):
                if pid == part.id and run(part.type, raw, answer).verdict == "correct":
                    out["accepted"] = n
                    break
        parts.append(out)
    return {"variant": variant, "parts": parts}


def grade_task(task: tuple) -> dict:
    """Grade the problems `todo` of one submission: `{"problems": {index: result}}`, or
    `{"skipped": reason}` when the submission as a whole cannot be graded."""
    from grader.checking import match_answers
    from grader.submission import loads, parse_submission

    name, path, digest, sid, key_path, span, todo, accepts = task
    read = _read_submission(name, Path(path))
    if isinstance(read, str) or submission_digest(name, read[0]) != digest:
        return {"skipped": f"{name}: the file changed while it was being graded; run again"}
    try:
        sub = parse_submission(loads(read[0], name, "answers file"), name)
        entries = entries_at(key_path, span, sid)
        matched = match_answers([(e, f"students.{sid}[{i}]") for i, e in enumerate(entries)], sub, name)
        return {"problems": {i: grade_problem(entries[i], matched[i].answers, matched[i].field, name, sid, i,
                                              accepts.get(i, [])) for i in todo}}
    except GraderError as exc:
        return {"skipped": one_line(str(exc), 500)}
    except Exception as exc:  # noqa: BLE001 - one submission never stops the run
        return {"skipped": f"{name}: could not be graded ({type(exc).__name__}: {_shown(str(exc))})"}


def submission_digest(name: str, data: bytes) -> str:
    """What a cached result is filed under: the file's name and bytes."""
    return sha256(name.encode("utf-8", "surrogatepass") + b"\x00" + data)


def _crashed(task: tuple, exc: BaseException) -> dict:
    return {"skipped": f"{task[0]}: the grading process died on this submission ({type(exc).__name__})"}


# -- reading the inputs ----------------------------------------------------------------------

def submission_files(folder: Path) -> list[tuple[str, Path]]:
    """Every file under `folder` (hidden ones aside), as (name relative to the folder, path),
    sorted by name. A linked folder is listed as an entry (and skipped as a link when read),
    never followed and never silently left out."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        linked = [d for d in dirs if (Path(root) / d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in linked]
        for name in files + linked:
            if not name.startswith("."):
                path = Path(root) / name
                found.append((path.relative_to(folder).as_posix(), path))
    return sorted(found)


def _read_submission(name: str, path: Path) -> tuple[bytes, float] | str:
    """The file's bytes and modification time, or why it is not read (a link, not a regular
    file, too large)."""
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
    return data, info.st_mtime


def read_manifest(exam_dir: Path) -> dict:
    """staff/manifest.json (empty when missing)."""
    from grader.submission import loads

    path = exam_dir / "staff" / "manifest.json"
    manifest = loads(path.read_bytes(), str(path), "manifest") if path.is_file() else {}
    return manifest if isinstance(manifest, dict) else {}


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
    return key, data, read_manifest(exam_dir)


def columns_of(key: dict) -> list[Column]:
    """The exam's problems, in order, from the key (every student has the same problems)."""
    first = next(iter(key["students"].values()))
    ids = [str(e.get("problem")) for e in first]
    cols = []
    for i, entry in enumerate(first):
        pid = ids[i]
        label = pid if ids.count(pid) == 1 else f"{pid}#{ids[:i + 1].count(pid)}"
        parts = tuple(str(p.get("id")) for p in entry.get("parts", []) if isinstance(p, dict))
        cols.append(Column(i, pid, label, entry.get("points", 0), parts))
    return cols


def problem_file_hashes(columns: list[Column]) -> dict[str, str]:
    """Each problem's source file, by SHA-256: a fixed problem file is regraded."""
    import inspect

    from grader import registry

    out = {}
    for col in columns:
        if col.problem not in out:
            try:
                path = inspect.getfile(type(registry.get(col.problem)))
                out[col.problem] = sha256(Path(path).read_bytes())
            except (GraderError, OSError, TypeError):
                out[col.problem] = ""
    return out


def _timestamp(value: Any, name: str) -> float:
    """`submitted_at` (ISO 8601 with an offset) as a POSIX time."""
    try:
        text = value.strip()
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except (AttributeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise AnswerFileError("must be a date and time in ISO 8601 with an offset (2026-03-14T09:30:00+01:00)",
                              path=name, field="submitted_at")
    return moment.timestamp()


# -- the run ---------------------------------------------------------------------------------

@contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold RESULTS/.lock for the run; a second run on the same RESULTS is refused."""
    import fcntl

    with writing(out / LOCK):
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:  # a POSIX lock: worker processes do not inherit it, so it ends with this process
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ExamError("another `grader exam grade` is writing these results; wait for it to finish",
                            where=str(out)) from None
        yield
    finally:
        os.close(fd)


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """An OSError while writing `path` (a full disk, no permission) as a one-line error naming it."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise ExamError("no space left on the device; free some and run again (finished work is kept)",
                            where=str(path)) from None
        raise ExamError(f"cannot write: {exc.strerror or exc}", where=str(path)) from None


def _inputs_digest(*parts: Any) -> str:
    return sha256(json.dumps(parts, sort_keys=True, ensure_ascii=True, default=str).encode())


def grade_exam(exam_dir: Path, submissions: Path, out: Path, *, jobs: int = 1, take: str = "latest",
               overrides: str | None = None, scores: str | None = None) -> GradeSummary:
    """Grade every file in `submissions` against `exam_dir`'s key; write everything under `out`."""
    if take not in TAKE:
        raise ExamError(f"--take must be one of {', '.join(TAKE)}")
    if not submissions.is_dir():
        raise ExamError("the submissions folder does not exist", where=str(submissions))
    if not (exam_dir / "staff" / "key.json").is_file():  # a folder that is no exam fails before RESULTS is touched
        read_key(exam_dir)
    with run_lock(out):
        return _grade(exam_dir, submissions, out, jobs, take, overrides, scores)


def _grade(exam_dir, submissions, out, jobs, take, overrides_file, scores_dir):
    from grader.exam.overrides import load_overrides, read_scores, scores_from_json
    from grader.exam.parallel import run_all
    from grader.submission import loads, parse_submission

    index = KeyIndex(exam_dir / "staff" / "key.json")
    manifest = read_manifest(exam_dir)
    key_sha, title = index.sha256, str(manifest.get("title") or index.exam)
    columns = columns_of({"students": {index.ids[0]: index.entries(index.ids[0])}})
    roster = manifest.get("students") if isinstance(manifest.get("students"), dict) else {}
    students = {}
    for sid in sorted(index.ids):
        info = roster.get(sid) if isinstance(roster.get(sid), dict) else {}
        students[sid] = {k: str(v) for k, v in info.items() if k not in ("variants", "files")}
        students[sid].setdefault("name", "")
        students[sid].setdefault("email", "")
    exam_id = index.exam
    del manifest, roster
    # each student's part points, read from the key when first needed; equal layouts are one object
    points_by_student: dict[str, list[dict]] = {}
    layouts: dict[str, list[dict]] = {}

    def points_of(sid: str, entries: list[dict] | None = None) -> list[dict]:
        if sid not in points_by_student:
            given = [[(p.get("id"), p.get("points", 0)) for p in e.get("parts", []) if isinstance(p, dict)]
                     for e in entries or index.entries(sid)]
            seen = repr(given)
            if seen not in layouts:
                layouts[seen] = [{pid: exact(pts) for pid, pts in problem} for problem in given]
            points_by_student[sid] = layouts[seen]
        return points_by_student[sid]

    rules = load_overrides(overrides_file, columns, set(students))
    hashes = problem_file_hashes(columns)
    previous = previous_inputs(out / "inputs.json")
    kept_scores = scores_from_json(_read_json(out / "scores.json"))
    if scores_dir is not None:
        kept_scores.update(read_scores(scores_dir, columns, lambda sid, label, part: _part_points(
            points_of, columns, sid, label, part)))

    accepts_of = {}  # (student, column) -> [(part, answer)]: the [[accept]] rules that apply

    def accepts(sid: str, col: Column) -> list:
        if (sid, col.index) not in accepts_of:
            accepts_of[sid, col.index] = [(r.part, r.answer) for r in rules.of("accept")
                                          for part in col.parts if r.covers(col.label, col.problem, part, sid)]
        return accepts_of[sid, col.index]

    def inputs(sid: str, entries: list[dict]) -> list[str]:
        return [_inputs_digest(__version__, hashes[col.problem], entries[col.index], accepts(sid, col))
                for col in columns]

    def graded(record: dict, problems: list[dict]) -> StudentGrade:
        return assemble({"student": record["student"], "file": record["file"], "problems": slim(problems)},
                        columns, points_of(record["student"]), rules, kept_scores)

    cache = out / CACHE
    records: dict[str, dict] = {}  # file name -> record
    skipped: list[dict] = []
    todo: list[tuple] = []
    for name, path in submission_files(submissions):
        read = _read_submission(name, path)
        if isinstance(read, str):
            skipped.append({"file": name, "reason": one_line(read, 500)})
            continue
        data, mtime = read
        try:
            doc = loads(data, name, "answers file")
            sub = parse_submission(doc, name)
            if sub.single or sub.student is None:
                raise AnswerFileError("not an exam submission: it needs `student` and `problems`", path=name)
            sid = sub.student
            if sub.exam is not None and sub.exam != exam_id:
                raise AnswerFileError(f"the submission is for exam {sub.exam!r}, not {exam_id!r}",
                                      path=name, field="exam")
            if sid not in index.spans:
                raise AnswerFileError(f"student {sid!r} is not in the exam's key", path=name, field="student")
            when = _timestamp(doc["submitted_at"], name) if "submitted_at" in doc else mtime
        except GraderError as exc:
            skipped.append(_with_student({"file": name, "reason": one_line(str(exc), 500)}, locals().get("sub")))
            continue
        digest = submission_digest(name, data)
        entries = index.entries(sid)
        points_of(sid, entries)
        wanted = inputs(sid, entries)
        problems = _cached(cache / f"{digest}.json", sid, len(columns))
        stale = [i for i, p in enumerate(problems) if not isinstance(p, dict) or p.get("inputs") != wanted[i]]
        # a record keeps what choosing a submission needs; its grade is made as soon as all its
        # problems are graded, and the full results stay in the cache file only
        records[name] = {"file": name, "student": sid, "when": when, "digest": digest, "inputs": wanted}
        if stale:
            todo.append((name, str(path), digest, sid, str(index.path), index.spans[sid], stale,
                         {i: accepts(sid, columns[i]) for i in stale if accepts(sid, columns[i])}))
        else:
            records[name]["grade"] = graded(records[name], problems)
        del problems
    reused = len(records) - len(todo)

    mismatches: list[str] = []

    def finished(task: tuple, result: dict) -> None:
        record = records[task[0]]
        if "skipped" in result:
            record["skipped"] = result["skipped"]
            return
        path = cache / f"{record['digest']}.json"
        problems = _cached(path, record["student"], len(columns))
        for i, problem in result["problems"].items():
            if "mismatch" in problem:
                mismatches.append(problem["mismatch"])
                return
            problems[int(i)] = dict(problem, inputs=record["inputs"][int(i)])
        with writing(path):
            _write_cache(path, {"student": record["student"], "problems": problems})
        record["grade"] = graded(record, problems)

    run_all(grade_task, todo, jobs=jobs, description="grading", on_crash=_crashed, on_result=finished, chunk=4)
    if mismatches:
        raise ExamError(sorted(mismatches)[0], where=str(exam_dir / "staff" / "key.json"))
    with writing(cache):
        _prune(cache, {f"{r['digest']}.json" for r in records.values() if "skipped" not in r})

    grades, not_taken, files = _take(records, skipped, take)
    skipped_ids = {r.get("student") for r in skipped}
    missing = [sid for sid in students if sid not in grades and sid not in skipped_ids]
    summary = GradeSummary(exam_id, title, out, columns, students, grades,
                           sorted(skipped, key=lambda r: r["file"]), missing, not_taken, reused)
    summary.records = {sid: cache / f"{records[f]['digest']}.json" for sid, f in files.items()}
    summary.max_score = _max_score(columns, points_of(index.ids[0]), index.ids[0], rules)
    summary.inputs = {"grader_version": __version__, "problem_files": hashes, "key": key_sha,
                      "overrides": [r.to_json() for r in rules.rules], "take": take,
                      "students": {sid: json_dumps(_student_inputs(records[f], grades[sid]), separators=(",", ":"))
                                   for sid, f in files.items()}}
    summary.changes = changes(previous, summary.inputs)
    from grader.exam.lms import write_outputs
    from grader.exam.stats import summarize

    summary.stats = summarize(summary)
    write_outputs(summary, kept_scores, jobs)
    return summary


SLIM_PART = ("id", "verdict", "fraction", "misconception", "relation", "accepted")


def slim(problems: list[dict]) -> list[dict]:
    """What grades and statistics need of a cached result (the rest, such as worked solutions,
    is read back from the cache file when a student's files are written): memory stays small.
    The answer is kept, shortened, where it is wrong (the statistics count wrong answers); the
    words every student shares (verdicts, ids, names) are one string each."""
    out = []
    for p in problems:
        parts = []
        for part in p["parts"]:
            kept = {k: sys.intern(part[k]) if isinstance(part[k], str) else part[k] for k in SLIM_PART if k in part}
            wrong = part["verdict"] in WRONG and part.get("answer") is not None
            kept["answer"] = one_line(part["answer"], SHOWN_ANSWER_CHARS) if wrong else None
            parts.append(kept)
        out.append({k: sys.intern(p[k]) if isinstance(p[k], str) else p[k] for k in ("variant", "invalid", "inputs")
                    if k in p} | {"parts": parts})
    return out


def _with_student(record: dict, sub) -> dict:
    if sub is not None and getattr(sub, "student", None) is not None:
        record["student"] = sub.student
    return record


def _part_points(points_of, columns, sid, label, part):
    try:
        layout = points_of(sid)
    except KeyError:
        return None
    col = next(c for c in columns if c.label == label)
    return layout[col.index].get(part)


def _max_score(columns, points, sid, rules) -> Fraction:
    return total(p for col in columns for part, p in points[col.index].items()
                 if not any(r.covers(col.label, col.problem, part, sid) for r in rules.of("drop")))


def _take(records, skipped, take):
    """One graded submission per student and the files not taken."""
    by_student: dict[str, list[tuple[dict, StudentGrade]]] = {}
    for name in sorted(records):
        record = records[name]
        if "skipped" in record:
            skipped.append({"file": name, "reason": record["skipped"], "student": record["student"]})
            continue
        by_student.setdefault(record["student"], []).append((record, record["grade"]))
    grades, not_taken, files = {}, [], {}
    for sid, found in sorted(by_student.items()):
        if take == "best":
            order = sorted(found, key=lambda rg: (rg[1].score, rg[0]["when"], rg[0]["file"]))
        else:
            order = sorted(found, key=lambda rg: (rg[0]["when"], rg[0]["file"]))
        chosen = order[0] if take == "first" else order[-1]
        grades[sid], files[sid] = chosen[1], chosen[0]["file"]
        for record, _ in found:
            if record is not chosen[0]:
                not_taken.append({"file": one_line(record["file"]), "student": sid,
                                  "reason": one_line(f"{record['file']}: not taken; {sid}'s {take} submission "
                                                     f"({chosen[0]['file']}) was graded")})
    return grades, not_taken, files


def assemble(record: dict, columns: list[Column], points: list[dict], rules, scores: dict) -> StudentGrade:
    """A student's grade from the engine's verdicts, the overrides and people's scores: pure."""
    sid = record["student"]
    problems = []
    accept_rules = rules.of("accept")
    for col, result in zip(columns, record["problems"]):
        parts = []
        mine = [r for r in accept_rules if any(r.covers(col.label, col.problem, p, sid) for p in col.parts)]
        for part in result["parts"]:
            pid = part["id"]
            maximum = points[col.index].get(pid, Fraction(0))
            verdict, frac, why = part["verdict"], part.get("fraction", 0.0), []
            score: Fraction | None = maximum if frac == 1 else ZERO if frac == 0 else maximum * exact(frac)
            if verdict == "manual":
                score = None
            given = scores.get((col.label, pid), {}).get(sid)
            by_person = given is not None
            if by_person:
                score, why = given.points, [f"scored by a person ({given.source})"]
                if given.comment:
                    why.append(f"comment: {given.comment}")
                verdict = "correct" if given.points == maximum else "partial" if given.points else "incorrect"
            if "accepted" in part and part["accepted"] < len(mine):
                score, verdict = maximum, "correct"
                why.append(f"an extra answer accepted for everyone ({mine[part['accepted']].where})"
                           if not mine[part["accepted"]].students else
                           f"an extra answer accepted ({mine[part['accepted']].where})")
            full = next((r for r in rules.of("full_credit") if r.covers(col.label, col.problem, pid, sid)), None)
            if full is not None:
                score = maximum
                why.append(f"full credit for everyone ({full.where})" if not full.students
                           else f"full credit ({full.where})")
            dropped = next((r for r in rules.of("drop") if r.covers(col.label, col.problem, pid, sid)), None)
            if dropped is not None:
                score, maximum, verdict = Fraction(0), Fraction(0), "dropped"
                why = [f"the part counts for nobody ({dropped.where})"]
            parts.append(PartGrade(pid, verdict, score, maximum, frac, tuple(why), part.get("misconception"),
                                   part.get("relation"), part.get("answer"), by_person))
        problems.append(ProblemGrade(col.index, col.label, col.problem, result.get("variant", ""), parts,
                                     result.get("invalid", "")))
    adjust = [(r.points, r.reason) for r in rules.of("adjust") if r.student == sid]
    return StudentGrade(sid, record["file"], problems, adjust)


def _student_inputs(record: dict, grade: StudentGrade) -> dict:
    """What a student's grade was computed from, and its part scores, for the next run's changes.csv."""
    rounded = grade.rounded()
    return {"file": record["file"], "digest": record["digest"],
            "problems": [{"inputs": inputs,
                          "parts": {q.id: {"score": "pending" if q.pending else shown(s), "why": list(q.why)}
                                    for q, s in zip(pg.parts, scores)}}
                         for inputs, pg, scores in zip(record["inputs"], grade.problems, rounded["parts"])]}


def previous_inputs(path: Path):
    """The previous run's inputs.json as an index (a student's part read when needed), or None."""
    from grader.exam.key import JsonIndex

    try:
        return JsonIndex(path, "students")
    except (OSError, ValueError, RecursionError):
        return None


def changes(previous, now: dict) -> list[dict]:
    """One row per part whose score moved since the previous run, with why. `previous` is the
    index of the previous inputs.json (None without one); `now["students"]` holds each
    student's inputs as JSON text."""
    if previous is None:
        return []
    rows = []
    for sid, text in now["students"].items():
        mine = json.loads(text)
        try:
            before = previous.get(sid) if sid in previous.spans else None
        except ValueError:
            before = None
        if not isinstance(before, dict):
            continue
        for index, problem in enumerate(mine["problems"]):
            try:
                old_problem = before["problems"][index]
            except (KeyError, IndexError, TypeError):
                continue
            for part, state in problem["parts"].items():
                old = old_problem.get("parts", {}).get(part) if isinstance(old_problem, dict) else None
                if not isinstance(old, dict) or old.get("score") == state["score"]:
                    continue
                why = _why(previous, now, before, mine, old_problem, problem, old, state)
                rows.append({"student": sid, "problem": index, "part": part, "old": old["score"],
                             "new": state["score"], "why": why})
    return rows


def _why(previous, now, before, mine, old_problem, problem, old, state) -> str:
    previous = previous.head
    reasons = []
    if before.get("file") != mine["file"]:
        reasons.append(f"another submission taken ({mine['file']})")
    elif before.get("digest") != mine["digest"]:
        reasons.append("the submission changed")
    if old_problem.get("inputs") != problem["inputs"]:
        if previous.get("grader_version") != now["grader_version"]:
            reasons.append(f"grader {previous.get('grader_version')} -> {now['grader_version']}")
        changed = [pid for pid, h in now["problem_files"].items() if previous.get("problem_files", {}).get(pid) != h]
        if changed:
            reasons.append(f"problem file changed ({', '.join(changed)})")
        if previous.get("key") != now["key"]:
            reasons.append("the key changed")
    for line in state["why"]:
        if line not in old.get("why", []):
            reasons.append(line)
    for line in old.get("why", []):
        if line not in state["why"]:
            reasons.append(f"no longer: {line}")
    return "; ".join(reasons) or "regraded"


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _cached(path: Path, sid: str, count: int) -> list:
    """The cached results of a submission's `count` problems (None where there is none)."""
    record = _read_json(path) or {}
    problems = record.get("problems") if isinstance(record, dict) and record.get("student") == sid else None
    return problems if isinstance(problems, list) and len(problems) == count else [None] * count


def _write_cache(path: Path, value: dict) -> None:
    from grader.exam.files import write_atomic

    write_atomic(path, json.dumps(value, indent=1, ensure_ascii=True, sort_keys=True) + "\n")


def _prune(folder: Path, keep: set[str]) -> None:
    """Remove cached results of submissions that are gone or changed."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and path.name not in keep:
                path.unlink()
