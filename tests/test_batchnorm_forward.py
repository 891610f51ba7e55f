"""batchnorm-forward: exact hand-computable batches, named mistakes, follow-through."""
from fractions import Fraction

import pytest

from grader import registry
from grader.errors import InvalidParams
from grader.grading import grade

PROBLEM = registry.get("batchnorm-forward")
SEED = {"batch": [1, 7, 7, 9], "gamma": 1, "beta": 0, "eps": 0}


@pytest.mark.parametrize("seed", range(100))
def test_drawn_batches_are_exact_and_for_paper(seed):
    c = PROBLEM.instance(seed).context
    assert c["mean"].denominator == 1 and c["mean"] != 0
    assert isinstance(c["std"], Fraction) and c["std"].denominator == 1 and c["variance"] > 1
    assert all(isinstance(y, Fraction) for y in c["output"])
    assert 4 <= c["m"] <= 6 and all(abs(x) <= 50 and abs(d) <= 20 for x, d in zip(c["x"], c["deviations"]))
    assert len(set(c["x"])) >= 3, "a batch of two values makes a pattern, not an exercise"
    assert len({abs(y) for y in c["output"]}) >= 2, "an output of ±1 only"


def test_draws_vary():
    assert len({PROBLEM.instance(seed).fingerprint() for seed in range(1, 301)}) == 300


def part(inst, pid, answer):
    return next(p for p in grade(inst, {pid: answer}).parts if p.id == pid)


@pytest.mark.parametrize("pid, answer, name", [
    ("variance", 12, "unbiased-variance"),
    ("variance", 3, "standard-deviation"),
    ("output", ["-5/(2*sqrt(3))", "1/(2*sqrt(3))", "1/(2*sqrt(3))", "sqrt(3)/2"], "unbiased-variance"),
    ("output", ["1/3", "7/3", "7/3", "3"], "mean-not-subtracted"),
    ("output", ["-5/9", "1/9", "1/9", "1/3"], "divided-by-variance"),
])
def test_named_misconceptions(pid, answer, name):
    result = part(PROBLEM.instance(0, SEED), pid, answer)
    assert result.verdict == "incorrect" and result.misconception == name, result


def test_ignoring_gamma_and_beta_is_named_only_when_they_matter():
    scaled = PROBLEM.instance(0, dict(SEED, gamma=2, beta=1))
    result = part(scaled, "output", ["-5/3", "1/3", "1/3", "1"])
    assert result.misconception == "ignored-gamma-beta"
    assert part(scaled, "output", ["-7/3", "5/3", "5/3", "3"]).verdict == "correct"


def test_follow_through_from_the_students_own_mean_and_variance():
    inst = PROBLEM.instance(0, SEED)
    own = {"mean": 5, "variance": 16, "output": ["-1", "1/2", "1/2", "1"]}
    result = {p.id: p for p in grade(inst, own).parts}
    assert result["mean"].verdict == "incorrect"
    assert result["output"].verdict == "correct" and "Follow-through" in result["output"].feedback


def test_epsilon_gives_inexact_outputs_graded_by_significant_figures():
    inst = PROBLEM.instance(0, dict(SEED, eps=1))
    assert inst.context["output"][0] == pytest.approx(-5 / 10 ** 0.5)
    assert part(inst, "output", [-1.58, 0.316, 0.316, 0.949]).verdict == "correct"


@pytest.mark.parametrize("params, name", [
    (dict(SEED, batch=[2, 2, 2]), "batch"),
    (dict(SEED, batch=[3]), "batch"),
    (dict(SEED, eps=-0.1), "eps"),
    (dict(SEED, gamma="x"), "gamma"),
])
def test_degenerate_pins_are_refused(params, name):
    with pytest.raises(InvalidParams) as err:
        PROBLEM.instance(0, params)
    assert err.value.param == name
