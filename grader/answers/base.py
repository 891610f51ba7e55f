"""The answer-type protocol: parse hostile input, compare it with a reference, explain the verdict.

Every answer type is a small immutable object holding its rule (tolerances, declared names, ...).
Grading is pure: `grade(raw, reference) -> Outcome`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from grader.errors import AnswerParseError

CORRECT, PARTIAL, INCORRECT, INVALID, UNANSWERED, MANUAL = (
    "correct", "partial", "incorrect", "invalid", "unanswered", "manual",
)
VERDICTS = (CORRECT, PARTIAL, INCORRECT, INVALID, UNANSWERED, MANUAL)
MAX_ANSWER_CHARS = 2000


@dataclass(frozen=True)
class Outcome:
    """The verdict on one answer: `score` is the fraction of the part's points (0..1)."""

    score: float
    verdict: str
    feedback: str = ""
    read_as: dict | None = None  # {"text", "latex"}: what the engine understood (SPEC §2)

    def reading(self, read_as: dict | None) -> "Outcome":
        """The same verdict, carrying what the answer was read as."""
        return Outcome(self.score, self.verdict, self.feedback, read_as)

    @classmethod
    def correct(cls, feedback: str = "") -> "Outcome":
        return cls(1.0, CORRECT, feedback)

    @classmethod
    def incorrect(cls, feedback: str = "") -> "Outcome":
        return cls(0.0, INCORRECT, feedback)

    @classmethod
    def invalid(cls, feedback: str) -> "Outcome":
        return cls(0.0, INVALID, feedback)

    @classmethod
    def manual(cls, feedback: str) -> "Outcome":
        return cls(0.0, MANUAL, feedback)

    @classmethod
    def fraction(cls, score: float, feedback: str = "") -> "Outcome":
        if score >= 1:
            return cls(1.0, CORRECT, feedback)
        if score <= 0:
            return cls(0.0, INCORRECT, feedback)
        return cls(float(score), PARTIAL, feedback)


class AnswerType:
    """Base of all answer types. Subclasses set `name` and implement parse/compare/canonical."""

    name: ClassVar[str] = "answer"
    sandboxed: ClassVar[bool] = False  # every answer graded under the sandbox's budget

    def budgeted(self, raw: Any) -> bool:
        """True when grading `raw` needs the sandbox's time and memory budget: always where
        `sandboxed` is set; other types keep cheap answers (plain numbers) out of it."""
        return self.sandboxed

    def parse(self, raw: Any) -> Any:
        """Read a student's raw JSON value; raise AnswerParseError when it cannot be read."""
        raise NotImplementedError

    def reference(self, ref: Any) -> Any:
        """The problem's reference value in the parsed form `compare` takes. Idempotent: it
        accepts its own output, which `canonical`, `notations` and `perturb` receive."""
        return self.parse(ref)

    def compare(self, sub: Any, ref: Any) -> Outcome:
        """Compare a parsed answer with a parsed reference."""
        raise NotImplementedError

    def canonical(self, ref: Any) -> Any:
        """The reference (as the problem gives it, or parsed) as a JSON value in student
        notation: what `answer` shows."""
        raise NotImplementedError

    def notations(self, ref: Any) -> list[Any]:
        """Other ways of writing the reference that must grade as correct."""
        return []

    def perturb(self, ref: Any, rng) -> list[Any]:
        """Plausible wrong answers (JSON values) that must not grade as correct."""
        return []

    def plain(self, parsed: Any) -> Any:
        """A parsed answer as a plain value for follow-through (vectors as nested lists)."""
        return parsed

    def rule(self) -> str:
        """One sentence telling the student how the answer is graded."""
        return ""

    def show(self, parsed: Any) -> dict | None:
        """What a parsed answer was read as, `{"text", "latex"}` (SPEC §2 `read_as`); None where
        the answer is shown as typed (choices, booleans, free text)."""
        return None

    def grade(self, raw: Any, ref: Any) -> Outcome:
        """Parse `raw` and compare it with the reference; unreadable input is `invalid`."""
        try:
            sub = self.parse(raw)
        except AnswerParseError as exc:
            return Outcome.invalid(exc.feedback())
        return self.compare(sub, self.reference(ref)).reading(self.show(sub))

    def preview(self, raw: Any) -> dict:
        """What `raw` would be read as, before grading: `{"read_as": {...}}`, or `{"error",
        "position", "caret"}` where it cannot be read."""
        try:
            return {"read_as": self.show(self.parse(raw))}
        except AnswerParseError as exc:
            return {"error": exc.message, "position": exc.position, "caret": exc.caret()}

    def same(self, raw: Any, ref: Any) -> bool:
        """True when `raw` would score full marks against `ref` (used for misconceptions)."""
        return self.grade(raw, ref).verdict == CORRECT


def reading_notes(notes) -> str:
    """How ambiguous names were read, as a sentence for feedback: " (K was read as k.)"."""
    return f" ({'; '.join(notes)}.)" if notes else ""


class ReadAnswer(AnswerType):
    """An answer type whose `read(text)` returns the parsed answer and notes on how ambiguous
    names in it were read ("K was read as k"); its feedback ends with those notes, whatever
    the verdict."""

    def grade(self, raw: Any, ref: Any) -> Outcome:
        """As `AnswerType.grade`, reading the answer once and saying how names were read."""
        try:
            sub, notes = self.read(raw) if isinstance(raw, str) else (self.parse(raw), ())
        except AnswerParseError as exc:
            return Outcome.invalid(exc.feedback())
        outcome = self.compare(sub, self.reference(ref))
        return Outcome(outcome.score, outcome.verdict, outcome.feedback + reading_notes(notes), self.show(sub))


@dataclass(frozen=True)
class Misconception:
    """A wrong answer students commonly give, computed from the same instance.

    `answer(ctx)` returns the wrong value (in the same form as the reference) or None where the
    mistake makes no difference for this instance.
    """

    name: str
    feedback: str
    answer: Callable[[dict], Any]


@dataclass(frozen=True)
class FollowThrough:
    """A part computed from earlier parts: `recompute(ctx, own)` gives the reference from the
    student's own parsed answers `own` (part id -> value) to the parts in `depends_on`."""

    depends_on: tuple[str, ...]
    recompute: Callable[[dict, dict], Any]
    credit: float = 1.0


def check_size(raw: Any, limit: int = MAX_ANSWER_CHARS) -> None:
    """Refuse strings longer than the limit before anything parses them."""
    if isinstance(raw, str) and len(raw) > limit:
        raise AnswerParseError(f"the answer is {len(raw)} characters long; the limit is {limit}")
