"""Expression equivalence: random points, both signs, removable singularities, arbitrary functions."""
import random

import pytest

from grader.answers.expressions import Expression
from grader.errors import GraderError

MLP = Expression(variables=("y_pred", "y_true", "C_i", "z_i", "x", "s"), functions=("sigma",))
REF = "2*(y_pred - y_true)*C_i*sigma'(z_i)"
X = Expression(variables=("x", "y", "a", "b", "c"))

CASES = [
    # (type, reference, answer, verdict)
    (MLP, REF, REF, "correct"),
    (MLP, REF, "2 C_i (y_pred-y_true) σ'(z_i)", "correct"),
    (MLP, REF, "-2*(y_true - y_pred)*C_i*sigma'(z_i)", "correct"),
    (MLP, REF, "2*y_pred*C_i*sigma'(z_i) - 2*y_true*C_i*sigma'(z_i)", "correct"),
    (MLP, REF, r"2\left(y_{pred}-y_{\text{true}}\right)\cdot C_{i}\,\sigma'(z_{i})", "correct"),
    (MLP, REF, r"2(\hat{y} - y_{true}) C_i \sigma'(z_i)", "invalid"),
    (MLP, REF, "(y_pred - y_true)*C_i*sigma'(z_i)", "incorrect"),
    (MLP, REF, "2*(y_pred - y_true)*sigma'(z_i)", "incorrect"),
    (MLP, REF, "2*(y_pred - y_true)*C_i*sigma(z_i)", "incorrect"),
    (MLP, REF, "2*(y_pred - y_true)*C_i*sigma(z_i)*(1 - sigma(z_i))", "incorrect"),
    (MLP, REF, "2*(y_true - y_pred)*C_i*sigma'(z_i)", "incorrect"),
    (MLP, REF, "2*(y_pred - y_true)*C_i*sigma'(z_i) + 1", "incorrect"),
    (MLP, REF, "2*(y_pred - y_true)*C_i*sigma''(z_i)", "incorrect"),
    (MLP, REF, "2*(y_pred - y_true)*C_i*sigma'(x)", "incorrect"),
    (MLP, REF, "2*(y_pred - y_true)*C_i*sigma'(z_i) + sigma(z_i) - sigma(z_i)", "correct"),
    (MLP, REF, "2*(y_pred - y_true)*C_i*w", "invalid"),
    (MLP, REF, "", "invalid"),
    (MLP, "2*(y_pred - y_true)*C_i*sigma'(z_i)*x", "2*x*(y_pred - y_true)*C_i*sigma'(z_i)", "correct"),
    (MLP, "sigma'(2*x)", "sigma'(2x)", "correct"),
    (MLP, "sigma'(2*x)", "2*sigma'(x)", "incorrect"),
    (MLP, "s*(1-s)", "s - s^2", "correct"),
    (MLP, "s*(1-s)", "s*(1+s)", "incorrect"),
    (MLP, "sigma(z_i)*(1-sigma(z_i))", "sigma'(z_i)", "incorrect"),
    (X, "(x^2-1)/(x-1)", "x+1", "correct"),
    (X, "x+1", "(x^2-1)/(x-1)", "correct"),
    (X, "sin(x)/x", "sin(x)/x", "correct"),
    (X, "sqrt(x^2)", "x", "incorrect"),
    (X, "sqrt(x^2)", "abs(x)", "correct"),
    (X, "sqrt(x^2)", "|x|", "correct"),
    (X, "x^2", "x*x", "correct"),
    (X, "exp(x+y)", "exp(x)*exp(y)", "correct"),
    (X, "exp(x+y)", "exp(x)+exp(y)", "incorrect"),
    (X, "log(x^2)", "2*log(x)", "incorrect"),
    (X, "log(a*b)", "log(a) + log(b)", "incorrect"),
    (X, "1/(1+exp(-x))", "sigmoid(x)", "correct"),
    (X, "sigmoid(x)*(1-sigmoid(x))", "exp(-x)/(1+exp(-x))^2", "correct"),
    (X, "tanh(x)", "2*sigmoid(2x) - 1", "correct"),
    (X, "log(1+exp(x))", "softplus(x)", "correct"),
    (X, "max(0, x)", "relu(x)", "correct"),
    (X, "max(0, x)", "(x + abs(x))/2", "correct"),
    (X, "max(0, x)", "x", "incorrect"),
    (X, "cos(x)^2 + sin(x)^2", "1", "correct"),
    (X, "1/2", "0.5", "correct"),
    (X, "1/3", "0.333", "incorrect"),
    (X, "x/3", "0.3333333333*x", "incorrect"),
    (X, "pi", "3.14159", "incorrect"),
    (X, "e^x", "exp(x)", "correct"),
    (X, "x*y", "y*x", "correct"),
    (X, "a^(b+c)", "a^b*a^c", "correct"),
    (X, "(x+y)^2", "x^2 + 2xy + y^2", "correct"),
    (X, "(x+y)^2", "x^2 + y^2", "incorrect"),
    (X, "x^3-1", "(x-1)(x^2+x+1)", "correct"),
    (X, "atan(x) + atan(1/x)", "pi/2", "incorrect"),
    (X, "asin(x)", "asin(x)", "correct"),
    (X, "x", "x + 1e-6", "incorrect"),
    (X, "1e6*x", "1000000*x", "correct"),
    (X, "x", True, "invalid"), (X, "x", None, "invalid"), (X, "x", [1], "invalid"), (X, "x", {"a": 1}, "invalid"),
    (X, "3", 3, "correct"), (X, "0.5", 0.5, "correct"), (X, "x", float("nan"), "invalid"),
]


