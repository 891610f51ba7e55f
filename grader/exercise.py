"""Exercises in a notebook: `grader.Exercise("beam-search", seed=3)` shows itself as HTML (never
an answer: neither its repr nor its HTML carries a reference) and `.check(part=answer, ...)`
grades through the same path as `grader check`, returning a result that shows as a table."""
from __future__ import annotations

from typing import Any


class Exercise:
    """One variant of problem `problem_id`: drawn from `seed` (a fresh one when omitted, told in
    `.seed`), with any parameters pinned by keyword."""

    def __init__(self, problem_id: str, seed: int | None = None, **params: Any):
        from grader import registry
        from grader.rng import fresh_seed

        self.seed = fresh_seed() if seed is None else seed
        self.pinned = dict(params)
        self._instance = registry.get(problem_id).instance(self.seed, self.pinned)
        self.id = self._instance.problem.id
        self.title = self._instance.problem.title

    @property
    def parts(self) -> list[str]:
        """The part ids, the keyword arguments of `check`."""
        return list(self._instance.part_ids)

    @property
    def params(self) -> dict:
        """Every parameter of the variant (pinned and drawn)."""
        return dict(self._instance.params)

    def __repr__(self) -> str:
        pinned = "".join(f", {k}={v!r}" for k, v in self.pinned.items())
        return f"Exercise({self.id!r}, seed={self.seed}{pinned})"

    def _repr_html_(self) -> str:
        from grader.render import environment, problem_view

        return environment().get_template("web/notebook.html.j2").render(problem=problem_view(self._instance, False))

    def new(self) -> "Exercise":
        """The next variant (the next seed, the same pinned parameters)."""
        from grader.web.practice import next_seed

        return Exercise(self.id, next_seed(self.seed), **self.pinned)

    def check(self, **answers: Any) -> "CheckResult":
        """Grade answers given by part id, exactly as `grader check` grades an answers file."""
        from grader.checking import check
        from grader.submission import parse_submission

        data = {"problem": self.id, "seed": self.seed, "params": self.pinned, "answers": answers}
        return CheckResult(check(parse_submission(data, "check()"), "check()"))


class CheckResult:
    """A graded attempt: `.score`, `.max_score`, `.parts` (the `check --json` parts) and `.json`."""

    def __init__(self, result: dict):
        self.json = result
        self.score = result["score"]
        self.max_score = result["max_score"]
        self.parts = result["parts"]

    def __getitem__(self, part_id: str) -> dict:
        for part in self.parts:
            if part["id"] == part_id:
                return part
        raise KeyError(part_id)

    def __repr__(self) -> str:
        import io

        from rich.console import Console

        from grader.commands.check import result_tables

        console = Console(width=100, file=io.StringIO(), highlight=False, emoji=False, color_system=None,
                          force_jupyter=False)
        for table in result_tables(self.json):
            console.print(table)
        return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())

    def _repr_html_(self) -> str:
        from grader.render import environment

        return environment().get_template("web/result.html.j2").render(result=self.json)

