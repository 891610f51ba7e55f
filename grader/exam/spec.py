"""The inputs of an exam: EXAM.toml, the roster CSV and the secret that seeds the variants.

Every mistake in them is an ExamError naming the file and the line (or the table)."""
from __future__ import annotations

import csv
import io
import math
import os
import re
import secrets
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.errors import ConstraintUnsatisfiable, ExamError, GraderError
from grader.rng import exam_seed

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

EXAM_KEYS = ("id", "title", "instructions", "problem")
PROBLEM_KEYS = ("id", "points", "part_points", "params", "require")
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")
MAX_INPUT_BYTES = 5 * 1024 * 1024
SECRET_ENV = "GRADER_SECRET"
PROBE_SEEDS = 5  # seeds tried before a `require` counts as impossible


@dataclass(frozen=True)
class ExamProblem:
    """One `[[problem]]` table: which problem, its points, pinned params and requirements."""

    index: int
    id: str
    points: float | None
    params: dict
    require: dict
    where: str  # "EXAM.toml, line 7": where errors about this problem point
    part_points: dict = field(default_factory=dict)  # part id -> points; the other parts share the rest
    part_ids: tuple[str, ...] = ()  # the parts every student gets (known once the problem is probed)

    @property
    def label(self) -> str:
        return f"problem {self.index + 1} ({self.id})"


@dataclass(frozen=True)
class ExamSpec:
    id: str
    title: str
    instructions: str
    problems: tuple[ExamProblem, ...]
    source: bytes = field(repr=False, default=b"")


