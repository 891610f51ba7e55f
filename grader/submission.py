"""Reading answers files, keys and parameter files: hostile until proved otherwise."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import AnswerFileError

MAX_FILE_BYTES = 5 * 1024 * 1024


def read_json(path: str | Path, what: str = "file", max_bytes: int = MAX_FILE_BYTES) -> Any:
    """A JSON file's value; a missing, huge, binary or malformed file is an AnswerFileError."""
    p = Path(path)
    name = str(path)
    try:
        if p.is_dir():
            raise AnswerFileError(f"{what} is a folder, not a file", path=name)
        size = p.stat().st_size
        if size > max_bytes:
            raise AnswerFileError(f"{what} is {size} bytes; the limit is {max_bytes}", path=name)
        data = p.read_bytes()
    except FileNotFoundError:
        raise AnswerFileError(f"{what} not found", path=name) from None
    except OSError as exc:
        raise AnswerFileError(f"cannot read {what}: {exc.strerror}", path=name) from None
    return loads(data, name, what)


def loads(data: bytes, name: str, what: str = "file") -> Any:
    """Parse JSON bytes with errors that name the file, line and column."""
    if b"\x00" in data:
        raise AnswerFileError(f"{what} is binary, not JSON", path=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnswerFileError(f"{what} is not UTF-8 text (byte {exc.start})", path=name) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise AnswerFileError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                              path=name) from None
    except (ValueError, RecursionError) as exc:
        raise AnswerFileError(f"not valid JSON: {exc}", path=name) from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not allowed")


@dataclass
class ProblemAnswers:
    """One problem's answers: which problem, which variant, and the raw answer per part id."""

    problem: str
    seed: int | None
    params: dict
    answers: dict
    field: str = ""


@dataclass
class Submission:
    """A single-problem answers file or an exam submission (several problems, one student)."""

    problems: list[ProblemAnswers]
    student: str | None = None
    exam: str | None = None
    single: bool = True
    extra: dict = field(default_factory=dict)


def _expect(cond: bool, message: str, path: str, fld: str) -> None:
    if not cond:
        raise AnswerFileError(message, path=path, field=fld)


def _problem_answers(obj: Any, path: str, fld: str, need_seed: bool) -> ProblemAnswers:
    _expect(isinstance(obj, dict), "expected an object with 'problem' and 'answers'", path, fld or "(top level)")
    prefix = f"{fld}." if fld else ""
    pid = obj.get("problem")
    _expect(isinstance(pid, str) and pid != "", "missing or not a string", path, prefix + "problem")
    seed = obj.get("seed")
    _expect(seed is None or (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**63),
            "must be a non-negative whole number", path, prefix + "seed")
    params = obj.get("params", {})
    _expect(isinstance(params, dict), "must be an object", path, prefix + "params")
    answers = obj.get("answers", {})
    _expect(isinstance(answers, dict), "must be an object mapping part ids to answers", path, prefix + "answers")
    return ProblemAnswers(pid, seed, params, answers, fld)


def parse_submission(data: Any, path: str) -> Submission:
    """Validate the shape of an answers file (SPEC §3)."""
    if isinstance(data, dict) and "problems" in data:
        problems = data["problems"]
        _expect(isinstance(problems, list) and problems != [], "must be a non-empty list", path, "problems")
        student = data.get("student")
        _expect(student is None or isinstance(student, (str, int)) and not isinstance(student, bool),
                "must be a string", path, "student")
        exam = data.get("exam")
        _expect(exam is None or isinstance(exam, str), "must be a string", path, "exam")
        items = [_problem_answers(p, path, f"problems[{i}]", False) for i, p in enumerate(problems)]
        return Submission(items, None if student is None else str(student), exam, single=False)
    return Submission([_problem_answers(data, path, "", True)])


def read_submission(path: str | Path) -> Submission:
    return parse_submission(read_json(path, "answers file"), str(path))
