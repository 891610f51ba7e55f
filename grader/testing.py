"""The problem contract (SPEC §7) as plain functions: used by the test suite and by
`grader selftest` on a course's own problem files."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

from grader.answers.base import CORRECT, MANUAL, UNANSWERED
from grader.grading import grade, grade_part, run

ALL_FORMATS = ("terminal", "md", "tex", "html", "json")


@dataclass(frozen=True)
class Violation:
    problem: str
    seed: int
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.problem} seed {self.seed}: {self.check}: {self.message}"


def _canonical(part, value):
    return part.type.canonical(part.type.reference(value))


def _short(value) -> str:
    from grader.text import visible

    text = visible(json.dumps(value, ensure_ascii=False, default=str))
    return text if len(text) <= 80 else text[:77] + "..."


def check_instance(problem, seed: int, formats: tuple[str, ...] = ("json",)) -> list[Violation]:
    """Every contract check on the variant (problem, seed); an empty list when it passes."""
    from grader.render import render, texts, to_json
    from grader.rng import generator

    out: list[Violation] = []

    def fail(check: str, message: str) -> None:
        out.append(Violation(problem.id, seed, check, message))

    try:
        inst = problem.instance(seed)
    except Exception as exc:  # noqa: BLE001 - a contract run reports, it does not stop
        fail("generate", f"{type(exc).__name__}: {exc}")
        return out
    key = to_json(inst, solution=True)
    if to_json(problem.instance(seed), solution=True) != key:
        fail("determinism", "the same seed gave a different exercise or key")
    try:
        params = json.loads(json.dumps(inst.params))
    except (TypeError, ValueError) as exc:
        fail("params-json", str(exc))
        return out
    repinned = problem.instance(seed + 1, params)
    if repinned.params != inst.params or to_json(repinned, solution=True)["parts"] != key["parts"]:
        fail("params-roundtrip", "pinning every parameter did not give the same variant")
    if list(problem.part_ids) and inst.part_ids and not set(inst.part_ids) & set(problem.part_ids):
        fail("part-ids", f"parts {inst.part_ids} share nothing with the declared {list(problem.part_ids)}")

    rng = generator("contract", seed)
    full = {part.id: inst.answer(part.id) for part in inst.parts}
    t = texts(inst)
    for part in inst.parts:
        try:
            _check_part(inst, part, t, rng, fail)
        except Exception as exc:  # noqa: BLE001 - report and go on with the other parts
            fail("exception", f"part {part.id}: {type(exc).__name__}: {exc}")
    result = grade(inst, full)
    if abs(result.score - result.max_score) > 1e-9 and not any(p.verdict == MANUAL for p in result.parts):
        fail("full-marks", f"the reference answers score {result.score} of {result.max_score}")
    blank = grade(inst, {})
    if any(p.verdict != UNANSWERED for p in blank.parts):
        fail("unanswered", "blank answers are not all 'unanswered'")
    for fmt in formats:
        for solution in (False, True):
            try:
                text = render(inst, fmt, solution=solution)
            except Exception as exc:  # noqa: BLE001
                fail(f"render-{fmt}", f"{type(exc).__name__}: {exc}")
                continue
            if not text.strip():
                fail(f"render-{fmt}", "empty output")
    return out


def _check_part(inst, part, t, rng, fail) -> None:
    """The per-part checks: prompt and solution present, the reference and its other notations
    right, perturbations and misconceptions wrong."""
    ref = inst.reference(part.id)
    answer = inst.answer(part.id)
    if not t.prompts[part.id].strip():
        fail("prompt", f"part {part.id} has an empty prompt")
    if not t.solutions[part.id].strip():
        fail("solution", f"part {part.id} has no worked solution")
    verdict = run(part.type, answer, ref)
    if part.type.name == "text":
        if verdict.verdict != MANUAL:
            fail("text-manual", f"part {part.id}: a text answer was graded {verdict.verdict}")
        return
    if verdict.verdict != CORRECT:
        fail("reference", f"part {part.id}: the reference {_short(answer)} grades {verdict.verdict}: {verdict.feedback}")
    parsed = part.type.reference(ref)
    for alt in part.type.notations(parsed):
        v = run(part.type, alt, ref)
        if v.verdict != CORRECT:
            fail("notation", f"part {part.id}: {_short(alt)} grades {v.verdict}: {v.feedback}")
    for wrong in part.type.perturb(parsed, rng):
        v = run(part.type, wrong, ref)
        if v.verdict == CORRECT:
            fail("perturbed", f"part {part.id}: the wrong answer {_short(wrong)} grades correct")
    for m in part.misconceptions:
        value = m.answer(inst.context)
        if value is None:
            continue
        wrong = _canonical(part, value)
        result = grade_part(inst, part, wrong, {})
        if result.verdict == CORRECT:
            fail("misconception", f"part {part.id}: {m.name} gives {_short(wrong)}, which grades correct")
        elif result.misconception is None:
            fail("misconception", f"part {part.id}: {m.name} ({_short(wrong)}) is not recognised")


def check_problem(problem, seeds: int = 50, render_every: int = 10) -> Iterator[Violation]:
    """The contract over `seeds` seeds (every format renders on every `render_every`-th seed),
    then hostile values pinned for each parameter."""
    for seed in range(seeds):
        formats = ALL_FORMATS if seed % render_every == 0 else ("json",)
        yield from check_instance(problem, seed, formats)
    yield from check_hostile_params(problem)


# -- hostile parameters (SPEC §9: any pinned value is a one-line error or a valid variant) ----
PIN_SECONDS = 10.0


class _Overtime(Exception):
    pass


def _alarm(signum, frame):
    raise _Overtime


def hostile_values(valid) -> list:
    """Extremes for a parameter whose valid value is `valid`: wrong types, empty, huge, tiny,
    non-finite and hostile text, and the valid value with each entry replaced by an extreme."""
    big = [10**400, 2**63, 1e308, -1e308, 5e-324, -0.0]
    out = [None, True, "", "x", "\x1b[2J\ud800", "1/0", [], {}, [[]], [None], ["x"], [True],
           float("nan"), float("inf"), *big, ["1e9999"], [1e308] * 3, list(range(10_000)),
           {"": {}}, [[1e308, 0], [0, 1e308]], "a" * 100_000]
    if isinstance(valid, list) and valid:
        for extreme in (1e308, -1e308, 10**400, None, "x", [], 0):
            out.append([extreme] + valid[1:])
            out.append([extreme for _ in valid])
        out += [valid[:1], valid * 50, [valid] * 3]
    if isinstance(valid, dict) and valid:
        first = next(iter(valid))
        for extreme in (None, 1e308, [], {}, "x"):
            out.append({**valid, first: extreme})
        out.append({k: v for k, v in list(valid.items())[1:]})
    if isinstance(valid, (int, float)) and not isinstance(valid, bool):
        out += [valid * 10**6, -valid, valid + 0.5, str(valid)]
    return out


def check_pin(problem, name: str, value, seed: int = 0, seconds: float = PIN_SECONDS) -> Violation | None:
    """Pin one parameter to `value`: the result must be a one-line InvalidParams naming a
    parameter, or a variant that renders as JSON, within `seconds` (None when it is so)."""
    import signal

    from grader.errors import InvalidParams
    from grader.render import to_json

    def fail(message: str) -> Violation:
        return Violation(problem.id, seed, "hostile-param", f"{name}={_short(value)}: {message}")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        json.dumps(to_json(problem.instance(seed, {name: value}), solution=True))
    except InvalidParams as exc:
        if "\n" in str(exc):
            return fail(f"the error is not one line: {str(exc)!r}")
    except _Overtime:
        return fail(f"no answer within {seconds:g} s")
    except Exception as exc:  # noqa: BLE001 - the violation is the report
        return fail(f"{type(exc).__name__}: {str(exc)[:200]}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return None


def check_hostile_params(problem, seed: int = 0) -> Iterator[Violation]:
    """`check_pin` for every parameter of the problem and every value of `hostile_values`."""
    valid = problem.instance(seed).params
    for param in problem.params:
        for value in hostile_values(valid.get(param.name)):
            found = check_pin(problem, param.name, value, seed)
            if found:
                yield found


# -- variety (`grader selftest --stats`) ------------------------------------------------------

@dataclass(frozen=True)
class PartStats:
    """How one part's answer spreads over the seeds that ask it."""

    part: str
    kind: str
    seeds: int
    distinct: int
    top: str
    share: float
    limit: str
    ok: bool


