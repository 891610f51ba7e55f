"""PrairieLearn questions (SPEC §12): one folder a problem with info.json, question.html (only
PrairieLearn elements, each `answers-name` a part id) and a server.py whose `generate` draws the
variant with this package and whose `grade` grades with it.

`generate` and `grade` below are what server.py calls; they take PrairieLearn's `data` dict.
The variant is rebuilt from `data["params"]["seed"]` (and the pinned parameters), so nothing but
the seed has to be kept between the two."""
from __future__ import annotations

import json
import pprint
import uuid
from pathlib import Path
from typing import Any, Mapping

from grader import __version__
from grader.exports import ExportError, chosen, figures, html, render_template, slug

UUID_NAMESPACE = uuid.UUID("6f1b2f3e-7a5c-5d8e-9b0a-3c4d5e6f7a8b")  # fixed: a problem's uuid never changes
DRAWS = 50
NUMBER_INPUT, MATRIX_INPUT, SYMBOLIC_INPUT, MULTIPLE_CHOICE, STRING_INPUT = (
    "pl-number-input", "pl-matrix-input", "pl-symbolic-input", "pl-multiple-choice", "pl-string-input")


def question_uuid(problem_id: str) -> str:
    """The question's uuid: the same for a problem id on every export."""
    return str(uuid.uuid5(UUID_NAMESPACE, problem_id))


def element_of(part) -> dict:
    """The PrairieLearn element a part is answered with, and its attributes."""
    from grader.answers.choice import Boolean, Choice, Text
    from grader.answers.expressions import Expression
    from grader.answers.lists import Vector
    from grader.answers.numbers import Number

    kind = part.type
    if isinstance(kind, Number):
        if kind.exact:
            rule = {"comparison": "relabs", "rtol": "1e-12", "atol": "1e-12"}
        elif kind.rtol is not None or kind.atol is not None:
            rule = {"comparison": "relabs", "rtol": f"{kind.rtol or 0:g}", "atol": f"{kind.atol or 0:g}"}
        else:
            rule = {"comparison": "sigfig", "digits": str(kind.sigfigs)}
        return {"tag": NUMBER_INPUT, "attrs": rule}
    if isinstance(kind, Vector):
        return {"tag": MATRIX_INPUT, "attrs": {}}
    if isinstance(kind, (Boolean, Choice)):
        return {"tag": MULTIPLE_CHOICE, "attrs": {"fixed-order": "true"}}
    if isinstance(kind, Expression) and not kind.functions and all(v.isascii() and v.isidentifier() for v in kind.variables):
        return {"tag": SYMBOLIC_INPUT, "attrs": {"variables": ", ".join(kind.variables)}}
    attrs = {"remove-leading-trailing": "true"}
    if isinstance(kind, Text):
        attrs["multiline"] = "true"
    return {"tag": STRING_INPUT, "attrs": attrs}


def _options(part, ref) -> list[dict] | None:
    from grader.answers.choice import Boolean, Choice

    kind = part.type
    if isinstance(kind, Boolean):
        truth = kind.reference(ref)
        return [{"html": "True", "correct": str(truth).lower()}, {"html": "False", "correct": str(not truth).lower()}]
    if isinstance(kind, Choice):
        right = kind.reference(ref)
        return [{"html": html(o), "correct": str(i == right).lower()} for i, o in enumerate(kind.options)]
    return None


def _pl_answer(part, answer: Any) -> Any:
    """The reference as PrairieLearn's element expects it in `data["correct_answers"]`."""
    from grader.answers.lists import Vector
    from grader.answers.numbers import Number, to_exact

    if isinstance(part.type, Number):
        return float(to_exact(answer))
    if isinstance(part.type, Vector):
        rows = answer if part.type.ndim == 2 else [answer]
        return {"_type": "ndarray", "_value": [[float(to_exact(v)) for v in row] for row in rows], "_dtype": "float64"}
    return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)


def signature(inst) -> list[list[str]]:
    """The question's shape: each part's id and element, as question.html lays them out."""
    return [[part.id, element_of(part)["tag"]] for part in inst.parts]


def instance_for(problem_id: str, seed: int, pinned: Mapping, require: Mapping, parts: list | None = None):
    """The variant for a PrairieLearn seed: the first of seed, seed+1, ... whose parts are the
    question's (`parts`, a `signature`, in any order; a structural parameter drawn otherwise
    changes them)."""
    from grader import registry

    problem = registry.get(problem_id)
    for attempt in range(DRAWS):
        inst = problem.instance(seed + attempt, dict(pinned), dict(require))
        if parts is None or sorted(signature(inst)) == sorted(list(p) for p in parts):
            return inst
    raise ExportError(f"{problem_id}: no variant shaped as the question near seed {seed}")


