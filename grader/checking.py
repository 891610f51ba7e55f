"""From a submission (and optionally a key) to graded results: the one path that `check` and
exam grading share."""
from __future__ import annotations

from typing import Any

from grader import registry
from grader.errors import AnswerFileError, GraderError
from grader.grading import ProblemResult, grade, _num
from grader.problem import Instance
from grader.submission import ProblemAnswers, Submission


def instance_from(problem_id: str, seed: int | None, params: dict, path: str, fld: str = "") -> Instance:
    """Rebuild an instance from its problem id, seed and pinned parameters."""
    try:
        problem = registry.get(problem_id)
    except GraderError as exc:
        raise AnswerFileError(str(exc), path=path, field=f"{fld}.problem" if fld else "problem") from None
    if seed is None:
        unpinned = [q.name for q in problem.params if not q.has_default and q.name not in params]
        if unpinned:
            raise AnswerFileError(f"a seed is needed to rebuild the variant (or pin {', '.join(unpinned)})",
                                  path=path, field=f"{fld}.seed" if fld else "seed")
    try:
        return problem.instance(seed, params)
    except GraderError as exc:
        raise AnswerFileError(str(exc), path=path, field=f"{fld}.params" if fld else "params") from None


def check_part_ids(instance: Instance, answers: dict, path: str, fld: str = "") -> None:
    """Every answered part id must be a part of the instance."""
    for pid in answers:
        if pid not in instance.part_ids:
            raise AnswerFileError(
                f"unknown part {pid!r} of {instance.problem.id}; its parts: {', '.join(instance.part_ids)}",
                path=path, field=f"{fld + '.' if fld else ''}answers.{pid}")


def _key_instance(entry: Any, key_path: str, where: str) -> tuple[Instance, dict]:
    if not isinstance(entry, dict) or not isinstance(entry.get("problem"), str) or not isinstance(entry.get("params"), dict):
        raise AnswerFileError("malformed key entry (needs problem and params)", path=key_path, field=where)
    inst = instance_from(entry["problem"], entry.get("seed"), entry["params"], key_path, where)
    points = {}
    for part in entry.get("parts", []) or []:
        if isinstance(part, dict) and isinstance(part.get("id"), str) and isinstance(part.get("points"), (int, float)):
            points[part["id"]] = part["points"]
    return inst, points


def grade_one(inst: Instance, pa: ProblemAnswers, path: str, points: dict | None = None) -> ProblemResult:
    check_part_ids(inst, pa.answers, path, pa.field)
    return grade(inst, pa.answers, points)


def key_entries(key: Any, key_path: str, sub: Submission) -> list[tuple[Any, str]]:
    """The key entries a submission is graded against, each with its place in the key."""
    if isinstance(key, dict) and isinstance(key.get("students"), dict):
        if sub.student is None:
            raise AnswerFileError("the submission names no student; the key is an exam key", path=key_path)
        entries = key["students"].get(sub.student)
        if not isinstance(entries, list):
            raise AnswerFileError(f"student {sub.student!r} is not in the key", path=key_path, field="students")
        return [(e, f"students.{sub.student}[{i}]") for i, e in enumerate(entries)]
    if isinstance(key, dict) and "problem" in key:
        return [(key, "")]
    raise AnswerFileError("not a key (expected an exam key or a problem's key.json)", path=key_path)


def match_answers(entries: list[tuple[Any, str]], sub: Submission, path: str) -> list[ProblemAnswers]:
    """For each key entry, the submission's answers to it (blank when the student gave none)."""
    remaining = list(sub.problems)
    out = []
    for i, (entry, _) in enumerate(entries):
        pid = entry.get("problem") if isinstance(entry, dict) else None
        found = next((pa for pa in remaining if pa.problem == pid), None)
        if found is None:
            out.append(ProblemAnswers(pid or "", None, {}, {}, f"problems[{i}]"))
        else:
            remaining.remove(found)
            out.append(found)
    if remaining:
        raise AnswerFileError(f"problem {remaining[0].problem!r} is not in the key", path=path, field=remaining[0].field)
    return out


def check(sub: Submission, path: str, key: Any = None, key_path: str = "") -> dict:
    """Grade a submission; the result object of SPEC §2 (`grader check --json`). Against a key,
    the key's parameters and part points are used and the submission's own are ignored."""
    if key is None:
        if not sub.single:
            raise AnswerFileError("an exam submission is graded against its key: use --key", path=path)
        pa = sub.problems[0]
        return grade_one(instance_from(pa.problem, pa.seed, pa.params, path), pa, path).to_json()
    entries = key_entries(key, key_path, sub)
    results = []
    for (entry, where), pa in zip(entries, match_answers(entries, sub, path)):
        inst, points = _key_instance(entry, key_path, where)
        results.append(grade_one(inst, pa, path, points).to_json())
    if sub.single and len(results) == 1 and "students" not in key:
        return results[0]
    return {"student": sub.student, "exam": sub.exam if sub.exam is not None else key.get("exam"),
            "score": _num(sum(r["score"] for r in results)),
            "max_score": _num(sum(r["max_score"] for r in results)), "problems": results}
