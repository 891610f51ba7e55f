"""What the practice pages do, as plain functions: the variant for a seed, the "read as" preview of
one answer (under the same sandbox and budget as grading), grading a submission through the
`check` path, and the views the templates show."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from grader import registry
from grader.answers.base import AnswerType, Outcome
from grader.problem import Instance

MAX_SEED = 2**31 - 1
# Parts answered with radio buttons or a text area; every other type gets a text box and a preview.
RADIO_TYPES = ("boolean", "choice")
AREA_TYPES = ("text",)


@lru_cache(maxsize=64)
def variant(problem_id: str, seed: int) -> Instance:
    """The instance `grader new problem_id --seed seed` makes (cached: pages and APIs reuse it)."""
    return registry.get(problem_id).instance(seed, {})


def next_seed(seed: int) -> int:
    return 0 if seed >= MAX_SEED else seed + 1


@dataclass(frozen=True)
class _PreviewTask:
    """An answer type's preview run in the place of its grading, so that the sandbox gives it
    exactly the time and memory budget a graded answer gets."""

    type: AnswerType
    sandboxed: ClassVar[bool] = True

    def grade(self, raw: Any, reference: Any) -> dict:
        return self.type.preview(raw)


def preview(answer_type: AnswerType, raw: Any) -> dict:
    """What `raw` would be read as: {"read_as": {"text", "latex"} | None} or {"error", "position",
    "caret"}. Sandboxed exactly where grading is (grading.run decides the same way)."""
    if not getattr(answer_type, "sandboxed", False):
        try:
            return answer_type.preview(raw)
        except Exception as exc:  # noqa: BLE001 - the same rule as grading.run
            return _unreadable(f"could not be read automatically ({type(exc).__name__})")
    from grader.answers.sandbox import guarded_grade

    try:
        out = guarded_grade(_PreviewTask(answer_type), raw, None)
    except Exception as exc:  # noqa: BLE001
        return _unreadable(f"could not be read automatically ({type(exc).__name__})")
    if isinstance(out, Outcome):  # past its budget: the sandbox's own message
        return _unreadable(out.feedback)
    return out


def warm_up() -> None:
    """Start the sandbox's worker now, with the expression engine loaded: before the server holds
    any connection the worker would inherit, and so that the first preview is as fast as the rest."""
    from grader.answers.expressions import Expression

    preview(Expression(variables=("x",)), "x")


def _unreadable(message: str) -> dict:
    return {"error": message, "position": None, "caret": ""}


def preview_view(result: dict) -> dict:
    """A preview with its math as MathML, ready for the page."""
    from grader.markup import mathml

    read_as = result.get("read_as")
    if read_as and (read_as.get("latex") or read_as.get("text")):
        return {**result, "mathml": mathml(read_as.get("latex") or read_as["text"])}
    return result


def submit(instance: Instance, answers: dict) -> dict:
    """Grade the answers exactly as `grader check` grades the same answers file."""
    from grader.checking import check
    from grader.submission import parse_submission

    data = {"problem": instance.problem.id, "seed": instance.seed, "answers": answers}
    return check(parse_submission(data, "practice"), "practice")


def input_kind(answer_type: AnswerType) -> str:
    if answer_type.name in RADIO_TYPES:
        return "radio"
    if answer_type.name in AREA_TYPES:
        return "area"
    return "box"


def options(answer_type: AnswerType) -> list[tuple[str, str]]:
    """(value, label) of each radio button."""
    if answer_type.name == "boolean":
        return [("true", "true"), ("false", "false")]
    return [(chr(65 + i), f"{chr(65 + i)}. {text}") for i, text in enumerate(getattr(answer_type, "options", ()))]


def shown(value: Any) -> str:
    """A stored answer as it is put back in its input."""
    from grader.render import show_answer

    return "" if value is None else show_answer(value)


def exercise_view(instance: Instance, attempts: list[dict]) -> dict:
    """The document's problem view, each part with its input and the last attempt's outcome."""
    from grader.render import problem_view

    from grader.grading import _num
    from grader.text import scrub

    view = problem_view(instance, solution=False)
    last = attempts[-1] if attempts else None
    results = {}
    for result in last["parts"] if last else ():
        results[result["id"]] = {**result, "points": f"{_num(result['score'])} / {_num(result['max_score'])}"}
    for part, pv in zip(instance.parts, view["parts"]):
        pv["input"] = input_kind(part.type)
        pv["options"] = options(part.type)
        pv["value"] = scrub(shown(last["answers"].get(part.id))) if last else ""
        pv["result"] = results.get(part.id)
    view["attempts"] = len(attempts)
    view["last_score"] = f"{_num(last['score'])} / {_num(last['max_score'])}" if last else ""
    return view


def solution_view(instance: Instance) -> dict[str, str]:
    """Each part's worked solution and reference answer, as HTML."""
    from grader.render import environment, problem_view

    template = environment().get_template("web/solution.html.j2")
    return {part["id"]: template.render(part=part) for part in problem_view(instance, solution=True)["parts"]}


def catalog_view(problem_ids: list[str], summary: list[dict], suggestions: list[str]) -> dict:
    """The start page: problems by topic with attempts and last score, and what to practise next."""
    from grader.text import one_line

    stats = {row["problem"]: row for row in summary}
    topics: dict[str, list[dict]] = {}
    rows = {}
    for pid in problem_ids:
        problem = registry.get(pid)
        row = stats.get(pid)
        rows[pid] = {"id": pid, "title": problem.title, "attempts": row["attempts"] if row else 0,
                     "last_score": row["last_score"] if row else None,
                     "misconceptions": [one_line(m) for m in (row["misconceptions"] if row else {})]}
        topics.setdefault(problem.topic or "other", []).append(rows[pid])
    return {"topics": sorted(topics.items()), "next": [rows[p] for p in suggestions if p in rows]}
