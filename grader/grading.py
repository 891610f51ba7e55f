"""Grading an instance: each part's answer through its type, misconceptions on a miss,
follow-through from the student's own earlier answers."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from grader.answers.base import CORRECT, INCORRECT, PARTIAL, UNANSWERED, AnswerType, Outcome
from grader.errors import AnswerParseError
from grader.problem import Instance, Part


@dataclass
class PartResult:
    id: str
    verdict: str
    score: float
    max_score: float
    feedback: str
    misconception: str | None = None
    read_as: dict | None = None

    def to_json(self) -> dict:
        out = asdict(self)
        for optional in ("misconception", "read_as"):
            if out[optional] is None:
                del out[optional]
        out["score"] = _num(out["score"])
        out["max_score"] = _num(out["max_score"])
        return out


@dataclass
class ProblemResult:
    problem: str
    seed: int | None
    parts: list[PartResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(p.score for p in self.parts)

    @property
    def max_score(self) -> float:
        return sum(p.max_score for p in self.parts)

    def to_json(self) -> dict:
        return {"problem": self.problem, "seed": self.seed, "score": _num(self.score),
                "max_score": _num(self.max_score), "parts": [p.to_json() for p in self.parts]}


def _num(x: float):
    x = round(float(x), 6)
    return int(x) if x.is_integer() else x


def run(answer_type: AnswerType, raw: Any, reference: Any) -> Outcome:
    """One answer against one reference, in the sandbox where the type needs one. A failure
    inside the engine is never the student's zero: it is left to a person."""
    try:
        if getattr(answer_type, "sandboxed", False):
            from grader.answers.sandbox import guarded_grade

            return guarded_grade(answer_type, raw, reference)
        return answer_type.grade(raw, reference)
    except Exception as exc:  # noqa: BLE001 - a bug must not cost a student points
        return Outcome.manual(f"Could not be graded automatically ({type(exc).__name__}); left to a person.")


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _own_answers(instance: Instance, answers: Mapping[str, Any], ids: tuple[str, ...]) -> dict | None:
    own = {}
    for pid in ids:
        raw = answers.get(pid)
        if _blank(raw):
            return None
        part_type = instance.part(pid).type
        try:
            own[pid] = part_type.plain(part_type.parse(raw))
        except AnswerParseError:
            return None
    return own


def grade_part(instance: Instance, part: Part, raw: Any, answers: Mapping[str, Any],
               points: float | None = None) -> PartResult:
    """Grade one part: the reference first, then follow-through from the student's own earlier
    answers (which wins: a step done right from one's own wrong value may look like a named
    mistake on the reference, e.g. a descent step from a sign-flipped gradient), then misconceptions."""
    points = part.points if points is None else points
    if _blank(raw):
        return PartResult(part.id, UNANSWERED, 0.0, points, "No answer given.")
    ref = instance.reference(part.id)
    outcome = run(part.type, raw, ref)
    read_as = outcome.read_as
    misconception, followed = None, False
    if outcome.verdict in (INCORRECT, PARTIAL) and part.follow:
        own = _own_answers(instance, answers, part.follow.depends_on)
        if own is not None:
            redone = part.follow.recompute(instance.context, own)
            if redone is not None and run(part.type, raw, redone).verdict == CORRECT:
                deps, followed = ", ".join(part.follow.depends_on), True
                outcome = Outcome.fraction(
                    part.follow.credit,
                    f"Follow-through: right for your own answer to {deps} (which is not the reference).")
    if outcome.verdict in (INCORRECT, PARTIAL) and not followed:
        for m in part.misconceptions:
            wrong = m.answer(instance.context)
            if wrong is not None and run(part.type, raw, wrong).verdict == CORRECT:
                outcome = Outcome(0.0, INCORRECT, m.feedback)
                misconception = m.name
                break
    return PartResult(part.id, outcome.verdict, points * outcome.score, points, outcome.feedback,
                      misconception, read_as)


def grade(instance: Instance, answers: Mapping[str, Any], part_points: Mapping[str, float] | None = None) -> ProblemResult:
    """Grade every part of `instance` from `answers` (part id -> raw JSON value)."""
    result = ProblemResult(instance.problem.id, instance.seed)
    for part in instance.parts:
        pts = part_points.get(part.id) if part_points else None
        result.parts.append(grade_part(instance, part, answers.get(part.id), answers, pts))
    return result


