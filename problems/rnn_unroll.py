"""Unrolling an RNN: the hidden state, the impulse response (an RNN as an IIR filter),
stability, weight sharing across time, and beam search's cost with and without stored states
(the GNN/RNN lecture; Discussion 8, Q2(e)-(f))."""
from __future__ import annotations

import math
from fractions import Fraction

from grader.answers.base import Misconception
from grader.answers.choice import Boolean
from grader.answers.lists import Matrix, Vector
from grader.answers.numbers import Number
from grader.params import Param, as_fraction, choice, integer, number_list
from grader.problem import Part, Problem, Redraw, Variety
from grader.problems.gnn_message_passing import distinct, matvec
from grader.registry import register

TANH_TOLERANCE = {"rtol": 0.01, "atol": 0.001}
SCALAR_W = ("-2", "-3/2", "-1/2", "-1/3", "1/3", "1/2", "3/2", "2")
MATRIX_ENTRIES = (-1, "-1/2", 0, 0, "1/2", 1)


def _scalar_or_matrix(name, x):
    if isinstance(x, list):
        if not (1 <= len(x) <= 3 and all(isinstance(r, list) and len(r) == len(x) for r in x)):
            raise Problem.invalid(name, "expected a number (a scalar RNN) or a square matrix of size 1 to 3")
        for row in x:
            for v in row:
                as_fraction(name, v)
        return x
    as_fraction(name, x)
    return x


def _scalar_or_vector(name, x):
    if isinstance(x, list):
        return number_list(1, 3)(name, x)
    as_fraction(name, x)
    return x


def spectral_radius(W) -> float:
    import numpy as np

    return float(max(abs(np.linalg.eigvals(np.array(W, dtype=float)))))


def as_vector(x):
    return x if isinstance(x, list) else [x]


def shown(x):
    """A value for the worked solution: floats to 4 decimals, exact values as they are."""
    if isinstance(x, list):
        return [shown(v) for v in x]
    return round(x, 4) if isinstance(x, float) else x


def unroll(W, u, h0, xs, act):
    """The states h_1..h_T of h_t = act(W h_{t-1} + u x_t), with the pre-activations."""
    h, steps = h0, []
    for x in xs:
        pre = [a + b * x for a, b in zip(matvec(W, h), u)]
        steps.append({"x": x, "prev": h, "pre": pre, "h": act(pre)})
        h = steps[-1]["h"]
    return steps


def apply_tanh(v):
    return [math.tanh(float(a)) for a in v]


def apply_linear(v):
    return list(v)


