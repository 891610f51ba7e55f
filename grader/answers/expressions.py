"""Expression answers: equal as real functions, decided by evaluating both sides at many points.

Both sides are light trees built by `parser` (so they are trusted) and are evaluated straight
from the tree over NumPy arrays: one vectorised pass per side covers every sample point. The
points are drawn at several scales (up to |x| ~ 10^3, or the declared domain), on a lattice
where real powers of negative bases are defined, and on both sides of every kink (the zero of
each relu/max/min/abs argument), so a difference far away or past a corner is seen. Declared
functions (an arbitrary nonlinearity `sigma`) are replaced, point by point, by random smooth
stand-ins whose derivatives are known in closed form, so an identity must hold for every
smooth function to pass. Disagreements that floating point could explain are re-checked with
mpmath (or, for rational functions, with Fractions) before an answer is called wrong. Where both
sides are rational functions written exactly, their values at a random point modulo a large
prime decide whether they are equal (equal rational functions agree there, different ones almost
never do), and sampling only shows where they differ; with relu, max, min or abs they are also
compared exactly at rational points before an answer is called correct.
SymPy is used only for the symbolic presentation of a reference (notations, perturbations).
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, ClassVar

import mpmath
import numpy as np

from grader.answers import tree as T
from grader.answers.base import Outcome, ReadAnswer, check_size
from grader.answers.parser import DEFAULT_LIMITS, Limits, parse_with
from grader.errors import AnswerParseError, GraderError

POINTS = 16  # sample points per round, drawn from continuous ranges
SIGN_PATTERNS = 4  # the first 16 points take every pattern of signs of the first 4 variables
LATTICE = (-3, -2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2, 3)  # also sampled: where real powers of
LATTICE_POINTS = 64  # negative bases are defined, e.g. (a^b)^c and a^(b*c) differ at a<0, b=2
SCALE_POINTS = 12  # points far out, |x| from 10 to 10^3 (within the domain)
KINK_OFFSETS = (-1e-1, -1e-3, 1e-3, 1e-1)  # relative offsets on both sides of a kink
MAX_KINKS = 8
ROUNDS = 4  # rounds drawn before giving up on finding points where both sides are defined
MIN_VALID = 4  # points where both sides are defined needed for a verdict
RTOL, ATOL = 1e-11, 1e-12  # agreement in double precision
AGREE = (ATOL / 2) ** 2  # a sum of squared gaps below this (even as rounded) has every gap < ATOL
CLEAR = 1e-3  # a relative gap no rounding error explains (at the small-scale points)
EXACT_RTOL = 1e-12  # agreement at high precision
DIGITS = (40, 80)  # mpmath precisions: near the origin, far out
CHECKED = 3  # doubtful points re-evaluated with mpmath
SEED = 20240917  # of the sample points
MAX_EXACT_BITS = 1 << 16  # bound on the size of one exact rational power
FRACTION_POINTS = 2  # rational points for the exact check where relu, max, min or abs need order
PRIME = (1 << 61) - 1  # exact evaluation of rational functions modulo a prime

_INF = math.inf
_DOMAINS = {"real": (-_INF, _INF), "positive": (0.0, _INF), "nonnegative": (0.0, _INF),
            "negative": (-_INF, 0.0), "nonpositive": (-_INF, 0.0)}
_KINKS = T.KINKS
_ARITHMETIC = frozenset("+-*/")
_RING = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_PROFILES: dict[int, tuple] = {}  # id of a parsed tree -> (tree, its profile), as the builder saw it
# Recent parses only (a reference graded against a run of answers, an answer checked against its
# misconceptions): thousands of trees and profiles kept alive would cost the garbage collector
# more than parsing saves, and nothing when every answer is new.
MAX_PROFILES = RECENT_PARSES = 64


class Undefined(Exception):
    """The expression has no (real, or exact) value at this point."""


class Inexact(Exception):
    """The expression has no exact evaluation (a transcendental function, a real power)."""


# ---------------------------------------------------------------- backends
def _softplus_np(x):
    return np.logaddexp(0.0, x)


class _NumpyBackend:
    """Elementwise double-precision arithmetic: undefined values become NaN (`_values` is its
    evaluator)."""

    pi, e = math.pi, math.e
    funcs = {
        "exp": np.exp, "log": np.log, "log10": np.log10, "sqrt": np.sqrt, "abs": np.abs,
        "sin": np.sin, "cos": np.cos, "tan": np.tan,
        "sec": lambda x: 1 / np.cos(x), "csc": lambda x: 1 / np.sin(x), "cot": lambda x: 1 / np.tan(x),
        "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
        "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
        "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
        "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "softplus": _softplus_np,
        "relu": lambda x: np.maximum(0.0, x),
    }

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


def _mp_sqrt(x):
    if x < 0:
        raise Undefined
    return mpmath.sqrt(x)


class _MpBackend:
    """High-precision arithmetic for one point; anything non-real raises Undefined."""

    pi, e = mpmath.pi, mpmath.e
    funcs = {name: _mp(fn) for name, fn in {
        "exp": mpmath.exp, "log": _mp_log, "log10": lambda x: _mp_log(x) / mpmath.log(10),
        "sqrt": _mp_sqrt, "abs": abs,
        "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan,
        "sec": mpmath.sec, "csc": mpmath.csc, "cot": mpmath.cot,
        "asin": mpmath.asin, "acos": mpmath.acos, "atan": mpmath.atan,
        "sinh": mpmath.sinh, "cosh": mpmath.cosh, "tanh": mpmath.tanh,
        "asinh": mpmath.asinh, "acosh": mpmath.acosh, "atanh": mpmath.atanh,
        "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)), "softplus": lambda x: mpmath.log(1 + mpmath.exp(x)),
        "relu": lambda x: max(mpmath.mpf(0), x),
    }.items()}

    @staticmethod
    def number(node):
        return mpmath.mpf(node[1]) if node[2] == 1 else mpmath.mpf(node[1]) / node[2]

    @staticmethod
    def power(b, e):
        if b == 0 and e < 0:
            raise Undefined
        return _real(mpmath.power(b, e))

    @staticmethod
    def divide(a, b):
        if b == 0:
            raise Undefined
        return a / b

    @staticmethod
    def maximum(args):
        return max(args)

    @staticmethod
    def minimum(args):
        return min(args)

    sin_ = staticmethod(mpmath.sin)
    exp_ = staticmethod(mpmath.exp)


class _ModularBackend:
    """Exact arithmetic modulo a large prime: equal rational functions agree at every point,
    different ones at almost none."""

    funcs: dict = {}

    @staticmethod
    def number(node):
        if node[2] == 1:
            return node[1] % PRIME
        if node[2] % PRIME == 0:
            raise Undefined
        return node[1] * pow(node[2], -1, PRIME) % PRIME

    @staticmethod
    def differ(a, b) -> bool:
        return (a - b) % PRIME != 0

    @staticmethod
    def power(b, e):
        if b % PRIME == 0 and e < 0:
            raise Undefined
        return pow(b, e, PRIME)

    @staticmethod
    def divide(a, b):
        if b % PRIME == 0:
            raise Undefined
        return a * pow(b, -1, PRIME) % PRIME


class _FractionBackend:
    """Exact rational arithmetic at rational points (for relu, max, min, abs, which need order)."""

    funcs = {"abs": abs, "relu": lambda x: max(Fraction(0), x)}

    @staticmethod
    def number(node):
        return Fraction(node[1], node[2])

    @staticmethod
    def power(b, e):
        if b == 0 and e < 0:
            raise Undefined
        if abs(e) * max(b.numerator.bit_length(), b.denominator.bit_length()) > MAX_EXACT_BITS:
            raise Inexact  # too large to be worth computing exactly
        return b ** e

    @staticmethod
    def divide(a, b):
        if b == 0:
            raise Undefined
        return a / b

    maximum = staticmethod(max)
    minimum = staticmethod(min)


class _Coefficients(dict):
    """A stand-in's coefficients (name -> values), with its derivatives' coefficients memoised."""

    __slots__ = ("memo",)


def _standin(c: dict, t, order: int, xp):
    """The `order`-th derivative of the stand-in c0 + c1 t + c2 t^2 + c3 t^3 + A sin(a t + b) + B exp(k t)."""
    memo = getattr(c, "memo", None)
    terms = memo.get(order) if memo is not None else None
    if terms is None:
        poly = [c[f"c{j}"] * (math.factorial(j) // math.factorial(j - order)) for j in range(order, 4)]
        terms = (poly, c["A"] * c["a"] ** order, c["b"] + order * xp.pi / 2, c["B"] * c["k"] ** order)
        if memo is not None:
            memo[order] = terms
    poly, amplitude, phase, growth = terms
    value = poly[-1] if poly else 0
    for coefficient in reversed(poly[:-1]):
        value = value * t + coefficient
    return value + amplitude * xp.sin_(c["a"] * t + phase) + growth * xp.exp_(c["k"] * t)


def evaluate(node: tuple, env: dict, fenv: dict, xp=_NumpyBackend):
    """Value of a parsed tree; `env` maps variable names and `fenv` function names to stand-in
    coefficients. Undefined values are NaN (NumPy) or raise Undefined (the other backends)."""
    if xp is _NumpyBackend:
        return _values(node, env, fenv)
    op = node[0]
    if op in _ARITHMETIC:
        a, b = node[1], node[2]
        k = a[0]
        x = env[a[1]] if k == "s" else xp.number(a) if k == "n" else evaluate(a, env, fenv, xp)
        k = b[0]
        y = env[b[1]] if k == "s" else xp.number(b) if k == "n" else evaluate(b, env, fenv, xp)
        return xp.divide(x, y) if op == "/" else _RING[op](x, y)
    if op == "s":
        return env[node[1]]
    if op == "n":
        return xp.number(node)
    if op == "neg":
        return -evaluate(node[1], env, fenv, xp)
    if op == "^":
        exponent = node[2]
        if xp is _ModularBackend or xp is _FractionBackend:
            if exponent[0] == "n" and exponent[2] == 1:
                return xp.power(evaluate(node[1], env, fenv, xp), exponent[1])
            k = T.constant(exponent)
            if k is None or k.denominator != 1:
                raise Inexact
            return xp.power(evaluate(node[1], env, fenv, xp), int(k))
        return xp.power(evaluate(node[1], env, fenv, xp), evaluate(exponent, env, fenv, xp))
    if op == "c":
        if not hasattr(xp, "pi"):
            raise Inexact
        return xp.pi if node[1] == "pi" else xp.e
    if op == "f":
        name, args = node[1], node[2]
        if name in ("max", "min") and hasattr(xp, "maximum"):
            vals = [evaluate(a, env, fenv, xp) for a in args]
            return xp.maximum(vals) if name == "max" else xp.minimum(vals)
        fn = xp.funcs.get(name)
        if fn is None:
            raise Inexact
        if len(args) == 2:  # log(x, base)
            return xp.divide(fn(evaluate(args[0], env, fenv, xp)), fn(evaluate(args[1], env, fenv, xp)))
        return fn(evaluate(args[0], env, fenv, xp))
    if op == "d":
        if not hasattr(xp, "sin_"):
            raise Inexact
        return _standin(fenv[node[1]], evaluate(node[3], env, fenv, xp), node[2], xp)
    raise GraderError(f"cannot evaluate {op!r}")


_BINARY = frozenset("+-*/^")
_NP_FUNCS = _NumpyBackend.funcs
# reductions without the Python wrapper of ndarray.all, .any, .max, .min
_ALL, _ANY, _MAX, _MIN = np.logical_and.reduce, np.logical_or.reduce, np.maximum.reduce, np.minimum.reduce


def _values(node: tuple, env: dict, fenv: dict):
    """`evaluate` on NumPy arrays, the hot path: the same operations, with variables and numbers
    read in place rather than by a call each."""
    op = node[0]
    if op in _BINARY:
        a, b = node[1], node[2]
        k = a[0]
        x = env[a[1]] if k == "s" else a[3] if k == "n" else _values(a, env, fenv)
        k = b[0]
        y = env[b[1]] if k == "s" else b[3] if k == "n" else _values(b, env, fenv)
        if type(x) is float and op != "^":  # Python's float would be asked first, and decline
            return y * x if op == "*" else y + x if op == "+" else \
                y.__rsub__(x) if op == "-" else y.__rtruediv__(x)
        if op == "^":
            return np.power(x, y)
        return x / y if op == "/" else _RING[op](x, y)
    if op == "s":
        return env[node[1]]
    if op == "n":
        return node[3]
    if op == "neg":
        return -_values(node[1], env, fenv)
    if op == "f":
        name, args = node[1], node[2]
        if name == "max" or name == "min":
            vals = np.broadcast_arrays(*[_values(a, env, fenv) for a in args])
            return (np.maximum if name == "max" else np.minimum).reduce(vals)
        fn = _NP_FUNCS.get(name)
        if fn is None:
            raise Inexact
        if len(args) == 2:  # log(x, base)
            return fn(_values(args[0], env, fenv)) / fn(_values(args[1], env, fenv))
        return fn(_values(args[0], env, fenv))
    if op == "d":
        return _standin(fenv[node[1]], _values(node[3], env, fenv), node[2], _NumpyBackend)
    if op == "c":
        return math.pi if node[1] == "pi" else math.e
    raise GraderError(f"cannot evaluate {op!r}")


# ---------------------------------------------------------------- sampling
def _draw_coefficients(rng, n: int) -> dict:
    u = lambda lo, hi: rng.uniform(lo, hi, n)  # noqa: E731
    c = _Coefficients(c0=u(-1, 1), c1=u(-1, 1), c2=u(-0.5, 0.5), c3=u(-0.2, 0.2),
                      A=u(0.5, 1.5) * rng.choice([-1, 1], n), a=u(0.5, 2), b=u(0, 2 * math.pi),
                      B=u(-0.5, 0.5), k=u(-0.5, 0.5))
    c.memo = {}
    return c


def _window(lo: float, hi: float) -> tuple[float, float]:
    """Where the small-scale points of a domain are drawn."""
    if math.isinf(lo) and math.isinf(hi):
        return (-2.5, 2.5)
    if math.isinf(lo):
        return (hi - 3.0, hi - 0.05)
    if math.isinf(hi):
        return (lo + 0.05, lo + 3.0)
    return (lo, hi)


def _far(rng, lo: float, hi: float, n: int):
    """Points far from the origin: |x| from 10 to 10^3, or across a bounded domain."""
    if not (math.isinf(lo) or math.isinf(hi)):
        return rng.uniform(lo, hi, n)
    size = 10 ** rng.uniform(1, 3, n)
    if math.isinf(lo) and math.isinf(hi):
        return size * rng.choice([-1.0, 1.0], n)
    return lo + size if math.isinf(hi) else hi - size


@lru_cache(maxsize=256)
def _samples(variables, functions, domain, n, seed, rnd):
    """Variable values and function stand-ins: `n` continuous points, the lattice points, then
    the far points."""
    rng = np.random.default_rng([seed, rnd])
    ranges = dict(domain or ())
    env = {}
    for k, v in enumerate(variables):
        if v in ranges:
            lo, hi = ranges[v]
            wlo, whi = _window(lo, hi)
            cont = rng.uniform(wlo, whi, n)
            grid = np.array([x for x in LATTICE if wlo <= x <= whi] or [(wlo + whi) / 2])
        else:
            lo, hi = -_INF, _INF
            signs = rng.choice([-1.0, 1.0], n)
            if k < SIGN_PATTERNS:  # every pattern of signs of the first variables occurs
                signs[:1 << SIGN_PATTERNS] = [(-1.0) ** (j >> k & 1) for j in range(min(n, 1 << SIGN_PATTERNS))]
            cont = rng.uniform(0.2, 2.5, n) * signs
            grid = np.array(LATTICE)
        env[v] = np.concatenate([cont, rng.choice(grid, LATTICE_POINTS), _far(rng, lo, hi, SCALE_POINTS)])
    fenv = {f: _draw_coefficients(rng, n + LATTICE_POINTS + SCALE_POINTS) for f in functions}
    return env, fenv


@dataclass(frozen=True)
class Expression(ReadAnswer):
    """An expression in declared variables and functions, e.g. `2*(y_pred - y_true)*sigma'(z)`.

    `domain` maps a variable to "positive", "nonnegative", "negative", "nonpositive", "real"
    or a (low, high) interval; undeclared variables take both signs. `assume` states the same
    as inequalities against a number ("x > 0", "t >= 1"). `given` names variables that stand
    for an expression ({"s": "sigma(z)"}): an answer may use either.
    """

    name: ClassVar[str] = "expression"
    sandboxed: ClassVar[bool] = True
    needs: ClassVar[tuple[str, ...]] = ("numpy", "mpmath")

    variables: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()
    domain: Any = None
    assume: tuple[str, ...] = ()
    given: Any = ()
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
            old = ranges.get(var, (-_INF, _INF))
            ranges[var] = (max(lo, old[0]), min(hi, old[1]))
        unknown = set(ranges) - set(self.variables)
        if unknown:
            raise GraderError(f"domain given for undeclared variable(s) {', '.join(sorted(unknown))}")
        for r in ranges.values():
            if r[0] > r[1]:
                raise GraderError(f"empty domain {r}")
        set_("domain", tuple(sorted(ranges.items())) or None)
        given = tuple(sorted(dict(self.given).items()))
        for name, _ in given:
            if name not in self.variables:
                raise GraderError(f"given names an undeclared variable {name!r}")
        set_("given", given)

    # -- reading
    def parse(self, raw: Any) -> tuple:
        if raw is None or isinstance(raw, bool):
            raise AnswerParseError("expected an expression")
        if isinstance(raw, (int, float)):
            if isinstance(raw, float) and not math.isfinite(raw):
                raise AnswerParseError("the answer is not a finite number")
            raw = repr(raw)
        if not isinstance(raw, str):
            raise AnswerParseError(f"expected an expression as text, not a {type(raw).__name__}")
        return self.read(raw)[0]

    def read(self, raw: str) -> tuple[tuple, tuple[str, ...]]:
        """The tree of an answer as text, and how ambiguous names in it were read."""
        check_size(raw, self.limits.max_chars)
        return _parse(raw, self.variables, self.functions, self.limits)

    def reference(self, ref: Any) -> tuple:
        if isinstance(ref, tuple):
            return ref
        if not isinstance(ref, str) and hasattr(ref, "free_symbols"):  # a SymPy expression
            from grader.answers.symbolic import to_text

            ref = to_text(ref)
        return self.parse(ref)

    # -- comparing
    def compare(self, sub, ref) -> Outcome:
        sub, ref = self.reference(sub), self.reference(ref)  # trees (or SymPy, converted)
        if self.given:
            meaning = {name: self.parse(text) for name, text in self.given}
            sub, ref = T.substitute(sub, meaning), T.substitute(ref, meaning)
        if sub == ref:
            return Outcome.correct("Correct.")
        with np.errstate(all="ignore"):
            return _Comparison(self, sub, ref).run()

    def _sample(self, rnd: int, seed: int) -> tuple[dict, dict]:
        return _samples(self.variables, self.functions, self.domain, self.sample_points, seed, rnd)

    # -- presenting
    def canonical(self, ref: Any) -> str:
        return ref.strip() if isinstance(ref, str) else T.to_ascii(self.reference(ref))

    def notations(self, ref: Any) -> list[str]:
        import sympy

        from grader.answers.symbolic import to_latex, to_sympy, to_text

        expr = to_sympy(self.reference(ref))
        seen = {self.canonical(ref)}
        out = []
        for text in (to_latex(expr), to_text(sympy.expand(expr))):
            if text not in seen:
                seen.add(text)
                out.append(text)
        return out

    def perturb(self, ref: Any, rng) -> list[str]:
        from grader.answers.symbolic import to_sympy, to_text

        expr = to_sympy(self.reference(ref))
        wrong = [expr + 1]
        if expr != 0:
            wrong += [-expr, 2 * expr]
        if expr.is_Mul:
            factors = [a for a in expr.args if not a.is_Number]
            if len(factors) > 1:
                wrong += [expr / f for f in factors[:2]]
        return [to_text(w) for w in wrong]

    def show(self, parsed) -> dict:
        return {"text": T.to_unicode(parsed), "latex": T.to_latex(parsed)}

    def rule(self) -> str:
        inside = set().union(*(T.symbols(self.parse(text)) for _, text in self.given))
        names = ", ".join(v for v in self.variables if v not in inside) or "no variables"
        funcs = f" and for every smooth function {', '.join(self.functions)}" if self.functions else ""
        given = "".join(f" ({name} stands for {text}, which may be written instead)" for name, text in self.given)
        return (f"Type an expression in {names}{given} (products with * or side by side, powers with "
                f"^); it is accepted when it equals the answer for all values of the variables{funcs}.")


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
    return (var, -_INF, num) if upper else (var, num, _INF)


@lru_cache(maxsize=RECENT_PARSES)
def _parse(text: str, variables: tuple, functions: tuple, limits: Limits) -> tuple[tuple, tuple[str, ...]]:
    builder = T.TreeBuilder(limits)
    builder.notes = []
    tree = parse_with(text, builder, variables=variables, functions=functions, limits=limits)
    profile = builder.profile()
    if profile is not None:
        if len(_PROFILES) >= MAX_PROFILES:
            _PROFILES.clear()
        _PROFILES[id(tree)] = (tree, profile)
    return tree, tuple(builder.notes)


def _profile_of(node: tuple) -> tuple[set, set, list, str | None]:
    """`_profile`, as the parser saw it where this tree was parsed here, else by a walk."""
    known = _PROFILES.get(id(node))
    return known[1] if known is not None and known[0] is node else _profile(node)


def _profile(node: tuple) -> tuple[set, set, list, str | None]:
    """(variables, declared functions, kink arguments, exact backend or None) of a tree.

    Exact comparison needs rational functions written exactly: no e, pi, transcendental or
    declared functions, real powers, or decimals (which compare to double precision)."""
    names, funcs, kinks = set(), set(), []
    exact = "mod"
    stack = [node]
    while stack:
        n = stack.pop()
        op = n[0]
        if op == "s":
            names.add(n[1])
        elif op in _ARITHMETIC:
            stack += (n[1], n[2])
        elif op == "n":
            if n[2] != 1 and T.decimal(n):
                exact = None  # a decimal is a measured value: compared to double precision
        elif op == "^":
            stack += (n[1], n[2])
            if exact and not T.integer_constant(n[2]):
                exact = None
        elif op == "f":
            name, args = n[1], n[2]
            stack.extend(args)
            if name in ("abs", "relu"):
                kinks.append(args[0])
            elif name in ("max", "min"):
                kinks += [("-", args[0], a) for a in args[1:]]
            if name not in _KINKS:
                exact = None
            elif exact:
                exact = "frac"
        elif op == "d":
            funcs.add(n[1])
            stack.append(n[3])
            exact = None
        elif op == "c":
            exact = None
        else:  # neg
            stack.append(n[1])
    return names, funcs, kinks, exact


@lru_cache(maxsize=256)
def _residues(variables: tuple, seed: int) -> dict:
    """A random point modulo the prime (one suffices: two different rational functions agree
    there with probability about degree / 2^61)."""
    rng = np.random.default_rng([seed, 1])
    return {v: int(rng.integers(1, PRIME)) for v in variables}


def _exact_kind(a, b):
    if a is None or b is None:
        return None
    return "frac" if "frac" in (a, b) else "mod"


def _vector(node, env, fenv, size):
    values = _values(node, env, fenv)
    return values if type(values) is np.ndarray else np.full(size, float(values))


def _at(env: dict, fenv: dict, i: int, names=None, funcs=None) -> tuple[dict, dict]:
    """Point i of the samples, of the variables `names` and functions `funcs` (default: all)."""
    return ({k: float(env[k][i]) for k in (env if names is None else names)},
            {f: {k: float(v[i]) for k, v in fenv[f].items()} for f in (fenv if funcs is None else funcs)})


def _precise(nodes, env, fenv, dps: int) -> list:
    """The values of trees at one point at `dps` digits, each None where it is undefined."""
    with mpmath.workdps(dps):
        menv = {k: mpmath.mpf(v) for k, v in env.items()}
        mfenv = {f: {k: mpmath.mpf(v) for k, v in c.items()} for f, c in fenv.items()}
        values = []
        for node in nodes:
            try:
                value = evaluate(node, menv, mfenv, _MpBackend)
            except (Undefined, ZeroDivisionError, OverflowError):
                value = None
            values.append(value if value is None or mpmath.isfinite(value) else None)
        return values


def _beyond(ar, s, d, near):
    """Indices of the points where values `s` are farther than the tolerance from values `r`
    (`ar` = |r|, `d` = s - r), the absolute part scaled by the largest |r| at the points `near`."""
    floor = ATOL * max(1.0, float(_MAX(ar[near], initial=0)))
    return (np.abs(d) > np.maximum(ar, np.abs(s)) * RTOL + floor).nonzero()[0]


def _differ(a, b) -> bool:
    """Whether two precise values (mpmath numbers or Fractions) differ beyond rounding."""
    tiny = 1e-30 if type(a) is Fraction else _tiny(mpmath.mp.prec)
    return abs(a - b) > EXACT_RTOL * max(abs(a), abs(b)) + tiny


@lru_cache(maxsize=8)
def _tiny(prec: int):
    """10^-30 at this working precision."""
    return mpmath.mpf(10) ** -30


_SMALL_GAP = Outcome.incorrect("Not equal to the expected expression: the two differ by a small "
                              "amount that exact arithmetic shows (check your constants).")


class _Comparison:
    """One comparison of a submitted expression with a reference."""

    def __init__(self, atype: Expression, sub, ref):
        self.t, self.sub, self.ref = atype, sub, ref
        self.seed = SEED  # the same points for every reference, drawn once per answer type
        s_names, s_funcs, s_kinks, s_exact = _profile_of(sub)
        r_names, r_funcs, r_kinks, r_exact = _profile_of(ref)
        used = s_names | r_names
        self.shown = [v for v in atype.variables if v in used]
        self.used = used
        self.funcs = [f for f in atype.functions if f in s_funcs | r_funcs]
        self.kinks = (s_kinks + r_kinks)[:MAX_KINKS]
        self.exact = _exact_kind(s_exact, r_exact)
        self.differ = None  # whether rational sides differ modulo a prime (see `modular`)
        self.base = atype.sample_points + LATTICE_POINTS  # points near the origin

    def where(self, env: dict) -> str:
        point = ", ".join(f"{v} = {env[v]:.4g}" for v in self.shown)
        generic = f" (for a generic smooth {', '.join(self.funcs)})" if self.funcs else ""
        return (f"at {point}{generic}" if point else f"{generic.strip()}").strip()

    def run(self) -> Outcome:
        if self.exact == "mod":
            self.differ = self.modular()
            if self.differ is False:  # equal as rational functions: sampling would only agree
                return Outcome.correct("Correct.")
        valid = 0
        for rnd in range(ROUNDS):
            env, fenv = self.t._sample(rnd, self.seed)
            if rnd == 0 and self.kinks:
                env, fenv = self.around_kinks(env, fenv)
            size = len(next(iter(env.values()))) if env else self.base + SCALE_POINTS
            r = _vector(self.ref, env, fenv, size)
            s = _vector(self.sub, env, fenv, size)
            d = s - r
            squares = d.dot(d)
            if math.isfinite(squares) or _ALL(np.isfinite(d)):  # defined everywhere (the squares may overflow)
                both, n = None, size
                if squares <= AGREE:  # every |s - r| is below ATOL, the least tolerance
                    bad = None
                else:  # RTOL |r| + ATOL never exceeds the tolerance of `_beyond`
                    ar = np.abs(r)
                    bad = _beyond(ar, s, d, slice(0, self.base)) if _ANY(np.abs(d) > ar * RTOL + ATOL) else None
            else:
                fin_r, fin_s = np.isfinite(r), np.isfinite(s)
                both = fin_r & fin_s
                mismatch = fin_r != fin_s
                mismatch[self.t.sample_points:self.base] = False  # lattice points may be removable singularities
                for i in np.flatnonzero(mismatch & ~(np.isinf(r) | np.isinf(s)))[:CHECKED]:
                    outcome = self.domain_mismatch(env, fenv, int(i))
                    if outcome:
                        return outcome
                idx = np.flatnonzero(both)
                rr, ss = r[idx], s[idx]
                bad, n = idx[_beyond(np.abs(rr), ss, ss - rr, idx < self.base)], idx.size
            if bad is not None and bad.size:
                near, far = bad[bad < self.base], bad[bad >= self.base]
                if near.size:
                    outcome = self.disagreement(env, fenv, s, r, near, clear_allowed=True)
                    if outcome:
                        return outcome
                if far.size:
                    outcome = self.disagreement(env, fenv, s, r, far, clear_allowed=False)
                    if outcome:
                        return outcome
            valid += n
            if valid >= MIN_VALID:
                return self.exactly(env, both) or Outcome.correct("Correct.")
            if not self.shown and not self.t.functions:
                break
        return Outcome.manual("Could not find enough points where both your answer and the "
                              "expected expression are defined; left for a person to check.")

    def around_kinks(self, env: dict, fenv: dict) -> tuple[dict, dict]:
        """The sample points plus points on both sides of each kink, along each variable."""
        ranges = dict(self.t.domain or ())
        point, fpoint = _at(env, fenv, 0)
        rows = []
        for g in self.kinks:
            for v in [v for v in self.shown if v in T.symbols(g)][:2]:
                t = _zero_along(g, point, fpoint, v)
                if t is None:
                    continue
                lo, hi = ranges.get(v, (-_INF, _INF))
                width = max(1.0, abs(t))
                rows += [(v, t + d * width) for d in KINK_OFFSETS if lo <= t + d * width <= hi]
        if not rows:
            return env, fenv
        k = len(rows)
        env = {name: np.concatenate([vals, np.array([x if v == name else point[name] for v, x in rows])])
               for name, vals in env.items()}
        fenv = {f: {c: np.concatenate([vals, np.full(k, fpoint[f][c])]) for c, vals in coef.items()}
                for f, coef in fenv.items()}
        return env, fenv

    def domain_mismatch(self, env, fenv, i) -> Outcome | None:
        penv, pfenv = _at(env, fenv, i, self.used, self.funcs)
        s, r, _ = self.values_at(penv, pfenv, DIGITS[0])
        if (s is None) == (r is None):
            return None
        if s is None:
            return Outcome.incorrect(f"Your answer is undefined {self.where(penv)}, "
                                     "where the expected expression is defined.")
        return Outcome.incorrect(f"Your answer is defined {self.where(penv)}, where the expected "
                                 "expression is not: they are different functions.")

    def disagreement(self, env, fenv, s, r, bad, clear_allowed: bool) -> Outcome | None:
        if clear_allowed:
            sb, rb = s[bad], r[bad]
            gap = np.abs(sb - rb) / np.maximum(np.maximum(np.abs(rb), np.abs(sb)), 1e-300)
            clear = bad[gap > CLEAR]
            if clear.size >= min(2, bad.size) and clear.size:
                return self.wrong(env, s, r, int(clear[0]))
        for i in bad[:CHECKED]:
            penv, pfenv = _at(env, fenv, int(i), self.used, self.funcs)
            if self.confirmed(penv, pfenv, DIGITS[0] if clear_allowed else DIGITS[1]):
                return self.wrong(env, s, r, int(i))
        return None

    def confirmed(self, penv, pfenv, dps: int) -> bool:
        """True when the two sides differ at this point: exactly, or at `dps` digits and at
        twice that (see `values_at`)."""
        for digits in (dps, 2 * dps):
            es, er, exact = self.values_at(penv, pfenv, digits)
            if es is None or er is None or not _differ(es, er):
                return False
            if exact:
                return True
        return True

    def values_at(self, penv, pfenv, dps: int) -> tuple[Any, Any, bool]:
        """Both sides at one point, each None where it is undefined, and whether the values are
        exact: they are where both sides are rational functions (a point of doubles is a point
        of rationals, and Fractions cost a fraction of high-precision evaluation), else they are
        evaluated at `dps` digits."""
        if self.exact is not None:
            point = {k: Fraction(v) for k, v in penv.items()}
            values = []
            for node in (self.sub, self.ref):
                try:
                    values.append(evaluate(node, point, {}, _FractionBackend))
                except (Undefined, ZeroDivisionError):
                    values.append(None)
                except Inexact:  # a power too large to compute exactly
                    break
            else:
                return values[0], values[1], True
        return (*_precise((self.sub, self.ref), penv, pfenv, dps), False)

    def exactly(self, env: dict, both) -> Outcome | None:
        """Where both sides are rational functions (relu, max, min, abs allowed), compare them
        exactly before calling them equal; an Outcome when they differ. `both` marks the points
        where both sides are defined (None: all)."""
        if self.exact is None:
            return None
        if self.exact == "mod":
            return _SMALL_GAP if self.differ else None
        rows = range(FRACTION_POINTS) if both is None else np.flatnonzero(both[:self.base])[:FRACTION_POINTS]
        for i in rows:
            point = {v: Fraction(float(env[v][i])).limit_denominator(1 << 10) for v in env}
            try:
                if evaluate(self.sub, point, {}, _FractionBackend) != evaluate(self.ref, point, {}, _FractionBackend):
                    return _SMALL_GAP
            except (Undefined, Inexact, ZeroDivisionError):
                continue
        return None

    def modular(self) -> bool | None:
        """Whether the two sides, rational functions written exactly, differ: by their values at
        a random point modulo a prime (equal rational functions agree there, different ones
        almost never do); None where a side has no value there."""
        point = _residues(self.t.variables, self.seed)
        try:
            return _ModularBackend.differ(evaluate(self.sub, point, {}, _ModularBackend),
                                          evaluate(self.ref, point, {}, _ModularBackend))
        except (Undefined, Inexact, ZeroDivisionError):
            return None

    def wrong(self, env, s, r, i) -> Outcome:
        ss, rr = s[:self.base], r[:self.base]
        diff = ss - rr
        if not math.isfinite(diff.dot(diff)):  # some point where a side is undefined
            both = np.isfinite(ss) & np.isfinite(rr)
            ss, rr = ss[both], rr[both]
            diff = ss - rr
        hint = ""
        if ss.size >= 3:
            if _ALL(np.abs(rr) > 1e-9):
                ratio = ss / rr
                if _MAX(ratio) - _MIN(ratio) <= 1e-7 * max(1.0, abs(ratio[0])) and abs(ratio[0] - 1) > 1e-7:
                    hint = (" It has the wrong sign." if abs(ratio[0] + 1) < 1e-7 else
                            f" It is a constant multiple ({ratio[0]:.4g} times) of the expected one.")
            if not hint:
                tiny = 1e-7 * max(1.0, float(_MAX(np.abs(rr))))
                if _MAX(diff) - _MIN(diff) <= tiny and abs(diff[0]) > tiny:
                    hint = f" It differs from the expected one by a constant ({diff[0]:.4g})."
        point = self.where({k: float(env[k][i]) for k in self.shown})
        return Outcome.incorrect(f"Not equal to the expected expression{' ' + point if point else ''}.{hint}")


def _zero_along(g: tuple, point: dict, fpoint: dict, v: str) -> float | None:
    """A zero of g along variable v from `point` (secant steps; exact for affine g), or None.
    Called within `compare`'s errstate: g is evaluated on plain floats, so a pole hit exactly is
    a ZeroDivisionError."""
    def at(t):
        try:
            return float(evaluate(g, {**point, v: t}, fpoint))
        except ZeroDivisionError:
            return math.nan

    t0, t1 = point[v], point[v] + 1.0
    g0, g1 = at(t0), at(t1)
    for _ in range(6):
        if not (math.isfinite(g0) and math.isfinite(g1)) or g1 == g0:
            return None
        t0, t1 = t1, t1 - g1 * (t1 - t0) / (g1 - g0)
        g0, g1 = g1, at(t1)
        if abs(g1) <= 1e-9 * max(1.0, abs(t1)):
            return t1
    return None
