"""One error hierarchy for everything a user can get wrong; the CLI turns it into `Error: ...`."""
from __future__ import annotations


class GraderError(Exception):
    """Root of every error caused by the user's input. `where` names the file, line or field."""

    def __init__(self, message: str, *, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ProblemNotFound(GraderError):
    def __init__(self, problem_id: str, known: list[str]):
        self.problem_id = problem_id
        self.known = known
        super().__init__(f"unknown problem {problem_id!r}; known problems: {', '.join(known)}")


class InvalidParams(GraderError):
    """A parameter value that breaks the problem's rules."""

    def __init__(self, param: str, rule: str, *, where: str | None = None):
        self.param = param
        self.rule = rule
        super().__init__(f"parameter {param!r}: {rule}", where=where)


class ConstraintUnsatisfiable(GraderError):
    def __init__(self, problem_id: str, constraints: dict, attempts: int):
        self.problem_id = problem_id
        self.constraints = constraints
        super().__init__(
            f"no variant of {problem_id!r} satisfying {constraints} was found in {attempts} draws"
        )


class AnswerFileError(GraderError):
    """A submission, key or parameter file that cannot be used."""

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None):
        self.path = path
        self.field = field
        where = ", ".join(x for x in (path, f"field {field!r}" if field else None) if x) or None
        super().__init__(message, where=where)


class AnswerParseError(GraderError):
    """A student's answer that cannot be read. `position` is a 0-based index into `text`."""

    def __init__(self, message: str, text: str | None = None, position: int | None = None):
        self.text = text
        self.position = position
        super().__init__(message)

    def caret(self) -> str:
        """The answer with a caret under the bad character (empty when there is no position)."""
        if self.text is None or self.position is None:
            return ""
        line = self.text.replace("\n", " ").replace("\t", " ")
        pos = max(0, min(self.position, len(line)))
        start = max(0, pos - 60)
        shown = line[start : start + 120]
        prefix = "…" if start else ""
        return f"{prefix}{shown}\n{' ' * (len(prefix) + pos - start)}^"

    def feedback(self) -> str:
        caret = self.caret()
        return f"{self.message}\n{caret}" if caret else self.message


class BudgetExceeded(GraderError):
    """Grading one answer ran past its time or memory budget."""


class ExamError(GraderError):
    """An exam specification, roster or directory that cannot be used."""
