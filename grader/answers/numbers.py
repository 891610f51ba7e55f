"""Numbers: exact fractions, decimals and closed forms, graded by significant figures by default."""
from __future__ import annotations

import math
import re
import sys
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

from grader.answers.base import AnswerType, Outcome, check_size
from grader.answers.limits import out_of_range
from grader.errors import AnswerParseError

_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?(/\d+)?")
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(,\d{3})+")  # 209,658: an integer in thousands
_MINUSES = dict.fromkeys(map(ord, "\u2212\u2012\u2013\u2014\ufe63\uff0d"), "-")
MAX_DIGITS = 400
MAX_MAGNITUDE = Fraction(sys.float_info.max)
OUT_OF_RANGE = out_of_range("the number")


def in_range(value):
    """`value` itself when its size fits a double; AnswerParseError (`invalid`) otherwise."""
    if isinstance(value, float) and not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise AnswerParseError(OUT_OF_RANGE)
    return value


def plain_number(raw: Any) -> bool:
    """True for answers whose cost is bounded without a sandbox: JSON numbers and plain
    decimal or fraction strings of bounded length."""
    if isinstance(raw, (bool, int, float)) or raw is None:
        return True
    if not isinstance(raw, str) or len(raw) > MAX_DIGITS:
        return False
    s = normalise_text(raw)
    return bool(_PLAIN.fullmatch(s) or _GROUPED.fullmatch(s)) or not s


def normalise_text(text: str) -> str:
    """NFKC, every dash-like minus as '-', surrounding white space removed."""
    return unicodedata.normalize("NFKC", text).translate(_MINUSES).strip()


