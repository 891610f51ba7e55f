"""Matrix expressions (ridge regression's closed form): transpose, inverse, identity, products.

The shared parser reads the answer into a small tree (`MatrixBuilder`); shapes are inferred
with symbolic dimensions ("n", "d", or numbers; the identity `I` takes whatever size fits),
so a product that cannot be formed is reported with the two shapes that clash. Equal shapes
are then compared by value on random matrices of the declared shapes, with scalars drawn
positive so regularised inverses exist.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from grader.answers.base import Outcome, ReadAnswer, check_size
from grader.answers.parser import DEFAULT_LIMITS, BuildError, Limits, parse_with
from grader.errors import AnswerParseError, GraderError

DRAWS = 3
RTOL = 1e-7
MAX_COND = 1e12
_SCALAR_FUNCS = {"sqrt", "exp", "log", "abs"}


@dataclass(eq=False)
class Node:
    """A node of a matrix expression: op is sym, num, I, add, sub, mul, div, neg, pow, T, inv, call."""

    op: str
    args: tuple = ()
    value: Any = None  # a name, a number, or a function name
    size: Any = None  # the dimension an identity resolved to


_TRANSPOSE = Node("T-marker")


class MatrixBuilder:
    """Parser builder producing `Node` trees (see parser.parse_with)."""

    extra_functions = frozenset({"inv"})
    letters = ("T", "I")  # one-letter names that may stand juxtaposed: A^TA
    extra_names = ("I (identity)", "A^T or A' (transpose)", "X^(-1) or inv(X) (inverse)")

    def __init__(self, declared: set[str]):
        self.declared = declared
        self.notes: list[str] = []  # how ambiguous names were read ("a was read as A")

    def number(self, num, den):
        return Node("num", value=Fraction(num, den))

    def symbol(self, name):
        return Node("sym", value=name)

    def special(self, name):
        if name == "I":
            return Node("I")
        if name in ("T", "top"):
            return _TRANSPOSE
        return None

    def constant(self, name):
        import math

        return Node("num", value=math.e if name == "e" else math.pi)

    def add(self, a, b):
        return Node("add", (a, b))

    def sub(self, a, b):
        return Node("sub", (a, b))

    def mul(self, a, b):
        return Node("mul", (a, b))

    def div(self, a, b):
        return Node("div", (a, b))

    def neg(self, a):
        return Node("neg", (a,))

    def pow(self, base, exponent):
        if exponent is _TRANSPOSE:
            return Node("T", (base,))
        value = _constant(exponent)
        if value is None:
            raise BuildError("an exponent must be a number, T (transpose) or -1 (inverse)")
        if abs(value) > 64:
            raise BuildError("the exponent is too large")
        return Node("pow", (base,), value=value)

    def root(self, arg, index):
        return Node("pow", (arg,), value=1 / Fraction(_constant(index) or 1))

    def prime(self, node):
        return Node("T", (node,))

    def call(self, name, args):
        if name == "inv":
            return Node("inv", tuple(args))
        if name not in _SCALAR_FUNCS:
            raise BuildError(f"{name} is not available in a matrix expression")
        return Node("call", tuple(args), value=name)

    def apply(self, name, arg, order):
        raise BuildError("functions cannot be declared in a matrix expression")


def _constant(node: Node):
    """The value of a constant scalar node (numbers, -n, a/b), or None."""
    if node.op == "num":
        return node.value
    if node.op == "neg":
        v = _constant(node.args[0])
        return None if v is None else -v
    if node.op == "div":
        a, b = (_constant(x) for x in node.args)
        return None if a is None or b is None or b == 0 else Fraction(a) / Fraction(b)
    return None


def show(node: Node, parent: int = 0, style: str = "ascii") -> str:
    """A node in student notation ("ascii"), readable math ("unicode": (AᵀA + λI)⁻¹Aᵀb) or
    "latex", parenthesised where needed."""
    from grader.answers.tree import name_latex, name_text

    prec = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 2, "pow": 3, "T": 3, "inv": 4,
            "call": 4, "sym": 5, "num": 5, "I": 5}[node.op]
    a = node.args
    uni, tex = style == "unicode", style == "latex"
    sub = lambda x, p: show(x, p, style)  # noqa: E731
    if node.op == "sym":
        text = name_text(node.value) if uni else name_latex(node.value) if tex else node.value
    elif node.op == "num":
        v = node.value
        if isinstance(v, Fraction) and tex and v.denominator != 1:
            text = f"{'-' if v < 0 else ''}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"
        else:
            text = str(v) if isinstance(v, Fraction) else f"{v:.6g}"
    elif node.op == "I":
        text = "I"
    elif node.op in ("add", "sub"):
        sign = "+" if node.op == "add" else "−" if uni else "-"
        text = f"{sub(a[0], 1)} {sign} {sub(a[1], 2)}"
    elif node.op == "mul":
        left, right = sub(a[0], 2), sub(a[1], 3)
        glue = ("·" if left[-1].isdigit() and right[0].isdigit() else "") if uni else " "
        text = f"{left}{glue}{right}"
    elif node.op == "div":
        text = f"\\frac{{{sub(a[0], 0)}}}{{{sub(a[1], 0)}}}" if tex else f"{sub(a[0], 2)}/{sub(a[1], 3)}"
    elif node.op == "neg":
        text = f"{'−' if uni else '-'}{sub(a[0], 3)}"
    elif node.op == "pow":
        v = node.value
        if uni and v.denominator == 1:
            text = sub(a[0], 4) + str(v).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
        elif tex:
            text = f"{sub(a[0], 4)}^{{{v}}}"
        else:
            text = f"{sub(a[0], 4)}^({v})" if v < 0 or v.denominator != 1 else f"{sub(a[0], 4)}^{v}"
    elif node.op == "T":
        text = sub(a[0], 4) + ("ᵀ" if uni else "^{\\top}" if tex else "^T")
    elif node.op == "inv":
        text = f"{sub(a[0], 4)}^{{-1}}" if tex else f"inv({sub(a[0], 0)})"
    else:
        inner = ", ".join(sub(x, 0) for x in a)
        text = f"\\operatorname{{{node.value}}}\\left({inner}\\right)" if tex else f"{node.value}({inner})"
    if prec < parent or (prec == parent and node.op in ("add", "sub", "div")):
        return f"\\left({text}\\right)" if tex else f"({text})"
    return text


class ShapeError(Exception):
    """Two shapes that cannot be combined; the message names them."""


class _Shapes:
    """Shape inference with symbolic dimensions: names and numbers are fixed, an identity's
    size is a variable that unification fills in."""

    def __init__(self, declared: dict):
        self.declared = declared
        self.parent: dict = {}
        self.fresh = itertools.count()

    def find(self, d):
        while d in self.parent:
            d = self.parent[d]
        return d

    def unify(self, a, b) -> bool:
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        if isinstance(a, tuple):
            self.parent[a] = b
            return True
        if isinstance(b, tuple):
            self.parent[b] = a
            return True
        return False

    def text(self, shape) -> str:
        if shape is None:
            return "a scalar"
        dims = [self.find(d) for d in shape]
        return "×".join("m" if isinstance(d, tuple) else str(d) for d in dims)

    def same(self, a, b) -> bool:
        """True when shapes a and b can be the same (unifying their free dimensions)."""
        if self.scalar_like(a) and self.scalar_like(b):
            return True
        if a is None or b is None:
            return False
        return self.unify(a[0], b[0]) and self.unify(a[1], b[1])

    def scalar_like(self, shape) -> bool:
        return shape is None or all(self.find(d) == 1 for d in shape)

    def infer(self, node: Node):
        op, a = node.op, node.args
        if op == "sym":
            return self.declared.get(node.value)
        if op == "num":
            return None
        if op == "I":
            node.size = ("I", next(self.fresh))
            return (node.size, node.size)
        if op == "T-marker":
            raise ShapeError("T (transpose) may only appear as an exponent, as in A^T")
        shapes = [self.infer(x) for x in a]
        if op in ("add", "sub"):
            return self.add(node, *shapes)
        if op == "mul":
            return self.mul(node, *shapes)
        if op == "div":
            if shapes[1] is not None and not self.scalar_like(shapes[1]):
                raise ShapeError(f"cannot divide by the matrix {show(a[1])} "
                                 f"({self.text(shapes[1])}): multiply by its inverse ^(-1)")
            return shapes[0]
        if op == "neg":
            return shapes[0]
        if op == "T":
            return None if shapes[0] is None else (shapes[0][1], shapes[0][0])
        if op in ("inv", "pow"):
            s = shapes[0]
            if s is not None and not self.unify(*s):
                raise ShapeError(f"{show(a[0])} is {self.text(s)}: only a square matrix has "
                                 f"{'an inverse' if op == 'inv' or node.value < 0 else 'powers'}")
            if s is not None and op == "pow" and node.value.denominator != 1:
                raise ShapeError(f"{show(node)}: fractional powers of matrices are not allowed")
            return s
        if any(s is not None and not self.scalar_like(s) for s in shapes):
            raise ShapeError(f"{node.value} applies to scalars, not to the matrix in {show(node)}")
        return None

    def add(self, node, sa, sb):
        a, b = node.args
        if (sa is None) != (sb is None):
            scalar, matrix, shape = (a, b, sb) if sa is None else (b, a, sa)
            if not self.scalar_like(shape):
                raise ShapeError(f"cannot add the scalar {show(scalar)} to the {self.text(shape)} "
                                 f"matrix {show(matrix)} (did you mean {show(scalar)}*I?)")
            return None
        if sa is None:
            return None
        if not (self.unify(sa[0], sb[0]) and self.unify(sa[1], sb[1])):
            raise ShapeError(f"cannot add {show(a)} ({self.text(sa)}) and {show(b)} ({self.text(sb)})")
        return sa

    def mul(self, node, sa, sb):
        a, b = node.args
        if sa is None or sb is None:
            return sb if sa is None else sa
        if self.unify(sa[1], sb[0]):
            return (sa[0], sb[1])
        if self.scalar_like(sa) or self.scalar_like(sb):
            return sb if self.scalar_like(sa) else sa
        raise ShapeError(f"cannot multiply {show(a)} ({self.text(sa)}) by {show(b)} "
                         f"({self.text(sb)}): the inner dimensions differ")


def _evaluate(node: Node, env: dict, resolve):
    import numpy as np

    op, a = node.op, node.args
    if op == "sym":
        return env[node.value]
    if op == "num":
        return float(node.value)
    if op == "I":
        return np.eye(resolve(node.size))
    vals = [_evaluate(x, env, resolve) for x in a]
    if op == "add":
        return vals[0] + vals[1]
    if op == "sub":
        return vals[0] - vals[1]
    if op == "mul":
        x, y = vals
        both = np.ndim(x) == 2 and np.ndim(y) == 2
        return x @ y if both and x.shape[1] == y.shape[0] else x * y
    if op == "div":
        return vals[0] / (vals[1] if np.ndim(vals[1]) == 0 else vals[1].item())
    if op == "neg":
        return -vals[0]
    if op == "T":
        return vals[0].T if np.ndim(vals[0]) == 2 else vals[0]
    if op in ("inv", "pow"):
        x = vals[0]
        if np.ndim(x) == 0:
            return x ** -1.0 if op == "inv" else x ** float(node.value)
        power = -1 if op == "inv" else int(node.value)
        if power < 0:
            if np.linalg.cond(x) > MAX_COND:
                raise ArithmeticError(show(a[0]))
            x, power = np.linalg.inv(x), -power
        return np.linalg.matrix_power(x, power)
    fn = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "abs": np.abs}[node.value]
    return fn(vals[0])


@dataclass(frozen=True)
class MatrixExpression(ReadAnswer):
    """A matrix expression in named matrices of known shapes and positive scalars.

    `shapes` maps a name to (rows, cols), each a number or a dimension name ("n", "d");
    `scalars` are scalar names (drawn positive). `I` is the identity, of whatever size fits.
    """

    name: ClassVar[str] = "matrix-expression"
    sandboxed: ClassVar[bool] = True
    needs: ClassVar[tuple[str, ...]] = ("numpy",)

    shapes: Any = ()
    scalars: tuple[str, ...] = ("lambda",)
    limits: Limits = field(default=DEFAULT_LIMITS)

    def __post_init__(self):
        items = self.shapes.items() if isinstance(self.shapes, dict) else self.shapes
        shapes = []
        for name, shape in items:
            rows, cols = shape
            shapes.append((name, (rows, cols)))
        object.__setattr__(self, "shapes", tuple(sorted(shapes)))
        object.__setattr__(self, "scalars", tuple(self.scalars))
        if not shapes:
            raise GraderError("a matrix expression needs the shapes of its matrices")
        clash = set(dict(shapes)) & set(self.scalars)
        if clash:
            raise GraderError(f"{', '.join(sorted(clash))} declared both as matrix and scalar")

    def parse(self, raw: Any) -> Node:
        if not isinstance(raw, str):
            raise AnswerParseError("expected a matrix expression as text")
        return self.read(raw)[0]

    def read(self, raw: str) -> tuple[Node, tuple[str, ...]]:
        """The tree of an answer, and how ambiguous names in it were read."""
        check_size(raw, self.limits.max_chars)
        names = {*dict(self.shapes), *self.scalars}
        builder = MatrixBuilder(names)
        return parse_with(raw, builder, variables=names, limits=self.limits), tuple(builder.notes)

    def reference(self, ref: Any) -> Node:
        if isinstance(ref, Node):  # already read (the contract passes parsed references back)
            return ref
        node = self.parse(ref)
        try:
            _Shapes(dict(self.shapes)).infer(node)
        except ShapeError as exc:
            raise GraderError(f"the reference {ref!r} has a shape error: {exc}") from None
        return node

    def compare(self, sub: Node, ref: Node) -> Outcome:
        import numpy as np

        declared = dict(self.shapes)
        dims = _Shapes(declared)  # one set of dimensions: an identity takes the size that fits
        ref_shape = dims.infer(ref)
        ref_text = dims.text(ref_shape)
        try:
            sub_shape = dims.infer(sub)
        except ShapeError as exc:
            return Outcome.incorrect(f"Shape error: {exc}.")
        if not dims.same(ref_shape, sub_shape):
            return Outcome.incorrect(f"Your expression is {dims.text(sub_shape)}; the answer is {ref_text}.")
        sizes = self._sizes()
        rng = np.random.default_rng(7)
        checked = 0
        for _ in range(DRAWS):
            env = {n: rng.standard_normal(tuple(sizes.get(d, d) for d in s)) for n, s in declared.items()}
            env.update({s: rng.uniform(0.5, 2.0) for s in self.scalars})
            try:
                expected = _evaluate(ref, env, self._resolver(dims, sizes))
            except ArithmeticError:
                continue
            try:
                got = _evaluate(sub, env, self._resolver(dims, sizes))
            except ArithmeticError as exc:
                return Outcome.incorrect(f"Your answer inverts {exc}, which is singular for these shapes.")
            except (ValueError, np.linalg.LinAlgError) as exc:
                return Outcome.incorrect(f"Shape error: {exc}.")
            got, expected = np.atleast_1d(got).ravel(), np.atleast_1d(expected).ravel()
            scale = max(1.0, float(np.max(np.abs(expected))))
            if got.shape != expected.shape or not np.allclose(got, expected, rtol=RTOL, atol=RTOL * scale):
                return Outcome.incorrect("Not equal to the expected expression for random "
                                         f"{self._described()}.")
            checked += 1
        if not checked:
            return Outcome.manual("The expected expression could not be evaluated; left to a person.")
        return Outcome.correct("Correct.")

    def _sizes(self) -> dict:
        """Numbers for named dimensions: distinct, and distinct from the numeric ones."""
        dims = {d for _, shape in self.shapes for d in shape}
        taken = {d for d in dims if isinstance(d, int)}
        free = (k for k in itertools.count(3) if k not in taken)
        return {d: next(free) for d in sorted(d for d in dims if not isinstance(d, int))}

    @staticmethod
    def _resolver(dims: _Shapes, sizes: dict):
        free = max([3, *(v for v in sizes.values())]) + 1  # an identity whose size nothing fixes

        def resolve(d):
            d = dims.find(d)
            return free if isinstance(d, tuple) else sizes.get(d, d)
        return resolve

    def _described(self) -> str:
        mats = ", ".join(f"{n} ({r}×{c})" for n, (r, c) in self.shapes)
        scal = ", ".join(f"{s} > 0" for s in self.scalars)
        return mats + (f" and {scal}" if scal else "")

    def canonical(self, ref: Any) -> str:
        return ref.strip() if isinstance(ref, str) else show(ref)

    def show(self, parsed: Node) -> dict:
        return {"text": show(parsed, style="unicode"), "latex": show(parsed, style="latex")}

    def notations(self, ref: Any) -> list[str]:
        text = show(self.reference(ref))
        return [text] if text != self.canonical(ref) else []

    def perturb(self, ref: Any, rng) -> list[str]:
        text = self.canonical(ref)
        return [f"2*({text})", f"-({text})"]

    def rule(self) -> str:
        return ("Type a matrix expression in " + self._described() + "; write the transpose as A^T, "
                "the inverse as X^(-1) or inv(X) and the identity as I. It is accepted when it equals "
                "the answer for all matrices of these shapes.")
