"""Exports to where courses live: a Gradescope autograder, Canvas QTI pools, Moodle XML banks,
PrairieLearn questions, and the grade CSVs of Blackboard and Brightspace (SPEC §12).

What every quiz export shares lives here: drawing N distinct variants of a problem, deciding
what an LMS can grade of each part (`lms_item`), the exercise's texts as HTML whose math the
LMS typesets (`\\( \\)`), the figures as SVG files, and the Jinja2 environment of
templates/exports/."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

from grader.errors import GraderError

MAX_VARIANTS = 200
DRAWS_PER_VARIANT = 20


class ExportError(GraderError):
    """An export that cannot be made (no such exam folder, too many variants, no wheel)."""


@lru_cache(maxsize=1)
def environment():
    """Jinja2 environment of templates/exports/: XML and HTML autoescaped, undefined is an error."""
    import jinja2

    from grader.render import bundled_templates

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(bundled_templates() / "exports")),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["xml.j2", "html.j2"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_template(name: str, **context) -> str:
    return environment().get_template(name).render(**context)


def draw_variants(problem_id: str, count: int, pinned: Mapping[str, Any] | None = None,
                  require: Mapping[str, Any] | None = None, first_seed: int = 1) -> list:
    """`count` distinct instances of a problem with the same parts, seeds counted up from
    `first_seed` (a seed whose variant repeats an earlier one, or has other parts than the
    first, is passed over); fewer when the problem has fewer."""
    from grader import registry

    if not 1 <= count <= MAX_VARIANTS:
        raise ExportError(f"--variants must be between 1 and {MAX_VARIANTS}, got {count}")
    problem = registry.get(problem_id)
    seen: set[str] = set()
    out = []
    for seed in range(first_seed, first_seed + count * DRAWS_PER_VARIANT):
        inst = problem.instance(seed, pinned or {}, require or {})
        if out and sorted(inst.part_ids) != sorted(out[0].part_ids):
            continue
        if inst.fingerprint() not in seen:
            seen.add(inst.fingerprint())
            out.append(inst)
            if len(out) == count:
                break
    return out


def slug(text: str) -> str:
    """An identifier safe in XML idents, file names and URLs."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "x"


@dataclass
class LmsItem:
    """What a quiz engine can grade of one part.

    `kind`: "numeric" (`value`, `tolerance`, absolute), "numbers" (a vector or matrix: `entries`
    as (value, tolerance) rows), "choice" (`options`, `correct` index), "boolean" (`correct`),
    "text" (short answer: `accepted` strings), or "essay" (a person grades it against `reference`).
    `rule` tells the student how to answer in the quiz engine (decimals only in number boxes).
    """

    kind: str
    reference: str
    rule: str
    value: float | None = None
    tolerance: float = 0.0
    entries: list[list[tuple[float, float]]] = field(default_factory=list)
    options: tuple[str, ...] = ()
    correct: Any = None
    accepted: tuple[str, ...] = ()
    mistakes: list[tuple[float, float, str]] = field(default_factory=list)  # numeric: (value, tolerance, feedback)


def _decimal(x) -> float | None:
    """A reference number as the float an LMS compares with, or None where the float is not the
    number (an exact fraction such as 1/3 that the part wants exactly)."""
    from fractions import Fraction

    return None if isinstance(x, Fraction) and Fraction(float(x)) != x else float(x)


def _number(number_type, ref) -> tuple[float, float] | None:
    value = number_type.reference(ref)
    if number_type.exact:
        exact = _decimal(value)
        return None if exact is None else (exact, 0.0)
    return float(value), float(number_type.tolerance(value))


def lms_item(instance, part) -> LmsItem:
    """How an LMS can grade `part` exactly as this package does, or an essay where it cannot."""
    from grader.answers.choice import Boolean, Choice
    from grader.answers.lists import Vector
    from grader.answers.numbers import Number
    from grader.answers.tokens import Sequence
    from grader.render import show_answer

    answer = instance.answer(part.id)
    reference = show_answer(answer)
    ref = instance.reference(part.id)
    kind = part.type
    if isinstance(kind, Number):
        number = _number(kind, ref)
        if number is not None:
            return LmsItem("numeric", reference, f"Give the number {_decimal_rule(kind)}.", value=number[0],
                           tolerance=number[1], mistakes=_mistakes(instance, part, number))
    elif isinstance(kind, Vector) and isinstance(kind.entry, Number):
        rows = [list(r) for r in ref] if kind.ndim == 2 else [list(ref)]
        entries = [[_number(kind.entry, v) for v in row] for row in rows]
        if all(e is not None for row in entries for e in row):
            return LmsItem("numbers", reference, f"Give each entry {_decimal_rule(kind.entry)}.", entries=entries)
    elif isinstance(kind, Boolean):
        return LmsItem("boolean", reference, "Choose true or false.", correct=kind.reference(ref))
    elif isinstance(kind, Choice):
        return LmsItem("choice", reference, "Choose one option.", options=kind.options, correct=kind.reference(ref))
    elif isinstance(kind, Sequence):
        return LmsItem("text", reference, "Write the words in order, separated by single spaces.", accepted=(str(answer),))
    return LmsItem("essay", reference, kind.rule())


