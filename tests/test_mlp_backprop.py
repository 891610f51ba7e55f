"""mlp-backprop: every symbolic reference against finite differences of the numeric network,
the seed's printed slips as misconceptions, follow-through for the step, both activations."""
import math

import pytest
import sympy

from grader import registry
from grader.answers.parser import parse
from grader.errors import InvalidParams
from grader.grading import grade, grade_part
from grader.problems.mlp_backprop import VARIABLES, MlpBackprop
from grader.testing import check_instance

SEED = {"k": 2, "activation": "sigmoid"}
SEED_EXPECT = {"dsigma": "s*(1-s)",
               "dL_dd": "2*(y_pred - y_true)",
               "dL_dC_i": "2*(y_pred - y_true)*sigma(z_i)",
               "dL_db_i": "2*(y_pred - y_true)*C_i*sigma'(z_i)",
               "dL_dA_i": "2*(y_pred - y_true)*C_i*sigma'(z_i)*x"}
H = 1e-6


@pytest.fixture(scope="module")
def problem():
    return registry.get("mlp-backprop")


def sigma_of(activation):
    t = sympy.Symbol("t")
    body = 1 / (1 + sympy.exp(-t)) if activation == "sigmoid" else sympy.tanh(t)
    return sympy.Lambda(t, body)


def loss(p, **changes):
    """L = (y_true − y_pred)² of the network with some weights replaced."""
    q = {**p, **changes}
    f = (lambda z: 1 / (1 + math.exp(-z))) if q["activation"] == "sigmoid" else math.tanh
    y = sum(c * f(a * q["x"] + b) for a, b, c in zip(q["A"], q["b"], q["C"])) + q["d"]
    return (q["y_true"] - y) ** 2


def nudged(vector, i, h):
    return [v + (h if j == i else 0) for j, v in enumerate(vector)]


def central(p, name, i=None):
    """∂L/∂(name[i]) by central differences."""
    if i is None:
        return (loss(p, **{name: p[name] + H}) - loss(p, **{name: p[name] - H})) / (2 * H)
    return (loss(p, **{name: nudged(p[name], i, H)}) - loss(p, **{name: nudged(p[name], i, -H)})) / (2 * H)


def value_at(text, c, i):
    """The reference expression `text` evaluated at hidden unit i of the numeric network."""
    expr = parse(text, variables=VARIABLES, functions=("sigma",))
    expr = expr.subs(sympy.Function("sigma"), sigma_of(c["activation"])).doit()
    env = {"y_pred": c["y_pred"], "y_true": c["y_true"], "z_i": c["z"][i], "x": c["x"], "C_i": c["C"][i]}
    return float(expr.subs({sympy.Symbol(k, real=True): v for k, v in env.items()}))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("seed", range(6))
def test_symbolic_references_match_finite_differences(problem, activation, seed):
    inst = problem.instance(seed, {"activation": activation})
    c = inst.context
    p = {"activation": activation, "x": c["x"], "y_true": c["y_true"], "A": c["A"], "b": c["b"],
         "C": c["C"], "d": c["d"]}
    # the partials, as the parts define them, at every hidden unit
    assert value_at(c["dL_dd"], c, 0) == pytest.approx(central(p, "d"), rel=1e-6)
    for i in range(c["k"]):
        assert value_at(c["dL_dC_i"], c, i) == pytest.approx(central(p, "C", i), rel=1e-6, abs=1e-9)
        assert value_at(c["dL_db_i"], c, i) == pytest.approx(central(p, "b", i), rel=1e-6, abs=1e-9)
        assert value_at(c["dL_dA_i"], c, i) == pytest.approx(central(p, "A", i), rel=1e-6, abs=1e-9)
        # σ' in terms of s = σ(z)
        s = sympy.Symbol("s", real=True)
        dsigma = float(parse(c["dsigma"], variables=("s",)).subs(s, c["s"][i]))
        f = sigma_of(activation)
        fd = (float(f(c["z"][i] + H)) - float(f(c["z"][i] - H))) / (2 * H)
        assert dsigma == pytest.approx(fd, rel=1e-6)
    # the numeric parts
    for i, g in enumerate(c["grad_b"]):
        assert g == pytest.approx(central(p, "b", i), rel=1e-6, abs=1e-9)
    assert c["b_next"] == pytest.approx([b - c["lr"] * g for b, g in zip(c["b"], c["grad_b"])])


def test_seed_case_expressions_grade_correct(problem):
    inst = problem.instance(0, SEED)
    for pid, text in SEED_EXPECT.items():
        result = grade_part(inst, inst.part(pid), text, {})
        assert result.verdict == "correct", (pid, result.feedback)


@pytest.mark.parametrize("pid, text", [("dL_db_i", "2*C_i*sigma'(z_i)"), ("dL_dA_i", "2*C_i*sigma'(z_i)*x")])
def test_seed_printed_solutions_are_named(problem, pid, text):
    inst = problem.instance(0, SEED)
    result = grade_part(inst, inst.part(pid), text, {})
    assert result.verdict == "incorrect" and result.misconception == "no-residual"
    assert "(y_pred − y_true)" in result.feedback