@dataclass(frozen=True)
class Student:
    """One roster line. `sortable` is the name as LMSs sort it ("Last, First"); `canvas_id`,
    `sis_user_id`, `sis_login` and `section` are what Canvas matches a grades import on."""

    id: str
    name: str = ""
    email: str = ""
    sortable: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login: str = ""
    section: str = ""

    def fields(self) -> dict:
        """The roster fields kept in the manifest (empty ones left out, name and email always)."""
        out = {"name": self.name, "email": self.email}
        for key in ("sortable", "canvas_id", "sis_user_id", "sis_login", "section"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


def _read(path: str | os.PathLike, what: str) -> bytes:
    """A regular file's bytes, at most MAX_INPUT_BYTES of them (a FIFO or a device is refused)."""
    from grader.submission import read_bytes

    return read_bytes(path, what, MAX_INPUT_BYTES)


def _text(data: bytes, path: str, what: str) -> str:
    if b"\x00" in data:
        raise ExamError(f"{what} is binary, not text", where=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExamError(f"{what} is not UTF-8 text (byte {exc.start})", where=path) from None


_HEADER = re.compile(r"\s*\[\[\s*problem\s*\]\]")
_SUBTABLE = re.compile(r"\s*\[\s*problem\s*\.\s*\"?([A-Za-z0-9_-]+)\"?\s*\]")
_TABLE = re.compile(r"\s*\[\[?\s*[A-Za-z0-9_.\-\" ]+\]\]?\s*(#.*)?$")
_KEY = re.compile(r"\s*\"?([A-Za-z0-9_-]+)\"?\s*[=.]")


class _Lines:
    """Where keys sit in a TOML text: ("", key) at the top, (n, key) in the n-th [[problem]],
    (n, "params.batch") in its sub-tables. TOML parsers keep no positions, so the text is scanned."""

    def __init__(self, text: str):
        self.lines: dict[tuple[int | None, str], int] = {}
        table: int | None = None
        prefix = ""
        count = -1
        for number, line in enumerate(text.splitlines(), start=1):
            if _HEADER.match(line):
                count += 1
                table, prefix = count, ""
                self.lines.setdefault((table, ""), number)
                continue
            sub = _SUBTABLE.match(line)
            if sub and table is not None:
                prefix = sub.group(1) + "."
                self.lines.setdefault((table, sub.group(1)), number)
                continue
            if _TABLE.match(line):
                table, prefix = -1, ""  # some other table: not ours
                continue
            key = _KEY.match(line)
            if key:
                self.lines.setdefault((table, prefix + key.group(1)), number)

    def at(self, path: str, table: int | None, *keys: str) -> str:
        """`path, line N` for the first of `keys` found in `table` (else the table's header)."""
        for key in keys:
            if (table, key) in self.lines:
                return f"{path}, line {self.lines[table, key]}"
        if table is not None and (table, "") in self.lines:
            return f"{path}, line {self.lines[table, '']}"
        return path


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def load_spec(path: str | os.PathLike, probe: bool = True) -> ExamSpec:
    """Read and check EXAM.toml. With `probe`, every problem is drawn once so that parameters
    and `require` that no variant can meet are refused here, before any student is built."""
    from grader import registry

    name = str(path)
    data = _read(path, "exam file")
    text = _text(data, name, "exam file")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExamError(f"not valid TOML: {exc}", where=name) from None
    lines = _Lines(text)
    for key in doc:
        if key not in EXAM_KEYS:
            raise ExamError(f"unknown key {key!r}; an exam has {', '.join(EXAM_KEYS)}",
                            where=lines.at(name, None, key))
    exam_id = doc.get("id")
    if not isinstance(exam_id, str) or not exam_id.strip():
        raise ExamError("the exam needs an `id` (a non-empty string)", where=lines.at(name, None, "id"))
    title = doc.get("title", exam_id)
    if not isinstance(title, str):
        raise ExamError("`title` must be a string", where=lines.at(name, None, "title"))
    instructions = doc.get("instructions", "")
    if not isinstance(instructions, str):
        raise ExamError("`instructions` must be a string", where=lines.at(name, None, "instructions"))
    tables = doc.get("problem")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ExamError("the exam needs at least one [[problem]] table", where=lines.at(name, None, "problem"))

    problems = []
    for index, table in enumerate(tables):
        label = f"[[problem]] #{index + 1}"
        for key in table:
            if key not in PROBLEM_KEYS:
                raise ExamError(f"unknown key {key!r} in {label}; a problem has {', '.join(PROBLEM_KEYS)}",
                                where=lines.at(name, index, key))
        pid = table.get("id")
        if not isinstance(pid, str) or not pid:
            raise ExamError(f"{label} needs an `id` (a problem id)", where=lines.at(name, index, "id"))
        try:
            problem = registry.get(pid)
        except GraderError as exc:
            raise ExamError(str(exc), where=lines.at(name, index, "id")) from None
        points = table.get("points")
        if points is not None and not (_is_number(points) and points > 0):
            raise ExamError(f"{label}: `points` must be a positive number", where=lines.at(name, index, "points"))
        params = table.get("params", {})
        if not isinstance(params, dict):
            raise ExamError(f"{label}: `params` must be a table", where=lines.at(name, index, "params"))
        require = table.get("require", {})
        if not isinstance(require, dict):
            raise ExamError(f"{label}: `require` must be a table", where=lines.at(name, index, "require"))
        for pname, value in params.items():
            try:
                problem.check_pinned({pname: value})
            except GraderError as exc:
                raise ExamError(f"{label} ({pid}): {exc}",
                                where=lines.at(name, index, f"params.{pname}", "params")) from None
        part_points = table.get("part_points", {})
        if not isinstance(part_points, dict) or not all(_is_number(v) and v > 0 for v in part_points.values()):
            raise ExamError(f"{label}: `part_points` must be a table of part ids and positive numbers",
                            where=lines.at(name, index, "part_points"))
        where = lines.at(name, index, "require" if require else "params", "params", "id")
        item = ExamProblem(index, pid, points, params, require, where, part_points)
        if probe or problem.structural:
            first = exam_seed(b"", exam_id, "", index)
            found = next((inst for seed in range(first, first + PROBE_SEEDS)
                          if (inst := variant(problem, item, seed)) is not None), None)
            if found is None:
                raise unsatisfiable(item, PROBE_SEEDS)
            # parameters that decide the parts are drawn once for the exam, so every student
            # answers the same parts
            fixed = {q: found.params[q] for q in problem.structural if q not in params}
            item = replace(item, params={**params, **fixed}, part_ids=tuple(found.part_ids))
            check_part_points(item, found, lines.at(name, index, "part_points"))
        problems.append(item)
    return ExamSpec(exam_id, title, instructions, tuple(problems), data)


def variant(problem, item: ExamProblem, seed: int):
    """The instance for `seed` that meets the item's `require`, or None when no draw from this
    seed does; parameters that break the problem's rules are an ExamError at the item's line."""
    try:
        return problem.instance(seed, item.params, item.require)
    except ConstraintUnsatisfiable:
        return None
    except GraderError as exc:
        raise ExamError(f"{item.label}: {exc}", where=item.where) from None


def check_part_points(item: ExamProblem, instance, where: str) -> None:
    """`part_points` names parts of the problem and leaves something for the parts it does not name."""
    from grader.exam.points import exact

    for pid in item.part_points:
        if pid not in instance.part_ids:
            raise ExamError(f"{item.label}: part_points names {pid!r}, not a part; its parts: "
                            f"{', '.join(instance.part_ids)}", where=where)
    if item.points is not None and item.part_points:
        named = sum(exact(v) for v in item.part_points.values())
        others = [p for p in instance.part_ids if p not in item.part_points]
        if named > exact(item.points) or (others and named == exact(item.points)):
            raise ExamError(f"{item.label}: part_points add up to {float(named):g} of the problem's {item.points:g} "
                            f"points{', leaving nothing for ' + ', '.join(others) if others else ''}", where=where)
        if not others and named != exact(item.points):
            raise ExamError(f"{item.label}: part_points name every part but add up to {float(named):g}, "
                            f"not the problem's {item.points:g} points", where=where)


def unsatisfiable(item: ExamProblem, seeds: int) -> ExamError:
    return ExamError(f"{item.label}: no variant meets require = {item.require} (tried {seeds} seeds)",
                     where=item.where)


CANVAS_SKIPPED_ROWS = ("points possible", "manual posting")  # rows of a Canvas export that are no student
CANVAS_TEST_STUDENT = "student, test"


def roster_kind(columns: list[str]) -> str:
    """`canvas` (a Canvas gradebook export), `gradescope` (a Gradescope roster) or `plain`."""
    if "student" in columns and "sis user id" in columns:
        return "canvas"
    if "sid" in columns and ("name" in columns or {"first name", "last name"} <= set(columns)):
        return "gradescope"
    return "plain"


DEFAULT_ID = {"canvas": "sis user id", "gradescope": "sid", "plain": "id"}


def _names(kind: str, cell) -> tuple[str, str]:
    """(name as written, "Last, First") from a roster row."""
    if kind == "canvas":
        sortable = cell("student")
        last, sep, first = sortable.partition(",")
        return (f"{first.strip()} {last.strip()}".strip() if sep else sortable), sortable
    first, last = cell("first name"), cell("last name")
    if first or last:
        return f"{first} {last}".strip(), f"{last}, {first}" if first and last else first or last
    name = cell("name")
    head, _, tail = name.rpartition(" ")
    return name, f"{tail}, {head}" if head else name


def load_roster(path: str | os.PathLike, id_column: str | None = None) -> tuple[list[Student], bytes]:
    """The roster: a CSV with a header row, either plain (`id`, optionally `name`, `email`), a
    Canvas gradebook export (`Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`; its
    `Points Possible` row skipped; the id is `SIS User ID`) or a Gradescope roster (`First Name`
    and `Last Name` or `Name`, `Email`, `SID`; the id is `SID`). `id_column` picks another
    column as the id. Returns the students in file order and the file's bytes."""
    name = str(path)
    data = _read(path, "roster")
    text = _text(data, name, "roster")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ExamError("the roster is empty; it needs a header row with `id`", where=name)
        columns = [h.strip().lower() for h in header]
        kind = roster_kind(columns)
        wanted = (id_column or DEFAULT_ID[kind]).strip().lower()
        if wanted not in columns:
            what = f"`{id_column}`" if id_column else f"`{DEFAULT_ID[kind]}`"
            raise ExamError(f"the header row has no {what} column (found: {', '.join(header)})",
                            where=f"{name}, line 1")
        index = {c: columns.index(c) for c in reversed(columns)}  # the first of repeated headers
        students, seen = [], {}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue

            def cell(column: str, row=row) -> str:
                i = index.get(column)
                return row[i].strip() if i is not None and i < len(row) else ""

            if kind == "canvas" and cell("student").lower() in CANVAS_SKIPPED_ROWS:
                continue
            sid = cell(wanted)
            if kind == "canvas" and not sid and cell("student").lower() == CANVAS_TEST_STUDENT:
                continue  # Canvas's test student has no SIS id
            if not STUDENT_ID.fullmatch(sid):
                raise ExamError(f"student id {sid!r} must be 1-128 letters, digits or . _ @ + - "
                                "(it names the student's folder)", where=f"{name}, line {line}")
            if sid in seen:
                raise ExamError(f"student id {sid!r} is already on line {seen[sid]}", where=f"{name}, line {line}")
            seen[sid] = line
            full, sortable = _names(kind, cell)
            students.append(Student(sid, full, cell("email"), sortable, canvas_id=cell("id") if kind == "canvas" else "",
                                    sis_user_id=cell("sis user id"), sis_login=cell("sis login id"),
                                    section=cell("section")))
    except csv.Error as exc:
        raise ExamError(f"not a valid CSV file: {exc}", where=f"{name}, line {reader.line_num}") from None
    if not students:
        raise ExamError("the roster lists no students", where=name)
    return students, data


def resolve_secret(secret_file: str | None, staff_dir: Path) -> tuple[bytes, str]:
    """The secret that seeds the variants, and a sentence saying where it came from: the
    `--secret-file`, else GRADER_SECRET, else DIR/staff/secret (created when missing)."""
    if secret_file:
        secret = _read(secret_file, "secret file").strip()
        if not secret:
            raise ExamError("the secret file is empty", where=str(secret_file))
        return secret, f"secret from {secret_file}"
    env = os.environ.get(SECRET_ENV, "").strip()
    if env:
        return env.encode("utf-8"), f"secret from ${SECRET_ENV}"
    path = staff_dir / "secret"
    if path.exists():
        secret = _read(path, "secret file").strip()
        if not secret:
            raise ExamError("the secret file is empty", where=str(path))
        return secret, f"secret from {path} (kept from an earlier build)"
    from grader.exam.files import write_atomic

    secret = secrets.token_hex(32).encode("ascii")
    write_atomic(path, secret + b"\n", mode=0o600)
    return secret, (f"created a new secret at {path}: keep it (and keep it private) to rebuild these "
                    "variants; pass it with --secret-file or GRADER_SECRET")