@register
class RnnUnroll(Problem):
    id = "rnn-unroll"
    title = "Unrolling a recurrent network"
    topic = "recurrent networks"
    source = "Lecture: RNNs as IIR filters; Discussion 8, Q2(e)-(f)"
    params = (
        Param("activation", "choice", "the nonlinearity φ in h_t = φ(W h_{t-1} + u x_t)",
              range="linear (mostly) or tanh", check=choice("linear", "tanh")),
        Param("W", "number or matrix", "recurrent weight: a number (scalar RNN) or an n×n matrix",
              range="scalar ±1/3..±2, or 2×2 with entries in {-1, -1/2, 0, 1/2, 1}", check=_scalar_or_matrix),
        Param("u", "number or vector", "input weight (one entry per hidden unit)", range="integers -1..2",
              check=_scalar_or_vector),
        Param("h0", "number or vector", "initial hidden state h_0", range="integers -2..2", check=_scalar_or_vector),
        Param("x", "list of numbers", "the input sequence x_1..x_T", range="T = 3..4, integers -2..2",
              check=number_list(1, 8)),
        Param("n_hidden", "integer", "hidden size of the full-size RNN whose parameters are counted",
              range="32..512", check=integer(1, 100_000)),
        Param("n_input", "integer", "input size of that RNN", range="16..300", check=integer(1, 100_000)),
    )
    example = {"activation": "linear", "W": "1/2", "u": 1, "h0": 2, "x": [1, 0, -1],
               "n_hidden": 128, "n_input": 64}
    part_ids = ("hidden", "impulse", "stable", "param_count", "beam_cost", "beam_cost_no_state")
    paper = "linear steps with simple fractions (tanh variants need a calculator)"
    variety = Variety(parts={"beam_cost": None, "beam_cost_no_state": None})

    def draw(self, rng, p):
        out = {}
        if "activation" not in p:
            out["activation"] = "tanh" if rng.random() < 0.3 else "linear"
        if "W" not in p:
            if rng.random() < 0.5:
                out["W"] = str(rng.choice(SCALAR_W))
            else:
                W = [[MATRIX_ENTRIES[int(i)] for i in rng.integers(len(MATRIX_ENTRIES), size=2)] for _ in range(2)]
                if abs(spectral_radius(self._matrix(W)) - 1) < 0.1 or sum(v != 0 for r in W for v in r) < 3:
                    raise Redraw
                out["W"] = W
        W = p.get("W", out.get("W"))
        n = len(W) if isinstance(W, list) else 0
        for name, lo, hi in (("u", -1, 2), ("h0", -2, 2)):
            if name not in p:
                v = [int(x) for x in rng.integers(lo, hi + 1, size=max(n, 1))]
                if name == "u" and not any(v):
                    raise Redraw
                out[name] = v if n else v[0]
        if "x" not in p:
            xs = [int(v) for v in rng.integers(-2, 3, size=3 if n else int(rng.integers(3, 5)))]
            if xs[-1] == 0 or not any(xs[:-1]):
                raise Redraw
            out["x"] = xs
        if {**p, **out}["activation"] == "tanh" and not {"W", "u", "h0", "x"} <= set(p):
            q = {**p, **out}
            vec = lambda name: [as_fraction(name, v) for v in as_vector(q[name])]  # noqa: E731
            states = unroll(self._matrix(q["W"]), vec("u"), vec("h0"), vec("x"), apply_tanh)
            if any(abs(v) > 2.5 for s in states for v in s["pre"]):
                raise Redraw  # tanh saturated: every state would be ±1
        if "n_hidden" not in p:
            out["n_hidden"] = int(rng.choice([32, 64, 128, 256, 512]))
        if "n_input" not in p:
            out["n_input"] = int(rng.choice([16, 50, 100, 300]))
        return out

    def validate(self, p):
        W = p["W"]
        n = len(W) if isinstance(W, list) else 0
        for name in ("u", "h0"):
            value = p[name]
            if n and not (isinstance(value, list) and len(value) == n):
                raise self.invalid(name, f"must be a list of {n} numbers, one per hidden unit of W")
            if not n and isinstance(value, list):
                raise self.invalid(name, "must be a number: W is a number (a scalar RNN)")
        if not any(as_fraction("u", v) for v in as_vector(p["u"])):
            raise self.invalid("u", "is zero: the input never reaches the state")
        rho = spectral_radius(self._matrix(W))
        if abs(rho - 1) < 1e-9:
            raise self.invalid("W", "has spectral radius 1: stability is borderline, neither decaying nor growing")

    @classmethod
    def _entries_feedback(cls, W) -> str:
        """The entry-wise reading of stability, the way round this W's entries suggest it."""
        if all(abs(w) < 1 for row in cls._matrix(W) for w in row):
            return ("Entries below 1 in magnitude do not make W stable: look at its eigenvalues "
                    "(the spectral radius).")
        return ("An entry of magnitude 1 or more does not make W unstable: look at its eigenvalues "
                "(the spectral radius).")

    @staticmethod
    def _matrix(W):
        if isinstance(W, list):
            return [[as_fraction("W", v) for v in row] for row in W]
        return [[as_fraction("W", W)]]

    def solve(self, p):
        W = self._matrix(p["W"])
        scalar = not isinstance(p["W"], list)
        u = [as_fraction("u", v) for v in as_vector(p["u"])]
        h0 = [as_fraction("h0", v) for v in as_vector(p["h0"])]
        xs = [as_fraction("x", v) for v in p["x"]]
        T = len(xs)
        tanh = p["activation"] == "tanh"
        act = apply_tanh if tanh else apply_linear
        impulse_in = [Fraction(1)] + [Fraction(0)] * (T - 1)
        zero = [Fraction(0)] * len(u)
        steps = unroll(W, u, h0, xs, act)
        taps = unroll(W, u, zero, impulse_in, act)
        rho = spectral_radius(W)

        def value(v):
            return v[0] if scalar else v

        def states(seq):
            return [value(s["h"]) for s in seq]

        n_h, n_in = p["n_hidden"], p["n_input"]
        count = n_h * n_h + n_h * n_in + n_h
        entries_below_one = all(abs(w) < 1 for row in W for w in row)
        return {
            "scalar": scalar, "tanh": tanh, "n": len(u), "T": T, "W_rows": W, "u_vec": u, "h0_vec": h0,
            "xs": xs, "steps": [{k: shown(v) for k, v in s.items()} for s in steps],
            "taps": [{k: shown(v) for k, v in s.items()} for s in taps],
            "rho": rho, "rho_shown": round(rho, 4),
            "hidden": value(steps[-1]["h"]), "impulse": states(taps), "stable": rho < 1,
            "param_count": count, "beam_cost": "O(T*k*M*log(M))", "beam_cost_no_state": "O(T^2*k*M*log(M))",
            "wrong": {
                "one-short": value(steps[-2]["h"]) if T > 1 else None,
                "dropped-h0": value(unroll(W, u, zero, xs, act)[-1]["h"]),
                "no-activation": value(unroll(W, u, h0, xs, apply_linear)[-1]["h"]) if tanh else None,
                "includes-h0": [value(zero)] + states(taps)[:-1],
                "forgot-u": [W[0][0] ** t for t in range(T)] if scalar and not tanh else None,
                "impulse-linear": states(unroll(W, u, zero, impulse_in, apply_linear)) if tanh else None,
                "sign": (W[0][0] < 1) if scalar else None,
                "entries": entries_below_one if not scalar else None,
                "times-T": T * count, "no-bias": count - n_h, "square-input": 2 * n_h * n_h + n_h,
            },
        }

    def parts(self, p):
        scalar = not isinstance(p["W"], list)
        tanh = p["activation"] == "tanh"
        entry = Number(**TANH_TOLERANCE) if tanh else Number()
        state = entry if scalar else Vector(entry=entry)
        sequence = Vector(entry=entry, partial=True, index="h_{i}") if scalar \
            else Matrix(entry=entry, partial=True, index="h_{r}, entry {c}")

        kinds = {"hidden": state, "impulse": sequence}

        def wrong(name, part):
            return lambda c: distinct(c["wrong"][name], c[part], kinds.get(part))

        from grader.answers.bigo import BigO

        cost = BigO(variables=("T", "k", "M"), assume=("M >= k",))
        return [
            Part("hidden", state, misconceptions=(
                Misconception("one-short", "That is h_{T-1}: apply the update once per input, T times in all.",
                              wrong("one-short", "hidden")),
                Misconception("dropped-h0", "You started from 0; the recurrence starts from the given h_0.",
                              wrong("dropped-h0", "hidden")),
                Misconception("no-activation", "You left out the tanh; apply it after every step.",
                              wrong("no-activation", "hidden")),
            )),
            Part("impulse", sequence, misconceptions=(
                Misconception("includes-h0", "You listed h_0 = 0 first; the response starts at h_1, the "
                              "step where the impulse arrives.", wrong("includes-h0", "impulse")),
                Misconception("forgot-u", "The impulse enters through the input weight: h_t = W^{t-1} u, "
                              "not W^{t-1}.", wrong("forgot-u", "impulse")),
                Misconception("no-activation", "You left out the tanh; apply it after every step.",
                              wrong("impulse-linear", "impulse")),
            )),
            Part("stable", Boolean(explanation=(
                "The zero-input state evolves as h_t = W h_{t-1} (near 0 for tanh, whose slope there is 1): it "
                "decays exactly when every eigenvalue of W has magnitude below 1, the spectral radius "
                "ρ(W) < 1, like an IIR filter whose poles lie inside the unit circle.")), misconceptions=(
                Misconception("sign", "A negative weight below -1 makes the state alternate in sign while "
                              "growing: what matters is |w| < 1.", wrong("sign", "stable")),
                Misconception("entries", self._entries_feedback(p["W"]), wrong("entries", "stable")),
            )),
            Part("param_count", Number(exact=True), misconceptions=(
                Misconception("times-T", "The same weights are used at every time step: unrolling over T "
                              "steps does not multiply the parameters.", wrong("times-T", "param_count")),
                Misconception("no-bias", "You left out the bias b (n_hidden entries).", wrong("no-bias", "param_count")),
                Misconception("square-input", "The input weights map n_input to n_hidden: "
                              "n_hidden × n_input, not n_hidden².", wrong("square-input", "param_count")),
            )),
            Part("beam_cost", cost, misconceptions=(
                Misconception("no-stored-states", "That is the cost when the hidden states are not stored; "
                              "with each hypothesis's state kept, one step costs O(1) RNN work.",
                              lambda c: c["beam_cost_no_state"]),
                Misconception("forgot-k", "Each of the k hypotheses is extended and sorted at every step.",
                              lambda c: "O(T*M*log(M))"),
            )),
            Part("beam_cost_no_state", cost, misconceptions=(
                Misconception("stored-states", "That is the cost with stored hidden states; without them "
                              "each extension reruns the RNN over the whole prefix.", lambda c: c["beam_cost"]),
                Misconception("forgot-k", "Each of the k hypotheses is rerun, extended and sorted at every step.",
                              lambda c: "O(T^2*M*log(M))"),
            )),
        ]
