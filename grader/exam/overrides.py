"""What people add to automatic grading: overrides (`--overrides overrides.toml`: accept,
full_credit, drop, adjust) and the scores TAs enter for manual parts (`--scores DIR`).

Both are checked against the exam before anything is graded; every mistake is one ExamError
naming the file and the table or line."""
from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from grader.errors import ExamError
from grader.exam.points import exact, to_cents

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

KINDS = {"accept": ("problem", "part", "answer", "students"), "full_credit": ("problem", "part", "students"),
         "drop": ("problem", "part"), "adjust": ("student", "points", "reason")}
MANUAL_COLUMNS = ["student", "answer", "rubric", "score", "comment"]
_TABLE = re.compile(r"\s*\[\[\s*([A-Za-z_]+)\s*\]\]")


@dataclass(frozen=True)
class Rule:
    """One override table. `problem` is a problem id or a column label (`id#2`); `students` empty
    means everyone."""

    kind: str
    where: str
    problem: str = ""
    part: str = ""
    answer: object = None
    students: tuple[str, ...] = ()
    student: str = ""
    points: Fraction = Fraction(0)
    reason: str = ""

    def covers(self, label: str, problem: str, part: str, student: str) -> bool:
        return (self.problem in (label, problem) and self.part == part
                and (not self.students or student in self.students))

    def to_json(self) -> dict:
        out = {"kind": self.kind}
        for key in KINDS[self.kind]:
            value = getattr(self, key)
            out[key] = list(value) if isinstance(value, tuple) else str(value) if isinstance(value, Fraction) else value
        return out


@dataclass
class Overrides:
    rules: list[Rule] = field(default_factory=list)

    def of(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if r.kind == kind]


