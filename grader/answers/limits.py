"""Bounds checked while parsing, before anything expensive is built."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds checked while parsing, before SymPy builds anything expensive."""

    max_chars: int = 2000
    max_depth: int = 100
    max_exponent: int = 1000
    max_digits: int = 100
    max_result_digits: int = 1000
    max_nodes: int = 2000


DEFAULT_LIMITS = Limits()


class BuildError(Exception):
    """Raised by a builder; the parser turns it into an AnswerParseError at the current token."""


def out_of_range(what: str) -> str:
    """The one wording for a value beyond a double's range, naming what is out of range."""
    return f"{what} is out of range (larger than 1.8e308 in size)"
