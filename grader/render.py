"""Documents: a problem's Jinja2 template gives markdown-with-math texts (statement, prompts,
worked solutions); document templates and the terminal renderer lay them out per format."""
from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from grader import __version__
from grader.errors import GraderError

FORMATS = ("terminal", "md", "tex", "html", "json")
EXTENSIONS = {"terminal": "txt", "md": "md", "tex": "tex", "html": "html", "json": "json"}


def bundled_templates() -> Path:
    import grader.templates

    return Path(list(grader.templates.__path__)[0])


def num(x: Any) -> str:
    """A number in student notation: 6, -1.85, -5/3."""
    from grader.answers.numbers import format_exact, to_exact

    return format_exact(to_exact(x))


def tex(x: Any) -> str:
    """A value as LaTeX math: fractions as \\frac, lists as bracketed matrices."""
    if isinstance(x, (list, tuple)):
        if x and all(isinstance(r, (list, tuple)) for r in x):
            rows = " \\\\ ".join(" & ".join(tex(v) for v in row) for row in x)
            return f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}"
        return "\\left[" + ",\\ ".join(tex(v) for v in x) + "\\right]"
    if isinstance(x, str) and not _is_number_text(x):
        return x
    from grader.answers.numbers import to_exact

    v = to_exact(x)
    if isinstance(v, Fraction) and v.denominator != 1 and num(v).count("/"):
        sign = "-" if v < 0 else ""
        return f"{sign}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"
    return num(v)


def texp(x: Any) -> str:
    """`tex`, in parentheses when negative: (−2)."""
    out = tex(x)
    return f"({out})" if out.startswith("-") else out


def _is_number_text(s: str) -> bool:
    try:
        Fraction(s.strip().replace("\u2212", "-"))
        return True
    except (ValueError, ZeroDivisionError):
        return False


def shown_figures(part_type) -> int | None:
    """Significant figures a document shows of a part's inexact answers: one more than the rule
    grades (4 for the default 3, as the worked solutions show them); None to show it whole."""
    entry = getattr(part_type, "entry", part_type)
    sigfigs = getattr(entry, "sigfigs", None)
    return None if getattr(entry, "exact", False) or not sigfigs else sigfigs + 1


def rounded(answer: Any, figures: int | None) -> Any:
    """An answer with its inexact numbers (JSON floats) to `figures` significant figures."""
    if figures is None:
        return answer
    if isinstance(answer, list):
        return [rounded(a, figures) for a in answer]
    if isinstance(answer, float):
        return float(f"{answer:.{figures}g}")
    return answer


def show_answer(answer: Any) -> str:
    """A JSON answer as a student would type it."""
    if isinstance(answer, str):
        return answer
    if isinstance(answer, bool):
        return "true" if answer else "false"
    return json.dumps(answer, ensure_ascii=False)


@lru_cache(maxsize=None)
def _environment(course_dirs: tuple[str, ...]):
    import jinja2

    searchpath = []
    for folder in course_dirs:
        searchpath += [str(Path(folder) / "templates"), folder]
    searchpath.append(str(bundled_templates()))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(searchpath),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(num=num, tex=tex, texp=texp, answer=show_answer, sig=lambda x, n=4: rounded(float(x), n), tojson_plain=lambda v: json.dumps(v, ensure_ascii=False))
    from grader import markup

    env.filters.update(markup.filters())
    from grader.text import md_text

    env.filters["md_text"] = md_text
    return env


def environment():
    """The Jinja2 environment: a course's templates first, then the bundled ones."""
    from grader.registry import course_dirs

    return _environment(tuple(str(d) for d in course_dirs()))


@dataclass
class Texts:
    statement: str
    prompts: dict[str, str]
    solutions: dict[str, str]


def _block(template, name: str, context: dict) -> str | None:
    render = template.blocks.get(name)
    if render is None:
        return None
    return "".join(render(template.new_context(context))).strip()


