"""The allow-list parser: what students type, read into SymPy; everything else refused with a caret."""
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.answers.parser import Limits, parse, parse_number, to_latex, to_text
from grader.errors import AnswerParseError

VARS = ("x", "y", "z", "a", "b", "y_pred", "y_true", "C_i", "z_i", "lambda", "y_hat", "s", "T", "k", "M")
FUNCS = ("sigma",)
x, y, z, a, b = (sympy.Symbol(n, real=True) for n in "xyzab")
yp, yt, Ci, zi, lam, yh = (sympy.Symbol(n, real=True) for n in ("y_pred", "y_true", "C_i", "z_i", "lambda", "y_hat"))
T, k, M = (sympy.Symbol(n, real=True) for n in "TkM")
sigma = sympy.Function("sigma")


def p(text, **kw):
    kw.setdefault("variables", VARS)
    kw.setdefault("functions", FUNCS)
    return parse(text, **kw)


EQUAL = [
    ("2*x", 2 * x), ("2x", 2 * x), ("2 x", 2 * x), ("x y", x * y), ("x*y", x * y),
    ("2(a+b)", 2 * (a + b)), ("(a)(b)", a * b), ("(a+1)(b-1)", (a + 1) * (b - 1)),
    ("2 C_i x", 2 * Ci * x), ("x^2", x**2), ("x**2", x**2), ("x^-2", x**-2), ("2^-3", sympy.Rational(1, 8)),
    ("x^2^3", x**8), ("-x^2", -x**2), ("-2x", -2 * x), ("a/b/2", a / b / 2), ("a/2b", a / 2 * b),
    ("x − y", x - y), ("x · y", x * y), ("x × y", x * y), ("2x²", 2 * x**2), ("π", sympy.pi), ("pi x", sympy.pi * x),
    ("e^x", sympy.exp(x)), ("e^{-z}", sympy.exp(-z)), ("exp(x)", sympy.exp(x)), ("e", sympy.E), ("2e", 2 * sympy.E),
    ("ln(x)", sympy.log(x)), ("log(x)", sympy.log(x)), ("log(x, 2)", sympy.log(x) / sympy.log(2)),
    ("log_2(x)", sympy.log(x) / sympy.log(2)), (r"\log_{2} x", sympy.log(x) / sympy.log(2)),
    ("sqrt(x)", sympy.sqrt(x)), ("abs(x)", sympy.Abs(x)), ("|x|", sympy.Abs(x)), ("|x - 1| |y|", sympy.Abs(x - 1) * sympy.Abs(y)),
    ("| |x| - 1 |", sympy.Abs(sympy.Abs(x) - 1)),
    ("sin(x)", sympy.sin(x)), ("arcsin(x)", sympy.asin(x)), ("asin(x)", sympy.asin(x)), ("arctan(x)", sympy.atan(x)),
    ("sec(x)", sympy.sec(x)), ("cot(x)", sympy.cot(x)), ("tanh(x)", sympy.tanh(x)), ("atanh(x)", sympy.atanh(x)),
    ("sin^2(x)", sympy.sin(x) ** 2), ("sin x", sympy.sin(x)), ("sin x^2", sympy.sin(x**2)),
    ("sigmoid(x)", 1 / (1 + sympy.exp(-x))), ("softplus(x)", sympy.log(1 + sympy.exp(x))), ("relu(x)", sympy.Max(0, x)),
    ("max(x, y)", sympy.Max(x, y)), ("min(x, y, z)", sympy.Min(x, y, z)),
    ("sigma(z)", sigma(z)), ("σ(z)", sigma(z)), ("sigma'(z)", sympy.Derivative(sigma(z), z)),
    ("σ'(z_i)", sympy.Derivative(sigma(zi), zi)), ("sigma''(z)", sympy.Derivative(sigma(z), (z, 2))),
    ("y_true", yt), ("y_{true}", yt), (r"y_{\text{true}}", yt), (r"y_{\mathrm{pred}}", yp), ("z_{i}", zi), ("z_{ i }", zi),
    ("lambda", lam), ("λ", lam), (r"\lambda x", lam * x), ("λx", lam * x), (r"\hat{y}", yh), ("TkM", T * k * M),
    (r"\frac{1}{2}", sympy.Rational(1, 2)), (r"\dfrac{x}{y}", x / y), (r"\frac{a+b}{2}", (a + b) / 2),
    (r"2 \cdot x", 2 * x), (r"2 \times x", 2 * x), (r"\left( x + 1 \right)^{2}", (x + 1) ** 2),
    (r"\sqrt{x}", sympy.sqrt(x)), (r"\sqrt[3]{x}", x ** sympy.Rational(1, 3)), (r"\sigma(z_i)", sigma(zi)),
    (r"\log x", sympy.log(x)), (r"\ln(x)", sympy.log(x)), (r"\exp(x)", sympy.exp(x)), (r"\sin^{2}{\left(x \right)}", sympy.sin(x) ** 2),
    (r"\mathrm{relu}(x)", sympy.Max(0, x)), (r"\operatorname{sigmoid}(x)", 1 / (1 + sympy.exp(-x))),
    (r"\left|x\right|", sympy.Abs(x)), (r"$x + 1$", x + 1), (r"x\,y", x * y),
    ("1e-3", sympy.Rational(1, 1000)), ("0.5", sympy.Rational(1, 2)), (".5x", x / 2), ("1.5e2", 150),
    ("2*(y_pred - y_true)*C_i*sigma'(z_i)", 2 * (yp - yt) * Ci * sympy.Derivative(sigma(zi), zi)),
    (r"2\left(y_{pred}-y_{\text{true}}\right)\cdot C_{i}\,\sigma'(z_{i})", 2 * (yp - yt) * Ci * sympy.Derivative(sigma(zi), zi)),
]


