"""Ridge regression: closed form, a solved instance, singular-value filter factors
(Midterm Review: Basics, Q2)."""
from __future__ import annotations

from math import gcd, isqrt

from grader.answers.base import Misconception
from grader.answers.choice import Text
from grader.answers.lists import Vector
from grader.params import Param, as_fraction, matrix, number, number_list
from grader.problem import Part, Problem, Redraw, Variety
from grader.problems.batchnorm_forward import exact_sqrt
from grader.registry import register

MAX_ENTRY = 12  # drawn A stays small enough for paper


def quaternion_columns(q, n):
    """An n×n integer matrix with orthogonal columns of equal integer norm, from quaternion q
    (n = 3: the Euler–Rodrigues rotation scaled by |q|²; n = 4: left multiplication by q, whose
    columns have norm |q| — integral when |q|² is a square). Rows are lists."""
    a, b, c, d = q
    if n == 3:
        return [[a*a + b*b - c*c - d*d, 2*(b*c - a*d), 2*(b*d + a*c)],
                [2*(b*c + a*d), a*a - b*b + c*c - d*d, 2*(c*d - a*b)],
                [2*(b*d - a*c), 2*(c*d + a*b), a*a - b*b - c*c + d*d]]
    return [[a, -b, -c, -d], [b, a, -d, c], [c, d, a, -b], [d, -c, b, a]]


def transpose(M):
    return [list(r) for r in zip(*M)]


def matmul(M, N):
    Nt = transpose(N)
    return [[sum(x * y for x, y in zip(row, col)) for col in Nt] for row in M]


def solve_exact(M, r):
    """x with M x = r by Gauss–Jordan over Fractions; None when M is singular."""
    n = len(M)
    aug = [list(row) + [v] for row, v in zip(M, r)]
    for col in range(n):
        pivot = next((i for i in range(col, n) if aug[i][col] != 0), None)
        if pivot is None:
            return None
        aug[col], aug[pivot] = aug[pivot], aug[col]
        aug[col] = [v / aug[col][col] for v in aug[col]]
        for i in range(n):
            if i != col and aug[i][col]:
                f = aug[i][col]
                aug[i] = [v - f * w for v, w in zip(aug[i], aug[col])]
    return [row[-1] for row in aug]


def singular_values(A, AtA):
    """A's singular values, largest first: exact from the diagonal of AᵀA when A's columns are
    orthogonal, else from a floating-point SVD."""
    d = len(AtA)
    if all(AtA[i][j] == 0 for i in range(d) for j in range(d) if i != j):
        values = [exact_sqrt(AtA[i][i]) for i in range(d)][:min(len(A), d)]
        return sorted(values, reverse=True)
    import numpy as np

    return [float(s) for s in np.linalg.svd(np.array(A, dtype=float), compute_uv=False)]


def ridge(AtA, Atb, lam, *, everywhere=False):
    """(AᵀA + λI)⁻¹Aᵀb exactly; `everywhere` adds λ to every entry instead (λ without I)."""
    M = [[v + (lam if everywhere or i == j else 0) for j, v in enumerate(row)] for i, row in enumerate(AtA)]
    return solve_exact(M, Atb)


