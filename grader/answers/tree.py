"""The light expression tree the parser builds: plain tuples, cheap to build, hash and pickle.

Nodes: ("n", p, q, float) a number p/q; ("s", name); ("c", "e" | "pi"); ("+" | "-" | "*" | "/"
| "^", a, b); ("neg", a); ("f", name, (args...)) a built-in function; ("d", name, order, arg) a
declared function or its derivative of that order. Evaluation lives in `expressions`, SymPy
conversion in `symbolic`; this module prints trees as the student sees them (`read_as`).
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from grader.answers.limits import BuildError, Limits, out_of_range

GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
    "sigma tau upsilon phi chi psi omega"
).split()
GREEK_LETTERS = dict(zip(GREEK, "αβγδεζηθικλμνξοπρστυφχψω"))
GREEK_LETTERS.update({n.capitalize(): c for n, c in zip(
    "gamma delta theta lambda xi pi sigma upsilon phi psi omega".split(), "ΓΔΘΛΞΠΣΥΦΨΩ")})


def constant(node: tuple, limits: Limits | None = None) -> Fraction | None:
    """The exact value of a rational constant subtree (numbers, + - * /, integer powers), or None."""
    op = node[0]
    if op == "n":
        return Fraction(node[1]) if node[2] == 1 else Fraction(node[1], node[2])
    if op == "neg":
        v = constant(node[1], limits)
        return None if v is None else -v
    if op in ("+", "-", "*", "/"):
        a, b = constant(node[1], limits), constant(node[2], limits)
        if a is None or b is None or (op == "/" and b == 0):
            return None
        return a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b
    if op == "^":
        a, b = constant(node[1], limits), constant(node[2], limits)
        if a is None or b is None or b.denominator != 1 or (a == 0 and b < 0):
            return None
        if abs(b) > (limits.max_exponent if limits else 64) or \
                abs(b) * _digits(a) > (limits.max_result_digits if limits else 300):
            return None
        return a ** int(b)
    return None


_ARITHMETIC = frozenset(("+", "-", "*", "neg"))  # never a pole
_INF = math.inf


def _float_value(node: tuple, values: list, divide: str = "ignore") -> float:
    """The double value of a power, quotient or function of constants with these values;
    `divide="raise"` raises FloatingPointError at a pole (`log(0)`, `cot(0)`)."""
    import numpy as np

    from grader.answers.expressions import evaluate

    shallow = tuple(("n", 0, 1, np.float64(x)) for x in values)
    probe = ("f", node[1], shallow) if node[0] == "f" else (node[0], *shallow)
    with np.errstate(all="ignore", divide=divide):
        return float(evaluate(probe, {}, {}))


_MATH = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos,
         "tan": math.tan}


def _quick_value(node: tuple, values: list) -> float | None:
    """The value of a power or common function of constants by `math` (a tenth of the cost of
    NumPy on one number), or None where `math` fails or the value nears a double's range: the
    value only tells whether the node is finite, and there `_float_value` (NumPy, as
    `expressions` evaluates the tree) decides."""
    try:
        if node[0] == "^":
            value = math.pow(values[0], values[1])
        else:
            fn = _MATH.get(node[1])
            if fn is None or len(values) != 1:
                return None
            value = fn(values[0])
    except (ValueError, OverflowError):
        return None
    return value if abs(value) < 1e300 else None


def _pole(node: tuple, values: list) -> bool:
    """Whether an infinite value of finite arguments is a pole rather than an overflow."""
    if node[0] == "/":
        return values[1] == 0
    if node[0] in _ARITHMETIC:
        return False
    try:
        _float_value(node, values, divide="raise")
    except FloatingPointError:
        return True
    return False


def _digits(q: Fraction) -> float:
    return max(math.log10(abs(q.numerator) or 1), math.log10(q.denominator))


KINKS = ("abs", "relu", "max", "min")  # functions with a corner, exact where their arguments are


def integer_constant(node: tuple) -> bool:
    """Whether a subtree is an integer constant."""
    if node[0] == "n":
        return node[2] == 1
    k = constant(node)
    return k is not None and k.denominator == 1


def _zero(node: tuple, limits: Limits) -> bool:
    """Whether a constant subtree other than a number is exactly 0, as `constant` computes it:
    never a quotient of a nonzero number (by a nonzero rational, or by something irrational),
    so no fractions for it."""
    if node[0] == "/" and node[1][0] == "n" and node[1][1] != 0:
        return False
    return constant(node, limits) == 0


def _binary(op: str):
    """The builder method making the node (op, a, b), its value kept (see `TreeBuilder._keep`)
    where a and b are constants; a divisor that is exactly zero is refused."""
    def build(self, a, b) -> tuple:
        values = self.values
        y = values.get(id(b))
        if y is None:
            return (op, a, b)
        if op == "/" and (b[1] == 0 if b[0] == "n" else _zero(b, self.limits)):
            raise BuildError("division by zero")
        x = values.get(id(a))
        if x is None:
            return (op, a, b)
        return self._keep((op, a, b), (x[1], y[1]))

    return build


class TreeBuilder:
    """Parser builder producing tuple trees, refusing sizes beyond `limits` first. It notes as
    it goes what an expression comparison needs to know of the tree (`profile`)."""

    extra_functions: frozenset[str] = frozenset()
    extra_names: tuple[str, ...] = ()

    def __init__(self, limits: Limits):
        self.limits = limits
        # id -> (node, float value) of the constant parts; holding the nodes keeps their ids unique
        self.values: dict[int, tuple] = {}
        self.names: set[str] = set()
        self.funcs: set[str] = set()
        self.exact: str | None = "mod"
        self.kinked = False

    def profile(self) -> tuple[set, set, list, str | None] | None:
        """(variables, declared functions, kink arguments, exact backend) of the tree built, as
        `expressions` computes them; None where it has kinks (their order comes from a walk)."""
        return None if self.kinked else (self.names, self.funcs, [], self.exact)

    def _fold(self, node: tuple, kids) -> tuple:
        """The node, its value kept (see `_keep`) where all its kids are constants."""
        values = self.values
        v = []
        for k in kids:
            known = values.get(id(k))
            if known is None:
                return node
            v.append(known[1])
        return self._keep(node, v)

    def _keep(self, node: tuple, v) -> tuple:
        """Keep the value of a constant node whose kids have the values `v`; refuse one that has
        no finite real value."""
        op = node[0]
        if op == "*":
            value = v[0] * v[1]
        elif op == "/":
            value = v[0] / v[1] if v[1] else math.copysign(_INF, v[0]) if v[0] else math.nan
        elif op == "+":
            value = v[0] + v[1]
        elif op == "-":
            value = v[0] - v[1]
        elif op == "neg":
            value = -v[0]
        else:
            value = _quick_value(node, v)
            if value is None:
                value = _float_value(node, v)
        if not -_INF < value < _INF and all(math.isfinite(x) for x in v):
            shown = to_unicode(node)
            if math.isnan(value):
                raise BuildError(f"the answer is not real-valued: {shown} has no real value")
            raise BuildError(f"{shown} is infinite" if _pole(node, v) else out_of_range(shown))
        self.values[id(node)] = (node, value)
        return node

    def number(self, num: int, den: int):
        try:
            value = num / den
        except OverflowError:
            size = math.floor(math.log10(num) - math.log10(den))
            raise BuildError(out_of_range(f"a number of about 1e{size}")) from None
        node = ("n", num, den, value)
        if den != 1 and decimal(node):
            self.exact = None  # a decimal is a measured value: compared to double precision
        self.values[id(node)] = (node, value)
        return node

    def symbol(self, name: str):
        self.names.add(name)
        return ("s", name)

    def special(self, name: str):
        return None

    def constant(self, name: str):
        node = ("c", name)
        self.exact = None
        self.values[id(node)] = (node, math.pi if name == "pi" else math.e)
        return node

    add, sub, mul, div, _pow = (_binary(op) for op in "+-*/^")

    def neg(self, a):
        return self._fold(("neg", a), (a,))

    def pow(self, base, exponent):
        values = self.values
        integer = exponent[0] == "n" and exponent[2] == 1
        if integer:
            exp = exponent[1]  # an integer: `constant` would return it as a Fraction
        else:
            exp = constant(exponent, self.limits) if id(exponent) in values else None
        if exp is not None:
            if abs(exp) > self.limits.max_exponent:
                raise BuildError(f"the exponent is too large (the limit is {self.limits.max_exponent})")
            value = constant(base, self.limits) if id(base) in values else None
            if value is not None:
                if value == 0 and exp < 0:
                    raise BuildError("division by zero")
                if float(abs(exp)) * _digits(value) > self.limits.max_result_digits:
                    raise BuildError("this power is too large to compute")
        if self.exact and not (integer or integer_constant(exponent)):
            self.exact = None
        return self._pow(base, exponent)

    def root(self, arg, index):
        k = constant(index, self.limits)
        if k is None or k.denominator != 1 or not 2 <= k <= self.limits.max_exponent:
            raise BuildError("the index of a root must be a whole number of 2 or more")
        return self.pow(arg, self.number(1, int(k)))

    def prime(self, node):
        raise BuildError("a prime ' may only follow a declared function, as in sigma'(z)")

    def call(self, name: str, args: list):
        if name in KINKS:
            self.kinked = True
            if self.exact:
                self.exact = "frac"
        else:
            self.exact = None
        return self._fold(("f", name, tuple(args)), args)

    def apply(self, name: str, arg, order: int):
        self.funcs.add(name)
        self.exact = None
        return ("d", name, order, arg)


def rebuild(node: tuple, b):
    """Replay a tree through another builder (SymPy's, for the symbolic steps)."""
    op = node[0]
    if op == "n":
        return b.number(node[1], node[2])
    if op == "s":
        return b.symbol(node[1])
    if op == "c":
        return b.constant(node[1])
    if op == "neg":
        return b.neg(rebuild(node[1], b))
    if op == "f":
        return b.call(node[1], [rebuild(a, b) for a in node[2]])
    if op == "d":
        return b.apply(node[1], rebuild(node[3], b), node[2])
    x, y = rebuild(node[1], b), rebuild(node[2], b)
    return {"+": b.add, "-": b.sub, "*": b.mul, "/": b.div, "^": b.pow}[op](x, y)


def substitute(node: tuple, mapping: dict) -> tuple:
    """The tree with each variable named in `mapping` replaced by its tree."""
    op = node[0]
    if op == "s":
        return mapping.get(node[1], node)
    if op in ("n", "c"):
        return node
    if op == "f":
        return ("f", node[1], tuple(substitute(a, mapping) for a in node[2]))
    if op == "d":
        return ("d", node[1], node[2], substitute(node[3], mapping))
    return (op, *(substitute(a, mapping) for a in node[1:]))


def walk(node: tuple):
    """Every node of the tree, parents first."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        op = n[0]
        if op in ("+", "-", "*", "/", "^"):
            stack += (n[2], n[1])
        elif op == "neg":
            stack.append(n[1])
        elif op == "f":
            stack += reversed(n[2])
        elif op == "d":
            stack.append(n[3])


def symbols(node: tuple) -> set[str]:
    return {n[1] for n in walk(node) if n[0] == "s"}



# ---------------------------------------------------------------- printing (read_as)
_PREC = {"+": 1, "-": 1, "neg": 2, "*": 3, "/": 3, "^": 5}
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_FUNC_TEXT = {"log": "ln", "log10": "lg"}
_FUNC_LATEX = {"exp": "\\exp", "log": "\\ln", "log10": "\\lg", "sin": "\\sin", "cos": "\\cos",
               "tan": "\\tan", "sec": "\\sec", "csc": "\\csc", "cot": "\\cot", "asin": "\\arcsin",
               "acos": "\\arccos", "atan": "\\arctan", "sinh": "\\sinh", "cosh": "\\cosh",
               "tanh": "\\tanh", "max": "\\max", "min": "\\min"}


def _prec(node) -> int:
    if node[0] == "n" and (node[1] < 0 or node[2] != 1 and not decimal(node)):
        return 3  # a fraction prints as p/q
    return _PREC.get(node[0], 9)


def decimal(node) -> str | None:
    """p/q as a terminating decimal when q is a power of ten (as the student typed it)."""
    p, q = node[1], node[2]
    if q == 1:
        return str(p)
    k = len(str(q)) - 1
    if q != 10 ** k:
        return None
    if k == 0:
        return str(p)
    sign, digits = ("-" if p < 0 else ""), str(abs(p)).rjust(k + 1, "0")
    return f"{sign}{digits[:-k]}.{digits[-k:]}"


@lru_cache(maxsize=1024)
def name_text(name: str) -> str:
    head, sep, rest = name.partition("_")
    if head in GREEK_LETTERS:
        return GREEK_LETTERS[head] + sep + rest
    stem = head.rstrip("0123456789")
    if stem in GREEK_LETTERS and stem != head:  # mu0 -> μ0
        return GREEK_LETTERS[stem] + head[len(stem):] + sep + rest
    return name


@lru_cache(maxsize=1024)
def name_latex(name: str) -> str:
    head, _, rest = name.partition("_")
    stem = head.rstrip("0123456789")
    sub = head[len(stem):] + rest
    tex = f"\\{stem}" if stem in GREEK_LETTERS else stem if len(stem) == 1 else f"\\mathrm{{{stem}}}"
    if not sub:
        return tex
    if len(sub) > 1 and sub.isalpha():
        sub = f"\\mathrm{{{sub}}}"
    return f"{tex}_{{{sub}}}"


def _atomic_text(node) -> bool:
    return node[0] in ("s", "c", "f", "d") or (node[0] == "n" and _prec(node) == 9)


def _display(node: tuple) -> tuple:
    """(p/q)·y printed as p·y/q: \\frac94\\pi reads as 9π/4."""
    if node[0] == "*" and node[1][0] == "/" and node[1][1][0] == "n" and node[1][2][0] == "n" \
            and node[1][1][2] == 1 and node[1][2][2] == 1:
        p, q = node[1][1], node[1][2]
        return ("/", node[2] if p[1] == 1 else ("*", p, node[2]), q)
    return node


_UNICODE_STYLE = {"minus": "−", "times": "·", "unicode": True, "prime": "′", "pi": "π",
                  "funcs": _FUNC_TEXT}
_ASCII_STYLE = {"minus": "-", "times": "*", "unicode": False, "prime": "'", "pi": "pi",
                "funcs": {"log10": "lg"}}


def to_unicode(node: tuple) -> str:
    """A tree in readable Unicode math: 9π/4, σ′(z), x², e^(−z)."""
    return _text(node, 0, _UNICODE_STYLE)


def to_ascii(node: tuple) -> str:
    """A tree in the ASCII notation students type: 2*(y_pred - y_true)*sigma'(z_i)."""
    return _text(node, 0, _ASCII_STYLE)


def _text(node: tuple, parent: int, st: dict) -> str:
    op = node[0]
    if op == "s":  # leaves first, never in parentheses but for a negative number or a fraction
        return name_text(node[1]) if st["unicode"] else node[1]
    if op == "n":
        if node[2] == 1 and node[1] >= 0:  # a whole number: as it is
            return str(node[1])
        dec = decimal(node)
        text = (dec or f"{node[1]}/{node[2]}").replace("-", st["minus"])
        return f"({text})" if _prec(node) < parent else text
    if op == "c":
        return st["pi"] if node[1] == "pi" else "e"
    if op == "*" and node[1][0] == "/":
        node = _display(node)
        op = node[0]
    uni, minus = st["unicode"], st["minus"]
    if op in ("+", "-"):
        text = f"{_text(node[1], 1, st)} {'+' if op == '+' else minus} {_text(node[2], 2, st)}"
    elif op == "neg":
        text = f"{minus}{_text(node[1], 3, st)}"
    elif op == "*":
        a, b = node[1], node[2]
        left, right = _text(a, 3, st), _text(b, 4, st)
        juxtapose = uni and a[0] == "n" and _prec(a) == 9 and (right[0].isalpha() or right[0] in "(√|")
        text = f"{left}{right}" if juxtapose else f"{left}{st['times']}{right}"
    elif op == "/":
        text = f"{_text(node[1], 3, st)}/{_text(node[2], 4, st)}"
    elif op == "^":
        base, exp = node[1], node[2]
        b = _text(base, 6, st)
        if uni and base[0] == "f" and base[1] == "sqrt":  # √x² would read as √(x²)
            b = f"({b})"
        c = exp[1] if exp[0] == "n" and exp[2] == 1 else constant(exp) if exp[0] in ("n", "neg") else None
        if uni and c is not None and c.denominator == 1 and abs(c) < 1000:
            text = b + str(int(c)).translate(_SUPERSCRIPT)
        else:
            text = f"{b}^{_text(exp, 6, st)}"
    elif op == "f":
        name, args = node[1], node[2]
        inner = ", ".join([_text(a, 0, st) for a in args])
        if uni and name == "abs":
            text = f"|{inner}|"
        elif uni and name == "sqrt":
            text = f"√{_text(args[0], 9, st)}" if _atomic_text(args[0]) else f"√({inner})"
        elif uni and name == "log" and len(args) == 2:
            text = f"log_{_text(args[1], 9, st)}({_text(args[0], 0, st)})"
        else:
            text = f"{st['funcs'].get(name, name)}({inner})"
    else:  # "d"
        name = name_text(node[1]) if uni else node[1]
        text = f"{name}{st['prime'] * node[2]}({_text(node[3], 0, st)})"
    prec = _PREC.get(op, 9)
    return f"({text})" if prec < parent or (prec == parent and op in ("-", "/", "^")) else text


def to_latex(node: tuple, parent: int = 0) -> str:
    """A tree in LaTeX that the parser reads back."""
    op = node[0]
    if op == "s":
        return name_latex(node[1])
    if op == "*" and node[1][0] == "/":
        node = _display(node)
        op = node[0]
    if op == "n":
        if node[2] == 1 and node[1] >= 0:  # a whole number: as it is
            return str(node[1])
        dec = decimal(node)
        text = dec if dec else f"\\frac{{{node[1]}}}{{{node[2]}}}" if node[1] >= 0 else \
            f"-\\frac{{{-node[1]}}}{{{node[2]}}}"
        prec = 9 if dec and node[1] >= 0 else 2
        return f"\\left({text}\\right)" if prec < parent else text
    if op == "c":
        return "\\pi" if node[1] == "pi" else "e"
    if op in ("+", "-"):
        text = f"{to_latex(node[1], 1)} {'+' if op == '+' else '-'} {to_latex(node[2], 2)}"
        prec = 1
    elif op == "neg":
        text, prec = f"-{to_latex(node[1], 3)}", 2
    elif op == "*":
        a, b = node[1], node[2]
        right = to_latex(b, 3)
        sep = " \\cdot " if b[0] == "n" or (b[0] in ("neg",)) or right[:1].isdigit() else " "
        text, prec = f"{to_latex(a, 3)}{sep}{right}", 3
    elif op == "/":
        return f"\\frac{{{to_latex(node[1])}}}{{{to_latex(node[2])}}}"
    elif op == "^":
        text, prec = f"{to_latex(node[1], 6)}^{{{to_latex(node[2])}}}", 5
    elif op == "f":
        name, args = node[1], node[2]
        inner = ", ".join([to_latex(a) for a in args])
        if name == "abs":
            return f"\\left|{inner}\\right|"
        if name == "sqrt":
            return f"\\sqrt{{{inner}}}"
        if name == "log" and len(args) == 2:
            return f"\\log_{{{to_latex(args[1])}}}\\left({to_latex(args[0])}\\right)"
        head = _FUNC_LATEX.get(name, f"\\operatorname{{{name}}}")
        return f"{head}\\left({inner}\\right)"
    else:  # "d"
        return f"{name_latex(node[1])}{chr(39) * node[2]}\\left({to_latex(node[3])}\\right)"
    return f"\\left({text}\\right)" if prec < parent or (prec == parent and op == "-") else text
