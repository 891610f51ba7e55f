"""Expression grading throughput on a realistic mix, side by side with `simplify(a - b) == 0`.

Run: python benchmarks/bench_expressions.py [--repeat N]
Prints answers per second (direct and in the sandbox), the speed ratio against the naive
symbolic way on the same expression pairs, and every pair where the two verdicts differ.
"""
from __future__ import annotations

import argparse
import time

import sympy

from grader.answers import make
from grader.answers.parser import parse
from grader.answers.sandbox import guarded_grade

MLP = dict(variables=("y_pred", "y_true", "C_i", "z_i", "x", "s"), functions=("sigma",))
BN = dict(variables=("g_i", "G", "gamma", "m"))
X = dict(variables=("x", "y", "z"))
REF_C = "2*(y_pred - y_true)*C_i*sigma'(z_i)"
REF_A = "2*(y_pred - y_true)*C_i*sigma'(z_i)*x"

# (type options, reference, answer, expected verdict)
EXPRESSIONS = [
    (MLP, REF_C, REF_C, True),
    (MLP, REF_C, "2 C_i (y_pred-y_true) σ'(z_i)", True),
    (MLP, REF_C, r"2\left(y_{pred}-y_{\text{true}}\right)\cdot C_{i}\,\sigma'(z_{i})", True),
    (MLP, REF_C, "-2*(y_true - y_pred)*C_i*sigma'(z_i)", True),
    (MLP, REF_C, "2*y_pred*C_i*sigma'(z_i) - 2*y_true*C_i*sigma'(z_i)", True),
    (MLP, REF_C, "(y_pred - y_true)*C_i*sigma'(z_i)", False),
    (MLP, REF_C, "2*(y_pred - y_true)*sigma'(z_i)", False),
    (MLP, REF_C, "2*(y_true - y_pred)*C_i*sigma'(z_i)", False),
    (MLP, REF_C, "2*(y_pred - y_true)*C_i*sigma(z_i)", False),
    (MLP, REF_A, "2 x C_i (y_pred - y_true) σ'(z_i)", True),
    (MLP, REF_A, r"2 x C_{i} (y_{pred} - y_{true}) \sigma'(z_{i})", True),
    (MLP, REF_A, "2 C_i (y_pred - y_true) σ'(z_i)", False),
    (MLP, "s*(1-s)", "s - s^2", True),
    (MLP, "s*(1-s)", "s^2 - s", False),
    (MLP, "2*(y_pred - y_true)", "2y_pred - 2y_true", True),
    (MLP, "2*(y_pred - y_true)", "(y_pred - y_true)^2", False),
    (BN, "gamma*(g_i - G/m)", "gamma g_i - gamma G / m", True),
    (BN, "gamma*(g_i - G/m)", r"\gamma\left(g_i - \frac{G}{m}\right)", True),
    (BN, "gamma*(g_i - G/m)", "gamma*(1 - 1/m)*g_i", False),
    (X, "1/(1+exp(-x))*(1-1/(1+exp(-x)))", "exp(-x)/(1+exp(-x))^2", True),
    (X, "tanh(x)", "2*sigmoid(2x) - 1", True),
    (X, "(x^2-1)/(x-1)", "x+1", True),
    (X, "sqrt(x^2)", "x", False),
    (X, "exp(x+y)", "e^x e^y", True),
    (X, "log(x*y)", "log(x) + log(y)", False),
]
OTHERS = [
    ("bigo", dict(variables=("T", "k", "M"), assume=("M >= k",)), "O(T k M log M)", "O(TkM\\log M)", True),
    ("bigo", dict(variables=("T", "k", "M"), assume=("M >= k",)), "O(T k M log M)", "O(TkM log M + T k^2 log k)", True),
    ("bigo", dict(variables=("T", "k", "M"), assume=("M >= k",)), "O(T k M log M)", "O(T k M)", False),
    ("matrix-expression", dict(shapes={"A": ("n", "d"), "b": ("n", 1)}), "(A^T A + lambda I)^(-1) A^T b",
     "A^T (A A^T + lambda I)^(-1) b", True),
    ("matrix-expression", dict(shapes={"A": ("n", "d"), "b": ("n", 1)}), "(A^T A + lambda I)^(-1) A^T b",
     "(A A^T + lambda I)^(-1) A^T b", False),
]


def cases():
    return [("expression", opts, ref, ans, exp) for opts, ref, ans, exp in EXPRESSIONS] + OTHERS


def ours(repeat: int, sandboxed: bool) -> tuple[float, list]:
    """Answers per second; each answer text is made unique so nothing is served from a cache."""
    graded, wrong = 0, []
    built = [(make(t, **o), r, a, e) for t, o, r, a, e in cases()]
    start = time.perf_counter()
    for i in range(repeat):
        for atype, ref, ans, expected in built:
            raw = ans + " " * (i % 97) + ("" if i < 97 else " " * (i // 97))
            out = guarded_grade(atype, raw, ref) if sandboxed else atype.grade(raw, ref)
            graded += 1
            if i == 0 and (out.verdict == "correct") != expected:
                wrong.append((ref, ans, out.verdict))
    return graded / (time.perf_counter() - start), wrong


def naive() -> tuple[float, list]:
    """`sympy.simplify(a - b) == 0` on the trusted parsed forms of the expression pairs."""
    parsed = [(parse(r, **o), parse(a, **o), e, r, a) for o, r, a, e in EXPRESSIONS]
    verdicts = []
    start = time.perf_counter()
    for ref, ans, expected, r, a in parsed:
        verdicts.append((sympy.simplify(ans - ref) == 0, expected, r, a))
    rate = len(parsed) / (time.perf_counter() - start)
    return rate, [(r, a, got) for got, expected, r, a in verdicts if got != expected]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    n_expr = len(EXPRESSIONS)
    make("expression", **X).grade("x", "x")  # warm imports
    expr_only = [c for c in cases() if c[0] == "expression"]
    start = time.perf_counter()
    for i in range(args.repeat):
        for t, o, r, a, e in expr_only:
            make(t, **o).grade(a + " " * (i % 97) + " " * (i // 97), r)
    expr_rate = args.repeat * n_expr / (time.perf_counter() - start)
    mix_rate, wrong = ours(args.repeat, sandboxed=False)
    sandbox_rate, _ = ours(max(1, args.repeat // 4), sandboxed=True)
    naive_rate, naive_wrong = naive()
    print(f"pairs: {n_expr} expression + {len(OTHERS)} bigo/matrix, each graded {args.repeat} times "
          "(unique answer texts, single process)")
    print(f"{'':38}{'answers/s':>12}")
    print(f"{'ours, expressions only':38}{expr_rate:12.0f}")
    print(f"{'ours, full mix (expr + bigo + matrix)':38}{mix_rate:12.0f}")
    print(f"{'ours, full mix in the sandbox':38}{sandbox_rate:12.0f}")
    print(f"{'naive simplify(a - b) == 0':38}{naive_rate:12.1f}")
    print(f"speed ratio (expressions, ours / naive): {expr_rate / naive_rate:.0f}x   "
          f"targets: >= 1000/s per core, >= 50x")
    print(f"wrong verdicts, ours: {len(wrong)}" + "".join(f"\n  {w}" for w in wrong))
    print(f"wrong verdicts, naive: {len(naive_wrong)}" + "".join(f"\n  {w}" for w in naive_wrong))


if __name__ == "__main__":
    main()
