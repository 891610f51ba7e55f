"""Vectors and matrices: shape first, then each entry under the entry type's rule."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from grader.answers.base import AnswerType, Outcome, check_size
from grader.answers.numbers import Number, normalise_text
from grader.errors import AnswerParseError

MAX_ENTRIES = 10_000


def split_brackets(text: str) -> Any:
    """Read "[[1, 2], [3, -5/3]]" into nested lists of entry strings (no evaluation). Rows may
    also be separated by semicolons, as a column vector is printed: "[-10; 34]" is
    [["-10"], ["34"]] and "[1, 2; 3, 4]" is [["1", "2"], ["3", "4"]]."""
    check_size(text)
    s = normalise_text(text)
    pos = 0

    def skip():
        nonlocal pos
        while pos < len(s) and s[pos].isspace():
            pos += 1

    def item(depth: int):
        nonlocal pos
        skip()
        if depth > 8:
            raise AnswerParseError("lists are nested too deeply", text, pos)
        if pos < len(s) and s[pos] in "[(":
            close = "]" if s[pos] == "[" else ")"
            pos += 1
            rows = [[]]
            skip()
            if pos < len(s) and s[pos] == close:
                pos += 1
                return []
            while True:
                rows[-1].append(item(depth + 1))
                skip()
                if pos < len(s) and s[pos] in ",;":
                    if s[pos] == ";":
                        rows.append([])
                    pos += 1
                    continue
                if pos < len(s) and s[pos] == close:
                    pos += 1
                    return rows if len(rows) > 1 else rows[0]
                raise AnswerParseError(f"expected ',' or '{close}'", text, pos)
        start, level = pos, 0
        while pos < len(s):
            c = s[pos]
            if c == "(":
                level += 1
            elif c == ")" and level:
                level -= 1
            elif c in ",;])" or c == "[":
                break
            pos += 1
        entry = s[start:pos].strip()
        if not entry:
            raise AnswerParseError("an entry is missing", text, start)
        return entry

    value = item(0)
    skip()
    if pos != len(s):
        raise AnswerParseError("unexpected text after the list", text, pos)
    return value


MAX_DEPTH = 8


def shape_of(value: Any, depth: int = 0) -> tuple[int, ...]:
    """The shape of nested lists; AnswerParseError when ragged or nested too deeply."""
    if not isinstance(value, list):
        return ()
    if depth > MAX_DEPTH:
        raise AnswerParseError("lists are nested too deeply")
    if not value:
        return (0,)
    inner = {shape_of(v, depth + 1) for v in value}
    if len(inner) != 1:
        raise AnswerParseError("rows have different lengths")
    return (len(value),) + inner.pop()


def _shape_text(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {shape[0]} entries"
    return "a " + "×".join(map(str, shape)) + " matrix"


@dataclass(frozen=True)
class Vector(AnswerType):
    """A list of numbers (ndim=1) or a matrix (ndim=2); entries graded by `entry`.
    With `partial`, each right entry earns its share of the points."""

    name = "vector"
    entry: Number = field(default_factory=Number)
    partial: bool = False
    ndim: int = 1
    # how feedback names an entry, as the exercise numbers it: a format with {i} (position from 1),
    # {i0} (from 0) and, for matrices, {r}, {c} (from 1) and {r0}, {c0} (from 0); {row} and {col}
    # are the names in `labels`
    index: str = ""
    # the names the exercise gives the rows (a vector's entries) and the columns, e.g. the nodes:
    # ((row names...), (column names...)); without `index`, an entry is "row B, column C"
    labels: tuple[tuple[str, ...], ...] = ()
    # what each row (a vector's entry) should be, as the exercise writes it, shown after the
    # student's value: a format with the fields of `index`, e.g. "v_B⁽¹⁾ = W v_B⁽⁰⁾ + W v_A⁽⁰⁾"
    relations: tuple[str, ...] = ()

    def structure(self, raw: Any) -> tuple[tuple[int, ...], list]:
        """The shape and the raw entries of an answer, before any entry is read. A column
        (n×1, e.g. "[-10; 34]") is accepted for a vector of n entries."""
        if isinstance(raw, str):
            raw = split_brackets(raw)
        if not isinstance(raw, list):
            raise AnswerParseError(f"expected {'a list' if self.ndim == 1 else 'a list of rows'} of numbers")
        shape = shape_of(raw)
        if self.ndim == 1 and len(shape) == 2 and shape[1] == 1:
            shape = shape[:1]
        if len(shape) != self.ndim:
            kind = "a vector (a list of numbers)" if self.ndim == 1 else "a matrix (a list of rows)"
            raise AnswerParseError(f"expected {kind}, got {_shape_text(shape)}")
        flat = _flatten(raw)
        if len(flat) > MAX_ENTRIES:
            raise AnswerParseError(f"more than {MAX_ENTRIES} entries")
        return shape, flat

    def entries(self, shape: tuple[int, ...], flat: list):
        """The parsed form (shape, values) from `structure`'s raw entries."""
        values = []
        for i, v in enumerate(flat):
            try:
                values.append(self.entry.parse(v))
            except AnswerParseError as exc:
                raise AnswerParseError(f"entry {_index(i, shape)}: {exc.message}", exc.text, exc.position) from None
        return shape, values

    def parse(self, raw: Any):
        return self.entries(*self.structure(raw))

    def budgeted(self, raw: Any) -> bool:
        try:
            return any(self.entry.budgeted(v) for v in self.structure(raw)[1])
        except AnswerParseError:
            return False

    def grade(self, raw: Any, ref: Any) -> Outcome:
        """The shape is checked against the reference's before any entry is read."""
        ref = self.reference(ref)
        try:
            shape, flat = self.structure(raw)
            if shape != ref[0]:
                return self.compare((shape, []), ref)
            sub = self.entries(shape, flat)
        except AnswerParseError as exc:
            return Outcome.invalid(exc.feedback())
        return self.compare(sub, ref).reading(self.show(sub))

    def reference(self, ref: Any):
        if isinstance(ref, tuple) and len(ref) == 2 and isinstance(ref[0], tuple):
            return ref  # already parsed
        shape = shape_of(ref)
        return shape, [self.entry.reference(v) for v in _flatten(ref)]

    def compare(self, sub, ref) -> Outcome:
        (sshape, svals), (rshape, rvals) = sub, ref
        if sshape != rshape:
            return Outcome.incorrect(f"Expected {_shape_text(rshape)}, got {_shape_text(sshape)}.")
        wrong = [i for i, (s, r) in enumerate(zip(svals, rvals)) if not self.entry.close(s, r)]
        if not wrong:
            return Outcome.correct()
        names = "; ".join(f"{self._name(i, rshape)} (you gave {self.entry.canonical(svals[i])}{self._relation(i, rshape)})"
                          for i in wrong[:6]) + (" …" if len(wrong) > 6 else "")
        verb = "is" if len(wrong) == 1 else "are"
        feedback = f"{len(wrong)} of {len(rvals)} entries {verb} off: {names}."
        if self.partial:
            return Outcome.fraction(1 - len(wrong) / len(rvals), feedback)
        return Outcome.incorrect(feedback)

    def _name(self, i: int, shape: tuple[int, ...]) -> str:
        index = self.index or (("row {row}, column {col}" if len(shape) == 2 else "{row}") if self.labels else "")
        if not index:
            return ("entry " if len(shape) < 2 else "") + _index(i, shape)
        return index.format(**self._fields(i, shape))

    def _relation(self, i: int, shape: tuple[int, ...]) -> str:
        fields = self._fields(i, shape)
        r0 = fields["r0"]
        return f"; {self.relations[r0].format(**fields)}" if r0 < len(self.relations) else ""

    def _fields(self, i: int, shape: tuple[int, ...]) -> dict:
        """The fields of `index` and `relations` for the i-th entry (a vector's entries are its rows)."""
        r0, c0 = divmod(i, shape[1] if len(shape) == 2 and shape[1] else 1)
        names = [list(axis) for axis in self.labels] + [[], []]
        row = names[0][r0] if r0 < len(names[0]) else r0 + 1
        col = names[1][c0] if c0 < len(names[1]) else c0 + 1
        return {"i": i + 1, "i0": i, "r": r0 + 1, "c": c0 + 1, "r0": r0, "c0": c0, "row": row, "col": col}

    def plain(self, parsed) -> Any:
        shape, vals = self.reference(parsed)
        return _unflatten(list(vals), shape)

    def canonical(self, ref) -> Any:
        shape, vals = self.reference(ref)
        texts = [self.entry.canonical(v) for v in vals]
        if all(isinstance(t, str) and t.lstrip("-").isdigit() for t in texts):
            texts = [int(t) for t in texts]
        return _unflatten(texts, shape)

    def notations(self, ref) -> list[Any]:
        ref = self.reference(ref)
        shape, vals = ref
        floats = _unflatten([float(v) for v in vals], shape)
        return [floats, _as_text(self.canonical(ref))]

    def perturb(self, ref, rng) -> list[Any]:
        shape, vals = self.reference(ref)
        out = []
        first = list(vals)
        first[0] = self.entry.perturb(vals[0], rng)[0]
        out.append(_unflatten([self.entry.canonical(self.entry.reference(v)) for v in first], shape))
        if shape and shape[0] > 1:
            out.append(_unflatten([self.entry.canonical(v) for v in vals], shape)[:-1])
        return out

    def rule(self) -> str:
        extra = " Each right entry earns its share." if self.partial else ""
        example = "a list of rows such as [[1, 2], [3, 4]]" if self.ndim == 2 else "a list such as [1, -5/3]"
        return f"Give {example}, each entry {self.entry.accuracy()}.{extra}"


