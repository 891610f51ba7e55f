"""Notation students really type (issue 10), each class from the ASCII, LaTeX and Unicode sides,
graded against a plain reference, with what it was read as."""
import pytest

from grader.answers.bigo import BigO
from grader.answers.expressions import Expression
from grader.answers.matrix_expr import MatrixExpression

X = Expression(variables=("x", "y", "a", "i", "x_i", "sigma_i", "z", "z_i", "mu0", "relu_x"),
               functions=("f",))
SIG = Expression(variables=("z", "z_i"), functions=("sigma",))

# (class, answer, reference it must equal, read_as text)
READS = [
    # LaTeX fractions with bare arguments, as TeX reads them
    ("frac", r"\frac94\pi", "9*pi/4", "9π/4"),
    ("frac", r"\frac12y", "y/2", "y/2"),
    ("frac", r"\frac13", "1/3", "1/3"),
    ("frac", r"\tfrac83", "8/3", "8/3"),
    ("frac", r"\dfrac{1}{2}", "1/2", "1/2"),
    ("frac", r"\cfrac{1}{3}", "1/3", "1/3"),
    ("frac", r"\frac{1}2 x", "x/2", "x/2"),
    ("frac", r"\frac ay", "a/y", "a/y"),
    ("frac", "9/4 pi", "9*pi/4", "9π/4"),
    ("frac", "⁹⁄₄", None, None),
    # scripts in either order
    ("scripts", "x^2_i", "x_i^2", "x_i²"),
    ("scripts", "x^{2}_{i}", "x_i^2", "x_i²"),
    ("scripts", r"\sigma^2_i", "sigma_i^2", "σ_i²"),
    ("scripts", "x_i²", "x_i^2", "x_i²"),
    ("scripts", "σ_i²", "sigma_i^2", "σ_i²"),
    ("scripts", r"\log_{a^2} x", "log(x)/log(a^2)", "log_(a²)(x)"),
    ("scripts", "log_2(x)", "log(x)/log(2)", "log_2(x)"),
    # inverse-function notation
    ("inverse", r"\sin^{-1} a", "asin(a)", "asin(a)"),
    ("inverse", r"\sinh^{-1}(a)", "asinh(a)", "asinh(a)"),
    ("inverse", r"\tanh^{-1}(a)", "atanh(a)", "atanh(a)"),
    ("inverse", "sin^-1(a)", "arcsin(a)", "asin(a)"),
    ("inverse", "cos⁻¹(a)", "acos(a)", "acos(a)"),
    ("inverse", "sin^2(a)", "sin(a)*sin(a)", "sin(a)²"),
    # a function of a juxtaposed product
    ("product", r"\ln xy", "log(x*y)", "ln(x·y)"),
    ("product", r"\sin 2x", "sin(2*x)", "sin(2x)"),
    ("product", "sin 2x", "sin(2*x)", "sin(2x)"),
    ("product", "ln x·y", "log(x)*y", "ln(x)·y"),
    ("product", r"\sin x \cos x", "sin(x)*cos(x)", "sin(x)·cos(x)"),
    ("product", "sin x cos x", "sin(x)*cos(x)", "sin(x)·cos(x)"),
    # names
    ("names", "μ0 x", "mu0*x", "μ0·x"),
    ("names", r"\mu_0 x", "mu0*x", "μ0·x"),
    ("names", "mu_0", "mu0", "μ0"),
    ("names", r"\mathrm{relu}(x)", "max(0, x)", "relu(x)"),
    ("names", r"\operatorname{softplus}(x)", "log(1 + exp(x))", "softplus(x)"),
    ("names", r"\text{relu\_x} + 1", "relu_x + 1", "relu_x + 1"),
    ("names", r"\mathrm{f}(x)", "f(x)", "f(x)"),
    # unicode the tool prints
    ("unicode", "x²", "x^2", "x²"),
    ("unicode", "x⁻²", "1/x^2", "x⁻²"),
    ("unicode", "2x³y", "2*x^3*y", "2x³·y"),
]


@pytest.mark.parametrize("kind,answer,reference,text", READS, ids=[r[1] for r in READS])
def test_reads(kind, answer, reference, text):
    out = X.grade(answer, reference or "x")
    if reference is None:
        assert out.verdict == "invalid", out
        return
    assert out.verdict == "correct", out
    assert out.read_as["text"] == text
    assert X.grade(out.read_as["latex"], reference).verdict == "correct", out.read_as


@pytest.mark.parametrize("answer", [r"\sigma^{\prime}(z_i)", r"\sigma'(z_i)", "σ′(z_i)", "sigma'(z_i)",
                                    "σ'(z_i)", r"\sigma^\prime(z_i)"])
def test_primes_in_every_spelling(answer):
    out = SIG.grade(answer, "sigma'(z_i)")
    assert out.verdict == "correct" and out.read_as["text"] == "σ′(z_i)"


@pytest.mark.parametrize("answer", [r"\sigma^{\prime\prime}(z)", "σ″(z)", "sigma''(z)", r"\sigma''(z)"])
def test_second_derivative(answer):
    assert SIG.grade(answer, "sigma''(z)").verdict == "correct"
    assert SIG.grade(answer, "sigma'(z)").verdict == "incorrect"


def test_a_prime_needs_a_declared_function():
    assert X.grade(r"x^{\prime}", "x").verdict == "invalid"


DSIGMA = Expression(variables=("s", "z"), functions=("sigma",), given={"s": "sigma(z)"})


