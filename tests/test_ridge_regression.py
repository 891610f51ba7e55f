"""ridge-regression: exact hand-computable draws, the closed form in both forms, filter factors
against an SVD, misconceptions, bad pins."""
from fractions import Fraction

import numpy as np
import pytest

from grader import registry
from grader.errors import InvalidParams
from grader.grading import grade, grade_part

EXAMPLE = {"A": [[1, 4], [2, 2], [2, -4]], "b": [1, 2, 3], "lam": 1}


@pytest.fixture(scope="module")
def problem():
    return registry.get("ridge-regression")


def svd_solution(A, b, lam):
    """x and the filter factors from NumPy's SVD (largest σ first)."""
    A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    f = s / (s ** 2 + lam)
    return Vt.T @ (f * (U.T @ b)), f


@pytest.mark.parametrize("seed", range(30))
def test_drawn_instances_are_exact_and_for_paper(problem, seed):
    inst = problem.instance(seed)
    c, p = inst.context, inst.params
    A = np.asarray(p["A"], dtype=float)
    n, d = A.shape
    assert 3 <= n <= 4 and 2 <= d <= min(n, 3)
    assert all(isinstance(v, int) and abs(v) <= 12 for row in p["A"] for v in row)
    gram = A.T @ A
    assert np.count_nonzero(gram - np.diag(np.diag(gram))) == 0  # orthogonal columns: AᵀA diagonal
    assert len(set(np.diag(gram))) == d  # distinct singular values: an unambiguous order
    assert all(isinstance(v, Fraction) and v != 0 for v in c["x"])
    assert all(isinstance(v, Fraction) for v in c["filter_factors"])  # integer singular values
    x, f = svd_solution(p["A"], p["b"], p["lam"])
    assert [float(v) for v in c["x"]] == pytest.approx(x)
    assert [float(v) for v in c["filter_factors"]] == pytest.approx(f)
    assert float(c["x"][0]) == pytest.approx(np.linalg.solve(gram + p["lam"] * np.eye(d), A.T @ p["b"])[0])


def test_general_pinned_matrix_uses_an_svd(problem):
    params = {"A": [[1, 2], [3, 4], [5, 7]], "b": [1, 0, 2], "lam": 2}
    c = problem.instance(0, params).context
    x, f = svd_solution(params["A"], params["b"], params["lam"])
    assert all(isinstance(v, Fraction) for v in c["x"])  # the solve stays exact
    assert [float(v) for v in c["x"]] == pytest.approx(x)
    assert c["filter_factors"] == pytest.approx(list(f))


@pytest.mark.parametrize("text", [
    "(A^T A + lambda I)^(-1) A^T b",
    "A^T (A A^T + lambda I)^(-1) b",
    "inv(A^T A + lambda*I) A^T b",
    "(A^T A + λ I)^{-1} A^T b",
])
def test_closed_form_in_every_form(problem, text):
    inst = problem.instance(0, EXAMPLE)
    assert grade_part(inst, inst.part("closed_form"), text, {}).verdict == "correct"


@pytest.mark.parametrize("text, name", [
    ("(A^T A)^(-1) A^T b", "no-regularisation"),
    ("(A^T A - lambda I)^(-1) A^T b", "minus-lambda"),
    ("b^T A (A^T A + lambda I)^(-1)", "transposed"),
])
def test_closed_form_misconceptions(problem, text, name):
    inst = problem.instance(0, EXAMPLE)
    result = grade_part(inst, inst.part("closed_form"), text, {})
    assert (result.verdict, result.misconception) == ("incorrect", name)


def test_lambda_without_identity(problem):
    inst = problem.instance(0, EXAMPLE)
    # the closed form says why it cannot be added; the numbers name the NumPy-broadcast slip
    result = grade_part(inst, inst.part("closed_form"), "(A^T A + lambda)^(-1) A^T b", {})
    assert result.verdict == "incorrect" and "lambda*I" in result.feedback
    A, b = np.array(EXAMPLE["A"]), np.array(EXAMPLE["b"])
    broadcast = np.linalg.solve(A.T @ A + EXAMPLE["lam"], A.T @ b).tolist()
    assert grade_part(inst, inst.part("x"), broadcast, {}).misconception == "lambda-without-identity"


def test_example_by_hand(problem):
    # AᵀA = diag(9, 36), Aᵀb = (1 + 4 + 6, 4 + 4 − 12) = (11, −4): x = (11/10, −4/37)
    inst = problem.instance(0, EXAMPLE)
    assert inst.context["x"] == [Fraction(11, 10), Fraction(-4, 37)]
    assert inst.context["filter_factors"] == [Fraction(6, 37), Fraction(3, 10)]
    result = grade(inst, {"x": ["11/10", -0.108], "filter_factors": [0.162, 0.3], "interpret": "..."})
    verdicts = {p.id: p.verdict for p in result.parts}
    assert verdicts["x"] == verdicts["filter_factors"] == "correct" and verdicts["interpret"] == "manual"


@pytest.mark.parametrize("answer, name", [
    ([Fraction(11, 9), Fraction(-1, 9)], "no-regularisation"),
    ([Fraction(11, 8), Fraction(-4, 35)], "minus-lambda"),
])
def test_x_misconceptions(problem, answer, name):
    inst = problem.instance(0, EXAMPLE)
    assert grade_part(inst, inst.part("x"), [str(v) for v in answer], {}).misconception == name


@pytest.mark.parametrize("answer, name", [
    (["36/37", "9/10"], "squared-factor"),
    (["1/6", "1/3"], "unregularised"),
    (["3/10", "6/37"], "ascending-order"),
])
def test_filter_factor_misconceptions(problem, answer, name):
    inst = problem.instance(0, EXAMPLE)
    assert grade_part(inst, inst.part("filter_factors"), answer, {}).misconception == name


def test_interpretation_is_left_to_a_person_with_a_rubric(problem):
    inst = problem.instance(0, EXAMPLE)
    result = grade_part(inst, inst.part("interpret"), "It shifts the singular values.", {})
    assert result.verdict == "manual" and "σᵢ²" in result.feedback


@pytest.mark.parametrize("pins, name", [
    ({"A": [[1, 2], [2, 4], [3, 6]], "b": [1, 1, 1], "lam": 0}, "lam"),
    ({"lam": -1}, "lam"),
    ({"A": [[1, 0], [0, 1]], "b": [1, 2, 3]}, "b"),
    ({"A": [[1, 0], [0, "x"]]}, "A"),
])
def test_bad_pins_name_the_parameter(problem, pins, name):
    with pytest.raises(InvalidParams) as err:
        problem.instance(0, pins)
    assert err.value.param == name and "\n" not in str(err.value)


def test_lambda_zero_with_independent_columns_is_least_squares(problem):
    inst = problem.instance(0, {**EXAMPLE, "lam": 0})
    assert inst.context["x"] == [Fraction(11, 9), Fraction(-1, 9)]
    # no-regularisation coincides with the answer here, so it is not offered as a misconception
    assert inst.part("x").misconceptions[0].answer(inst.context) is None