@register
class RidgeRegression(Problem):
    id = "ridge-regression"
    title = "Ridge regression: closed form and singular values"
    topic = "regularisation"
    source = "Midterm Review: Basics, Q2"
    params = (
        Param("A", "matrix", "the n×d data matrix",
              range="n = 3..4, d = 2..3, orthogonal integer columns of distinct integer norms, entries up to 12",
              check=matrix((1, 8), (1, 6))),
        Param("b", "list of numbers", "the n targets", range="integers -4..4", check=number_list(1, 8)),
        Param("lam", "number", "the regularisation weight λ ≥ 0", range="1..6", check=number()),
    )
    example = {"A": [[1, 4], [2, 2], [2, -4]], "b": [1, 2, 3], "lam": 1}
    part_ids = ("closed_form", "x", "filter_factors", "interpret")
    paper = "orthogonal integer columns: AᵀA is diagonal, so x and the filter factors are exact fractions"
    variety = Variety(parts={"closed_form": None, "singular values": 0.15})

    def draw(self, rng, p):
        out = {}
        if "A" not in p:
            n = int(rng.integers(3, 5))
            d = int(rng.integers(2, min(n, 3) + 1))
            q = [int(v) for v in rng.integers(0, 4, size=4)]
            Q = quaternion_columns(q, n)
            norm2 = sum(v * v for v in q)
            if norm2 == 0 or n == 4 and isqrt(norm2) ** 2 != norm2:
                raise Redraw
            common = 0
            for row in Q:
                for v in row:
                    common = gcd(common, v)
            Q = [[v // common for v in row] for row in Q]
            if all(sum(v != 0 for v in col) == 1 for col in Q):  # a signed permutation: too trivial
                raise Redraw
            cols = [int(j) for j in rng.permutation(n)[:d]]
            scale = [int(s) for s in rng.permutation([1, 2, 3, 4, 5])[:d]]
            rows = [int(i) for i in rng.permutation(n)]
            signs = [int(s) for s in rng.choice([-1, 1], size=d)]
            A = [[Q[r][c] * s * g for c, s, g in zip(cols, scale, signs)] for r in rows]
            if max(abs(v) for row in A for v in row) > MAX_ENTRY:
                raise Redraw
            out["A"] = A
        A = p.get("A") or out["A"]
        if "b" not in p:
            b = [int(v) for v in rng.integers(-4, 5, size=len(A))]
            if any(sum(r[j] * v for r, v in zip(A, b)) == 0 for j in range(len(A[0]))):
                raise Redraw  # every coordinate of Aᵀb non-zero: no trivial entries of x
            out["b"] = b
        if "lam" not in p:
            out["lam"] = int(rng.integers(1, 7))
        return out

    def validate(self, p):
        A = [[as_fraction("A", v) for v in row] for row in p["A"]]
        if len(p["b"]) != len(A):
            raise self.invalid("b", f"needs one target per row of A: A has {len(A)} rows, b has {len(p['b'])} entries")
        lam = as_fraction("lam", p["lam"])
        if lam < 0:
            raise self.invalid("lam", f"must be >= 0, got {p['lam']}: a negative λ rewards large x "
                                      "and the objective may have no minimum")
        if lam == 0:
            AtA = matmul(transpose(A), A)
            if solve_exact(AtA, [0] * len(AtA)) is None:
                raise self.invalid("lam", "λ = 0 with linearly dependent columns of A: AᵀA is singular, "
                                          "so the minimiser is not unique; use lam > 0")

    def solve(self, p):
        A = [[as_fraction("A", v) for v in row] for row in p["A"]]
        b = [as_fraction("b", v) for v in p["b"]]
        lam = as_fraction("lam", p["lam"])
        At = transpose(A)
        AtA = matmul(At, A)
        Atb = [sum(x * y for x, y in zip(row, b)) for row in At]
        d = len(AtA)
        sigma = singular_values(A, AtA)
        diagonal = all(AtA[i][j] == 0 for i in range(d) for j in range(d) if i != j)
        x = ridge(AtA, Atb, lam)
        return {
            "n": len(A), "d": d, "A_": A, "b_": b, "lam": lam, "At": At, "AtA": AtA, "Atb": Atb,
            "diagonal": diagonal,
            "shifted": [[v + (lam if i == j else 0) for j, v in enumerate(row)] for i, row in enumerate(AtA)],
            "sigma": sigma, "sigma2": [s * s for s in sigma],
            "closed_form": "(A^T A + lambda I)^(-1) A^T b",
            "x": x,
            "least_squares": ridge(AtA, Atb, 0),
            "everywhere": ridge(AtA, Atb, lam, everywhere=True),
            "minus_lambda": ridge(AtA, Atb, -lam) if lam else None,
            "filter_factors": [s / (s * s + lam) for s in sigma],
            "interpret": (
                "Writing A = U Σ Vᵀ, x = Σᵢ σᵢ/(σᵢ² + λ) (uᵢᵀb) vᵢ. Least squares would divide by σᵢ, "
                "which blows up for small singular values; ridge shifts every σᵢ² of AᵀA by λ before "
                "inverting, so directions with σᵢ² ≫ λ are barely changed (≈ 1/σᵢ) while directions with "
                "σᵢ² ≪ λ are damped towards zero (≈ σᵢ/λ). The inverse always exists for λ > 0."),
        }

    def measures(self, p, ctx):
        return {"singular values": [str(s) for s in ctx["sigma"]]}

    def parts(self, p):
        from grader.answers.matrix_expr import MatrixExpression

        def differs(key):
            return lambda c: c[key] if c[key] is not None and c[key] != c["x"] else None

        return [
            Part("closed_form", MatrixExpression(shapes={"A": ("n", "d"), "b": ("n", 1)}), points=2, misconceptions=(
                Misconception(
                    "no-regularisation",
                    "That is the least-squares solution: the λ‖x‖² term adds 2λx to the gradient, so "
                    "the normal equations become (AᵀA + λI)x = Aᵀb.",
                    lambda c: "(A^T A)^(-1) A^T b" if c["d"] <= c["n"] else None),
                Misconception(
                    "minus-lambda",
                    "Check the sign: the gradient of λ‖x‖² is +2λx, so λI is added to AᵀA.",
                    lambda c: "(A^T A - lambda I)^(-1) A^T b"),
                Misconception(
                    "transposed",
                    "You wrote the transpose xᵀ (a row): x = (AᵀA + λI)⁻¹Aᵀb is a column of d entries.",
                    lambda c: "b^T A (A^T A + lambda I)^(-1)"),
            )),
            Part("x", Vector(partial=True, index="x_{i}"), points=2, misconceptions=(
                Misconception(
                    "no-regularisation",
                    "That is the least-squares solution (AᵀA)⁻¹Aᵀb: you left out λ.",
                    differs("least_squares")),
                Misconception(
                    "lambda-without-identity",
                    "You added λ to every entry of AᵀA (λ times a matrix of ones, as `A.T @ A + lam` does "
                    "in NumPy). The penalty λ‖x‖² adds λI: λ on the diagonal only.",
                    differs("everywhere")),
                Misconception(
                    "minus-lambda",
                    "Check the sign: solve (AᵀA + λI)x = Aᵀb, not (AᵀA − λI)x = Aᵀb.",
                    differs("minus_lambda")),
            )),
            Part("filter_factors", Vector(partial=True, index="factor {i} (σ_{i})"), misconceptions=(
                Misconception(
                    "squared-factor",
                    "σᵢ²/(σᵢ² + λ) is the factor relative to least squares (which multiplies uᵢᵀb by "
                    "1/σᵢ). The question asks for the whole coefficient of (uᵢᵀb)vᵢ: σᵢ/(σᵢ² + λ).",
                    lambda c: [s * s / (s * s + c["lam"]) for s in c["sigma"]]),
                Misconception(
                    "unregularised",
                    "1/σᵢ is the least-squares coefficient; ridge gives σᵢ/(σᵢ² + λ).",
                    lambda c: [1 / s for s in c["sigma"]] if all(c["sigma"]) else None),
                Misconception(
                    "ascending-order",
                    "List the factors in the order of the singular values, largest σ first.",
                    lambda c: c["filter_factors"][::-1] if c["filter_factors"][::-1] != c["filter_factors"] else None),
            )),
            Part("interpret", Text(rubric=(
                "Full credit: (1) with A = UΣVᵀ the solution is Σᵢ σᵢ/(σᵢ² + λ)(uᵢᵀb)vᵢ; (2) λ shifts the "
                "eigenvalues σᵢ² of AᵀA away from zero, so the inverse exists and small singular values "
                "no longer blow up (1/σᵢ); (3) directions with σᵢ² ≫ λ are nearly unchanged, those with "
                "σᵢ² ≪ λ are shrunk towards zero. Half credit for (2) alone."))),
        ]
