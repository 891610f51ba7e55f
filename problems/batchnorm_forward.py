"""Batch normalisation, forward pass (Midterm Review: Basics, Q3)."""
from __future__ import annotations

from fractions import Fraction
from collections import Counter
from functools import lru_cache
from math import factorial, isqrt, prod

from grader.answers.base import FollowThrough, Misconception
from grader.answers.lists import Vector
from grader.answers.numbers import Number
from grader.params import Param, as_fraction, number, number_list
from grader.problem import Part, Problem, Variety
from grader.registry import register


def exact_sqrt(x: Fraction):
    """√x as a Fraction when x is a rational square, else as a float."""
    n, d = x.numerator, x.denominator
    if n >= 0 and isqrt(n) ** 2 == n and isqrt(d) ** 2 == d:
        return Fraction(isqrt(n), isqrt(d))
    return float(x) ** 0.5


@lru_cache(maxsize=None)
def deviation_sets(m: int, bound: int = 10) -> dict[int, list[tuple[int, ...]]]:
    """Multisets of m integer deviations in [-bound, bound] that sum to 0 and whose variance is a
    perfect square other than 0 and 1 (batches with an exact mean, variance and output), keyed by
    that variance. Each has three or more distinct values and two or more magnitudes, so the
    output is not a pattern of ±1 or of two values."""
    out: dict[int, list[tuple[int, ...]]] = {}
    for dev in zero_sums(m, -bound, bound, 0):
        total = sum(d * d for d in dev)
        variance = total // m
        if total % m == 0 and variance > 1 and isqrt(variance) ** 2 == variance \
                and len(set(dev)) >= 3 and len({abs(d) for d in dev}) >= 2:
            out.setdefault(variance, []).append(dev)
    return out


def zero_sums(m: int, low: int, high: int, total: int):
    """Non-decreasing tuples of m integers in [low, high] that add up to -`total`, in order."""
    if m == 0:
        if total == 0:
            yield ()
        return
    for first in range(low, high + 1):
        rest = -total - first  # what the other m − 1 entries, each in [first, high], must add to
        if rest < (m - 1) * first:
            return
        if rest <= (m - 1) * high:
            for tail in zero_sums(m - 1, first, high, total + first):
                yield (first,) + tail


# m (the batch size) and how far from the mean an example may be: a wider reach for the small
# batches, whose deviation sets are few, so that no two of 300 seeds draw the same batch
SIZES = (4, 5, 5, 6, 6, 6)
REACH = {4: 20, 5: 15, 6: 10}
MEANS = tuple(v for v in range(-20, 31) if v)  # μ = 0 would hide a misconception