def generate(data: dict, problem_id: str, pinned: Mapping, require: Mapping, parts: list) -> None:
    """PrairieLearn's generate(): draw the variant from `data["variant_seed"]`, fill params
    (texts as HTML with \\( \\) math, figures as SVG, choice options) and correct_answers."""
    from grader.render import texts

    seed = int(data.get("variant_seed", 0)) % 2**31
    inst = instance_for(problem_id, seed, pinned, require, parts)
    t = texts(inst)
    params = {"seed": inst.seed, "statement": html(t.statement),
              "figures": "".join(f.svg + (f"<p>{f.caption}</p>" if f.caption else "") for f in figures(inst, "figure"))}
    for part in inst.parts:
        entry = {"prompt": html(t.prompts[part.id]), "rule": part.type.rule(), "points": part.points}
        options = _options(part, inst.reference(part.id))
        if options is not None:
            entry["options"] = options
        else:
            data["correct_answers"][part.id] = _pl_answer(part, inst.answer(part.id))
        params[part.id] = entry
    data["params"].update(params)


def _raw(part, submitted: Any) -> Any:
    """A PrairieLearn submitted answer as this package's raw answer."""
    from grader.answers.choice import Boolean, Choice
    from grader.answers.lists import Vector

    if isinstance(submitted, dict) and "_value" in submitted:  # a matrix, as pl.to_json writes it
        submitted = submitted["_value"]
    if isinstance(part.type, Vector) and part.type.ndim == 1 and isinstance(submitted, list) \
            and len(submitted) == 1 and isinstance(submitted[0], list):
        submitted = submitted[0]
    if isinstance(part.type, (Boolean, Choice)) and isinstance(submitted, str) and len(submitted) == 1:
        count = len(part.type.options) if isinstance(part.type, Choice) else 2
        if 0 <= ord(submitted) - ord("a") < count:  # pl-multiple-choice answers by key: a, b, ...
            return chosen(part.type, ord(submitted) - ord("a"))
    return submitted


def grade(data: dict, problem_id: str, pinned: Mapping, require: Mapping, parts: list) -> None:
    """PrairieLearn's grade(): every part through this package's grading, misconceptions and
    follow-through included; sets `data["partial_scores"]`, `data["score"]` and feedback.
    A part left to a person (free text) has weight 0: its points are the assessment's manual points."""
    from grader.answers.base import MANUAL
    from grader.grading import grade as grade_instance

    inst = instance_for(problem_id, int(data["params"]["seed"]), pinned, require, parts)
    submitted = data.get("submitted_answers", {})
    answers = {part.id: _raw(part, submitted.get(part.id)) for part in inst.parts}
    result = grade_instance(inst, answers)
    total = weights = 0.0
    for part in result.parts:
        weight = 0 if part.verdict == MANUAL else part.max_score
        score = part.score / part.max_score if part.max_score else 0.0
        feedback = part.feedback if part.verdict != MANUAL else f"Pending: graded by a person. {part.feedback}"
        data["partial_scores"][part.id] = {"score": score, "weight": weight, "feedback": feedback}
        data["feedback"][part.id] = feedback
        if part.misconception:
            data["feedback"].setdefault("misconceptions", []).append(part.misconception)
        total += score * weight
        weights += weight
    data["score"] = total / weights if weights else 0.0


def question_html(inst) -> str:
    from grader.render import part_label

    parts = []
    for i, part in enumerate(inst.parts):
        element = element_of(part)
        parts.append({"id": part.id, "label": f"({part_label(i)})", "tag": element["tag"], "attrs": element["attrs"],
                      "choices": element["tag"] == MULTIPLE_CHOICE})
    return render_template("pl_question.html.j2", parts=parts)


def write_question(problem_id: str, out: Path, pinned: Mapping | None = None, require: Mapping | None = None) -> Path:
    """Write the question folder `out/<problem id>/`; returns it."""
    pinned, require = dict(pinned or {}), dict(require or {})
    inst = instance_for(problem_id, 1, pinned, require)
    problem = inst.problem
    folder = out / slug(problem_id)
    folder.mkdir(parents=True, exist_ok=True)
    info = {"uuid": question_uuid(problem_id), "title": problem.title, "topic": problem.topic or "grader",
            "tags": ["grader", problem_id], "type": "v3"}
    (folder / "info.json").write_text(json.dumps(info, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "question.html").write_text(question_html(inst), encoding="utf-8")
    server = render_template("pl_server.py.j2", problem_id=repr(problem_id), version=__version__,
                             pinned=pprint.pformat(pinned, width=80), require=pprint.pformat(require, width=80),
                             parts=pprint.pformat(signature(inst), width=100))
    (folder / "server.py").write_text(server, encoding="utf-8")
    return folder