@dataclass(frozen=True)
class Matrix(Vector):
    """A matrix: a list of rows."""

    name = "matrix"
    ndim: int = 2


_INTEGERS = Vector(entry=Number(exact=True))


@dataclass(frozen=True)
class ShapeList(AnswerType):
    """One shape (a list of whole numbers) per layer, e.g. [[8, 32, 32], [8, 16, 16], [2048]].
    With `partial`, each right layer earns its share."""

    name = "shapes"  # e.g. a CNN's output shape after each layer
    partial: bool = True

    def structure(self, raw: Any) -> list:
        """The raw shapes, one a layer, before any entry is read. Beside other shapes, a bare
        number such as 16 is the one-dimensional shape [16] (a list of bare numbers alone is
        one shape, not a list of them)."""
        if isinstance(raw, str):
            raw = split_brackets(raw)
        if not isinstance(raw, list) or not any(isinstance(s, list) for s in raw):
            raise AnswerParseError("expected a list of shapes, one a layer, e.g. [[8, 32, 32], [8, 16, 16], [2048]]")
        if len(raw) > MAX_ENTRIES:
            raise AnswerParseError(f"more than {MAX_ENTRIES} shapes")
        return [s if isinstance(s, list) else [s] for s in raw]

    def shapes(self, raw_shapes: list) -> tuple[tuple[Fraction, ...], ...]:
        out = []
        for i, shape in enumerate(raw_shapes):
            try:
                out.append(tuple(_INTEGERS.parse(shape)[1]))
            except AnswerParseError as exc:
                raise AnswerParseError(f"shape {i + 1}: {exc.message}") from None
        return tuple(out)

    def parse(self, raw: Any) -> tuple[tuple[Fraction, ...], ...]:
        return self.shapes(self.structure(raw))

    def budgeted(self, raw: Any) -> bool:
        try:
            return any(_INTEGERS.budgeted(s) for s in self.structure(raw))
        except AnswerParseError:
            return False

    def grade(self, raw: Any, ref: Any) -> Outcome:
        """The number of layers is checked before any entry is read."""
        ref = self.reference(ref)
        try:
            raw_shapes = self.structure(raw)
            if len(raw_shapes) != len(ref):
                return self.compare(tuple(raw_shapes), ref)
            sub = self.shapes(raw_shapes)
        except AnswerParseError as exc:
            return Outcome.invalid(exc.feedback())
        return self.compare(sub, ref).reading(self.show(sub))

    def reference(self, ref: Any) -> tuple[tuple[Fraction, ...], ...]:
        return tuple(tuple(Fraction(v) for v in shape) for shape in ref)

    def compare(self, sub, ref) -> Outcome:
        if len(sub) != len(ref):
            return Outcome.incorrect(f"Expected {len(ref)} shapes (one a layer), got {len(sub)}.")
        if len({s[:1] for s in sub}) == 1 and all(len(s) == len(r) + 1 and s[1:] == r for s, r in zip(sub, ref)):
            return Outcome.incorrect(
                f"Every shape starts with the batch dimension ({_INTEGERS.entry.canonical(sub[0][0])}); give "
                "each shape without it, e.g. [C, H, W] after a conv layer and [features] after a linear one.")
        wrong = [i + 1 for i, (s, r) in enumerate(zip(sub, ref)) if s != r]
        if not wrong:
            return Outcome.correct()
        feedback = f"{len(wrong)} of {len(ref)} shapes are off: layer{'s' if len(wrong) > 1 else ''} " \
                   + ", ".join(map(str, wrong[:8])) + (" …" if len(wrong) > 8 else "") + "."
        if self.partial:
            return Outcome.fraction(1 - len(wrong) / len(ref), feedback)
        return Outcome.incorrect(feedback)

    def canonical(self, ref) -> Any:
        return [[int(v) if Fraction(v).denominator == 1 else _INTEGERS.entry.canonical(v) for v in s] for s in ref]

    def notations(self, ref) -> list[Any]:
        shapes = self.canonical(ref)
        return [json.dumps(shapes), "[" + ", ".join("(" + ", ".join(map(str, s)) + ")" for s in shapes) + "]"]

    def perturb(self, ref, rng) -> list[Any]:
        shapes = self.canonical(ref)
        bumped = [list(s) for s in shapes]
        bumped[0][0] = bumped[0][0] + 1
        return [bumped, shapes[:-1] or [[1]]]

    def plain(self, parsed) -> Any:
        return [list(s) for s in parsed]

    def rule(self) -> str:
        extra = " Each right layer earns its share." if self.partial else ""
        return f"Give one shape a layer, without the batch dimension, e.g. [[8, 32, 32], [8, 16, 16], [2048], [10]].{extra}"


def _flatten(value: Any) -> list:
    if isinstance(value, list):
        return [x for v in value for x in _flatten(v)]
    return [value]


def _unflatten(flat: list, shape: tuple[int, ...]) -> Any:
    if len(shape) <= 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [_unflatten(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _index(i: int, shape: tuple[int, ...]) -> str:
    if len(shape) == 2 and shape[1]:
        return f"({i // shape[1] + 1}, {i % shape[1] + 1})"
    return str(i + 1)


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_as_text(v) for v in value) + "]"
    return str(value)
