"""Batch normalisation, backward pass (Midterm Review: Basics, Q4, and the full layer)."""
from __future__ import annotations

from fractions import Fraction

from grader.answers.base import Misconception
from grader.answers.lists import Vector
from grader.params import Param, as_fraction, choice, number, number_list
from grader.problem import Part, Problem, Redraw, Variety
from grader.problems.batchnorm_forward import BatchnormForward, exact_sqrt
from grader.registry import register

MEAN_ONLY, FULL = "mean-only", "full"
MAX_DENOMINATOR = 60  # drawn full-variant answers stay fractions a student can handle


def mean_only_grad(g, gamma, *, through_mean=True, own_path_only=False):
    """∂L/∂x of yᵢ = γ(xᵢ − μ) + β: γ(gᵢ − G/m); variants drop the paths through μ."""
    m, total = len(g), sum(g)
    if own_path_only:
        return [gamma * (1 - Fraction(1, m)) * gi for gi in g]
    return [gamma * (gi - (total / m if through_mean else 0)) for gi in g]


def full_grad(x, g, gamma, *, ddof=0, through_mean=True, through_var=True):
    """∂L/∂x of yᵢ = γ(xᵢ − μ)/σ + β with σ² = Σ(xⱼ − μ)²/(m − ddof), exact where σ is rational.

    Each path can be switched off: `through_mean`/`through_var` False treat μ/σ as constants.
    """
    m = len(x)
    mu = sum(x) / m
    dev = [v - mu for v in x]
    n = m - ddof
    std = exact_sqrt(sum(d * d for d in dev) / n)
    xhat = [d / std for d in dev]
    mean_g = sum(g) / m if through_mean else 0
    # ∂σ/∂xᵢ = x̂ᵢ/n, so the variance path contributes −x̂ᵢ Σⱼ gⱼx̂ⱼ / n
    var_term = sum(gj * xj for gj, xj in zip(g, xhat)) / n if through_var else 0
    return [gamma / std * (gi - mean_g - xi * var_term) for gi, xi in zip(g, xhat)]


