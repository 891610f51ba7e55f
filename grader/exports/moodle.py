"""Moodle XML question banks (SPEC §12): a category per problem holding one cloze question per
pre-drawn variant.

A variant's parts Moodle can grade exactly as this package does are the cloze's embedded
subquestions: NUMERICAL with the part's tolerance (a vector or matrix as one NUMERICAL blank an
entry, in a table for a matrix), MULTICHOICE for choices and booleans, SHORTANSWER for token
sequences. Moodle's cloze has no subquestion a person grades, so each other part (expressions,
sets, free text) is an essay question of its own, in the sub-category "<problem>/manual parts",
named after the variant and the part, with the reference in its grader information; the cloze
shows that part's prompt and names the essay question that takes its answer. Figures are
embedded as SVG files (@@PLUGINFILE@@); math is left to Moodle's MathJax filter as \\( \\)."""
from __future__ import annotations

import base64
import html as html_lib
import math
from pathlib import Path

from grader.exports import figures as variant_figures
from grader.exports import entries_html, html, item_html, lms_item, markup, points_text, render_template, slug
from grader.markup import split_math

CLOZE_SPECIALS = str.maketrans({c: "\\" + c for c in "\\}#~/\""})
ROOT = "$course$/top/grader"


def cloze_text(markdown: str) -> str:
    """An answer's text in a cloze code: math as \\( \\), HTML and the cloze specials escaped."""
    pieces = [(f"\\({s}\\)" if kind == "math" else s) for kind, s, _ in split_math(markdown)]
    return html_lib.escape("".join(pieces), quote=False).translate(CLOZE_SPECIALS)


def _number(x: float) -> str:
    return repr(float(x))


def blanks(lms, weight: float) -> list[str]:
    """The cloze codes of one part worth `weight` (an integer weight each, shared by a vector's
    entries; a number's named misconceptions as 0% answers with their feedback); empty for a part
    the cloze cannot grade."""
    if lms.kind == "numeric":
        mistakes = "".join(f"~%0%{_number(v)}:{_number(t)}#{cloze_text(feedback)}" for v, t, feedback in lms.mistakes)
        return [f"{{{round(weight)}:NUMERICAL:={_number(lms.value)}:{_number(lms.tolerance)}{mistakes}}}"]
    if lms.kind == "numbers":
        entries = [e for row in lms.entries for e in row]
        each = round(weight / len(entries))
        return [f"{{{each}:NUMERICAL:={_number(v)}:{_number(t)}}}" for v, t in entries]
    if lms.kind in ("choice", "boolean"):
        options = [cloze_text(o) for o in lms.options] if lms.kind == "choice" else ["True", "False"]
        right = lms.correct if lms.kind == "choice" else (0 if lms.correct else 1)
        return ["{%d:MULTICHOICE:%s}" % (round(weight), "~".join(("=" if i == right else "") + o
                                                                 for i, o in enumerate(options)))]
    if lms.kind == "text":
        return ["{%d:SHORTANSWER:%s}" % (round(weight), "~".join("=" + cloze_text(a) for a in lms.accepted))]
    return []


def _scale(inst) -> int:
    """One integer weight unit: every part's points times this share evenly among its blanks."""
    counts = [len([e for row in lms_item(inst, p).entries for e in row]) or 1 for p in inst.parts]
    return 100 * math.lcm(*counts)


def _blank_html(lms, codes: list[str], essay_name: str):
    if not codes:
        return markup(f"<em>Answer this part in the essay question “{html_lib.escape(essay_name)}”.</em>")
    if lms.kind == "numbers":
        return entries_html(lms, codes)
    return markup(codes[0])


def variant_questions(inst) -> tuple[dict | None, list[dict]]:
    """A variant's cloze question (None when no part can be graded in one) and its essays."""
    from grader.render import texts

    pid = inst.problem.id
    base = f"{pid} seed {inst.seed}"
    figs = variant_figures(inst, f"{slug(pid)}-s{inst.seed}")
    files = [{"name": f.name, "base64": base64.b64encode(f.svg.encode("utf-8")).decode("ascii")} for f in figs]
    src = {f.name: f"@@PLUGINFILE@@/{f.name}" for f in figs}
    unit = _scale(inst)
    shown, essays, cloze_points = [], [], 0.0
    t = texts(inst)
    for part in inst.parts:
        lms = lms_item(inst, part)
        codes = blanks(lms, part.points * unit)
        essay_name = f"{base}: {part.id}"
        shown.append((part, _blank_html(lms, codes, essay_name)))
        if codes:
            cloze_points += part.points
            continue
        essays.append({"type": "essay", "name": essay_name, "idnumber": f"{slug(pid)}-s{inst.seed}-{slug(part.id)}",
                       "html": item_html(inst, [(part, "")], src, figs), "files": files,
                       "points": points_text(part.points), "feedback": html(t.solutions[part.id]),
                       "graderinfo": f"<p>Reference answer: <code>{html_lib.escape(lms.reference)}</code></p>"})
    cloze = None
    if cloze_points:
        solution = "".join(html(t.solutions[p.id]) for p, _ in shown if t.solutions[p.id])
        cloze = {"type": "cloze", "name": base, "idnumber": f"{slug(pid)}-s{inst.seed}", "html": item_html(inst, shown, src, figs),
                 "files": files, "points": points_text(cloze_points), "feedback": solution}
    return cloze, essays


def bank(pools: list[tuple[str, list]]) -> str:
    """The Moodle XML of (problem id, variants) pools."""
    categories = []
    for pid, instances in pools:
        clozes, essays = [], []
        for inst in instances:
            cloze, manual = variant_questions(inst)
            clozes += [cloze] if cloze else []
            essays += manual
        categories.append({"path": f"{ROOT}/{pid}", "questions": clozes,
                           "info": f"{len(instances)} variants of {pid}, one cloze question each."})
        if essays:
            categories.append({"path": f"{ROOT}/{pid}/manual parts", "questions": essays,
                               "info": f"The parts of {pid} a person grades, one essay per variant and part."})
    return render_template("moodle.xml.j2", categories=categories)


def write_moodle(pools: list[tuple[str, list]], out: Path) -> None:
    """Write the question bank to `out`, atomically."""
    text = bank(pools)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(out)
