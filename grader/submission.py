"""Reading answers files, keys and parameter files: hostile until proved otherwise."""
from __future__ import annotations

import datetime
import json
import os
import re
import stat
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from grader.errors import AnswerFileError

MAX_FILE_BYTES = 5 * 1024 * 1024
# A JSON escape that turned a LaTeX command into a control character: "\beta", "\frac" (\b, \f),
# "\theta", "\nabla", "\rho" (\t, \n, \r). An even run of backslashes before it is literal.
_LATEX_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*(\\(?:[bf][a-zA-Z]+|t(?:heta|au|imes|anh?|ext\w*|op|riangle)"
                           r"|n(?:abla|eq?|u|ot|eg)|r(?:ho|ight\w*|angle))(?![a-zA-Z]))")
_BAD_ESCAPE = re.compile(r'(\\[^\\/"bfnrtu]\w*)')


@contextmanager
def regular_file(path: str | Path, what: str = "file") -> Iterator[BinaryIO]:
    """An open binary file, refused unless it is a regular file: a FIFO is opened without
    blocking and refused, as are devices, sockets and folders (AnswerFileError)."""
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise AnswerFileError(f"{what} not found", path=name) from None
    except IsADirectoryError:
        raise AnswerFileError(f"{what} is a folder, not a file", path=name) from None
    except OSError as exc:
        raise AnswerFileError(f"cannot read {what}: {exc.strerror}", path=name) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise AnswerFileError(f"{what} is a folder, not a file", path=name)
        raise AnswerFileError(f"{what} is not a regular file (a device, a pipe or a socket)", path=name)
    with os.fdopen(fd, "rb") as fh:
        try:
            yield fh
        except OSError as exc:
            raise AnswerFileError(f"cannot read {what}: {exc.strerror}", path=name) from None


def read_bytes(path: str | Path, what: str = "file", max_bytes: int | None = None) -> bytes:
    """A regular file's bytes, reading at most `max_bytes` (default MAX_FILE_BYTES) whatever its
    size claims; a missing, special (a FIFO, a device, a folder) or huge file is an AnswerFileError."""
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    with regular_file(path, what) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AnswerFileError(f"{what} is larger than the limit of {max_bytes} bytes", path=str(path))
    return data


def read_json(path: str | Path, what: str = "file", max_bytes: int | None = None) -> Any:
    """A JSON (or, by its extension, TOML) file's value; a missing, special, huge, binary or
    malformed file is an AnswerFileError."""
    return loads(read_bytes(path, what, max_bytes), str(path), what)


def loads(data: bytes, name: str, what: str = "file") -> Any:
    """Parse JSON bytes (TOML when `name` ends in .toml) with errors that name the file, line
    and column."""
    if b"\x00" in data:
        raise AnswerFileError(f"{what} is binary, not {'TOML' if _is_toml(name) else 'JSON'}", path=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnswerFileError(f"{what} is not UTF-8 text (byte {exc.start})", path=name) from None
    if _is_toml(name):
        return _toml(text, name)
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        bad = _BAD_ESCAPE.match(text, exc.pos) if "escape" in exc.msg else None
        if bad:
            raise AnswerFileError(_backslash_advice(text, bad), path=name) from None
        raise AnswerFileError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                              path=name) from None
    except (ValueError, RecursionError) as exc:
        raise AnswerFileError(f"not valid JSON: {exc}", path=name) from None
    latex = _LATEX_ESCAPE.search(text)
    if latex:
        raise AnswerFileError(_backslash_advice(text, latex), path=name)
    return value


def _backslash_advice(text: str, match: re.Match) -> str:
    start = match.start(1)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    word = match.group(1)
    return (f'line {line}, column {column}: "{word}" holds a LaTeX backslash, which JSON reads as an '
            f'escape; double the backslash ("\\{word}") or write the answers in answers.toml')


def _is_toml(name: str) -> bool:
    return name.lower().endswith(".toml")


def _toml(text: str, name: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        return _plain(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise AnswerFileError(f"not valid TOML: {exc}", path=name) from None
    except RecursionError:
        raise AnswerFileError("not valid TOML: nested too deeply", path=name) from None


def _plain(value: Any) -> Any:
    """TOML values as JSON ones: dates and times as their ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


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
