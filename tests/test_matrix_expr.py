"""Matrix expressions: ridge regression's closed form, shapes first, then values on random matrices."""
import pytest

from grader.answers.matrix_expr import MatrixExpression
from grader.errors import GraderError

RIDGE = MatrixExpression(shapes={"A": ("n", "d"), "b": ("n", 1)}, scalars=("lambda",))
NUMERIC = MatrixExpression(shapes={"A": (4, 3), "b": (4, 1)})
WIDE = MatrixExpression(shapes={"A": (3, 4), "b": (3, 1)})
REF = "(A^T A + lambda I)^(-1) A^T b"

CASES = [
    (RIDGE, REF, "correct", ""),
    (RIDGE, "A^T (A A^T + lambda I)^(-1) b", "correct", ""),
    (RIDGE, "(A^{T}A+λI)^{-1}A^{T}b", "correct", ""),
    (RIDGE, r"\left(A^\top A + \lambda I\right)^{-1} A^\top b", "correct", ""),
    (RIDGE, "inv(A'A + lambda*I) A' b", "correct", ""),
    (RIDGE, "inv(A^T*A + lambda*I)*A^T*b", "correct", ""),
    (RIDGE, "(A^T A + I lambda)^(-1) (b^T A)^T", "correct", ""),
    (RIDGE, "(A^TA + lambda I)^(-1)A^Tb", "correct", ""),
    (RIDGE, "A^T(AA^T + lambda I)^(-1)b", "correct", ""),
    (RIDGE, "(A A^T + lambda I)^(-1) A^T b", "incorrect", "n×n"),
    (RIDGE, "(A^T A + lambda)^(-1) A^T b", "incorrect", "lambda*I"),
    (RIDGE, "(A^T A)^(-1) A^T b", "incorrect", ""),
    (RIDGE, "(A^T A - lambda I)^(-1) A^T b", "incorrect", ""),
    (RIDGE, "b^T A (A^T A + lambda I)^(-1)", "incorrect", "1×d"),
    (RIDGE, "A^(-1) b", "incorrect", "square"),
    (RIDGE, "A b", "incorrect", "inner dimensions"),
    (RIDGE, "A / A", "incorrect", "divide"),
    (RIDGE, "2*(A^T A + lambda I)^(-1) A^T b", "incorrect", ""),
    (RIDGE, "x", "invalid", "unknown name"),
    (RIDGE, "A^T +", "invalid", ""),
    (RIDGE, None, "invalid", ""),
    (RIDGE, 3, "invalid", ""),
    (NUMERIC, "A^T (A A^T + lambda I)^(-1) b", "correct", ""),
    (NUMERIC, "(A^T A)^(-1) A^T b", "incorrect", ""),
    (WIDE, "(A^T A)^(-1) A^T b", "incorrect", "singular"),
    (WIDE, "A^T (A A^T + lambda I)^(-1) b", "correct", ""),
]


@pytest.mark.parametrize("atype,answer,verdict,fragment", CASES)
def test_verdicts(atype, answer, verdict, fragment):
    out = atype.grade(answer, REF)
    assert out.verdict == verdict, out.feedback
    assert fragment in out.feedback


def test_scalar_products_and_powers():
    m = MatrixExpression(shapes={"X": ("n", "n"), "v": ("n", 1)}, scalars=("c",))
    assert m.grade("X X", "X^2").verdict == "correct"
    assert m.grade("c X v + X (c v)", "2 c X v").verdict == "correct"
    assert m.grade("v^T X v", "(X^T v)^T v").verdict == "correct"
    assert m.grade("X^T v", "X v").verdict == "incorrect"


def test_reference_shape_errors_are_author_errors():
    with pytest.raises(GraderError):
        RIDGE.grade("A^T b", "A b")
    with pytest.raises(GraderError):
        MatrixExpression(shapes={})


def test_contract_helpers():
    for notation in RIDGE.notations(REF):
        assert RIDGE.grade(notation, REF).verdict == "correct"
    for wrong in RIDGE.perturb(REF, None):
        assert RIDGE.grade(wrong, REF).verdict == "incorrect"
    assert "A^T" in RIDGE.rule()


@pytest.mark.parametrize("answer,verdict,notes", [
    ("a^T B", "correct", "(a was read as A; B was read as b.)"),
    (r"\mathbf{a}^\top b", "correct", "(a was read as A.)"),
    ("aᵀb", "correct", "(a was read as A.)"),
    ("2 aᵀb", "incorrect", "(a was read as A.)"),
    ("a b", "incorrect", "(a was read as A.)"),
])
def test_a_letter_read_as_its_declared_other_case_is_said_whatever_the_verdict(answer, verdict, notes):
    m = MatrixExpression(shapes={"A": ("n", "d"), "b": ("n", 1)}, scalars=())
    out = m.grade(answer, "A^T b")
    assert out.verdict == verdict and out.feedback.endswith(notes) and out.feedback.count(notes) == 1, out
    assert "read as" not in m.grade("A^T b", "A^T b").feedback