def texts(instance) -> Texts:
    """The statement, each part's prompt and each part's worked solution, as markdown."""
    import jinja2

    problem = instance.problem
    try:
        template = environment().get_template(problem.template_name)
    except jinja2.TemplateNotFound:
        raise GraderError(f"{problem.id}: template {problem.template_name!r} not found") from None
    base = {"p": instance.params, "c": instance.context, "problem": problem, "instance": instance}
    try:
        statement = _block(template, "statement", base) or ""
        prompts, solutions = {}, {}
        for part in instance.parts:
            ctx = dict(base, part=part, answer=show_answer(instance.answer(part.id)))
            prompt = _block(template, f"prompt_{part.block}", ctx)
            if prompt is None:
                raise GraderError(f"{problem.id}: template has no block prompt_{part.block}")
            prompts[part.id] = prompt
            solutions[part.id] = _block(template, f"solution_{part.block}", ctx) or ""
    except jinja2.TemplateError as exc:
        raise GraderError(f"template {problem.template_name}: {exc}") from None
    return Texts(statement, prompts, solutions)


def part_label(index: int) -> str:
    """(a), (b), ... (z), (aa) ..."""
    letters = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        letters = chr(97 + r) + letters
    return letters


def problem_view(instance, solution: bool, points: float | None = None) -> dict:
    """Everything a document shows of one instance, format-independent."""
    t = texts(instance)
    scale = 1.0 if points is None or not instance.max_score else points / instance.max_score
    parts = []
    for i, part in enumerate(instance.parts):
        view = {
            "id": part.id, "label": part_label(i), "type": part.type.name,
            "points": _pts(part.points * scale), "prompt": t.prompts[part.id], "rule": part.type.rule(),
        }
        if solution:
            view["answer"] = instance.answer(part.id)
            view["answer_text"] = show_answer(rounded(view["answer"], shown_figures(part.type)))
            view["solution"] = t.solutions[part.id]
        parts.append(view)
    return {
        "id": instance.problem.id, "title": instance.problem.title, "seed": instance.seed,
        "params": instance.params, "statement": t.statement,
        "figures": instance.problem.figures(instance.params, instance.context),
        "points": _pts(instance.max_score * scale), "parts": parts,
    }


def _pts(x: float):
    x = round(float(x), 4)
    return int(x) if x.is_integer() else x


def to_json(instance, solution: bool = False) -> dict:
    """The `grader new --format json` object (SPEC §2)."""
    view = problem_view(instance, solution)
    parts = []
    for part in view["parts"]:
        out = {"id": part["id"], "prompt": part["prompt"], "type": part["type"],
               "points": part["points"], "rule": part["rule"]}
        if solution:
            out["answer"] = part["answer"]
            out["solution"] = part["solution"]
        parts.append(out)
    return {"problem": view["id"], "seed": instance.seed, "params": instance.params,
            "title": view["title"], "statement": view["statement"], "grader_version": __version__,
            "parts": parts}


def render_document(problems: list[dict], fmt: str, *, title: str, solution: bool,
                    subtitle: str = "", instructions: str = "") -> str:
    """A document (md, tex or html) of one or more problem views."""
    if fmt not in ("md", "tex", "html"):
        raise GraderError(f"unknown document format {fmt!r}")
    template = environment().get_template(f"document.{fmt}.j2")
    return template.render(title=title, subtitle=subtitle, instructions=instructions,
                           problems=problems, solution=solution, version=__version__, paper=None)


def tex_preamble(*, solution: bool, paper: dict | None = None) -> str:
    """The LaTeX preamble every exam document of a kind (exercise, solutions, paper) shares."""
    return environment().get_template("_partials/preamble.tex.j2").render(solution=solution, paper=paper)


def tex_body(problems: list[dict], *, title: str, solution: bool, subtitle: str = "",
             instructions: str = "") -> str:
    """One document's body, to be compiled with others under `tex_preamble` (grader.pdf)."""
    return environment().get_template("_partials/body.tex.j2").render(
        problems=problems, title=title, subtitle=subtitle, instructions=instructions,
        solution=solution)


def render(instance, fmt: str = "terminal", *, solution: bool = False, width: int | None = None) -> str:
    """The exercise in one format (terminal, md, tex, html, json)."""
    if fmt == "json":
        return json.dumps(to_json(instance, solution), indent=2, ensure_ascii=False) + "\n"
    if fmt == "terminal":
        from grader.terminal import render_terminal

        return render_terminal(problem_view(instance, solution), solution=solution, width=width)
    if fmt not in FORMATS:
        raise GraderError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    subtitle = f"Variant: seed {instance.seed}" if instance.seed is not None else ""
    return render_document([problem_view(instance, solution)], fmt, title=instance.problem.title,
                           subtitle=subtitle, solution=solution)