@pytest.mark.parametrize("answer", ["σ(z)(1−σ(z))", r"\sigma(z)\left(1-\sigma(z)\right)",
                                    "sigma(z)*(1 - sigma(z))", "s(1-s)", "s - σ(z)^2", "σ(z) − s²"])
def test_mlp_dsigma_accepts_sigma_of_z_for_s(answer):
    assert DSIGMA.grade(answer, "s*(1 - s)").verdict == "correct"


def test_mlp_dsigma_still_tells_wrong_answers():
    assert DSIGMA.grade("σ(z)(1+σ(z))", "s*(1 - s)").verdict == "incorrect"
    assert DSIGMA.grade("σ'(z)", "s*(1 - s)").verdict == "incorrect"


def test_mlp_part_takes_the_seed_form():
    from grader import registry

    part = next(p for p in registry.get("mlp-backprop").example_parts() if p.id == "dsigma")
    assert part.type.grade("σ(z)(1−σ(z))", "s*(1 - s)").verdict == "correct"


BEAM = BigO(variables=("T", "k", "M"), assume=("M >= k",))


@pytest.mark.parametrize("answer,note", [("O(TKM log M)", "K was read as k"), ("O(TkMlogM)", ""),
                                         (r"O(TKM\log M)", "K was read as k"), ("O(t k m log m)", "t was read as T"),
                                         ("O(T k M \\log M)", "")])
def test_bigo_seed_forms(answer, note):
    out = BEAM.grade(answer, "O(T k M log M)")
    assert out.verdict == "correct", out
    assert note in out.feedback
    assert out.read_as["text"] == "O(T k M log M)"


def test_case_folding_only_for_undeclared_letters():
    both = BigO(variables=("K", "k"))
    assert both.grade("O(K)", "O(k)").verdict == "incorrect"


N = BigO(variables=("x", "n"))


@pytest.mark.parametrize("ref,answer,verdict", [
    ("O(3^x)", "O(2^x + 3^x)", "correct"), ("O(x^x)", "O(x^x + 2^x)", "correct"),
    ("O(exp(x))", "O(2 exp(x))", "correct"), ("O(e^x)", r"O(2 e^{x} + x^5)", "correct"),
    ("O(3^x)", "O(2^x)", "incorrect"), ("O(2^x)", "O(3^x)", "incorrect"),
    ("O(exp(x))", "O(exp(2x))", "incorrect"), ("O(x^x)", "O(100^x)", "incorrect"),
    ("O(4^n)", "O(2^(2n))", "correct"), ("O(2^n n^3)", "O(2^n n^2)", "incorrect"),
])
def test_bigo_exponentials(ref, answer, verdict):
    assert N.grade(answer, ref).verdict == verdict


def test_bigo_feedback_names_the_dominating_term_the_right_way_round():
    slower = N.grade("O(2^x)", "O(3^x)").feedback
    assert "grows more slowly" in slower and "misses the growth of 3^x" in slower
    faster = N.grade("O(3^x)", "O(2^x)").feedback
    assert "grows faster" in faster and "because of 3^x" in faster
    assert "e^(2*x)" in N.grade("O(exp(2x))", "O(exp(x))").feedback


RIDGE = MatrixExpression(shapes={"A": ("n", "d"), "b": ("n", 1), "C": ("n", "n")})


@pytest.mark.parametrize("reference,answer,verdict", [
    ("I/3", "(3 I)^(-1)", "correct"), ("I/3", "inv(3I)", "correct"), ("2I", "I + I", "correct"),
    ("I/3", r"\left(3I\right)^{-1}", "correct"), ("I/3", "(3I)⁻¹", "correct"),
    ("I", "C^(-1) C", "correct"), ("I", "C C^(-1)", "correct"), ("I", "2 C^(-1) C", "incorrect"),
    ("I/3", "I/2", "incorrect"),
    ("(A^T A + lambda I)^(-1) A^T b", "(AᵀA+λI)⁻¹Aᵀb", "correct"),
    ("(A^T A + lambda I)^(-1) A^T b", r"\left(A^{\top}A+\lambda I\right)^{-1}A^{\top}b", "correct"),
    ("(A^T A + lambda I)^(-1) A^T b", "AᵀA", "incorrect"),
])
def test_matrix_expressions_of_identities_and_unicode(reference, answer, verdict):
    assert RIDGE.grade(answer, reference).verdict == verdict


def test_matrix_read_as():
    out = RIDGE.grade("(A^T A + lambda I)^(-1) A^T b", "(A^T A + lambda I)^(-1) A^T b")
    assert out.read_as["text"] == "(AᵀA + λI)⁻¹Aᵀb"
    assert RIDGE.grade(out.read_as["latex"], "(A^T A + lambda I)^(-1) A^T b").verdict == "correct"
    assert RIDGE.grade(out.read_as["text"], "(A^T A + lambda I)^(-1) A^T b").verdict == "correct"


def test_preview_is_the_reading_or_the_caret():
    assert X.preview(r"\frac94\pi") == {"read_as": {"text": "9π/4", "latex": r"\frac{9 \pi}{4}"}}
    bad = X.preview("x + ")
    assert bad["error"] and "^" in bad["caret"]
    assert BEAM.preview("O(TkMlogM)")["read_as"]["text"] == "O(T k M log M)"
    assert RIDGE.preview("AᵀA")["read_as"]["latex"] == r"A^{\top} A"