@pytest.mark.parametrize("pid, text, name", [
    ("dL_dd", "2*(y_true - y_pred)", "sign-error"),
    ("dL_dd", "y_pred - y_true", "missing-factor-2"),
    ("dL_dC_i", "2*(y_pred - y_true)*sigma'(z_i)", "derivative-for-activation"),
    ("dL_db_i", "2*(y_true - y_pred)*C_i*sigma'(z_i)", "sign-error"),
    ("dL_db_i", "2*(y_pred - y_true)*C_i*sigma(z_i)", "activation-for-derivative"),
    ("dL_db_i", "(y_pred - y_true)*C_i*sigma'(z_i)", "missing-factor-2"),
    ("dL_db_i", "2*(y_pred - y_true)*C_i*sigma(z_i)*(1 - sigma(z_i))", "specialised"),
    ("dL_dA_i", "2*(y_pred - y_true)*C_i*sigma'(z_i)", "missing-x"),
    ("dL_dA_i", "2*(y_pred - y_true)*C_i*sigma(z_i)*x", "activation-for-derivative"),
    ("dL_dA_i", "(y_pred - y_true)*C_i*sigma'(z_i)*x", "missing-factor-2"),
    ("dsigma", "-s*(1-s)", "lost-inner-sign"),
    ("dsigma", "1 - s^2", "tanh-derivative"),
])
def test_misconceptions_are_named(problem, pid, text, name):
    inst = problem.instance(3, SEED)
    result = grade_part(inst, inst.part(pid), text, {})
    assert (result.verdict, result.misconception) == ("incorrect", name), result.feedback


@pytest.mark.parametrize("pid, text", [
    ("dL_dd", "2(y_{pred} - y_{true})"),
    ("dL_db_i", "2 (y_{pred} - y_{true}) C_i \\sigma'(z_i)"),
    ("dL_db_i", "2(y_pred − y_true)·C_i·σ'(z_i)"),
    ("dL_dA_i", "2 x C_i sigma'(z_i) (y_pred - y_true)"),
    ("dL_dC_i", "2*y_pred*sigma(z_i) - 2*y_true*sigma(z_i)"),
    ("dsigma", "s - s^2"),
])
def test_usual_notations_are_accepted(problem, pid, text):
    inst = problem.instance(1, SEED)
    assert grade_part(inst, inst.part(pid), text, {}).verdict == "correct"


def test_tanh_derivative_and_its_misconceptions(problem):
    inst = problem.instance(2, {"activation": "tanh"})
    part = inst.part("dsigma")
    assert grade_part(inst, part, "1 - s^2", {}).verdict == "correct"
    assert grade_part(inst, part, "s*(1 - s)", {}).misconception == "sigmoid-derivative"
    assert grade_part(inst, part, "1 + s^2", {}).misconception == "sign-error"


def test_numeric_misconceptions_and_follow_through(problem):
    inst = problem.instance(4)
    c = inst.context
    sign = [-g for g in c["grad_b"]]
    assert grade_part(inst, inst.part("grad_b"), sign, {}).misconception == "sign-error"
    assert grade_part(inst, inst.part("grad_b"), c["grad_b_wrong"]["no-residual"], {}).misconception == "no-residual"
    # b_next from the student's own (wrong) gradient earns the follow-through credit
    own = [2 * g for g in c["grad_b"]]
    step = [b - c["lr"] * g for b, g in zip(c["b"], own)]
    result = grade(inst, {"grad_b": own, "b_next": step})
    verdicts = {p.id: (p.verdict, p.feedback) for p in result.parts}
    assert verdicts["grad_b"][0] == "incorrect"
    assert verdicts["b_next"][0] == "correct" and "Follow-through" in verdicts["b_next"][1]
    ascent = [b + c["lr"] * g for b, g in zip(c["b"], c["grad_b"])]
    assert grade_part(inst, inst.part("b_next"), ascent, {}).misconception == "gradient-ascent"


def test_drawn_numbers_are_for_a_calculator(problem):
    for seed in range(40):
        c = problem.instance(seed).context
        assert c["k"] in (2, 3)
        assert all(v in (-2, -1, -0.5, 0.5, 1, 2) for v in c["A"])
        assert all(v in (-1, 0, 1) for v in c["b"]) and all(v in (-2, -1, 1, 2) for v in c["C"])
        assert all(abs(z) <= 2.5 for z in c["z"]) and abs(c["residual"]) >= 0.2


class TanhVariant(MlpBackprop):
    """The same problem with tanh by default, so the contract covers that variant too."""

    params = tuple(p if p.name != "activation" else type(p)(**{**p.__dict__, "default": "tanh"})
                   for p in MlpBackprop.params)


def test_contract_holds_for_tanh():
    problem = TanhVariant()
    violations = [v for seed in range(12)
                  for v in check_instance(problem, seed, ("json", "md") if seed % 6 else ("terminal", "md", "tex", "html", "json"))]
    assert not violations, "\n".join(map(str, violations))


@pytest.mark.parametrize("pins, name", [
    ({"k": 2, "A": [1, 2, 3]}, "A"),
    ({"k": 3, "C": [1, 2]}, "C"),
    ({"lr": 0}, "lr"),
    ({"lr": -0.1}, "lr"),
    ({"activation": "relu"}, "activation"),
])
def test_bad_pins_name_the_parameter(problem, pins, name):
    with pytest.raises(InvalidParams) as err:
        problem.instance(0, pins)
    assert err.value.param == name and "\n" not in str(err.value)


def test_step_from_a_sign_flipped_gradient_gets_follow_through(problem):
    """Seed 1: b − α·(the student's own, sign-flipped gradient) looks like gradient ascent on the
    reference, but it is the step the solution promises credit for."""
    inst = problem.instance(1, {"k": 3, "activation": "sigmoid", "x": -1, "y_true": 2, "A": [0.5, -0.5, -2],
                                "b": [0, 0, -1], "C": [-2, -2, 2], "d": 1, "lr": 0.1})
    own = [-1.446, -1.446, 1.209]
    step = [b - 0.1 * g for b, g in zip(inst.context["b"], own)]
    result = {p.id: p for p in grade(inst, {"grad_b": own, "b_next": step}).parts}
    assert result["grad_b"].misconception == "sign-error"
    assert result["b_next"].verdict == "correct" and "Follow-through" in result["b_next"].feedback
    assert result["b_next"].misconception is None
