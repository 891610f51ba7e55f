"""Points as people see them: exact fractions inside, 2 decimals outside, rounded with the
largest-remainder method so that parts add up exactly to their problem and problems to the total.

Every point value `exam build`, `exam grade` and `check --key` print or write goes through
`split`, `round_parts` or `shown`/`value`; nothing else rounds points."""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Any, Iterable, Sequence

CENTS = 100


def exact(x: Any) -> Fraction:
    """A point value (int, float, Fraction or decimal string) as an exact Fraction; a float is
    read as the decimal it prints as (0.1 is 1/10)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, float):
        return Fraction(repr(x))
    return Fraction(x)


def to_cents(x: Any) -> Fraction:
    """`x` rounded to 2 decimals, half away from zero."""
    c = exact(x) * CENTS
    whole = math.floor(abs(c) + Fraction(1, 2))
    return Fraction(whole if c >= 0 else -whole, CENTS)


def _distribute(values: Sequence[Fraction], target_cents: int) -> list[Fraction]:
    """Each value floored to cents, then the cents still missing from `target_cents` handed to
    the largest remainders (earlier ones first on ties); taken from the smallest when over."""
    scaled = [exact(v) * CENTS for v in values]
    floors = [math.floor(v) for v in scaled]
    rest = target_cents - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(scaled[i] - floors[i]), i))
    if rest >= 0:
        for k in range(rest):
            floors[order[k % len(order)]] += 1
    else:
        for k in range(-rest):
            floors[order[-1 - k % len(order)]] -= 1
    return [_cents(f) for f in floors]


@lru_cache(maxsize=4096)
def _cents(n: int) -> Fraction:
    """n cents, one shared object per value: a class's grades hold many equal points."""
    return Fraction(n, CENTS)


def round_parts(values: Sequence[Any], total: Any = None) -> list[Fraction]:
    """`values` to 2 decimals so that they sum exactly to `total` (default: their sum, rounded)."""
    if not values:
        return []
    values = tuple(exact(v) for v in values)
    return list(_round_exact(values, None if total is None else exact(total)))


@lru_cache(maxsize=8192)
def _round_exact(values: tuple[Fraction, ...], total: Fraction | None) -> tuple[Fraction, ...]:
    """round_parts of exact values, remembered: most students share a few score patterns."""
    target = to_cents(sum(values, Fraction(0)) if total is None else total)
    return tuple(_distribute(values, int(target * CENTS)))


def split(total: Any, weights: Sequence[Any]) -> list[Fraction]:
    """`total` (rounded to 2 decimals) shared in proportion to `weights`, to 2 decimals, the shares
    adding up to it exactly: 20 points over 12 equal parts are eight 1.67 and four 1.66."""
    if not weights:
        return []
    w = [exact(x) for x in weights]
    whole = sum(w, Fraction(0))
    target = to_cents(total)
    if not whole:
        w, whole = [Fraction(1)] * len(w), Fraction(len(w))
    return _distribute([target * x / whole for x in w], int(target * CENTS))


@lru_cache(maxsize=8192, typed=True)
def value(x: Any) -> int | float:
    """A point value for JSON: 2 decimals, an int when whole. Remembered: a class's files
    show the same few values many times."""
    c = to_cents(x)
    return int(c) if c.denominator == 1 else float(c)


def shown(x: Any) -> str:
    """A point value as text: `10`, `1.5`, `1.67`, `-2`."""
    v = value(x)
    return str(v)


def total(values: Iterable[Any]) -> Fraction:
    return sum((exact(v) for v in values), Fraction(0))


def rounded_result(result: dict) -> dict:
    """A `check --json` result object with every score to 2 decimals, rounded like the exam's
    outputs: parts add up to their problem, problems to the total."""
    problems = result.get("problems", [result])
    shown_problems = round_parts([exact(p["score"]) for p in problems])
    out = []
    for p, score in zip(problems, shown_problems):
        parts = round_parts([exact(q["score"]) for q in p["parts"]], total=score)
        out.append(dict(p, score=value(score), max_score=value(p["max_score"]),
                        parts=[dict(q, score=value(s), max_score=value(q["max_score"])) for q, s in zip(p["parts"], parts)]))
    if "problems" not in result:
        return out[0]
    return dict(result, score=value(sum(shown_problems, Fraction(0))), max_score=value(result["max_score"]), problems=out)
