"""Backpropagation through a one-hidden-layer MLP with a scalar input (Midterm Review: Basics, Q1)."""
from __future__ import annotations

import math

from grader.answers.base import FollowThrough, Misconception
from grader.answers.lists import Vector
from grader.answers.numbers import sigfig_tolerance
from grader.params import Param, as_fraction, choice, integer, number, number_list
from grader.problem import Part, Problem, Redraw, Variety
from grader.registry import register

SIGMOID, TANH = "sigmoid", "tanh"
VARIABLES = ("y_pred", "y_true", "z_i", "x", "C_i")
VECTORS = ("A", "b", "C")
RESIDUAL = "(y_pred - y_true)"


def activate(name: str, z: float) -> float:
    return 1 / (1 + math.exp(-z)) if name == SIGMOID else math.tanh(z)


def derivative_from_output(name: str, s: float) -> float:
    """σ'(z) from s = σ(z): s(1 − s) for the sigmoid, 1 − s² for tanh."""
    return s * (1 - s) if name == SIGMOID else 1 - s * s


def fmt(v: float) -> str:
    """A value as shown in the worked solution: four significant figures."""
    text = f"{v:.4g}"
    return "0" if text == "-0" else text


def far_from(wrong, ref) -> bool:
    """True when some entry of `wrong` is well outside the 3-significant-figure tolerance of `ref`."""
    return any(abs(w - r) > 4 * max(sigfig_tolerance(r, 3), 1e-9) for w, r in zip(wrong, ref))


def distinct(wrong, ref):
    """`wrong` where a student could tell it from `ref` at 3 significant figures, else None."""
    return wrong if wrong is not None and far_from(wrong, ref) else None


def step(b, lr, grad):
    """One gradient-descent step b − lr·grad (None when the shapes disagree)."""
    if len(grad) != len(b):
        return None
    return [bi - lr * float(gi) for bi, gi in zip(b, grad)]


def expression(*factors: str) -> str:
    return "*".join(factors)