def chosen(answer_type, index: int) -> Any:
    """The raw answer a quiz engine's pick of option `index` is graded as: True/False (listed in
    that order) for a boolean, else the choice's own notation (its letter, or its text where the
    options are words that letters would shadow)."""
    from grader.answers.choice import Boolean

    return index == 0 if isinstance(answer_type, Boolean) else answer_type.canonical(index)


def _mistakes(instance, part, number: tuple[float, float]) -> list[tuple[float, float, str]]:
    """The part's named misconceptions as wrong numbers with their feedback, where each is a
    number apart from the reference's interval and from the earlier ones' (the first named wins,
    as in grading)."""
    out = []
    taken = [number]
    for m in part.misconceptions:
        wrong = m.answer(instance.context)
        value = None if wrong is None else _number(part.type, wrong)
        if value is not None and all(abs(value[0] - v) > value[1] + t for v, t in taken):
            out.append((value[0], value[1], m.feedback))
            taken.append(value)
    return out


def _decimal_rule(number_type) -> str:
    """How a quiz engine's number box wants the number: a decimal, to the part's accuracy."""
    if number_type.exact:
        return "exactly, as a decimal"
    if number_type.rtol is not None or number_type.atol is not None:
        bounds = [f"a relative error of {number_type.rtol:g}"] if number_type.rtol is not None else []
        bounds += [f"an absolute error of {number_type.atol:g}"] if number_type.atol is not None else []
        return f"as a decimal, within {' or '.join(bounds)}"
    return f"as a decimal, to at least {number_type.sigfigs} significant figures"


def html(markdown: str) -> str:
    """Markdown with $math$ as HTML whose math the LMS typesets: `\\( \\)` and `\\[ \\]`."""
    from grader.markup import markdown_to_html_tex

    return markdown_to_html_tex(markdown)


@dataclass
class Figure:
    """One figure of a variant as a file: its name in the package, the SVG, its caption."""

    name: str
    svg: str
    caption: str
    alt: str


def figures(instance, prefix: str) -> list[Figure]:
    """The variant's figures as SVG files named `<prefix>-<n>.svg` (figures without an SVG
    form are left to the text, as in Markdown)."""
    out = []
    for n, figure in enumerate(instance.problem.figures(instance.params, instance.context), 1):
        if hasattr(figure, "svg"):
            caption = getattr(figure, "caption", "")
            out.append(Figure(f"{prefix}-{n}.svg", figure.svg(), html(caption) if caption else "",
                              caption or f"figure {n}"))
    return out


def markup(text: str):
    """HTML this package wrote, marked safe for the autoescaping templates."""
    from markupsafe import Markup

    return Markup(text)


def points_text(x) -> str:
    """Points as an LMS shows them: 2, 0.5."""
    x = round(float(x), 4)
    return str(int(x)) if x.is_integer() else str(x)


def entries_html(lms: LmsItem, codes: list, open_: str = "[ ", close: str = " ]"):
    """A vector's or matrix's blanks (`codes`, one an entry, row by row) laid out as the part's
    value: a table for a matrix, a bracketed list for a vector."""
    if len(lms.entries) > 1:
        width = len(lms.entries[0])
        return markup(render_template("cloze_matrix.html.j2",
                                      rows=[codes[r * width:(r + 1) * width] for r in range(len(lms.entries))]))
    return markup(open_ + ", ".join(codes) + close)


def item_html(inst, parts, figure_src: dict[str, str], figs: list[Figure], rules: Mapping[str, str] | None = None) -> str:
    """One variant's statement, figures (`figure_src`: file name -> URL) and the given parts'
    prompts, each with its blank (`parts`: (part, blank HTML) pairs) and how to answer it (the
    part's `lms_item` rule unless `rules` names another), as an item's HTML."""
    from grader.render import part_label, texts

    t = texts(inst)
    rules = rules or {}
    shown = [{"label": part_label(inst.parts.index(p)), "points": points_text(p.points), "prompt": markup(html(t.prompts[p.id])),
              "rule": rules.get(p.id) or lms_item(inst, p).rule, "blank": blank} for p, blank in parts]
    return render_template("lms_item.html.j2", problem=inst.problem.id, seed=inst.seed,
                           statement=markup(html(t.statement)), parts=shown,
                           figures=[{"src": figure_src[f.name], "alt": f.alt, "caption": markup(f.caption)}
                                    for f in figs])
