"""Hostile answers: none runs code, none exceeds the budget, none crashes the process."""
import builtins
import time

import pytest

from grader.answers import make
from grader.answers.sandbox import guarded_grade

HOSTILE = [
    "__import__('os').system('touch /tmp/pwned')", "__import__", "().__class__.__bases__[0].__subclasses__()",
    "x.__class__", "x.__dict__", "sigma.__globals__", "eval('1+1')", "exec('import os')", "eval(x)",
    "lambda: 0", "lambda x: x", "(lambda: __import__('os'))()", "getattr(x, '__class__')", "open('/etc/passwd')",
    "compile('1', 'f', 'eval')", "globals()", "x.y.z", "a.b.c.d", "Symbol('x')", "sympify('x')", "exp.__call__(1)",
    "9**9**9**9", "10^100000", "2^(2^(2^(2^(2^2))))", "x^(10^100)", "(10^999)^(10^999)", "1000!", "factorial(1000)",
    "x" * 100_000, "1" * 100_000, "(" * 5000 + "x" + ")" * 5000, "-" * 1999 + "x", "x^" * 999 + "x",
    "sqrt(" * 600 + "x" + ")" * 600, "\\frac{" * 300 + "1", "|" * 999,
    "x\x00", "\x00", "x\u202ey", "\u200fx", "\u2066x\u2069", "x\ufeff", "\u200bx",
    r"\input{/etc/passwd}", r"\write18{rm -rf /}", r"\immediate\write18{id}", r"\include{x}", r"\def\x{1}", r"\csname",
    "$(rm -rf /)", "`id`", "x; import os", "x\nimport os", "x # comment", "x == x", "{}", "[]", "None", "True",
    "1e999999", "1e400", "0x10", "1_000", "\\", "\\\\", "'", "''", "x'", "sigma'''''''(x)",
    "sin(10^99)", "exp(exp(exp(exp(x))))", "x^1000 + x^999", "(x+1)^1000", "max(" + ",".join(["x"] * 500) + ")",
]
TYPES = [
    make("expression", variables=("x", "y", "z"), functions=("sigma",)),
    make("matrix-expression", shapes={"A": ("n", "d"), "b": ("n", 1)}),
    make("bigo", variables=("n", "x")),
]
REFS = {"expression": "x^2 + sigma(x)", "matrix-expression": "A^T b", "bigo": "O(n log n)"}


@pytest.fixture(autouse=True)
def no_code_runs(monkeypatch):
    """eval/exec still serve the interpreter (imports), but never see a student's text."""
    for name in ("eval", "exec"):
        original = getattr(builtins, name)

        def spy(source, *args, _original=original, **kwargs):
            if isinstance(source, str) and any(raw in source for raw in HOSTILE if len(raw) > 3):
                raise AssertionError(f"student text reached {_original.__name__}")
            return _original(source, *args, **kwargs)

        monkeypatch.setattr(builtins, name, spy)


@pytest.mark.parametrize("atype", TYPES, ids=lambda t: t.name)
def test_hostile_inputs_are_refused_quickly(atype, tmp_path):
    ref = REFS[atype.name]
    for raw in HOSTILE:
        start = time.perf_counter()
        out = atype.grade(raw, ref)
        assert out.verdict in ("invalid", "incorrect", "manual", "correct"), raw
        assert time.perf_counter() - start < 2.0, raw[:40]


def test_hostile_inputs_in_the_sandbox():
    atype = TYPES[0]
    for raw in HOSTILE[:30]:
        assert guarded_grade(atype, raw, REFS["expression"], seconds=2).verdict in (
            "invalid", "incorrect", "manual"), raw


@pytest.mark.parametrize("raw", [None, True, False, 0, 1.5, float("inf"), float("nan"), [], ["x"], {}, {"a": "x"},
                                 [[["x"]]], b"x".decode(), "", " ", 10**400])
def test_any_json_value_is_graded_without_raising(raw):
    for atype in TYPES:
        assert atype.grade(raw, REFS[atype.name]).verdict in ("invalid", "incorrect", "correct", "manual")


def test_nothing_was_created():
    import os

    assert not os.path.exists("/tmp/pwned")
