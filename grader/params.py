"""Parameter declarations: each knows its kind, its default or range, and how to validate a
pinned value (raising InvalidParams that names the parameter and the rule it breaks)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

from grader.errors import InvalidParams
from grader.text import visible

NO_DEFAULT = object()
MAX_MAGNITUDE = 10**6  # pinned numbers stay hand-sized: no overflow in any solver
MIN_MAGNITUDE = Fraction(1, 10**9)  # ... and no vanishing ones (0 itself is fine)
MAX_TEXT = 64


def _is_number(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or isinstance(x, float) and math.isfinite(x)


def as_fraction(name: str, x: Any) -> Fraction:
    """A JSON number or a fraction string as an exact Fraction, at most MAX_MAGNITUDE and, unless
    0, at least MIN_MAGNITUDE in size."""
    value = None
    if _is_number(x):
        value = Fraction(x)
    elif isinstance(x, str) and len(x) <= MAX_TEXT:
        try:
            value = Fraction(x.strip().replace("\u2212", "-"))
        except (ValueError, ZeroDivisionError):
            pass
    if value is None:
        raise InvalidParams(name, f"expected a number, got {_shown(x)}")
    if abs(value) > MAX_MAGNITUDE or value and abs(value) < MIN_MAGNITUDE:
        raise InvalidParams(name, f"numbers must be 0 or between {float(MIN_MAGNITUDE):g} and "
                                  f"{float(MAX_MAGNITUDE):g} in size, got {_shown(x)}")
    return value


def _shown(x: Any) -> str:
    """A pinned value in an error message: ASCII JSON, cut short."""
    try:
        text = json.dumps(x)
    except (TypeError, ValueError):
        text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Param:
    """One parameter of a problem. `check(name, value)` returns the value, normalised, or raises.

    `kind` and `range` are what `grader show` prints; `default` applies unless pinned; a
    parameter without a default is drawn from the seed by the problem's `draw`.
    """

    name: str
    kind: str
    meaning: str
    default: Any = NO_DEFAULT
    range: str = ""
    check: Callable[[str, Any], Any] = field(default=lambda name, value: value, repr=False)

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def validate(self, value: Any) -> Any:
        return self.check(self.name, value)


def integer(lo: int | None = None, hi: int | None = None):
    """Validator: a whole number in [lo, hi]."""

    def check(name, x):
        if isinstance(x, float) and x.is_integer():
            x = int(x)
        if not isinstance(x, int) or isinstance(x, bool):
            raise InvalidParams(name, f"expected a whole number, got {_shown(x)}")
        if lo is not None and x < lo or hi is not None and x > hi:
            raise InvalidParams(name, f"must be between {lo} and {hi}, got {x}")
        return x

    return check


def number(lo: float | None = None, hi: float | None = None, *, strict_lo: bool = False):
    """Validator: a finite JSON number (or a fraction string) in the given range."""

    def check(name, x):
        value = as_fraction(name, x)
        if lo is not None and (value < lo or strict_lo and value == lo):
            raise InvalidParams(name, f"must be {'>' if strict_lo else '>='} {lo}, got {x}")
        if hi is not None and value > hi:
            raise InvalidParams(name, f"must be <= {hi}, got {x}")
        return x

    return check


def choice(*options: str):
    """Validator: one of the named options."""

    def check(name, x):
        if x not in options:
            raise InvalidParams(name, f"must be one of {', '.join(map(repr, options))}, got {_shown(x)}")
        return x

    return check


def number_list(min_len: int = 1, max_len: int = 64):
    """Validator: a list of finite numbers of a bounded length."""

    def check(name, x):
        if not isinstance(x, list):
            raise InvalidParams(name, f"expected a list of numbers, got {_shown(x)}")
        if not min_len <= len(x) <= max_len:
            raise InvalidParams(name, f"needs between {min_len} and {max_len} values, got {len(x)}")
        for v in x:
            as_fraction(name, v)
        return x

    return check


def matrix(rows: tuple[int, int] = (1, 16), cols: tuple[int, int] = (1, 16)):
    """Validator: a rectangular list of lists of finite numbers."""

    def check(name, x):
        if not isinstance(x, list) or not x or not all(isinstance(r, list) for r in x):
            raise InvalidParams(name, "expected a matrix (a list of rows, each a list of numbers)")
        width = len(x[0])
        if any(len(r) != width for r in x):
            raise InvalidParams(name, "rows must all have the same length")
        if not rows[0] <= len(x) <= rows[1] or not cols[0] <= width <= cols[1]:
            raise InvalidParams(name, f"shape {len(x)}x{width} is outside {rows[0]}..{rows[1]} x {cols[0]}..{cols[1]}")
        for r in x:
            for v in r:
                as_fraction(name, v)
        return x

    return check


def string_list(min_len: int = 1, max_len: int = 64):
    """Validator: a list of distinct non-empty strings."""

    def check(name, x):
        if not isinstance(x, list) or not all(isinstance(s, str) and s.strip() for s in x):
            raise InvalidParams(name, "expected a list of non-empty strings")
        if any(len(s) > MAX_TEXT or visible(s) != s for s in x):
            raise InvalidParams(name, f"items must be printable text (no control or invisible characters) "
                                      f"of at most {MAX_TEXT} characters")
        if not min_len <= len(x) <= max_len:
            raise InvalidParams(name, f"needs between {min_len} and {max_len} items, got {len(x)}")
        if len(set(x)) != len(x):
            raise InvalidParams(name, "items must be distinct")
        return x

    return check


def json_object(name, x):
    """Validator: a JSON object (the problem's own check looks inside)."""
    if not isinstance(x, dict):
        raise InvalidParams(name, f"expected a JSON object, got {_shown(x)}")
    return x