@dataclass(frozen=True)
class ProblemStats:
    problem: str
    seeds: int
    variants: int
    parts: list[PartStats]
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def variety_stats(problem, seeds: int = 300) -> ProblemStats:
    """Per part, the distinct answers over seeds 1..`seeds` and the share of the most common
    (a part whose type changes between variants, as in a bank of mixed items, is counted per
    type); per problem, the distinct variants. Failures are checked against `problem.variety`."""
    from collections import Counter

    variety = problem.variety
    answers: dict[tuple[str, str], Counter] = {}
    limits: dict[tuple[str, str], float | None] = {}
    fingerprints = set()
    uniform = with_booleans = 0
    broken = []
    for seed in range(1, seeds + 1):
        try:
            inst = problem.instance(seed)
        except Exception as exc:  # noqa: BLE001 - a course's problem with a bug: report it, go on
            broken.append(f"seed {seed}: {type(exc).__name__}: {exc}")
            continue
        fingerprints.add(inst.fingerprint())
        booleans = []
        for part in inst.parts:
            if part.type.name == "text":
                continue
            key = (part.id, part.type.name)
            value = inst.answer(part.id)
            answers.setdefault(key, Counter())[json.dumps(value, sort_keys=True, default=str)] += 1
            limits.setdefault(key, variety.limit(part))
            if part.type.name == "boolean":
                booleans.append(value)
        for name, value in problem.measures(inst.params, inst.context).items():
            key = (name, "measure")
            answers.setdefault(key, Counter())[json.dumps(value, sort_keys=True, default=str)] += 1
            limits.setdefault(key, variety.parts.get(name, variety.max_share))
        if len(booleans) >= 2:
            with_booleans += 1
            uniform += len(set(booleans)) == 1
    rows, failures = [], [f"generate {message}" for message in broken[:5]]
    for (pid, kind), counts in answers.items():
        n = sum(counts.values())
        top, top_n = counts.most_common(1)[0]
        share = top_n / n
        limit = limits[(pid, kind)]
        if kind == "boolean" or kind == "measure" and set(counts) <= {"true", "false"}:
            lo, hi = limit if isinstance(limit, tuple) else variety.boolean
            ok = limit is None or lo <= counts.get("true", 0) / n <= hi
            limit_text = "fixed by design" if limit is None else f"true in {lo:.0%}–{hi:.0%}"
        else:
            ok = limit is None or share <= limit
            limit_text = "fixed by design" if limit is None else f"≤ {limit:.0%}"
        rows.append(PartStats(pid, kind, n, len(counts),
                              _short(json.loads(top)), share, limit_text, ok))
        if not ok:
            failures.append(f"{kind} {pid}: {_short(json.loads(top))} in {top_n} of {n} seeds ({limit_text})")
    if len(fingerprints) < variety.variants * seeds:
        failures.append(f"{len(fingerprints)} distinct variants in {seeds} seeds "
                        f"(at least {variety.variants:.0%} must differ)")
    if with_booleans and uniform > variety.uniform_booleans * with_booleans:
        failures.append(f"every boolean answer is the same in {uniform} of {with_booleans} instances")
    return ProblemStats(problem.id, seeds, len(fingerprints), rows, failures)
