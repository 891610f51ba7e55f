"""`grader compare`: grade one answer against one reference, or a JSON-lines batch of them."""
from __future__ import annotations

import json
from typing import Any

import click

from grader.errors import AnswerParseError, GraderError
from grader.text import visible

# batch-line field -> rule option of the answer types
_FIELDS = {"vars": "variables", "funcs": "functions", "assume": "assume", "shapes": "shapes",
           "scalars": "scalars"}
_METADATA = {"type", "reference", "answer", "expected", "source", "id", "note", "comment"}
MAX_LINE = 1 << 20
BATCH = 256  # lines graded per round trip to the sandbox


def _build(type_name: Any, options: dict):
    """The answer type `type_name` with `options`; GraderError when either is unusable."""
    from grader.answers import make

    if not isinstance(type_name, str):
        raise GraderError("'type' must be a string naming an answer type")
    try:
        return make(type_name, **options)
    except TypeError as exc:
        raise GraderError(f"answer type {type_name!r} does not take these options: {exc}") from None
    except (ValueError, KeyError) as exc:
        raise GraderError(f"bad option for answer type {type_name!r}: {exc}") from None


def _result(outcome) -> dict:
    """A graded answer as printed: an Outcome, or the error its reference raised."""
    if isinstance(outcome, AnswerParseError):
        raise GraderError(f"the reference cannot be read: {outcome.feedback()}")
    if isinstance(outcome, GraderError):
        raise outcome
    out = {"verdict": outcome.verdict, "score": outcome.score, "feedback": outcome.feedback}
    if outcome.read_as is not None:
        out["read_as"] = outcome.read_as
    return out


def _grade(atype, answer: Any, reference: Any) -> dict:
    from grader.answers.sandbox import grade_many

    return _result(grade_many([(atype, answer, reference)])[0])


def _shapes(pairs: tuple[str, ...]) -> dict:
    shapes = {}
    for pair in pairs:
        name, sep, dims = pair.partition("=")
        rows, x, cols = dims.lower().partition("x")
        if not (sep and x and name.strip() and rows.strip() and cols.strip()):
            raise GraderError(f"--shape {pair!r}: write NAME=ROWSxCOLS, e.g. A=nxd or b=3x1")
        shapes[name.strip()] = tuple(int(d) if d.strip().isdigit() else d.strip() for d in (rows, cols))
    return shapes


def _batch_line(number: int, line: bytes) -> tuple:
    """(answer type, answer, reference) of one batch line; GraderError when it is unusable."""
    if len(line) > MAX_LINE:
        raise GraderError(f"the line is longer than {MAX_LINE} bytes")
    try:
        row = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GraderError(f"not a JSON object ({exc})") from None
    if not isinstance(row, dict):
        raise GraderError("not a JSON object")
    missing = [k for k in ("type", "reference", "answer") if k not in row]
    if missing:
        raise GraderError(f"missing field(s) {', '.join(missing)}")
    options = {}
    for key, value in row.items():
        if key in _METADATA:
            continue
        if key in _FIELDS and isinstance(value, list):
            value = tuple(value)
            if not value:
                continue
        options[_FIELDS.get(key, key)] = value
    return _build(row["type"], options), row["answer"], row["reference"]


def _invalid(number: int, exc: GraderError) -> dict:
    return {"verdict": "invalid", "score": 0.0, "feedback": f"line {number}: {exc}"}


def _batch(lines, as_json: bool) -> None:
    """Grade numbered lines in chunks, each chunk one round trip to the sandbox, in order."""
    from grader.answers.sandbox import grade_many

    chunk: list = []

    def flush():
        graded = iter(grade_many([item for _, item in chunk if not isinstance(item, GraderError)]))
        for number, item in chunk:
            try:
                if isinstance(item, GraderError):
                    raise item
                result = _result(next(graded))
            except GraderError as exc:
                result = _invalid(number, exc)
            except Exception as exc:  # noqa: BLE001 - one line never stops the batch
                result = {"verdict": "manual", "score": 0.0,
                          "feedback": f"line {number}: could not be graded automatically ({type(exc).__name__})"}
            _emit(result, as_json, one_line=True)
        chunk.clear()

    for number, line in lines:
        try:
            chunk.append((number, _batch_line(number, line)))
        except GraderError as exc:
            chunk.append((number, exc))
        if len(chunk) >= BATCH:
            flush()
    flush()