@pytest.mark.parametrize("atype,ref,answer,verdict", CASES)
def test_verdicts(atype, ref, answer, verdict):
    assert atype.grade(answer, ref).verdict == verdict


def test_feedback_names_a_point_and_the_function():
    out = MLP.grade("2*(y_pred - y_true)*sigma'(z_i)", REF)
    assert "C_i = " in out.feedback and "smooth sigma" in out.feedback


def test_feedback_hints_sign_and_factor():
    assert "sign" in X.grade("-x*y", "x*y").feedback
    assert "constant multiple" in X.grade("3*x*y", "x*y").feedback
    assert "by a constant" in X.grade("x*y + 2", "x*y").feedback


def test_domain_restricts_sampling():
    pos = Expression(variables=("x",), domain={"x": "positive"})
    assert pos.grade("x", "sqrt(x^2)").verdict == "correct"
    assert pos.grade("2*log(x)", "log(x^2)").verdict == "correct"
    assume = Expression(variables=("x",), assume=("x > 0",))
    assert assume.grade("x", "sqrt(x^2)").verdict == "correct"


def test_declared_names_win():
    g = Expression(variables=("gamma", "a", "b"))
    assert g.grade("gamma*a + gamma*b", "gamma(a+b)").verdict == "correct"
    e = Expression(variables=("e", "x"))
    assert e.grade("e*e", "e^2").verdict == "correct"
    assert e.grade("exp(2)", "e^2").verdict == "incorrect"


def test_bad_declarations():
    with pytest.raises(GraderError):
        Expression(variables=("x",), functions=("x",))
    with pytest.raises(GraderError):
        Expression(variables=("x",), domain={"y": "positive"})
    with pytest.raises(GraderError):
        Expression(variables=("x",), assume=("x is big",))


def test_contract_helpers():
    ref = REF
    for notation in MLP.notations(ref):
        assert MLP.grade(notation, ref).verdict == "correct", notation
    wrong = MLP.perturb(ref, random.Random(0))
    assert len(wrong) >= 3
    for w in wrong:
        assert MLP.grade(w, ref).verdict == "incorrect", w
    assert MLP.canonical(ref) == ref
    assert "sigma" in MLP.rule()


def test_deterministic():
    outs = {MLP.grade("2*(y_pred - y_true)*sigma'(z_i)", REF).feedback for _ in range(3)}
    assert len(outs) == 1


