"""Expression answers: equal as real functions, decided by evaluating both sides at random points.

Both sides are SymPy trees built by `parser` (so they are trusted) and are evaluated by a small
tree walker over NumPy arrays: one vectorised pass per side covers every sample point. Declared
functions (an arbitrary nonlinearity `sigma`) are replaced, point by point, by random smooth
stand-ins whose derivatives are known in closed form, so `sigma'(z)` is consistent with
`sigma(z)` and an identity must hold for every smooth function to pass. Disagreements that
floating point could explain are re-checked at 40 digits with mpmath before an answer is
called wrong.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import mpmath
import numpy as np
import sympy
from sympy.core.function import AppliedUndef

from grader.answers.base import AnswerType, Outcome, check_size
from grader.answers.parser import DEFAULT_LIMITS, Limits, parse, to_latex, to_text
from grader.errors import AnswerParseError, GraderError

POINTS = 12  # sample points per round, drawn from continuous ranges
LATTICE = (-3, -2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2, 3)  # also sampled: where real powers of
LATTICE_POINTS = 64  # negative bases are defined, e.g. (a^b)^c and a^(b*c) differ at a<0, b=2
ROUNDS = 4  # rounds drawn before giving up on finding points where both sides are defined
MIN_VALID = 4  # points where both sides are defined needed for a verdict
RTOL, ATOL = 1e-11, 1e-12  # agreement in double precision
CLEAR = 1e-3  # a relative gap no rounding error explains
EXACT_RTOL = 1e-12  # agreement at 40 digits
CHECKED = 3  # doubtful points re-evaluated with mpmath

_DOMAINS = {"real": (-2.5, 2.5), "positive": (0.05, 3.0), "nonnegative": (0.0, 3.0),
            "negative": (-3.0, -0.05), "nonpositive": (-3.0, 0.0)}


class Undefined(Exception):
    """The expression has no real value at this point."""


# ---------------------------------------------------------------- evaluation of trusted trees
class _NumpyBackend:
    """Elementwise double-precision arithmetic: undefined values become NaN."""

    pi, e = math.pi, math.e
    funcs = {
        "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan,
        "sec": lambda x: 1 / np.cos(x), "csc": lambda x: 1 / np.sin(x), "cot": lambda x: 1 / np.tan(x),
        "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
        "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
        "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
        "Abs": np.abs, "sign": np.sign,
    }

    @staticmethod
    def number(x):
        return float(x)

    power = staticmethod(np.power)

    @staticmethod
    def maximum(args):
        return np.maximum.reduce(np.broadcast_arrays(*args))

    @staticmethod
    def minimum(args):
        return np.minimum.reduce(np.broadcast_arrays(*args))

    sin_ = staticmethod(np.sin)
    exp_ = staticmethod(np.exp)


def _real(x):
    if isinstance(x, mpmath.mpc):
        if x.imag != 0:
            raise Undefined
        return x.real
    return x


def _mp(fn):
    def wrapped(*args):
        try:
            return _real(fn(*args))
        except (ZeroDivisionError, ValueError):
            raise Undefined from None
    return wrapped


def _mp_log(x):
    if x <= 0:
        raise Undefined
    return mpmath.log(x)


class _MpBackend:
    """40-digit arithmetic for one point; anything non-real raises Undefined."""

    pi, e = mpmath.pi, mpmath.e
    funcs = {name: _mp(fn) for name, fn in {
        "exp": mpmath.exp, "log": _mp_log, "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan,
        "sec": mpmath.sec, "csc": mpmath.csc, "cot": mpmath.cot,
        "asin": mpmath.asin, "acos": mpmath.acos, "atan": mpmath.atan,
        "sinh": mpmath.sinh, "cosh": mpmath.cosh, "tanh": mpmath.tanh,
        "asinh": mpmath.asinh, "acosh": mpmath.acosh, "atanh": mpmath.atanh,
        "Abs": abs, "sign": mpmath.sign,
    }.items()}

    @staticmethod
    def number(x):
        return mpmath.mpf(x.p) / x.q if x.is_Rational else mpmath.mpf(str(x))

    @staticmethod
    def power(b, e):
        if b == 0 and e < 0:
            raise Undefined
        return _real(mpmath.power(b, e))

    @staticmethod
    def maximum(args):
        return max(args)

    @staticmethod
    def minimum(args):
        return min(args)

    sin_ = staticmethod(mpmath.sin)
    exp_ = staticmethod(mpmath.exp)


def _standin(c: dict, t, order: int, xp):
    """The `order`-th derivative of the stand-in c0 + c1 t + c2 t^2 + c3 t^3 + A sin(a t + b) + B exp(k t)."""
    poly = 0
    for j in range(order, 4):
        poly = poly + c[f"c{j}"] * (math.factorial(j) // math.factorial(j - order)) * t ** (j - order)
    wave = c["A"] * c["a"] ** order * xp.sin_(c["a"] * t + c["b"] + order * xp.pi / 2)
    growth = c["B"] * c["k"] ** order * xp.exp_(c["k"] * t)
    return poly + wave + growth


def evaluate(expr, env: dict, fenv: dict, xp=_NumpyBackend):
    """Value of a parsed expression; `env` maps variable names and `fenv` function names to
    stand-in coefficients. Raises Undefined (mpmath backend) or yields NaN (NumPy)."""
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_Number:
        return xp.number(expr)
    if expr is sympy.pi:
        return xp.pi
    if expr is sympy.E:
        return xp.e
    if expr.is_Add:
        total = evaluate(expr.args[0], env, fenv, xp)
        for a in expr.args[1:]:
            total = total + evaluate(a, env, fenv, xp)
        return total
    if expr.is_Mul:
        prod = evaluate(expr.args[0], env, fenv, xp)
        for a in expr.args[1:]:
            prod = prod * evaluate(a, env, fenv, xp)
        return prod
    if expr.is_Pow:
        base, exponent = expr.args
        return xp.power(evaluate(base, env, fenv, xp), evaluate(exponent, env, fenv, xp))
    if isinstance(expr, AppliedUndef):
        return _standin(fenv[expr.func.__name__], evaluate(expr.args[0], env, fenv, xp), 0, xp)
    if isinstance(expr, sympy.Derivative):
        inner = expr.expr
        (var, order), = expr.variable_count
        if not (isinstance(inner, AppliedUndef) and inner.args == (var,)):
            raise GraderError(f"cannot evaluate {expr}")
        return _standin(fenv[inner.func.__name__], env[var.name], int(order), xp)
    if isinstance(expr, sympy.Subs):
        deriv = expr.expr
        f = deriv.expr.func.__name__
        return _standin(fenv[f], evaluate(expr.point[0], env, fenv, xp), int(deriv.derivative_count), xp)
    if isinstance(expr, sympy.exp):
        return xp.funcs["exp"](evaluate(expr.args[0], env, fenv, xp))
    name = type(expr).__name__
    if name in ("Max", "Min"):
        args = [evaluate(a, env, fenv, xp) for a in expr.args]
        return xp.maximum(args) if name == "Max" else xp.minimum(args)
    if name in xp.funcs and len(expr.args) == 1:
        return xp.funcs[name](evaluate(expr.args[0], env, fenv, xp))
    raise GraderError(f"cannot evaluate {name} in {expr}")


# ---------------------------------------------------------------- sampling
def _draw_coefficients(rng, n: int) -> dict:
    u = lambda lo, hi: rng.uniform(lo, hi, n)  # noqa: E731
    return {"c0": u(-1, 1), "c1": u(-1, 1), "c2": u(-0.5, 0.5), "c3": u(-0.2, 0.2),
            "A": u(0.5, 1.5) * rng.choice([-1, 1], n), "a": u(0.5, 2), "b": u(0, 2 * math.pi),
            "B": u(-0.5, 0.5), "k": u(-0.5, 0.5)}


@dataclass(frozen=True)
class Expression(AnswerType):
    """An expression in declared variables and functions, e.g. `2*(y_pred - y_true)*sigma'(z)`.

    `domain` maps a variable to "positive", "nonnegative", "negative", "nonpositive", "real"
    or a (low, high) interval; undeclared variables take both signs. `assume` states the same
    as inequalities against a number ("x > 0", "t >= 1").
    """

    name: ClassVar[str] = "expression"
    sandboxed: ClassVar[bool] = True

    variables: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()
    domain: Any = None
    assume: tuple[str, ...] = ()
    sample_points: int = POINTS
    limits: Limits = field(default=DEFAULT_LIMITS)

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        set_("variables", tuple(self.variables))
        set_("functions", tuple(self.functions))
        set_("assume", tuple(self.assume))
        clash = set(self.variables) & set(self.functions)
        if clash:
            raise GraderError(f"{', '.join(sorted(clash))} declared both as variable and function")
        ranges = {}
        for var, spec in dict(self.domain or {}).items():
            ranges[var] = _DOMAINS[spec] if isinstance(spec, str) else tuple(map(float, spec))
        for text in self.assume:
            var, lo, hi = _bound(text)
            ranges[var] = (max(lo, ranges.get(var, (-math.inf,))[0]), min(hi, ranges.get(var, (0, math.inf))[1]))
        unknown = set(ranges) - set(self.variables)
        if unknown:
            raise GraderError(f"domain given for undeclared variable(s) {', '.join(sorted(unknown))}")
        set_("domain", tuple(sorted((k, _finite_range(v)) for k, v in ranges.items())) or None)

    # -- reading
    def parse(self, raw: Any):
        if raw is None or isinstance(raw, bool):
            raise AnswerParseError("expected an expression")
        if isinstance(raw, (int, float)):
            if isinstance(raw, float) and not math.isfinite(raw):
                raise AnswerParseError("the answer is not a finite number")
            raw = repr(raw)
        if not isinstance(raw, str):
            raise AnswerParseError(f"expected an expression as text, not a {type(raw).__name__}")
        check_size(raw, self.limits.max_chars)
        expr = _parse(raw, self.variables, self.functions, self.limits)
        if expr.has(sympy.I, sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise AnswerParseError("the answer is not real-valued (it contains an imaginary or "
                                   "infinite constant)", raw, None)
        return expr

    def reference(self, ref: Any):
        return ref if isinstance(ref, sympy.Basic) else self.parse(ref)

    # -- comparing
    def compare(self, sub, ref) -> Outcome:
        if sub == ref:
            return Outcome.correct("Correct.")
        with np.errstate(all="ignore"):
            return _Comparison(self, sub, ref).run()

    def _sample(self, rnd: int, seed: int) -> tuple[dict, dict]:
        return _samples(self.variables, self.functions, self.domain, self.sample_points, seed, rnd)

    # -- presenting
    def canonical(self, ref: Any) -> str:
        return ref.strip() if isinstance(ref, str) else to_text(self.reference(ref))

    def notations(self, ref: Any) -> list[str]:
        expr = self.reference(ref)
        seen = {self.canonical(ref)}
        out = []
        for text in (to_latex(expr), to_text(sympy.expand(expr))):
            if text not in seen:
                seen.add(text)
                out.append(text)
        return out

    def perturb(self, ref: Any, rng) -> list[str]:
        expr = self.reference(ref)
        wrong = [expr + 1]
        if expr != 0:
            wrong += [-expr, 2 * expr]
        if expr.is_Mul:
            factors = [a for a in expr.args if not a.is_Number]
            if len(factors) > 1:
                wrong += [expr / f for f in factors[:2]]
        return [to_text(w) for w in wrong]

    def show(self, parsed) -> dict:
        return {"text": to_text(parsed), "latex": to_latex(parsed)}

    def rule(self) -> str:
        names = ", ".join(self.variables) or "no variables"
        funcs = f" and for every smooth function {', '.join(self.functions)}" if self.functions else ""
        return (f"Type an expression in {names} (products with * or side by side, powers with ^); "
                f"it is accepted when it equals the answer for all values of the variables{funcs}.")


def _bound(text: str) -> tuple[str, float, float]:
    """'x > 0' -> ('x', 0, inf); '1 <= t' -> ('t', 1, inf)."""
    import re

    m = re.fullmatch(r"\s*([A-Za-z]\w*)\s*(>=|>|<=|<)\s*(-?[\d.]+)\s*", text) or \
        re.fullmatch(r"\s*(-?[\d.]+)\s*(>=|>|<=|<)\s*([A-Za-z]\w*)\s*", text)
    if not m:
        raise GraderError(f"cannot read the assumption {text!r}; write e.g. 'x > 0'")
    a, op, b = m.groups()
    if a[0].isalpha():
        var, num, upper = a, float(b), op.startswith("<")
    else:
        var, num, upper = b, float(a), op.startswith(">")
    return (var, -math.inf, num) if upper else (var, num, math.inf)


def _finite_range(r: tuple[float, float]) -> tuple[float, float]:
    lo, hi = r
    if lo > hi:
        raise GraderError(f"empty domain {r}")
    if math.isinf(lo) and math.isinf(hi):
        return _DOMAINS["real"]
    if math.isinf(lo):
        return (hi - 3.0, hi - 0.05)
    if math.isinf(hi):
        return (lo + 0.05, lo + 3.0)
    return (lo, hi)


@lru_cache(maxsize=4096)
def _parse(text: str, variables: tuple, functions: tuple, limits: Limits):
    return parse(text, variables=variables, functions=functions, limits=limits)


@lru_cache(maxsize=256)
def _samples(variables, functions, domain, n, seed, rnd):
    """Variable values and function stand-ins: `n` continuous points, then the lattice points."""
    rng = np.random.default_rng([seed, rnd])
    ranges = dict(domain or ())
    env = {}
    for v in variables:
        if v in ranges:
            lo, hi = ranges[v]
            cont = rng.uniform(lo, hi, n)
            grid = np.array([x for x in LATTICE if lo <= x <= hi] or [(lo + hi) / 2])
        else:
            cont = rng.uniform(0.2, 2.5, n) * rng.choice([-1.0, 1.0], n)
            grid = np.array(LATTICE)
        env[v] = np.concatenate([cont, rng.choice(grid, LATTICE_POINTS)])
    fenv = {f: _draw_coefficients(rng, n + LATTICE_POINTS) for f in functions}
    return env, fenv


@lru_cache(maxsize=1024)
def _seed(ref) -> int:
    """Sample points depend on the reference only, so its values can be cached."""
    return zlib.crc32(sympy.srepr(ref).encode())


@lru_cache(maxsize=1024)
def _reference_values(atype: Expression, ref, seed: int, rnd: int):
    env, fenv = atype._sample(rnd, seed)
    with np.errstate(all="ignore"):
        return _vector(ref, env, fenv, atype.sample_points)


def _vector(expr, env, fenv, n):
    values = evaluate(expr, env, fenv)
    return np.broadcast_to(np.asarray(values, dtype=float), (n + LATTICE_POINTS,))


def _at(env: dict, fenv: dict, i: int) -> tuple[dict, dict]:
    return ({k: float(v[i]) for k, v in env.items()},
            {f: {k: float(v[i]) for k, v in c.items()} for f, c in fenv.items()})


def _exact(expr, env, fenv) -> Any:
    """The value at one point at 40 digits, or None where it is undefined."""
    with mpmath.workdps(40):
        menv = {k: mpmath.mpf(v) for k, v in env.items()}
        mfenv = {f: {k: mpmath.mpf(v) for k, v in c.items()} for f, c in fenv.items()}
        try:
            value = evaluate(expr, menv, mfenv, _MpBackend)
        except (Undefined, ZeroDivisionError, OverflowError):
            return None
        return value if mpmath.isfinite(value) else None


class _Comparison:
    """One comparison of a submitted expression with a reference."""

    def __init__(self, atype: Expression, sub, ref):
        self.t, self.sub, self.ref = atype, sub, ref
        self.seed = _seed(ref)
        used = {s.name for s in (sub.free_symbols | ref.free_symbols)}
        self.shown = [v for v in atype.variables if v in used]

    def where(self, env: dict) -> str:
        point = ", ".join(f"{v} = {env[v]:.4g}" for v in self.shown)
        funcs = [f for f in self.t.functions if self.sub.has(sympy.Function(f)) or self.ref.has(sympy.Function(f))]
        generic = f" (for a generic smooth {', '.join(funcs)})" if funcs else ""
        return (f"at {point}{generic}" if point else f"{generic.strip()}").strip()

    def run(self) -> Outcome:
        n = self.t.sample_points
        valid_sub, valid_ref = [], []
        for rnd in range(ROUNDS):
            env, fenv = self.t._sample(rnd, self.seed)
            r = _reference_values(self.t, self.ref, self.seed, rnd)
            s = _vector(self.sub, env, fenv, n)
            r_nan, s_nan = np.isnan(r), np.isnan(s)
            both = np.isfinite(r) & np.isfinite(s)
            for i in np.flatnonzero((r_nan != s_nan)[:n])[:1]:
                if not (np.isinf(r[i]) or np.isinf(s[i])):
                    outcome = self.domain_mismatch(env, fenv, i)
                    if outcome:
                        return outcome
            close = np.abs(s - r) <= RTOL * np.maximum(np.abs(r), np.abs(s)) + ATOL * max(1.0, float(np.max(np.abs(r[both]), initial=0)))
            bad = np.flatnonzero(both & ~close)
            if bad.size:
                outcome = self.disagreement(env, fenv, s, r, bad)
                if outcome:
                    return outcome
            valid_sub.append(s[both])
            valid_ref.append(r[both])
            if sum(map(len, valid_sub)) >= MIN_VALID:
                return Outcome.correct("Correct.")
            if not self.shown and not self.t.functions:
                break
        return Outcome.manual("Could not find enough points where both your answer and the "
                              "expected expression are defined; left for a person to check.")

    def domain_mismatch(self, env, fenv, i) -> Outcome | None:
        penv, pfenv = _at(env, fenv, i)
        s, r = _exact(self.sub, penv, pfenv), _exact(self.ref, penv, pfenv)
        if (s is None) == (r is None):
            return None
        if s is None:
            return Outcome.incorrect(f"Your answer is undefined {self.where(penv)}, "
                                     "where the expected expression is defined.")
        return Outcome.incorrect(f"Your answer is defined {self.where(penv)}, where the expected "
                                 "expression is not: they are different functions.")

    def disagreement(self, env, fenv, s, r, bad) -> Outcome | None:
        gap = np.abs(s[bad] - r[bad]) / np.maximum(np.maximum(np.abs(r[bad]), np.abs(s[bad])), 1e-300)
        clear = bad[gap > CLEAR]
        if clear.size >= min(2, bad.size, len(s)) and clear.size:
            return self.wrong(env, s, r, int(clear[0]))
        for i in bad[:CHECKED]:
            penv, pfenv = _at(env, fenv, int(i))
            es, er = _exact(self.sub, penv, pfenv), _exact(self.ref, penv, pfenv)
            if es is None or er is None:
                continue
            if abs(es - er) > EXACT_RTOL * max(abs(es), abs(er)) + mpmath.mpf(10) ** -30:
                return self.wrong(env, s, r, int(i))
        return None

    def wrong(self, env, s, r, i) -> Outcome:
        both = np.isfinite(s) & np.isfinite(r)
        hint = ""
        if both.sum() >= 3:
            ss, rr = s[both], r[both]
            if np.all(np.abs(rr) > 1e-9):
                ratio = ss / rr
                if np.ptp(ratio) <= 1e-7 * max(1.0, abs(ratio[0])):
                    hint = (" It has the wrong sign." if abs(ratio[0] + 1) < 1e-7 else
                            f" It is a constant multiple ({ratio[0]:.4g} times) of the expected one.")
            diff = ss - rr
            if not hint and np.ptp(diff) <= 1e-7 * max(1.0, float(np.max(np.abs(rr)))):
                hint = f" It differs from the expected one by a constant ({diff[0]:.4g})."
        point = self.where({k: float(v[i]) for k, v in env.items()})
        return Outcome.incorrect(f"Not equal to the expected expression{' ' + point if point else ''}.{hint}")