@lru_cache(maxsize=None)
def ordered_deviation_sets(m: int) -> tuple[list[tuple[int, ...]], list[float]]:
    """The deviation sets of a batch of m, each weighted by its number of orderings, so that
    every ordered batch is equally likely."""
    sets = [dev for variance in sorted(deviation_sets(m, REACH[m])) for dev in deviation_sets(m, REACH[m])[variance]]
    counts = [factorial(m) // prod(factorial(k) for k in Counter(dev).values()) for dev in sets]
    return sets, [c / sum(counts) for c in counts]


def normalise(batch, mean, variance, gamma, beta, eps):
    """γ(x − μ)/√(σ² + ε) + β for each x, exact where the root is rational; None if undefined."""
    if variance + eps <= 0:
        return None
    std = exact_sqrt(variance + eps)
    return [gamma * (x - mean) / std + beta for x in batch]


@register
class BatchnormForward(Problem):
    id = "batchnorm-forward"
    title = "Batch normalisation: the forward pass"
    topic = "normalisation"
    source = "Midterm Review: Basics, Q3"
    params = (
        Param("batch", "list of numbers", "the layer's outputs over a mini-batch of m examples",
              range="m = 4..6 integers (3 or more distinct) with an integer mean in −20..30 and a square variance",
              check=number_list(2, 32)),
        Param("gamma", "number", "scale γ", default=1, check=number()),
        Param("beta", "number", "shift β", default=0, check=number()),
        Param("eps", "number", "ε added to the variance", default=0, check=number(0)),
    )
    example = {"batch": [1, 7, 7, 9], "gamma": 1, "beta": 0, "eps": 0}
    paper = ("integer batches within 20 of an integer mean, with a square variance: every answer is a simple "
             "fraction")
    variety = Variety(parts={"distinct output magnitudes": 0.5})
    part_ids = ("mean", "variance", "output")

    def draw(self, rng, p):
        m = int(rng.choice(SIZES))
        sets, weights = ordered_deviation_sets(m)
        dev = list(sets[int(rng.choice(len(sets), p=weights))])
        rng.shuffle(dev)
        mean = int(rng.choice(MEANS))
        return {"batch": [mean + int(d) for d in dev]}

    def measures(self, p, ctx):
        return {"distinct output magnitudes": len({abs(v) for v in ctx["output"]})}

    def validate(self, p):
        batch = [as_fraction("batch", x) for x in p["batch"]]
        if len(set(batch)) == 1:
            raise self.invalid("batch", "a constant batch has zero variance: the output is undefined")

    def solve(self, p):
        x = [as_fraction("batch", v) for v in p["batch"]]
        gamma, beta, eps = (as_fraction(k, p[k]) for k in ("gamma", "beta", "eps"))
        m = len(x)
        mean = sum(x) / m
        dev = [v - mean for v in x]
        sq = sum(d * d for d in dev)
        variance = sq / m
        return {
            "m": m, "x": x, "gamma": gamma, "beta": beta, "eps": eps, "deviations": dev,
            "squares": [d * d for d in dev], "sum": sum(x), "sum_squares": sq,
            "std": exact_sqrt(variance + eps),
            "mean": mean, "variance": variance, "unbiased": sq / (m - 1),
            "output": normalise(x, mean, variance, gamma, beta, eps),
        }

    def parts(self, p):
        return [
            Part("mean", Number()),
            Part("variance", Number(), misconceptions=(
                Misconception("unbiased-variance",
                              "You divided by m − 1 (the unbiased estimate); batch normalisation uses the "
                              "batch's own variance, dividing by m.",
                              lambda c: c["unbiased"]),
                Misconception("standard-deviation",
                              "That is the standard deviation σ; the variance is σ².",
                              lambda c: exact_sqrt(c["variance"]) if c["variance"] not in (0, 1) else None),
            )),
            Part("output", Vector(partial=True, index="y_{i}"), misconceptions=(
                Misconception("unbiased-variance",
                              "You normalised with the unbiased variance (dividing by m − 1); use the "
                              "batch variance (dividing by m).",
                              lambda c: normalise(c["x"], c["mean"], c["unbiased"], c["gamma"], c["beta"], c["eps"])),
                Misconception("mean-not-subtracted",
                              "You forgot to subtract the mean μ before dividing.",
                              lambda c: normalise(c["x"], 0, c["variance"], c["gamma"], c["beta"], c["eps"])),
                Misconception("divided-by-variance",
                              "You divided by the variance σ²; divide by the standard deviation √(σ² + ε).",
                              lambda c: [c["gamma"] * d / (c["variance"] + c["eps"]) + c["beta"] for d in c["deviations"]]),
                Misconception("ignored-gamma-beta",
                              "You standardised but did not apply the scale γ and shift β.",
                              lambda c: None if (c["gamma"], c["beta"]) == (1, 0)
                              else normalise(c["x"], c["mean"], c["variance"], 1, 0, c["eps"])),
            ), follow=FollowThrough(("mean", "variance"), lambda c, own: normalise(
                c["x"], own["mean"], own["variance"], c["gamma"], c["beta"], c["eps"]))),
        ]