def load_overrides(path: str | None, columns, students: set[str]) -> Overrides:
    """Read and check overrides.toml against the exam's columns (problem id, label, part ids)
    and students."""
    if path is None:
        return Overrides()
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExamError("overrides file not found", where=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExamError(f"cannot read the overrides file: {exc}", where=name) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExamError(f"not valid TOML: {exc}", where=name) from None
    lines = _table_lines(text)
    rules = []
    for kind in doc:
        if kind not in KINDS:
            raise ExamError(f"unknown table {kind!r}; overrides are {', '.join(f'[[{k}]]' for k in KINDS)}", where=name)
        tables = doc[kind]
        if not isinstance(tables, list):
            raise ExamError(f"{kind} must be written [[{kind}]]", where=name)
        for n, table in enumerate(tables):
            where = f"{Path(name).name}, line {lines.get((kind, n), '?')}"
            rules.append(_rule(kind, table, where, columns, students))
    return Overrides(rules)


def _table_lines(text: str) -> dict[tuple[str, int], int]:
    seen: dict[str, int] = {}
    out = {}
    for number, line in enumerate(text.splitlines(), start=1):
        m = _TABLE.match(line)
        if m:
            kind = m.group(1)
            out[(kind, seen.get(kind, 0))] = number
            seen[kind] = seen.get(kind, 0) + 1
    return out


def _rule(kind: str, table: dict, where: str, columns, students: set[str]) -> Rule:
    def fail(message: str):
        return ExamError(f"[[{kind}]]: {message}", where=where)

    for key in table:
        if key not in KINDS[kind]:
            raise fail(f"unknown key {key!r}; [[{kind}]] has {', '.join(KINDS[kind])}")
    if kind == "adjust":
        sid, points, reason = table.get("student"), table.get("points"), table.get("reason")
        if not isinstance(sid, str) or sid not in students:
            raise fail(f"`student` must name a student of the exam (got {sid!r})")
        if isinstance(points, bool) or not isinstance(points, (int, float)):
            raise fail("`points` must be a number (negative allowed)")
        if not isinstance(reason, str) or not reason.strip():
            raise fail("`reason` is needed: it lands in the student's feedback")
        return Rule(kind, where, student=sid, points=to_cents(points), reason=reason.strip())
    problem, part = table.get("problem"), table.get("part")
    matching = [c for c in columns if problem in (c.problem, c.label)]
    if not isinstance(problem, str) or not matching:
        raise fail(f"`problem` must be one of the exam's problems ({', '.join(c.label for c in columns)}); "
                   f"got {problem!r}")
    parts = matching[0].parts
    if not isinstance(part, str) or part not in parts:
        raise fail(f"`part` must be a part of {problem} ({', '.join(parts)}); got {part!r}")
    chosen = table.get("students", [])
    if not isinstance(chosen, list) or not all(isinstance(s, str) for s in chosen):
        raise fail("`students` must be a list of student ids")
    unknown = [s for s in chosen if s not in students]
    if unknown:
        raise fail(f"student {unknown[0]!r} is not in the exam")
    if kind == "accept":
        if "answer" not in table:
            raise fail("`answer` is needed: the extra answer that counts as correct")
        return Rule(kind, where, problem, part, answer=table["answer"], students=tuple(sorted(chosen)))
    return Rule(kind, where, problem, part, students=tuple(sorted(chosen)))


@dataclass(frozen=True)
class Score:
    """A score a person gave one student's part, and where it was read."""

    points: Fraction
    comment: str
    source: str  # "DIR/concepts.s1_why.csv, line 3"


def manual_file(label: str, part: str) -> str:
    return f"{label}.{part}.csv"


def read_scores(folder: str, columns, points_of) -> dict[tuple[str, str], dict[str, Score]]:
    """The filled-in manual CSVs of `folder` (`<problem>.<part>.csv`: student, answer, rubric,
    score, comment), as {(label, part): {student: Score}}; rows with an empty score stay pending.
    `points_of(student, label, part)` gives the part's points, or None when the student is not
    in the exam. A file naming no part, a score outside 0..points or an unknown student is an
    ExamError naming the file and the line (the header is line 1)."""
    base = Path(folder)
    if not base.is_dir():
        raise ExamError("the scores folder does not exist", where=str(folder))
    known = {manual_file(c.label, p): (c.label, p) for c in columns for p in c.parts}
    merged: dict[tuple[str, str], dict[str, Score]] = {}
    for path in sorted(base.glob("*.csv")):
        shown = str(path)
        if path.name not in known:
            raise ExamError("the file name names no part of the exam (expected <problem>.<part>.csv, "
                            f"as written in RESULTS/manual/)", where=f"{shown}, line 1")
        label, part = known[path.name]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ExamError(f"cannot read the scores file: {exc}", where=shown) from None
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in next(reader, [])]
        if "student" not in header or "score" not in header:
            raise ExamError("the header row needs `student` and `score` columns", where=f"{shown}, line 1")
        col = {h: header.index(h) for h in ("student", "score", "comment") if h in header}
        scores: dict[str, Score] = {}
        try:
            for row in reader:
                line = reader.line_num
                cell = lambda h: row[col[h]].strip() if h in col and col[h] < len(row) else ""  # noqa: E731
                if not any(c.strip() for c in row):
                    continue
                sid, raw = cell("student"), cell("score")
                maximum = points_of(sid, label, part)
                if maximum is None:
                    raise ExamError(f"student {sid!r} is not in the exam", where=f"{shown}, line {line}")
                if not raw:
                    continue
                try:
                    value = to_cents(exact(raw.replace(",", ".")))
                except (ValueError, ZeroDivisionError):
                    raise ExamError(f"score {raw!r} is not a number", where=f"{shown}, line {line}") from None
                if not 0 <= value <= maximum:
                    raise ExamError(f"score {raw} is outside 0..{float(maximum):g} for {sid}'s {label} {part}",
                                    where=f"{shown}, line {line}")
                if sid in scores:
                    raise ExamError(f"student {sid!r} is scored twice (also {scores[sid].source})",
                                    where=f"{shown}, line {line}")
                scores[sid] = Score(value, cell("comment"), f"{path.name}, line {line}")
        except csv.Error as exc:
            raise ExamError(f"not a valid CSV file: {exc}", where=f"{shown}, line {reader.line_num}") from None
        merged[(label, part)] = scores
    return merged


def scores_to_json(scores: dict[tuple[str, str], dict[str, Score]]) -> dict:
    return {f"{label}.{part}": {sid: {"points": str(s.points), "comment": s.comment, "source": s.source}
                                for sid, s in sorted(by.items())}
            for (label, part), by in sorted(scores.items())}


def scores_from_json(data) -> dict[tuple[str, str], dict[str, Score]]:
    out = {}
    if isinstance(data, dict):
        for name, by in data.items():
            label, _, part = name.rpartition(".")
            out[(label, part)] = {sid: Score(Fraction(s["points"]), s.get("comment", ""), s.get("source", ""))
                                  for sid, s in by.items()}
    return out
