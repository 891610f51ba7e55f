"""Token sequences ("neural network") and sets of them: case and spacing do not matter.

Their cost is bounded statically (at most MAX_ITEMS items of at most MAX_ANSWER_CHARS characters,
linear work), so they are graded without the sandbox."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from grader.answers.base import AnswerType, Outcome, check_size
from grader.answers.choice import _with_explanation
from grader.answers.numbers import normalise_text
from grader.errors import AnswerParseError

_SPLIT = re.compile(r"[\s,]+")
_STRIP = "\"'`“”‘’.;:!?()[]{}<>"
MAX_ITEMS = 1000


def tokens_of(raw: Any) -> tuple[str, ...]:
    """A token sequence from a string ("neural network") or a list of tokens, each word as
    written (compared through `folded`)."""
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
    out = tuple(w for w in (w.strip(_STRIP) for w in words) if w)
    if len(out) > MAX_ITEMS:
        raise AnswerParseError(f"more than {MAX_ITEMS} words")
    return out


def folded(seq: tuple[str, ...]) -> tuple[str, ...]:
    """A sequence as compared: case does not matter."""
    return tuple(w.casefold() for w in seq)


def _show(seq: tuple[str, ...]) -> str:
    return " ".join(seq)


_TEX_SPECIAL = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "_": r"\_", "&": r"\&", "%": r"\%",
                "#": r"\#", "$": r"\$", "^": r"\hat{}", "~": r"\sim "}


def _latex(text: str) -> str:
    """Words as LaTeX math for `read_as`: runs of text in \\text{}, LaTeX's special characters
    between them as math symbols (valid LaTeX that converts to MathML as it reads)."""
    pieces = re.split(r"([\\{}_&%#$^~])", text)
    return "".join(_TEX_SPECIAL[p] if p in _TEX_SPECIAL else r"\text{" + p + "}" for p in pieces if p)


def _phrase(words: tuple[str, ...]) -> str:
    """A vocabulary term as looked up: case, underscores and hyphens do not matter."""
    return " ".join(re.sub(r"[_\-]+", " ", " ".join(words)).casefold().split())


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
        sub, ref = folded(sub), folded(ref)
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
        if len(set(folded(ref))) > 1:
            out.append(_show(tuple(reversed(ref))) if tuple(reversed(ref)) != ref else _show(ref[1:] + ref[:1]))
        return out

    def show(self, parsed) -> dict:
        return {"text": _show(parsed), "latex": _latex(_show(parsed))}

    def rule(self) -> str:
        return 'Write a sequence as its words in order, separated by spaces, e.g. "w1 w2 w3".'


@dataclass(frozen=True)
class Set(AnswerType):
    """A set of token sequences: order, case and duplicates do not matter. `partial` gives
    credit for the share right (right items less wrong ones, over the reference's size).

    With `terms` ((term, synonyms), ...) the items come from that documented vocabulary: each is
    read as its term (a synonym, or the term with spaces for underscores, in any case) and
    anything else is invalid; `optional` terms are right to give and right to leave out.
    `explanation` follows the verdict, as with a choice."""

    name = "set"
    partial: bool = False
    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    optional: tuple[str, ...] = ()
    explanation: str = ""

    def _term(self, seq: tuple[str, ...]) -> tuple[str, ...]:
        said = _phrase(seq)
        for term, synonyms in self.terms:
            if said == _phrase((term,)) or said in (_phrase((s,)) for s in synonyms):
                return (term,)
        raise AnswerParseError(f"{_show(seq)[:40]!r} is not one of the items: {', '.join(t for t, _ in self.terms)}")

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
        items, seen = [], set()
        for i, item in enumerate(raw):
            try:
                seq = tokens_of(item)
                if seq and self.terms:
                    seq = self._term(seq)
            except AnswerParseError as exc:
                raise AnswerParseError(f"item {i + 1}: {exc.message}") from None
            if seq and folded(seq) not in seen:
                seen.add(folded(seq))
                items.append(seq)
        return tuple(items)

    def compare(self, sub, ref) -> Outcome:
        optional = {(t,) for t in self.optional}
        sub = [s for s in sub if s not in optional]
        ref = [s for s in ref if s not in optional]
        sub_keys, ref_keys = {folded(s) for s in sub}, {folded(s) for s in ref}
        missing = [s for s in ref if folded(s) not in sub_keys]
        extra = [s for s in sub if folded(s) not in ref_keys]
        if not missing and not extra:
            return _with_explanation(Outcome.correct(), self.explanation)
        notes = []
        if missing:
            notes.append(f"{len(missing)} expected item{'s' if len(missing) > 1 else ''} missing")
        if extra:
            notes.append("not expected: " + ", ".join(f'"{_show(s)}"' for s in extra[:5]))
        feedback = "; ".join(notes) + "."
        if self.partial:
            verdict = Outcome.fraction((len(ref) - len(missing) - len(extra)) / len(ref), feedback)
        else:
            verdict = Outcome.incorrect(feedback[0].upper() + feedback[1:])
        return _with_explanation(verdict, self.explanation)

    def canonical(self, ref) -> Any:
        return [_show(s) for s in self.reference(ref)]

    def notations(self, ref) -> list[Any]:
        ref = self.reference(ref)
        out = [[list(s) for s in reversed(ref)], "; ".join(_show(s) for s in ref)]
        if self.terms:
            said = dict(self.terms)
            out.append(", ".join((said[s[0]] or (s[0],))[0].upper() for s in ref))
        return out

    def perturb(self, ref, rng) -> list[Any]:
        kept = [_show(s) for s in self.reference(ref) if s[0] not in self.optional]
        wrong = next((t for t, _ in self.terms if t not in kept and t not in self.optional), "zzz")
        return [kept[:-1] or ["nothing"], kept + [wrong]]

    def show(self, parsed) -> dict:
        text = "{" + ", ".join(_show(s) for s in parsed) + "}"
        return {"text": text, "latex": r"\{" + ", ".join(_latex(_show(s)) for s in parsed) + r"\}"}

    def rule(self) -> str:
        if self.terms:
            return (f"Give the set as a list of these items, in any order (in words too, e.g. \"{self.terms[0][1][0]}\"): "
                    + ", ".join(t for t, _ in self.terms) + ".")
        return 'Give a set as a list of its items, in any order, e.g. ["w1 w2", "w2 w1"].'