def _lines(path: str):
    """(number, bytes) of each line of a regular file; a line past MAX_LINE is cut there (and
    refused by `_batch_line`), so no line is ever held whole in memory."""
    from grader.submission import regular_file

    with regular_file(path, "batch file") as fh:
        number = 0
        while True:
            line = fh.readline(MAX_LINE + 1)
            if not line:
                return
            number += 1
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                while True:  # skip the rest of the long line
                    rest = fh.readline(MAX_LINE)
                    if not rest or rest.endswith(b"\n"):
                        break
            yield number, line


def _emit(result: dict, as_json: bool, one_line: bool) -> None:
    from grader.text import json_dumps, visible

    if as_json:
        click.echo(json_dumps(result))
        return
    feedback = visible(result["feedback"], keep="\n")
    read = result.get("read_as")
    if one_line:
        feedback = " | ".join(part for part in feedback.splitlines() if part.strip())
        if read:
            feedback = f"(read as {visible(read['text'])}) {feedback}"
    click.echo(f"{result['verdict']}  {result['score']:g}  {feedback}".rstrip())
    if read and not one_line:
        click.echo(f"read as {visible(read['text'])}")


@click.command("compare")
@click.argument("type_name", metavar="TYPE", required=False)
@click.argument("reference", required=False)
@click.argument("answer", required=False)
@click.option("--var", "variables", multiple=True, metavar="NAME", help="A variable the answer may use.")
@click.option("--func", "functions", multiple=True, metavar="NAME",
              help="An arbitrary function the answer may use, e.g. sigma (and sigma').")
@click.option("--rtol", type=float, help="Relative tolerance (numbers).")
@click.option("--atol", type=float, help="Absolute tolerance (numbers).")
@click.option("--sigfigs", type=int, help="Significant figures that must agree (numbers).")
@click.option("--assume", multiple=True, metavar="EXPR", help='An assumption, e.g. "M >= k" (bigo).')
@click.option("--shape", "shapes", multiple=True, metavar="NAME=RxC",
              help="Shape of a matrix (matrix-expression), e.g. A=nxd, b=nx1.")
@click.option("--batch", type=click.Path(), metavar="FILE.jsonl",
              help="Grade one JSON object a line: type, reference, answer, vars, funcs, assume, ...")
@click.option("--json", "as_json", is_flag=True, help="Print {verdict, score, feedback} as JSON.")
def compare_cmd(type_name, reference, answer, variables, functions, rtol, atol, sigfigs, assume,
                shapes, batch, as_json):
    """Grade ANSWER against REFERENCE as an answer of type TYPE, with the engine `check` uses.

    TYPE is one of number, vector, matrix, set, sequence, boolean, choice, expression,
    matrix-expression, bigo. Vectors and lists are given as JSON. Exits 0 whatever the verdict.
    """
    if batch:
        if type_name is not None:
            raise GraderError("give either --batch FILE or TYPE REFERENCE ANSWER, not both")
        _batch(((n, line) for n, line in _lines(batch) if line.strip()), as_json)
        return
    if answer is None:
        raise GraderError("give TYPE REFERENCE ANSWER (or --batch FILE.jsonl)")
    options = {"variables": variables, "functions": functions, "assume": assume,
               "rtol": rtol, "atol": atol, "sigfigs": sigfigs,
               "shapes": _shapes(shapes) if shapes else None}
    options = {k: v for k, v in options.items() if v not in (None, ())}
    atype = _build(type_name, options)
    _emit(_grade(atype, _json_or_text(answer), _json_or_text(reference)), as_json, one_line=False)


def _json_or_text(value: str) -> Any:
    """A command-line value: JSON lists, objects and booleans as such, anything else as text."""
    stripped = value.strip()
    if stripped[:1] in "[{" or stripped in ("true", "false"):
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    return value
