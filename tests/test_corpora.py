"""The engine against other graders' own test corpora (shared/corpora)."""
import json
import os
from pathlib import Path

import pytest

from grader.answers.expressions import Expression


def _shared() -> Path:
    env = os.environ.get("GRADER_SHARED")
    for path in ([Path(env)] if env else []) + [Path(__file__).resolve().parents[2] / "shared"]:
        if (path / "corpora").is_dir():
            return path
    pytest.skip("shared/corpora not found: set GRADER_SHARED to the shared folder (corpus tests NOT run)")


def _stack_rows():
    path = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "stack_algequiv.jsonl"
    env = os.environ.get("GRADER_SHARED")
    if env:
        path = Path(env) / "corpora" / "stack_algequiv.jsonl"
    if not path.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{path} missing: corpus NOT run"))]
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [pytest.param(r, id=r["source"].rsplit(":", 1)[-1]) for r in rows]


def _abs(text: str) -> str:
    return text.replace("Abs(", "abs(")


@pytest.mark.parametrize("row", _stack_rows())
def test_stack_algequiv(row):
    """Moodle STACK's AlgEquiv fixtures: our verdict must match theirs (Abs read as abs)."""
    atype = Expression(variables=[v for v in row["vars"] if v != "Abs"], functions=row["funcs"])
    out = atype.grade(_abs(row["answer"]), _abs(row["reference"]))
    assert (out.verdict == "correct") == row["expected"], (row, out)


def test_stack_corpus_size():
    rows = [json.loads(x) for x in (_shared() / "corpora" / "stack_algequiv.jsonl").read_text().splitlines() if x]
    assert len(rows) == 77 and sum(r["expected"] for r in rows) == 56


# PrairieLearn rejects all of these under its settings (variable n). Our rules, per input:
# numbers with decimals are legal here (exact decimals), so they parse and are graded;
# everything else is invalid: unknown names and functions, comparisons, factorials,
# unfinished input, comments, full-width or set symbols, intervals, tuples and complex values.
LEGAL_HERE = {"3.5", "4.2n", "3.5*n", "3.14159*n**2", "sin(2.3)"}
EXPECTED_MESSAGE = {
    "eval('dict')": "unknown name 'eval'", "eval(n)": "unknown name 'eval'", "f(n)": "unknown name 'f'",
    "g(n)+cos(n)": "unknown name 'g'", "dir(n)": "unknown name 'dir'", "sin(f(n))": "unknown name 'f'",
    "5==5": "comparisons", "5!=5": "'!'", "5>5": "comparisons", "5<5": "comparisons", "5>=5": "comparisons",
    "5<=5": "comparisons", "(": "ends too early", "n**": "ends too early", "n**2+": "ends too early", "!": "'!'",
    "\\": "backslash", "n + 2 \\": "backslash", "2 \\": "backslash", "1＼2": "unexpected character",
    "#": "unexpected character", "n + 2 # comment": "unexpected character", "# x": "unexpected character",
    "1＃2": "unexpected character", "x": "unknown name 'x'", "exp(y)": "unknown name 'y'", "z*n": "unknown name 'z'",
    "2+exp": "is a function", "cos*n": "is a function", "i": "unknown name 'i'", "5 * i": "unknown name 'i'",
    "j": "unknown name 'j'", "I": "unknown name 'I'", "sqrt(-2)": "not real", "sqrt(-1)": "not real",
    "(-2)^(1/2)": "not real", "sqrt(-2) + 3": "not real", "∪": "unexpected character", "∩": "unexpected character",
    "&": "unexpected character", "|": "ends too early", "{}": "unexpected '}'", "1 ∪ 2": "unexpected character",
    "1 ∩ 2": "unexpected character", "1 & 2": "unexpected character", "1 | 2": "missing '|'",
    "{1, 2, 3}": "expected '}'", "(0, 1)": "expected ')'", "(0, 1]": "square brackets", "[0, 1)": "square brackets",
    "[0, 1]": "square brackets", "[1, 2": "square brackets", "1, 2]": "square brackets", "(1, 2": "expected ')'",
    "1, 2)": "unexpected ','",
}


def test_prairielearn_invalid_inputs():
    inputs = json.loads((_shared() / "corpora" / "prairielearn_invalid_inputs.json").read_text())
    assert len(inputs) == 60
    assert set(inputs) == LEGAL_HERE | set(EXPECTED_MESSAGE)
    atype = Expression(variables=("n",))
    for text in inputs:
        out = atype.grade(text, "n")
        if text in LEGAL_HERE:
            assert out.verdict == "incorrect", (text, out)
        else:
            assert out.verdict == "invalid", (text, out)
            assert EXPECTED_MESSAGE[text] in out.feedback, (text, out.feedback)
    assert atype.grade("3.5*n", "7/2*n").verdict == "correct"