@pytest.mark.parametrize("answer", ["x^2 + relu(x-1000)", "x^2 + max(0, x - 3.01)", "x^2*(1+10^(-12))",
                                    "x^2 + min(0, 2 - x)/10^6", "x^2 + abs(x - 500) - (500 - x)",
                                    "x^2 + 10^(-9)*x^5"])
def test_not_fooled_from_far_away(answer):
    """Far points, both sides of every kink, and an exact evaluation for rational functions."""
    assert X.grade(answer, "x^2").verdict == "incorrect"


@pytest.mark.parametrize("ref,answer", [("x^2", "x^2 + relu(-x - 1000) - relu(-x - 1000)"),
                                        ("abs(x - 3.01)", "max(x - 3.01, 3.01 - x)"),
                                        ("(x^20 + 1) - x^20", "1"), ("x^6 - (x^6 - x)", "x"),
                                        ("1/(1+exp(-x))*(1-1/(1+exp(-x)))", "exp(-x)/(1+exp(-x))^2")])
def test_far_points_do_not_reject_equal_answers(ref, answer):
    """Cancellation far out is checked at high precision before an answer is called wrong."""
    assert X.grade(answer, ref).verdict == "correct"


def test_a_kink_search_that_lands_on_a_pole_is_graded():
    """The zero of a kink's argument is sought by secant steps from the first sample point; an
    answer built so that the first step hits a pole exactly is graded all the same."""
    from grader.answers.expressions import SEED

    env, _ = X._sample(0, SEED)
    answer = f"relu(1/(x - {float(env['x'][0]) + 1.0!r}))"
    assert X.grade(answer, answer + " + 0").verdict == "correct"
    assert X.grade(answer, answer + " + x").verdict == "incorrect"


def test_far_points_respect_the_domain():
    bounded = Expression(variables=("x",), domain={"x": (0, 2)})
    assert bounded.grade("x^2 + relu(x - 5)", "x^2").verdict == "correct"
    positive = Expression(variables=("x",), domain={"x": "positive"})
    assert positive.grade("x^2 + relu(-x)", "x^2").verdict == "correct"
    assert positive.grade("x^2 + relu(x - 700)", "x^2").verdict == "incorrect"


def test_decimals_compare_in_double_precision():
    """A decimal is a measured value (STACK reads 0.99999999 as 99999998/99999999)."""
    assert X.grade("0.3333333333333333*x", "x/3").verdict == "correct"
    assert X.grade("x/3 + 1/3*10^(-15)", "x/3").verdict == "incorrect"


def test_read_as_shows_the_reading():
    assert X.grade(r"\frac{9}{4}\pi", "9*pi/4").read_as == {"text": "9π/4", "latex": r"\frac{9 \pi}{4}"}
    assert MLP.preview("σ'(z_i)")["read_as"]["text"] == "σ′(z_i)"
    assert X.preview("x^")["caret"]


KM = Expression(variables=("k", "M", "z"), functions=("sigma",))


@pytest.mark.parametrize("answer,verdict", [
    ("K*M", "correct"), ("KM", "correct"), (r"\frac{K M^{2}}{M}", "correct"), ("K·M²/M", "correct"),
    ("K + M", "incorrect"), (r"K\cdot M^2", "incorrect"), ("KM·σ(z)", "incorrect"),
])
def test_a_letter_read_as_its_declared_other_case_is_said_once_whatever_the_verdict(answer, verdict):
    out = KM.grade(answer, "k*M")
    assert out.verdict == verdict
    assert out.feedback.count("K was read as k") == 1, out.feedback
    assert out.read_as["text"].startswith("k")


def test_no_reading_note_where_nothing_was_folded():
    assert "read as" not in KM.grade("k*M", "k*M").feedback
    assert "read as" not in KM.grade("k + M", "k*M").feedback
    out = KM.grade("K +", "k*M")
    assert out.verdict == "invalid" and "read as" not in out.feedback
