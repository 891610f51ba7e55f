"""Booleans, multiple choice and free text."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.answers.base import AnswerType, Outcome, check_size
from grader.answers.numbers import normalise_text
from grader.errors import AnswerParseError

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _with_explanation(verdict: Outcome, explanation: str) -> Outcome:
    if not explanation:
        return verdict
    text = f"{verdict.feedback} {explanation}".strip()
    return Outcome(verdict.score, verdict.verdict, text)


@dataclass(frozen=True)
class Boolean(AnswerType):
    """True or false (`true`, `"T"`, `"yes"`...); the explanation is the feedback either way."""

    name = "boolean"
    explanation: str = ""

    def parse(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            check_size(raw)
            word = normalise_text(raw).lower().strip(".!")
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        raise AnswerParseError(f"expected true or false, got {str(raw)[:40]!r}")

    def reference(self, ref: Any) -> bool:
        return self.parse(ref)

    def compare(self, sub, ref) -> Outcome:
        verdict = Outcome.correct() if sub == ref else Outcome.incorrect(f"It is {str(ref).lower()}.")
        return _with_explanation(verdict, self.explanation)

    def canonical(self, ref) -> Any:
        return self.reference(ref)

    def notations(self, ref) -> list[Any]:
        ref = self.reference(ref)
        return ["T" if ref else "F", "yes" if ref else "no"]

    def perturb(self, ref, rng) -> list[Any]:
        return [not self.reference(ref)]

    def rule(self) -> str:
        return "Answer true or false."


def _option_key(text: str) -> str:
    """An option's text or letter as compared: case, spacing and surrounding punctuation ignored."""
    return " ".join(normalise_text(text).lower().split()).strip(" .()[]")


@dataclass(frozen=True)
class Choice(AnswerType):
    """One of `options`, answered by its letter (A, B, ...) or its text."""

    name = "choice"
    options: tuple[str, ...] = ()
    explanation: str = ""
    letters: bool = True  # False where options are short words that letters would shadow (N, S, E, W)

    def _index(self, raw: Any) -> int:
        if isinstance(raw, str):
            check_size(raw)
            word = _option_key(raw)
            if self.letters and len(word) == 1 and "a" <= word < chr(ord("a") + len(self.options)):
                return ord(word) - ord("a")
            for i, option in enumerate(self.options):
                if _option_key(option) == word:
                    return i
        if not self.letters:
            raise AnswerParseError(f"expected one of {', '.join(self.options)}")
        letters = ", ".join(chr(65 + i) for i in range(len(self.options)))
        raise AnswerParseError(f"expected one of the options ({letters}) by letter or text")

    def parse(self, raw: Any) -> int:
        return self._index(raw)

    def reference(self, ref: Any) -> int:
        return ref if isinstance(ref, int) and not isinstance(ref, bool) else self._index(ref)

    def compare(self, sub, ref) -> Outcome:
        named = f"{chr(65 + ref)}: {self.options[ref]}" if self.letters else self.options[ref]
        verdict = Outcome.correct() if sub == ref else Outcome.incorrect(f"The answer is {named}.")
        return _with_explanation(verdict, self.explanation)

    def canonical(self, ref) -> Any:
        ref = self.reference(ref)
        return chr(65 + ref) if self.letters else self.options[ref]

    def notations(self, ref) -> list[Any]:
        ref = self.reference(ref)
        return [self.options[ref], chr(97 + ref)] if self.letters else [self.options[ref].lower()]

    def perturb(self, ref, rng) -> list[Any]:
        ref = self.reference(ref)
        return [self.canonical(i) for i in range(len(self.options)) if i != ref][:2]

    def rule(self) -> str:
        if not self.letters:
            return f"Answer with one of {', '.join(self.options)}."
        return "Answer with the option's letter or its text."


@dataclass(frozen=True)
class Text(AnswerType):
    """Free text (explain, interpret, draw): left to a person with the rubric, never zero."""

    name = "text"
    rubric: str = ""

    def parse(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise AnswerParseError("expected text")
        check_size(raw, 20_000)
        return raw

    def reference(self, ref: Any) -> str:
        return str(ref)

    def compare(self, sub, ref) -> Outcome:
        rubric = f" Rubric: {self.rubric}" if self.rubric else ""
        return Outcome.manual(f"Graded by a person.{rubric}")

    def canonical(self, ref) -> Any:
        return ref

    def rule(self) -> str:
        return "Answer in a few sentences; a person grades it."
