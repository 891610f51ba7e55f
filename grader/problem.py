"""The problem base: parameters, parts, seeded generation of instances.

A problem file subclasses `Problem`, declares `params` and a `parts(p)` list, and implements
`draw` (the unpinned parameters from a generator), `validate` (rules every instance obeys) and
`solve` (the one place its maths lives: every part's reference, plus what the text needs).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from grader.answers.base import AnswerType, FollowThrough, Misconception
from grader.errors import ConstraintUnsatisfiable, GraderError, InvalidParams
from grader.params import Param
from grader.text import one_line

MAX_ATTEMPTS = 500


class Redraw(Exception):
    """Raised by `draw` when the values it drew make an ill-posed variant (a tie, a degenerate
    case): generation retries with the next attempt of the same seed."""


@dataclass(frozen=True)
class Variety:
    """What `grader selftest --stats` asserts over many seeds (SPEC §7, §8): no answer of a part
    in more than `max_share` of the seeds, each value of a boolean part within `boolean`, distinct
    variants in at least `variants` of the seeds, and at most `uniform_booleans` of the instances
    with two or more boolean parts answering them all alike. `parts` overrides `max_share` by
    part id, template key or measure name (a pair (lo, hi) bounds a boolean's share of true);
    None marks a part whose answer is the same by design (a formula)."""

    max_share: float = 0.4
    boolean: tuple[float, float] = (0.3, 0.7)
    variants: float = 1.0
    uniform_booleans: float = 0.2
    parts: Mapping[str, float | tuple[float, float] | None] = field(default_factory=dict)

    def limit(self, part: "Part") -> float | tuple[float, float] | None:
        for name in (part.id, part.block):
            if name in self.parts:
                return self.parts[name]
        return self.max_share


@dataclass(frozen=True)
class Part:
    """One graded part. `key` names the template blocks `prompt_<key>`/`solution_<key>`
    (default: the id); `extra` is passed to them as `part.extra`."""

    id: str
    type: AnswerType
    points: float = 1
    key: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    misconceptions: tuple[Misconception, ...] = ()
    follow: FollowThrough | None = None

    @property
    def block(self) -> str:
        return self.key or self.id


def jsonable(value: Any) -> Any:
    """Plain JSON values from NumPy scalars/arrays, tuples and Fractions (as exact strings)."""
    from fractions import Fraction

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if hasattr(value, "tolist"):  # NumPy scalars and arrays
        return jsonable(value.tolist())
    if hasattr(value, "is_Integer") and value.is_Integer:  # SymPy integers
        return int(value)
    raise TypeError(f"not a JSON value: {value!r}")


class Problem:
    """Base class of every problem. Subclasses are registered with `@register`."""

    id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    topic: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    example: ClassVar[dict] = {}
    part_ids: ClassVar[tuple[str, ...]] = ()  # the example's part ids, listed without solving
    template: ClassVar[str | None] = None
    structural: ClassVar[tuple[str, ...]] = ()  # parameters that decide the part ids (drawn once per exam)
    source: ClassVar[str] = ""
    paper: ClassVar[str] = ""  # how the numbers stay hand-computable, where the exercise is for paper
    variety: ClassVar[Variety] = Variety()

    # -- what a problem file implements -------------------------------------------------------
    def draw(self, rng, p: dict) -> dict:
        """Values for the parameters not yet in `p` (pinned and defaulted ones are there)."""
        return {}

    def validate(self, p: dict) -> None:
        """Rules every instance obeys, beyond each parameter's own; raise `self.invalid(...)`."""

    def solve(self, p: dict) -> dict:
        """Every part's reference (keyed by part id) and whatever the text and feedback need."""
        raise NotImplementedError

    def parts(self, p: dict) -> list[Part]:
        """The parts of the instance with parameters `p`."""
        raise NotImplementedError

    def figures(self, p: dict, ctx: dict) -> list:
        """Figures of the exercise (see grader.figures)."""
        return []

    def measures(self, p: dict, ctx: dict) -> dict:
        """Properties of a variant beyond its answers (e.g. how many distinct magnitudes a
        normalised batch has) whose spread over seeds `selftest --stats` checks like an answer's."""
        return {}

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def invalid(param: str, rule: str) -> InvalidParams:
        return InvalidParams(param, rule)

    @property
    def template_name(self) -> str:
        return self.template or f"{self.id}.md.j2"

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise InvalidParams(name, f"unknown parameter of {self.id}; known: {', '.join(q.name for q in self.params)}")

    def example_parts(self) -> list[Part]:
        """The parts of the problem's example (its seed case), for `list` and `show`."""
        return self.instance(seed=0, pinned=self.example).parts

    # -- generation ---------------------------------------------------------------------------
    def check_pinned(self, pinned: Mapping[str, Any]) -> dict:
        """Validate pinned values parameter by parameter; unknown names are refused."""
        return {name: self.param(name).validate(value) for name, value in pinned.items()}

    def instance(self, seed: int | None = 0, pinned: Mapping[str, Any] | None = None,
                 require: Mapping[str, Any] | None = None) -> "Instance":
        """The instance for (seed, pinned params), redrawn deterministically until it is well
        posed and meets `require` (part answers or params that must take given values). Pinned
        values that no variant can be built from are an InvalidParams naming them."""
        pinned = self.check_pinned(pinned or {})
        try:
            return self._instance(seed, pinned, require)
        except GraderError:
            raise
        except (ArithmeticError, ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
            if not pinned:
                raise
            raise self._refused(pinned, f"cannot be used ({type(exc).__name__}: {one_line(str(exc), 80)})") from None

    def _refused(self, pinned: Mapping[str, Any], rule: str) -> InvalidParams:
        """The one-line error for pinned values no variant can be built from."""
        return InvalidParams(", ".join(pinned), rule)

    def _instance(self, seed: int | None, pinned: dict, require: Mapping[str, Any] | None) -> "Instance":
        from grader.rng import generator

        base = {q.name: q.default for q in self.params if q.has_default}
        base.update(pinned)
        drawn_any = any(q.name not in base for q in self.params)
        attempts = MAX_ATTEMPTS if drawn_any else 1
        for attempt in range(attempts):
            p = dict(base)
            if drawn_any:
                try:
                    p.update(self.draw(generator(self.id, seed or 0, attempt), dict(p)))
                except Redraw:
                    continue
            p = jsonable(p)
            for name in p:
                self.param(name)
            missing = [q.name for q in self.params if q.name not in p]
            if missing:
                raise GraderError(f"{self.id}: draw() left parameters {missing} unset")
            p = {q.name: q.validate(p[q.name]) for q in self.params}
            self.validate(p)
            ctx = self.solve(p)
            inst = Instance(self, seed, p, ctx, self.parts(p))
            if require and not inst.satisfies(require):
                continue
            return inst
        if require:
            raise ConstraintUnsatisfiable(self.id, dict(require), attempts)
        if pinned:
            raise self._refused(pinned, f"no well-posed variant of {self.id} with {'this value' if len(pinned) == 1 else 'these values'} "
                                        f"in {attempts} draws")
        raise GraderError(f"{self.id}: no well-posed variant for seed {seed} in {attempts} draws")


@dataclass
class Instance:
    """One variant: the problem, its seed, its full parameters, the solved context and parts."""

    problem: Problem
    seed: int | None
    params: dict
    context: dict
    parts: list[Part]

    def part(self, part_id: str) -> Part:
        for part in self.parts:
            if part.id == part_id:
                return part
        raise KeyError(part_id)

    @property
    def part_ids(self) -> list[str]:
        return [part.id for part in self.parts]

    def reference(self, part_id: str) -> Any:
        return self.context[part_id]

    def answer(self, part_id: str) -> Any:
        """The canonical reference in student notation (a JSON value)."""
        return self.part(part_id).type.canonical(self.reference(part_id))

    def satisfies(self, require: Mapping[str, Any]) -> bool:
        for name, wanted in require.items():
            if name in self.params:
                if self.params[name] != wanted:
                    return False
            elif name in self.part_ids:
                if not self.part(name).type.same(wanted, self.reference(name)):
                    return False
            else:
                raise GraderError(f"require: {name!r} is neither a parameter nor a part of {self.problem.id}")
        return True

    @property
    def max_score(self) -> float:
        return sum(part.points for part in self.parts)

    def fingerprint(self) -> str:
        """A short hash of the variant's parameters: equal fingerprints, identical exercises."""
        import hashlib

        blob = json.dumps([self.problem.id, self.params], sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
