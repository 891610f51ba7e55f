"""Token sequences ("neural network") and sets of them: case and spacing do not matter.

Their cost is bounded statically (at most MAX_ITEMS items of at most MAX_ANSWER_CHARS characters,
linear work), so they are graded without the sandbox."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from grader.answers.base import AnswerType, Outcome, check_size
from grader.answers.numbers import normalise_text
from grader.errors import AnswerParseError

_SPLIT = re.compile(r"[\s,]+")
_STRIP = "\"'`“”‘’.;:!?()[]{}<>"
MAX_ITEMS = 1000


def tokens_of(raw: Any) -> tuple[str, ...]:
    """A token sequence from a string ("neural network") or a list of tokens."""
    if isinstance(raw, str):
        check_size(raw)
        words = _SPLIT.split(normalise_text(raw))
    elif isinstance(raw, (list, tuple)) and all(isinstance(t, str) for t in raw):
        if len(raw) > MAX_ITEMS:
            raise AnswerParseError(f"more than {MAX_ITEMS} words")
        for t in raw:
            check_size(t)
        words = [w for t in raw for w in _SPLIT.split(normalise_text(t))]
    else:
        raise AnswerParseError("expected a sequence of words, as a string or a list of strings")
    out = tuple(w.strip(_STRIP).lower() for w in words)
    out = tuple(w for w in out if w)
    if len(out) > MAX_ITEMS:
        raise AnswerParseError(f"more than {MAX_ITEMS} words")
    return out


def _show(seq: tuple[str, ...]) -> str:
    return " ".join(seq)


@dataclass(frozen=True)
class Sequence(AnswerType):
    """An ordered sequence of tokens (words); order matters, case and spacing do not."""

    name = "sequence"

    def parse(self, raw: Any) -> tuple[str, ...]:
        seq = tokens_of(raw)
        if not seq:
            raise AnswerParseError("the answer is empty")
        return seq

    def compare(self, sub, ref) -> Outcome:
        if sub == ref:
            return Outcome.correct()
        if sorted(sub) == sorted(ref):
            return Outcome.incorrect("The right words, in the wrong order.")
        if len(sub) != len(ref):
            return Outcome.incorrect(f"Expected {len(ref)} words, got {len(sub)}.")
        return Outcome.incorrect()

    def canonical(self, ref) -> Any:
        return _show(self.reference(ref))

    def notations(self, ref) -> list[Any]:
        ref = self.reference(ref)
        return [list(ref), _show(ref).upper()]

    def perturb(self, ref, rng) -> list[Any]:
        ref = self.reference(ref)
        out = [_show(ref[:-1] or ("nothing",))]
        if len(set(ref)) > 1:
            out.append(_show(tuple(reversed(ref))) if tuple(reversed(ref)) != ref else _show(ref[1:] + ref[:1]))
        return out

    def rule(self) -> str:
        return 'Write a sequence as its words in order, separated by spaces, e.g. "w1 w2 w3".'


@dataclass(frozen=True)
class Set(AnswerType):
    """A set of token sequences: order and duplicates do not matter. `partial` gives credit
    for the share right (right items less wrong ones, over the reference's size)."""

    name = "set"
    partial: bool = False

    def parse(self, raw: Any) -> tuple[tuple[str, ...], ...]:
        if isinstance(raw, str):
            check_size(raw)
            text = normalise_text(raw)
            if text.startswith("["):
                try:
                    raw = json.loads(text)
                except ValueError:
                    raw = [t for t in re.split(r"[;\n,]", text.strip("[]")) if t.strip()]
            else:
                raw = [t for t in re.split(r"[;\n]" if ";" in text or "\n" in text else ",", text) if t.strip()]
        if not isinstance(raw, (list, tuple)):
            raise AnswerParseError("expected a list of sequences")
        if len(raw) > MAX_ITEMS:
            raise AnswerParseError(f"more than {MAX_ITEMS} items")
        items = []
        for i, item in enumerate(raw):
            try:
                seq = tokens_of(item)
            except AnswerParseError as exc:
                raise AnswerParseError(f"item {i + 1}: {exc.message}") from None
            if seq and seq not in items:
                items.append(seq)
        return tuple(items)

    def compare(self, sub, ref) -> Outcome:
        missing = [s for s in ref if s not in sub]
        extra = [s for s in sub if s not in ref]
        if not missing and not extra:
            return Outcome.correct()
        notes = []
        if missing:
            notes.append(f"{len(missing)} expected item{'s' if len(missing) > 1 else ''} missing")
        if extra:
            notes.append("not expected: " + ", ".join(f'"{_show(s)}"' for s in extra[:5]))
        feedback = "; ".join(notes) + "."
        if self.partial:
            return Outcome.fraction((len(ref) - len(missing) - len(extra)) / len(ref), feedback)
        return Outcome.incorrect(feedback[0].upper() + feedback[1:])

    def canonical(self, ref) -> Any:
        return [_show(s) for s in self.reference(ref)]

    def notations(self, ref) -> list[Any]:
        ref = self.reference(ref)
        return [[list(s) for s in reversed(ref)], "; ".join(_show(s) for s in ref)]

    def perturb(self, ref, rng) -> list[Any]:
        ref = self.reference(ref)
        out = [[_show(s) for s in ref[:-1]] or ["nothing"]]
        out.append([_show(s) for s in ref] + ["zzz"])
        return out

    def rule(self) -> str:
        return 'Give a set as a list of its items, in any order, e.g. ["w1 w2", "w2 w1"].'