@pytest.mark.parametrize("text,expected", EQUAL)
def test_reads(text, expected):
    assert sympy.simplify(p(text) - expected) == 0


def test_declared_name_wins_over_builtin():
    g = sympy.Symbol("gamma", real=True)
    assert parse("gamma(a+b)", variables=("gamma", "a", "b")) == g * (a + b)
    e = sympy.Symbol("e", real=True)
    assert parse("e^x", variables=("e", "x")) == e**x
    assert parse("lambda x", variables=("lambda", "x")) == lam * x


def test_declared_multiletter_names_are_not_split():
    assert p("y_pred y_true") == yp * yt
    ab = sympy.Symbol("ab", real=True)
    assert parse("ab", variables=("a", "b", "ab")) == ab
    assert parse("ab", variables=("a", "b")) == a * b


def test_derivative_of_compound_argument():
    e = p("sigma'(2x)")
    assert isinstance(e, sympy.Subs)
    assert to_text(e) == "sigma'(2*x)"


REFUSED = [
    ("", "empty"), ("x +", "ends too early"), ("(x", "missing ')'"), ("x)", "unexpected"),
    ("foo", "unknown name 'foo'"), ("eval(x)", "unknown name 'eval'"), ("__import__('os')", "start with a letter"),
    ("x.__class__", "'.'"), ("x == 1", "comparisons"), ("x < 1", "comparisons"), ("3!", "'!'"),
    ("lambda x: x", "':'"), ("x; y", "unexpected character"), ("1 2", "two numbers"),
    ("[x]", "square brackets"), (r"\input{/etc/passwd}", r"\input"), (r"\write18{rm -rf /}", r"\write"),
    ("x\x00", "NUL"), ("x\u202e", "U+202E"), ("\u200fx", "U+200F"), ("nan", "finite"), ("inf", "finite"),
    ("9**9**9**9", "exponent is too large"), ("10^100000", "exponent is too large"), ("1/0", "division by zero"),
    ("sin'(x)", "prime"), ("sigma", "is a function"), ("sigma(x, y)", "one argument"), ("log(x, 2, 3)", "argument"),
    ("1" * 101, "digits"), ("x" * 2001, "characters"), ("(" * 5000 + "x" + ")" * 5000, "characters"),
    ("(" * 150 + "x" + ")" * 150, "nested"), ("-" * 500 + "x", "nested"), ("x^" * 300 + "x", "nested"),
    ("1＼2", "unexpected character"), ("#", "unexpected character"), ("x # comment", "unexpected character"),
    ("{1, 2, 3}", "expected '}'"), ("a & b", "unexpected character"), ("a | b", "missing '|'"),
    ("∪", "unexpected character"), (r"\infty", "infinity"), ("x__y", "empty subscript"), ("2^(2^(2^(2^2)))", "exponent"),
]


@pytest.mark.parametrize("text,fragment", REFUSED)
def test_refuses_with_position(text, fragment):
    with pytest.raises(AnswerParseError) as info:
        p(text)
    assert fragment in info.value.message
    assert info.value.position is not None
    assert "^" in info.value.caret()


def test_caret_points_at_bad_character():
    with pytest.raises(AnswerParseError) as info:
        p("x + qq * 2")
    assert info.value.caret().splitlines() == ["x + qq * 2", "    ^"]
    assert "variables: " in info.value.message and "sigma" in info.value.message


def test_limits_are_configurable():
    with pytest.raises(AnswerParseError, match="nested"):
        p("((x))", limits=Limits(max_depth=2))
    with pytest.raises(AnswerParseError, match="characters"):
        p("x+y", limits=Limits(max_chars=2))
    with pytest.raises(AnswerParseError, match="exponent"):
        p("x^11", limits=Limits(max_exponent=10))
    with pytest.raises(AnswerParseError, match="terms"):
        p("x+" * 20 + "x", limits=Limits(max_nodes=10))


