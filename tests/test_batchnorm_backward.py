"""batchnorm-backward: the seed's Q4 case and its printed slip, both variants against numeric
differentiation of the forward layer, misconceptions, bad pins."""
from fractions import Fraction

import numpy as np
import pytest
import sympy

from grader import registry
from grader.answers.parser import parse
from grader.errors import InvalidParams
from grader.grading import grade_part
from grader.problems.batchnorm_backward import BatchnormBackward, full_grad
from grader.testing import check_instance

SEED = {"variant": "mean-only", "batch": [1, 7, 7, 9], "gamma": 2, "grad_y": [1, 0, 0, 0]}
H = 1e-6


@pytest.fixture(scope="module")
def problem():
    return registry.get("batchnorm-backward")


def forward(x, gamma, variant, ddof=0):
    """The layer's outputs (β = 0), in floating point."""
    x = np.asarray(x, dtype=float)
    out = x - x.mean()
    if variant == "full":
        out = out / np.sqrt(((x - x.mean()) ** 2).sum() / (len(x) - ddof))
    return gamma * out


def numeric_grad(x, g, gamma, variant, ddof=0):
    """∂(Σ gⱼ yⱼ)/∂xᵢ by central differences: the gradient the upstream g induces."""
    x, g = np.asarray(x, dtype=float), np.asarray(g, dtype=float)
    out = []
    for i in range(len(x)):
        e = np.zeros(len(x))
        e[i] = H
        out.append((g @ forward(x + e, gamma, variant, ddof) - g @ forward(x - e, gamma, variant, ddof)) / (2 * H))
    return out


def test_seed_case(problem):
    inst = problem.instance(0, SEED)
    assert inst.context["grad_x"] == [Fraction(3, 2), Fraction(-1, 2), Fraction(-1, 2), Fraction(-1, 2)]
    assert grade_part(inst, inst.part("formula"), "gamma*(g_i - G/m)", {}).verdict == "correct"
    assert grade_part(inst, inst.part("grad_x"), ["3/2", "-1/2", "-1/2", "-1/2"], {}).verdict == "correct"


@pytest.mark.parametrize("text, name", [
    ("gamma*g_i*(1 - 1/m)", "own-path-only"),
    ("\\gamma (1 - \\frac{1}{m}) g_i", "own-path-only"),
    ("gamma*g_i", "mean-constant"),
    ("gamma*(g_i - G)", "missing-1-over-m"),
])
def test_formula_misconceptions(problem, text, name):
    inst = problem.instance(0, SEED)
    result = grade_part(inst, inst.part("formula"), text, {})
    assert (result.verdict, result.misconception) == ("incorrect", name)
    if name == "own-path-only":
        assert "μ" in result.feedback and "yⱼ" in result.feedback


def test_seed_printed_vector_is_named(problem):
    inst = problem.instance(0, SEED)
    # γ(1 − 1/m)gᵢ on the seed's numbers: [3/2, 0, 0, 0]
    result = grade_part(inst, inst.part("grad_x"), ["3/2", 0, 0, 0], {})
    assert result.misconception == "own-path-only"
    assert grade_part(inst, inst.part("grad_x"), [2, 0, 0, 0], {}).misconception == "mean-constant"


@pytest.mark.parametrize("seed", range(8))
def test_mean_only_formula_and_vector_match_numeric_gradient(problem, seed):
    inst = problem.instance(seed)
    c = inst.context
    fd = numeric_grad(c["x"], c["g"], float(c["gamma"]), "mean-only")
    assert [float(v) for v in c["grad_x"]] == pytest.approx(fd, abs=1e-6)
    formula = parse(c["formula"], variables=("g_i", "G", "gamma", "m"))
    sym = {n: sympy.Symbol(n, real=True) for n in ("g_i", "G", "gamma", "m")}
    for gi, expected in zip(c["g"], fd):
        value = formula.subs({sym["g_i"]: gi, sym["G"]: c["G"], sym["gamma"]: c["gamma"], sym["m"]: c["m"]})
        assert float(value) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_full_variant_matches_numeric_gradient(problem, seed):
    inst = problem.instance(seed, {"variant": "full"})
    c = inst.context
    assert inst.part_ids == ["grad_x"]
    assert all(isinstance(v, Fraction) for v in c["grad_x"])  # exact, for paper
    assert [float(v) for v in c["grad_x"]] == pytest.approx(numeric_grad(c["x"], c["g"], float(c["gamma"]), "full"), abs=1e-5)
    assert sum(c["grad_x"]) == 0 and sum(v * xh for v, xh in zip(c["grad_x"], c["xhat"])) == 0
    # the unbiased misconception is the true gradient of the layer that divides by m − 1
    assert [float(v) for v in c["unbiased"]] == pytest.approx(
        numeric_grad(c["x"], c["g"], float(c["gamma"]), "full", ddof=1), abs=1e-5)


def test_full_variant_misconceptions(problem):
    params = {"variant": "full", "batch": [1, 7, 7, 9], "gamma": 1, "grad_y": [1, 0, 0, 0]}
    inst = problem.instance(0, params)
    c = inst.context
    assert c["grad_x"] == full_grad(c["x"], c["g"], c["gamma"])
    part = inst.part("grad_x")
    for key, name in (("var_constant", "variance-constant"), ("mean_constant", "mean-constant"),
                      ("stats_constant", "statistics-constant"), ("unbiased", "unbiased-variance")):
        result = grade_part(inst, part, [str(v) if isinstance(v, Fraction) else v for v in c[key]], {})
        assert (result.verdict, result.misconception) == ("incorrect", name)


class FullVariant(BatchnormBackward):
    """The same problem with the full layer by default, so the contract covers that variant."""

    params = tuple(p if p.name != "variant" else type(p)(**{**p.__dict__, "default": "full"})
                   for p in BatchnormBackward.params)


def test_contract_holds_for_full_variant():
    problem = FullVariant()
    violations = [v for seed in range(15)
                  for v in check_instance(problem, seed, ("json",) if seed % 5 else ("terminal", "md", "tex", "html", "json"))]
    assert not violations, "\n".join(map(str, violations))


@pytest.mark.parametrize("pins, name", [
    ({"batch": [3], "grad_y": [1]}, "batch"),
    ({"batch": [1, 2, 3], "grad_y": [1, 2]}, "grad_y"),
    ({"variant": "full", "batch": [4, 4, 4], "grad_y": [1, 0, 0]}, "batch"),
    ({"variant": "both"}, "variant"),
])
def test_bad_pins_name_the_parameter(problem, pins, name):
    with pytest.raises(InvalidParams) as err:
        problem.instance(0, pins)
    assert err.value.param == name and "\n" not in str(err.value)


def test_batch_of_one_is_a_one_line_cli_error(invoke, write_json):
    params = write_json("p.json", {"batch": [5], "grad_y": [1]})
    result = invoke("new", "batchnorm-backward", "--params", params)
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "'batch'" in result.stderr