def to_exact(x: Any):
    """A reference value as a Fraction where it is rational, else a float (SymPy values too)."""
    if isinstance(x, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(x, (int, Fraction)):
        return Fraction(x)
    if isinstance(x, float):
        return x
    if getattr(x, "is_Rational", False):
        return Fraction(int(x.p), int(x.q))
    if hasattr(x, "evalf"):
        return float(x.evalf(30))
    if hasattr(x, "item"):  # NumPy scalar
        return to_exact(x.item())
    if isinstance(x, str):
        return parse_number_text(x)
    raise TypeError(f"not a number: {x!r}")


def parse_number_text(text: str):
    """A student's number: plain decimals and fractions fast, closed forms through the parser."""
    check_size(text)
    s = normalise_text(text)
    if not s:
        raise AnswerParseError("the answer is empty")
    if _GROUPED.fullmatch(s):
        s = s.replace(",", "")
    if _PLAIN.fullmatch(s):
        if len(s) > MAX_DIGITS:
            raise AnswerParseError(f"the number has more than {MAX_DIGITS} characters", text, MAX_DIGITS)
        try:
            value = Fraction(s)
        except ZeroDivisionError:
            raise AnswerParseError("division by zero", text, s.index("/")) from None
        return in_range(value)
    from grader.answers.parser import parse_number

    try:  # the parser refuses whatever overflows a double on the way, with its position
        return in_range(to_exact(parse_number(s)))
    except OverflowError:
        raise AnswerParseError(OUT_OF_RANGE) from None


def format_exact(x) -> str:
    """Student notation: a terminating decimal as a decimal ("-1.85"), else a fraction ("-5/3")."""
    if isinstance(x, float):
        return f"{x:.10g}"
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    d = x.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:
        digits = max(len(str(x.denominator)) - 1, 1) + 3
        text = f"{float(x):.{digits}f}".rstrip("0").rstrip(".")
        if Fraction(text) == x:
            return text
    return f"{x.numerator}/{x.denominator}"


def _whole(x) -> bool:
    return isinstance(x, Fraction) and x.denominator == 1


def sigfig_tolerance(reference: float, sigfigs: int) -> float:
    """Half a unit of the last significant figure, with PrairieLearn's 0.51 slack."""
    if reference == 0:
        return 0.0
    return 0.51 * 10 ** (math.floor(math.log10(abs(reference))) - (sigfigs - 1))


@dataclass(frozen=True)
class Number(AnswerType):
    """A real number. Default rule: 3 significant figures; `rtol`/`atol` or `exact` instead."""

    name = "number"
    # a closed form is read with SymPy and checked with NumPy: imported before the clock starts,
    # else a fresh worker's first such answer could run out of time on a loaded machine
    needs: ClassVar[tuple[str, ...]] = ("grader.answers.expressions", "sympy")
    sigfigs: int | None = 3
    rtol: float | None = None
    atol: float | None = None
    exact: bool = False

    def parse(self, raw: Any):
        if isinstance(raw, bool) or raw is None:
            raise AnswerParseError(f"expected a number, got {str(raw).lower()}")
        if isinstance(raw, int):
            return in_range(Fraction(raw))
        if isinstance(raw, float):
            if not math.isfinite(raw):
                raise AnswerParseError("NaN and infinity are not accepted")
            return Fraction(repr(raw)) if abs(raw) < 1e300 else raw
        if isinstance(raw, str):
            return parse_number_text(raw)
        raise AnswerParseError(f"expected a number, got a {type(raw).__name__}")

    def budgeted(self, raw: Any) -> bool:
        return not plain_number(raw)

    def reference(self, ref: Any):
        return to_exact(ref)

    def tolerance(self, ref) -> float:
        r = float(ref)
        tol = 0.0
        if self.rtol is not None or self.atol is not None:
            tol = max((self.rtol or 0.0) * abs(r), self.atol or 0.0)
        elif self.sigfigs:
            tol = sigfig_tolerance(r, self.sigfigs)
        return tol

    def close(self, sub, ref) -> bool:
        if self.exact or isinstance(sub, Fraction) and isinstance(ref, Fraction) and sub == ref:
            return sub == ref
        return abs(float(sub) - float(ref)) <= self.tolerance(ref) * (1 + 1e-12)

    def compare(self, sub, ref) -> Outcome:
        if self.close(sub, ref):
            return Outcome.correct()
        relation = self.relation(sub, ref)
        if relation:
            return Outcome.incorrect(relation)
        if self.exact and not _whole(sub) and abs(float(sub) - float(ref)) <= sigfig_tolerance(float(ref), 3):
            return Outcome.incorrect("An exact value is expected (a fraction such as -5/3, not a rounded decimal).")
        return Outcome.incorrect("Not the expected value.")

    def relation(self, sub, ref) -> str:
        """How a wrong answer relates to the reference, when simply: the sign, a factor of
        10^k, the reciprocal. Empty when there is no such relation (or 0 would pass)."""
        if sub == 0 or self.close(Fraction(0), ref):
            return ""
        if self.close(-sub, ref):
            return "Check the sign: the answer is the negative of the expected value."
        for k in range(1, 13):
            size = f"10^{k}" if k > 1 else "10"
            for factor, which in ((Fraction(10**k), f"{size} times"), (Fraction(1, 10**k), f"1/{size} of")):
                if self.close(sub / factor, ref):
                    return f"Off by a factor of {size}: the answer is {which} the expected value."
        if self.close(1 / sub, ref):
            return "The answer is the reciprocal of the expected value."
        return ""

    def canonical(self, ref) -> Any:
        """An exact value as a string ("-5/3", "-1.85"); an inexact one as a JSON number."""
        value = self.reference(ref)
        return float(f"{value:.10g}") if isinstance(value, float) else format_exact(value)

    def notations(self, ref) -> list[Any]:
        ref = self.reference(ref)
        out = [float(ref)]
        text = format_exact(ref)
        if text.startswith("-"):
            out.append("\u2212" + text[1:])
        if isinstance(ref, Fraction) and ref.denominator != 1 and not self.exact:
            out.append(f"{float(ref):.6g}")
        return out

    def perturb(self, ref, rng) -> list[Any]:
        r = Fraction(self.reference(ref))
        bump = max(abs(r) / 10, Fraction(1, 10) if not self.atol else Fraction(self.atol) * 10 + 1)
        return [format_exact(r + bump), format_exact(r - bump), format_exact(r + 1)]

    def accuracy(self) -> str:
        """How exact a number must be, as a clause: "exactly (e.g. -5/3) or to 3 significant figures"."""
        if self.exact:
            return "exactly (an integer or a fraction such as -5/3)"
        if self.rtol is not None or self.atol is not None:
            bounds = []
            if self.rtol is not None:
                bounds.append(f"a relative error of {self.rtol:g}")
            if self.atol is not None:
                bounds.append(f"an absolute error of {self.atol:g}")
            return f"within {' or '.join(bounds)} (exact fractions are welcome)"
        return f"exactly (e.g. -5/3) or to at least {self.sigfigs} significant figures (e.g. -1.67)"

    def rule(self) -> str:
        return f"Give the number {self.accuracy()}."

    def show(self, parsed) -> dict:
        text = format_exact(parsed)
        if isinstance(parsed, Fraction) and parsed.denominator != 1:
            sign = "-" if parsed < 0 else ""
            latex = f"{sign}\\frac{{{abs(parsed.numerator)}}}{{{parsed.denominator}}}"
            if "/" not in text:
                latex = text
        else:
            latex = text
        return {"text": text.replace("-", "\u2212"), "latex": latex}