AT_TOKEN = [  # (text, limits, message, position): each refusal points at the token where it arises
    ("2 + 1/0", Limits(), "division by zero", 5),
    ("(1+(1+(1+x)))", Limits(max_depth=3), "nested more than 3 levels", 4),
    ("1+(2*(x+1))", Limits(max_depth=3), "nested more than 3 levels", 5),
    ("x*x*x*x", Limits(max_nodes=5), "more than 5 terms", 6),
    ("2 x y + x", Limits(max_nodes=5), "more than 5 terms", 8),
    ("e^(1000)", Limits(), "e^1000 is out of range", 1),
    ("10^400", Limits(), "10⁴⁰⁰ is out of range", 2),
    ("x + exp(800)", Limits(), "exp(800) is out of range", 4),
    ("(-8)^(1/3)", Limits(), "(−8)^(1/3) has no real value", 4),
    ("sqrt(-1)", Limits(), "√(−1) has no real value", 0),
    ("log(0)", Limits(), "ln(0) is infinite", 0),
    # a divisor is zero exactly as its fractions say, even where a quotient or the doubles do not show it
    ("1/(0/3)", Limits(), "division by zero", 1),
    ("1/(2/3 - 4/6)", Limits(), "division by zero", 1),
    ("1/(0.1+0.2-0.3)", Limits(), "division by zero", 1),
    ("1/(0/pi)", Limits(), "1/(0/π) is infinite", 1),
    # powers and products starting with a bracket count their nesting and terms as + - * / do
    ("x^x^x^x", Limits(max_depth=3), "nested more than 3 levels", 6),
    ("x^(y^(z^(x^y)))", Limits(max_depth=4), "nested more than 4 levels", 6),
    ("x(x(x(x)))", Limits(max_depth=3), "nested more than 3 levels", 3),
    ("x^2 x^2 x^2", Limits(max_nodes=7), "more than 7 terms", 8),
    ("2^3 4", Limits(), "two numbers in a row", 4),
]


@pytest.mark.parametrize("text,limits,message,position", AT_TOKEN)
def test_refusals_point_at_their_token(text, limits, message, position):
    """Limits and values with no finite real value (found while constants are folded) are
    reported where they arise, whichever way the parser reads that part."""
    with pytest.raises(AnswerParseError) as info:
        p(text, limits=limits)
    assert message in info.value.message and info.value.position == position


NUMBERS = [("6", 6), ("-1.667", sympy.Rational(-1667, 1000)), ("1e-3", sympy.Rational(1, 1000)), ("-5/3", sympy.Rational(-5, 3)),
           ("−5/3", sympy.Rational(-5, 3)), ("sqrt(2)/2", sympy.sqrt(2) / 2), ("2^-3", sympy.Rational(1, 8)),
           (r"\frac{1}{2}", sympy.Rational(1, 2)), ("pi/4", sympy.pi / 4), ("e^2", sympy.exp(2)), ("log(8, 2)", 3)]


@pytest.mark.parametrize("text,value", NUMBERS)
def test_numbers(text, value):
    assert sympy.simplify(parse_number(text) - value) == 0


@pytest.mark.parametrize("text", ["sqrt(-1)", "(-2)^(1/2)", "sqrt(-2) + 3", "log(-1)", "acos(2)", "1/0", "0/0",
                                  "nan", "inf", "x", "i", "5 * i", "0^-1", "log(0)"])
def test_numbers_refused(text):
    with pytest.raises(AnswerParseError):
        parse_number(text)


# --- properties
_atoms = st.sampled_from(["x", "y", "2", "3", "1/2", "e", "pi", "y_pred", "z_i"])


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(_atoms)
    op = draw(st.sampled_from(["+", "-", "*", "/", "^", "f"]))
    left = draw(expressions(depth=depth - 1))
    if op == "f":
        return f"{draw(st.sampled_from(['sin', 'exp', 'sigma', 'tanh', 'sqrt', 'abs']))}({left})"
    right = draw(expressions(depth=depth - 1))
    if op == "^":
        right = draw(st.sampled_from(["2", "3", "-1", "1/2"]))
    return f"({left}){op}({right})"


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_any_text_raises_only_parse_errors(text):
    try:
        p(text)
    except AnswerParseError:
        pass


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="xyz_0123456789+-*/^()'{}|\\ .,eπσλ·−", max_size=40))
def test_mathlike_text_raises_only_parse_errors(text):
    try:
        p(text)
    except AnswerParseError:
        pass


@settings(max_examples=80, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_printed_expressions_round_trip(text):
    from grader.answers.expressions import Expression

    import sympy

    checker = Expression(variables=VARS, functions=FUNCS)
    try:
        expr = p(text)
    except AnswerParseError:
        return  # e.g. division by zero in the drawn text
    if expr.has(sympy.zoo, sympy.nan):
        return  # sin(pi)^(-1): refused as an answer (not a finite value), nothing to print
    for printed in (to_text(expr), to_latex(expr)):
        assert checker.compare(p(printed), expr).verdict in ("correct", "manual"), printed


@settings(max_examples=80, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_trees_print_in_notations_that_read_back(text):
    """What read_as shows (Unicode, LaTeX) and the canonical ASCII form parse back to the same."""
    from grader.answers import tree
    from grader.answers.expressions import Expression

    checker = Expression(variables=VARS, functions=FUNCS)
    try:
        node = checker.parse(text)
    except AnswerParseError:
        return  # e.g. division by zero in the drawn text
    for printed in (tree.to_ascii(node), tree.to_unicode(node), tree.to_latex(node)):
        assert checker.compare(checker.parse(printed), node).verdict in ("correct", "manual"), printed