@register
class MlpBackprop(Problem):
    id = "mlp-backprop"
    title = "Backpropagation through a one-hidden-layer network"
    topic = "backpropagation"
    source = "Midterm Review: Basics, Q1"
    params = (
        Param("k", "integer", "number of hidden units", range="2..3", check=integer(1, 8)),
        Param("activation", "choice", "the hidden nonlinearity σ: sigmoid or tanh", default=SIGMOID,
              check=choice(SIGMOID, TANH)),
        Param("x", "number", "the scalar input", range="±0.5, ±1, 2", check=number(-100, 100)),
        Param("y_true", "number", "the label", range="integers -2..2", check=number(-100, 100)),
        Param("A", "list of numbers", "first-layer weights A ∈ ℝ^{k×1}, as k numbers",
              range="±0.5, ±1, ±2", check=number_list(1, 8)),
        Param("b", "list of numbers", "first-layer biases b ∈ ℝ^k", range="integers -1..1",
              check=number_list(1, 8)),
        Param("C", "list of numbers", "output weights C ∈ ℝ^{1×k}, as k numbers", range="±1, ±2",
              check=number_list(1, 8)),
        Param("d", "number", "output bias", range="integers -1..1", check=number(-100, 100)),
        Param("lr", "number", "learning rate α of the gradient step", range="0.1, 0.2, 0.5",
              check=number(0, strict_lo=True)),
    )
    example = {"k": 2, "activation": SIGMOID, "x": 1, "y_true": 1, "A": [1, -2], "b": [0, 1],
               "C": [2, -1], "d": 0, "lr": 0.5}
    part_ids = ("dsigma", "dL_dd", "dL_dC_i", "dL_db_i", "dL_dA_i", "grad_b", "b_next")
    paper = "the derivations are for paper; grad_b and b_next need a calculator (sigmoids of small numbers)"
    variety = Variety(parts={name: None for name in ("dsigma", "dL_dd", "dL_dC_i", "dL_db_i", "dL_dA_i")})

    def draw(self, rng, p):
        pick = lambda values, size=None: rng.choice(values, size=size).tolist()  # noqa: E731
        out = {}
        if "k" not in p:
            pinned = [len(p[name]) for name in VECTORS if name in p]
            out["k"] = pinned[0] if pinned else int(rng.integers(2, 4))
        k = out.get("k", p.get("k"))
        for name, values in (("x", [-1, -0.5, 0.5, 1, 2]), ("y_true", [-2, -1, 0, 1, 2]),
                             ("d", [-1, 0, 1]), ("lr", [0.1, 0.2, 0.5])):
            if name not in p:
                out[name] = pick(values)
        for name, values in (("A", [-2, -1, -0.5, 0.5, 1, 2]), ("b", [-1, 0, 1]), ("C", [-2, -1, 1, 2])):
            if name not in p:
                out[name] = pick(values, k)
        q = {**p, **out}
        if any(len(q[name]) != k for name in VECTORS):
            return out  # validate() names the parameter of the wrong length
        c = self.solve(q)
        if any(abs(z) > 2.5 for z in c["z"]) or len(set(c["z"])) < k or abs(c["residual"]) < 0.2:
            raise Redraw
        for part in self.numeric_parts(q):
            for m in part.misconceptions:
                wrong = m.answer(c)
                if wrong is not None and not far_from(wrong, c[part.id]):
                    raise Redraw
        if not far_from(c["b"], c["b_next"]):
            raise Redraw  # the step must visibly move b
        return out

    def validate(self, p):
        for name in VECTORS:
            if len(p[name]) != p["k"]:
                raise self.invalid(name, f"needs k = {p['k']} entries (one per hidden unit), got {len(p[name])}")

    def solve(self, p):
        act = p["activation"]
        x, y_true, d, lr = (float(as_fraction(n, p[n])) for n in ("x", "y_true", "d", "lr"))
        A, b, C = ([float(as_fraction(n, v)) for v in p[n]] for n in VECTORS)
        z = [a * x + bi for a, bi in zip(A, b)]
        s = [activate(act, zi) for zi in z]
        ds = [derivative_from_output(act, si) for si in s]
        y_pred = sum(ci * si for ci, si in zip(C, s)) + d
        r = y_pred - y_true
        grad_b = [2 * r * ci * di for ci, di in zip(C, ds)]
        b_next = step(b, lr, grad_b)
        shown = {name: [fmt(v) for v in values] for name, values in
                 (("z", z), ("s", s), ("ds", ds), ("grad_b", grad_b), ("b_next", b_next))}
        shown.update(y_pred=fmt(y_pred), residual=fmt(r), twice=fmt(2 * r))
        return {
            "activation": act, "k": p["k"], "x": x, "y_true": y_true, "d": d, "lr": lr,
            "A": A, "b": b, "C": C, "z": z, "s": s, "ds": ds, "y_pred": y_pred, "residual": r,
            "shown": shown,
            "dsigma": "s*(1 - s)" if act == SIGMOID else "1 - s^2",
            "dL_dd": expression("2", RESIDUAL),
            "dL_dC_i": expression("2", RESIDUAL, "sigma(z_i)"),
            "dL_db_i": expression("2", RESIDUAL, "C_i", "sigma'(z_i)"),
            "dL_dA_i": expression("2", RESIDUAL, "C_i", "sigma'(z_i)", "x"),
            "grad_b": grad_b,
            "b_next": b_next,
            "grad_b_wrong": {
                "no-residual": [2 * ci * di for ci, di in zip(C, ds)],
                "sign": [-g for g in grad_b],
                "activation-for-derivative": [2 * r * ci * si for ci, si in zip(C, s)],
                "missing-factor-2": [g / 2 for g in grad_b],
            },
        }

    @staticmethod
    def numeric_parts(p):
        """The numeric parts, graded to 3 significant figures; `b_next` follows through from `grad_b`."""
        wrong = lambda key: lambda c: distinct(c["grad_b_wrong"][key], c["grad_b"])  # noqa: E731
        return [
            Part("grad_b", Vector(partial=True, index="∂L/∂b_{i}"), points=2, misconceptions=(
                Misconception("no-residual", "You dropped the factor (y_pred − y_true) that ∂L/∂y_pred "
                              "contributes: ∂L/∂bᵢ = 2(y_pred − y_true)Cᵢσ'(zᵢ).", wrong("no-residual")),
                Misconception("sign-error", "Check the sign: ∂L/∂y_pred = 2(y_pred − y_true), not "
                              "2(y_true − y_pred).", wrong("sign")),
                Misconception("activation-for-derivative", "You used σ(zᵢ) where the chain rule needs "
                              "the derivative σ'(zᵢ).", wrong("activation-for-derivative")),
                Misconception("missing-factor-2", "You lost the factor 2 from differentiating the "
                              "square (y_true − y_pred)².", wrong("missing-factor-2")),
            )),
            Part("b_next", Vector(partial=True, index="b_{i}"), misconceptions=(
                Misconception("gradient-ascent", "You stepped along the gradient: descent subtracts it, "
                              "b − α∂L/∂b.", lambda c: distinct(step(c["b"], -c["lr"], c["grad_b"]), c["b_next"])),
                Misconception("missing-learning-rate", "You subtracted the whole gradient: scale it by the "
                              "learning rate α first.",
                              lambda c: distinct(step(c["b"], 1, c["grad_b"]), c["b_next"])),
            ), follow=FollowThrough(("grad_b",), lambda c, own: step(c["b"], c["lr"], own["grad_b"]))),
        ]

    def parts(self, p):
        from grader.answers.expressions import Expression

        chain = Expression(variables=VARIABLES, functions=("sigma",))
        act = p["activation"]
        s_form = "sigma(z_i)*(1 - sigma(z_i))" if act == SIGMOID else "(1 - sigma(z_i)^2)"

        def common(*factors):
            """Misconceptions every chain-rule part shares: sign, factor 2."""
            return (
                Misconception("sign-error", "Check the sign: ∂L/∂y_pred = 2(y_pred − y_true); "
                              "2(y_true − y_pred) is its negative.",
                              lambda c: expression("2", "(y_true - y_pred)", *factors)),
                Misconception("missing-factor-2", "You lost the factor 2 from differentiating the square "
                              "(y_true − y_pred)².", lambda c: expression(RESIDUAL, *factors)),
            )

        def through_hidden(*tail):
            """Misconceptions of the parts whose chain passes through the hidden unit."""
            return (
                Misconception("no-residual", "You dropped the factor (y_pred − y_true): the chain rule "
                              "starts from ∂L/∂y_pred = 2(y_pred − y_true), which multiplies every "
                              "gradient. (The solution printed in the course's midterm review makes the same slip.)",
                              lambda c: expression("2", "C_i", "sigma'(z_i)", *tail)),
                *common("C_i", "sigma'(z_i)", *tail),
                Misconception("activation-for-derivative", "You used σ(zᵢ) where the chain rule needs the "
                              "derivative σ'(zᵢ) of the hidden unit.",
                              lambda c: expression("2", RESIDUAL, "C_i", "sigma(z_i)", *tail)),
                Misconception("specialised", f"That holds for the {act} only. The question treats σ as an "
                              "arbitrary nonlinearity: write its derivative as sigma'(z_i).",
                              lambda c: expression("2", RESIDUAL, "C_i", s_form, *tail)),
            )

        dsigma_wrong = (
            (Misconception("lost-inner-sign", "Check the sign: d/dz e^{−z} = −e^{−z}, and the two minus "
                           "signs cancel, so σ' = σ(1 − σ) > 0.", lambda c: "-s*(1 - s)"),
             Misconception("tanh-derivative", "That is the derivative of tanh (1 − tanh²); the sigmoid's is "
                           "σ(1 − σ).", lambda c: "1 - s^2"))
            if act == SIGMOID else
            (Misconception("sign-error", "Check the sign: tanh' = 1/cosh² = 1 − tanh², which is at most 1.",
                           lambda c: "1 + s^2"),
             Misconception("sigmoid-derivative", "That is the derivative of the sigmoid, σ(1 − σ); for tanh "
                           "it is 1 − tanh².", lambda c: "s*(1 - s)")))
        return [
            Part("dsigma", Expression(variables=("s", "z"), functions=("sigma",), given={"s": "sigma(z)"}),
                 misconceptions=dsigma_wrong),
            Part("dL_dd", chain, misconceptions=common()),
            Part("dL_dC_i", chain, misconceptions=(
                *common("sigma(z_i)"),
                Misconception("derivative-for-activation", "∂y_pred/∂Cᵢ is the hidden unit's output σ(zᵢ), "
                              "not its derivative.", lambda c: expression("2", RESIDUAL, "sigma'(z_i)")),
            )),
            Part("dL_db_i", chain, misconceptions=through_hidden()),
            Part("dL_dA_i", chain, misconceptions=(
                *through_hidden("x"),
                Misconception("missing-x", "You forgot ∂zᵢ/∂Aᵢ = x: that is ∂L/∂bᵢ.",
                              lambda c: expression("2", RESIDUAL, "C_i", "sigma'(z_i)")),
            )),
            *self.numeric_parts(p),
        ]
