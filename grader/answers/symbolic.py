"""SymPy for the symbolic steps only (big-O, the notations of a reference, doubtful cases).

Imported on first use: reading and grading by sampling need no SymPy. A parsed tree becomes a
SymPy expression through `to_sympy`; `to_text` and `to_latex` print SymPy expressions back in
the notation the parser reads.
"""
from __future__ import annotations

from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from grader.answers.limits import BuildError
from grader.answers.tree import GREEK, rebuild

_DUMMY = sympy.Symbol("_t", real=True)  # student names cannot start with "_"


class SympyBuilder:
    """Builds SymPy expressions (the tree's sizes were checked when it was parsed)."""

    extra_functions: frozenset[str] = frozenset()
    extra_names: tuple[str, ...] = ()

    def number(self, num: int, den: int):
        return sympy.Rational(num, den)

    def symbol(self, name: str):
        return sympy.Symbol(name, real=True)

    def special(self, name: str):
        return None

    def constant(self, name: str):
        return sympy.E if name == "e" else sympy.pi

    def add(self, a, b):
        return a + b

    def sub(self, a, b):
        return a - b

    def mul(self, a, b):
        return a * b

    def neg(self, a):
        return -a

    def div(self, a, b):
        if b.is_zero:
            raise BuildError("division by zero")
        return a / b

    def pow(self, base, exponent):
        return base**exponent

    def call(self, name: str, args: list):
        return _SYMPY_CALLS[name](*args)

    def apply(self, name: str, arg, order: int):
        f = sympy.Function(name)
        if order == 0:
            return f(arg)
        if arg.is_Symbol:
            return sympy.Derivative(f(arg), (arg, order))
        return sympy.Subs(sympy.Derivative(f(_DUMMY), (_DUMMY, order)), _DUMMY, arg)


_SYMPY_CALLS = {
    "exp": sympy.exp, "sqrt": sympy.sqrt, "abs": sympy.Abs,
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
    "sec": sympy.sec, "csc": sympy.csc, "cot": sympy.cot,
    "asin": sympy.asin, "acos": sympy.acos, "atan": sympy.atan,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
    "asinh": sympy.asinh, "acosh": sympy.acosh, "atanh": sympy.atanh,
    "log": lambda x, base=None: sympy.log(x) if base is None else sympy.log(x) / sympy.log(base),
    "log10": lambda x: sympy.log(x) / sympy.log(10),
    "sigmoid": lambda x: 1 / (1 + sympy.exp(-x)),
    "softplus": lambda x: sympy.log(1 + sympy.exp(x)),
    "relu": lambda x: sympy.Max(0, x),
    "max": sympy.Max, "min": sympy.Min,
}


def to_sympy(tree: tuple) -> sympy.Expr:
    """The SymPy expression of a parsed tree."""
    return rebuild(tree, SympyBuilder())


def _derivative_parts(expr) -> tuple[str, int, Any]:
    """(function name, order, argument) of f'(u) as `SympyBuilder.apply` builds it."""
    if isinstance(expr, sympy.Subs):
        deriv = expr.expr
        return deriv.expr.func.__name__, deriv.derivative_count, expr.point[0]
    return expr.expr.func.__name__, expr.derivative_count, expr.variables[0]


class _TextPrinter(StrPrinter):
    def _print_Derivative(self, expr):
        name, order, arg = _derivative_parts(expr)
        return f"{name}{chr(39) * order}({self._print(arg)})"

    _print_Subs = _print_Derivative

    def _print_Exp1(self, expr):
        return "e"

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Max(self, expr):
        return f"max({', '.join(self._print(a) for a in expr.args)})"

    def _print_Min(self, expr):
        return f"min({', '.join(self._print(a) for a in expr.args)})"


class _LatexWriter(LatexPrinter):
    def _print_Symbol(self, expr, style="plain"):
        head, _, rest = expr.name.partition("_")
        tex = f"\\{head}" if head in GREEK or head.lower() in GREEK else head
        return f"{tex}_{{{rest}}}" if rest else tex

    def _print_Derivative(self, expr):
        name, order, arg = _derivative_parts(expr)
        return f"{self._print_Symbol(sympy.Symbol(name))}{chr(39) * order}\\left({self._print(arg)}\\right)"

    _print_Subs = _print_Derivative


def to_text(expr) -> str:
    """An expression in the ASCII notation students type (parses back to an equal expression)."""
    return _TextPrinter().doprint(expr)


def to_latex(expr) -> str:
    """An expression in LaTeX that the parser reads back."""
    return _LatexWriter().doprint(expr)

