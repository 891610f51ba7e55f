"""Grading an instance: each part's answer through its type, misconceptions on a miss,
follow-through from the student's own earlier answers."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from grader.answers.base import CORRECT, INCORRECT, INVALID, MANUAL, PARTIAL, UNANSWERED, AnswerType, Outcome
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
    return run_many([(answer_type, raw, reference)])[0]


def run_many(items: list) -> list[Outcome]:
    """`run` for each (answer type, raw, reference), the sandboxed ones in one round trip."""
    from grader.answers.sandbox import grade_many

    try:
        results = grade_many(items)
    except Exception as exc:  # noqa: BLE001 - a bug must not cost a student points
        results = [exc] * len(items)
    return [r if isinstance(r, Outcome) else
            Outcome.manual(f"Could not be graded automatically ({type(r).__name__}); left to a person.")
            for r in results]


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _own_answers(instance: Instance, answers: Mapping[str, Any], ids: tuple[str, ...]) -> dict | None:
    own = {}
    for pid in ids:
        raw = answers.get(pid)
        if _blank(raw):
            return None
        part_type = instance.part(pid).type
        if part_type.budgeted(raw) and run(part_type, raw, instance.reference(pid)).verdict in (MANUAL, INVALID):
            return None  # not read within the budget: never parsed outside it
        try:
            own[pid] = part_type.plain(part_type.parse(raw))
        except AnswerParseError:
            return None
    return own


def _missed(outcome: Outcome) -> bool:
    return outcome.verdict in (INCORRECT, PARTIAL)


def _mistakes(instance: Instance, part: Part) -> list[tuple[Any, Any]]:
    """The part's misconceptions that make a difference here, with their wrong answers."""
    return [(m, w) for m in part.misconceptions if (w := m.answer(instance.context)) is not None]


def grade_part(instance: Instance, part: Part, raw: Any, answers: Mapping[str, Any],
               points: float | None = None, graded: tuple | None = None) -> PartResult:
    """Grade one part: the reference first, then follow-through from the student's own earlier
    answers (which wins: a step done right from one's own wrong value may look like a named
    mistake on the reference, e.g. a descent step from a sign-flipped gradient), then misconceptions.
    `graded` is (outcome, (misconceptions, their verdicts)) when already computed in a batch."""
    points = part.points if points is None else points
    if _blank(raw):
        return PartResult(part.id, UNANSWERED, 0.0, points, "No answer given.")
    if graded is None:
        outcome = run(part.type, raw, instance.reference(part.id))
        mistakes = _mistakes(instance, part) if _missed(outcome) else []
        verdicts = [o.verdict for o in run_many([(part.type, raw, w) for _, w in mistakes])]
    else:
        outcome, (mistakes, verdicts) = graded
    read_as = outcome.read_as
    misconception, followed = None, False
    if _missed(outcome) and part.follow:
        own = _own_answers(instance, answers, part.follow.depends_on)
        if own is not None:
            redone = part.follow.recompute(instance.context, own)
            if redone is not None and run(part.type, raw, redone).verdict == CORRECT:
                deps, followed = ", ".join(part.follow.depends_on), True
                outcome = Outcome.fraction(
                    part.follow.credit,
                    f"Follow-through: right for your own answer to {deps} (which is not the reference).")
    if _missed(outcome) and not followed:
        for (m, _), verdict in zip(mistakes, verdicts):
            if verdict == CORRECT:
                outcome = Outcome(0.0, INCORRECT, m.feedback)
                misconception = m.name
                break
    return PartResult(part.id, outcome.verdict, points * outcome.score, points, outcome.feedback,
                      misconception, read_as)


def grade(instance: Instance, answers: Mapping[str, Any], part_points: Mapping[str, float] | None = None) -> ProblemResult:
    """Grade every part of `instance` from `answers` (part id -> raw JSON value): the answers
    in one batch, then the misconceptions of the parts missed in a second one."""
    result = ProblemResult(instance.problem.id, instance.seed)
    answered = [p for p in instance.parts if not _blank(answers.get(p.id))]
    outcomes = run_many([(p.type, answers[p.id], instance.reference(p.id)) for p in answered])
    mistakes = {p.id: (_mistakes(instance, p) if _missed(o) else []) for p, o in zip(answered, outcomes)}
    checks = [(p.type, answers[p.id], w) for p in answered for _, w in mistakes[p.id]]
    verdicts = iter(o.verdict for o in run_many(checks))
    graded = {p.id: (o, (mistakes[p.id], [next(verdicts) for _ in mistakes[p.id]]))
              for p, o in zip(answered, outcomes)}
    for part in instance.parts:
        pts = part_points.get(part.id) if part_points else None
        result.parts.append(grade_part(instance, part, answers.get(part.id), answers, pts, graded.get(part.id)))
    return result