@register
class BatchnormBackward(Problem):
    id = "batchnorm-backward"
    title = "Batch normalisation: the backward pass"
    topic = "normalisation"
    source = "Midterm Review: Basics, Q4"
    params = (
        Param("variant", "choice", "mean-only (yᵢ = γ(xᵢ − μ) + β, the layer of the midterm review) or full "
              "(yᵢ = γ(xᵢ − μ)/σ + β)", default=MEAN_ONLY, check=choice(MEAN_ONLY, FULL)),
        Param("batch", "list of numbers", "the layer's inputs x over a mini-batch of m examples",
              range="m = 4..6 integers with an integer mean and a square variance",
              check=number_list(1, 32)),
        Param("gamma", "number", "scale γ", range="1..3", check=number()),
        Param("grad_y", "list of numbers", "upstream gradients gᵢ = ∂L/∂yᵢ, one per example",
              range="integers -3..3", check=number_list(1, 32)),
    )
    example = {"variant": MEAN_ONLY, "batch": [1, 7, 7, 9], "gamma": 2, "grad_y": [1, 0, 0, 0]}
    part_ids = ("formula", "grad_x")
    paper = "integer batches and gradients; the full layer's answers are fractions with denominators up to 60"
    variety = Variety(parts={"formula": None})

    def draw(self, rng, p):
        out = {}
        if "batch" not in p:
            out["batch"] = BatchnormForward().draw(rng, {})["batch"]
            if "grad_y" in p and len(p["grad_y"]) != len(out["batch"]) and 4 <= len(p["grad_y"]) <= 6:
                raise Redraw  # a batch as long as the pinned gradients
        m = len(p.get("batch") or out["batch"])
        if "gamma" not in p:
            out["gamma"] = int(rng.integers(1, 4))
        if "grad_y" not in p:
            g = [int(v) for v in rng.integers(-3, 4, size=m)]
            if len(set(g)) < 2 or g.count(0) > m // 2:
                raise Redraw
            out["grad_y"] = g
        q = {**p, **out}
        self.validate(q)  # a pinned batch or grad_y that breaks the rules is reported, not redrawn
        ctx = self.solve(q)
        if not ctx["G"] or p["variant"] == FULL and not ctx["mean_gxhat"] or not any(ctx["grad_x"]):
            raise Redraw  # every path (through μ, through σ) must carry gradient, and some reach x
        if p["variant"] == FULL and any(
                isinstance(v, Fraction) and v.denominator > MAX_DENOMINATOR for v in ctx["grad_x"]):
            raise Redraw
        ref = Vector()
        for m_ in self.grad_misconceptions(p["variant"]):
            wrong = m_.answer(ctx)
            if wrong is not None and ref.same(ref.canonical(ref.reference(wrong)), ctx["grad_x"]):
                raise Redraw
        return out

    def validate(self, p):
        x = [as_fraction("batch", v) for v in p["batch"]]
        if len(x) < 2:
            raise self.invalid("batch", "a batch of one example has μ = x₁, so every output is β and "
                                        "no gradient flows: batch normalisation needs m ≥ 2")
        if len(p["grad_y"]) != len(x):
            raise self.invalid("grad_y", f"needs one upstream gradient per example: the batch has {len(x)}, "
                                         f"grad_y has {len(p['grad_y'])}")
        if p["variant"] == FULL and len(set(x)) == 1:
            raise self.invalid("batch", "a constant batch has zero variance: the full layer is undefined")

    def solve(self, p):
        x = [as_fraction("batch", v) for v in p["batch"]]
        g = [as_fraction("grad_y", v) for v in p["grad_y"]]
        gamma = as_fraction("gamma", p["gamma"])
        m = len(x)
        ctx = {"variant": p["variant"], "m": m, "x": x, "g": g, "gamma": gamma, "G": sum(g),
               "mean_g": sum(g) / m}
        if p["variant"] == MEAN_ONLY:
            ctx.update(formula="gamma*(g_i - G/m)", grad_x=mean_only_grad(g, gamma),
                       own_path=mean_only_grad(g, gamma, own_path_only=True),
                       mean_constant=mean_only_grad(g, gamma, through_mean=False))
            return ctx
        mu = sum(x) / m
        dev = [v - mu for v in x]
        variance = sum(d * d for d in dev) / m
        std = exact_sqrt(variance)
        xhat = [d / std for d in dev]
        gx = [gi * xi for gi, xi in zip(g, xhat)]
        ctx.update(
            mu=mu, dev=dev, variance=variance, std=std, xhat=xhat, g_xhat=gx,
            mean_gxhat=sum(gx) / m, scale=gamma / std,
            grad_x=full_grad(x, g, gamma),
            var_constant=full_grad(x, g, gamma, through_var=False),
            mean_constant=full_grad(x, g, gamma, through_mean=False),
            stats_constant=full_grad(x, g, gamma, through_mean=False, through_var=False),
            unbiased=full_grad(x, g, gamma, ddof=1),
        )
        return ctx

    @staticmethod
    def grad_misconceptions(variant):
        """The wrong gradients students give, for the numeric part of `variant`."""
        if variant == MEAN_ONLY:
            return (
                Misconception(
                    "own-path-only",
                    "You kept only the path through xᵢ's own output yᵢ, giving γ(1 − 1/m)gᵢ (the answer printed "
                    "in the course's midterm review). But μ feeds every output yⱼ, so xᵢ also reaches L through each "
                    "yⱼ with ∂yⱼ/∂xᵢ = −γ/m: summing all paths gives γ(gᵢ − G/m).",
                    lambda c: c["own_path"] if c["own_path"] != c["grad_x"] else None),
                Misconception(
                    "mean-constant",
                    "You treated the mean μ as a constant (∂L/∂xᵢ = γgᵢ). μ depends on every xᵢ: "
                    "subtract γG/m for the paths through μ.",
                    lambda c: c["mean_constant"] if c["G"] else None),
            )
        return (
            Misconception(
                "variance-constant",
                "You treated σ as a constant. The variance depends on every xᵢ too (∂σ/∂xᵢ = x̂ᵢ/m), "
                "which adds the term −x̂ᵢ·mean(g·x̂).",
                lambda c: c["var_constant"] if c["mean_gxhat"] else None),
            Misconception(
                "mean-constant",
                "You treated the mean μ as a constant. μ depends on every xᵢ: the paths through it "
                "subtract mean(g).",
                lambda c: c["mean_constant"] if c["G"] else None),
            Misconception(
                "statistics-constant",
                "You treated μ and σ as constants (∂L/∂xᵢ = γgᵢ/σ). Both are computed from the batch, "
                "so every xᵢ also reaches L through them.",
                lambda c: c["stats_constant"] if c["G"] or c["mean_gxhat"] else None),
            Misconception(
                "unbiased-variance",
                "You used the unbiased variance (dividing by m − 1). Batch normalisation divides by m, "
                "in σ² and in its derivative.",
                lambda c: c["unbiased"]),
        )

    def parts(self, p):
        from grader.answers.expressions import Expression

        grad = Part("grad_x", Vector(partial=True, index="∂L/∂x_{i}"), points=2 if p["variant"] == FULL else 1,
                    misconceptions=self.grad_misconceptions(p["variant"]))
        if p["variant"] == FULL:
            return [grad]
        formula = Part("formula", Expression(variables=("g_i", "G", "gamma", "m"), domain={"m": "positive"}), misconceptions=(
            Misconception(
                "own-path-only",
                "That is the answer printed in the course's midterm review, γ(1 − 1/m)gᵢ: it keeps only the path from xᵢ through "
                "its own output yᵢ. The mean μ feeds every yⱼ, so xᵢ also reaches L through each yⱼ "
                "(∂yⱼ/∂xᵢ = −γ/m for j ≠ i). Summing all paths: γ(gᵢ − G/m).",
                lambda c: "gamma*(1 - 1/m)*g_i"),
            Misconception(
                "mean-constant",
                "You treated the mean μ as a constant. It depends on every xᵢ (∂μ/∂xᵢ = 1/m), and it "
                "enters every output yⱼ: that adds −γG/m.",
                lambda c: "gamma*g_i"),
            Misconception(
                "missing-1-over-m",
                "You dropped the 1/m: μ = (1/m)Σⱼ xⱼ, so ∂μ/∂xᵢ = 1/m and the paths through μ carry "
                "−(γ/m)Σⱼ gⱼ = −γG/m.",
                lambda c: "gamma*(g_i - G)"),
        ))
        return [formula, grad]
