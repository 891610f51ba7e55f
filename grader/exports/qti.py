"""Canvas Classic Quizzes QTI 1.2 packages (SPEC §12), drawing one of N pre-drawn variants.

A Canvas question group draws its items independently of every other group, and a Canvas item
holds one graded response (its numeric items keep a tolerance only alone). So each part of a
problem is a question group, titled with the problem id and the part id, holding the part of
each variant as one item; every item carries its variant's statement and figures, so it stands
on its own. Numbers are numerical items with the part's tolerance, choices multiple choice,
booleans true/false, token sequences short answer; a part Canvas cannot grade exactly as this
package does (expressions, vectors, sets, free text) is an essay item whose general feedback
carries the reference for the grader. Figures are SVG files in the package (Canvas shows SVG
images; rasterising them would need a new dependency)."""
from __future__ import annotations

import hashlib
import html as html_lib
import json
import zipfile
from pathlib import Path
from urllib.parse import quote

from grader.exports import figures as variant_figures
from grader.exports import html, item_html, lms_item, points_text, render_template, slug

MEDIA = "Uploaded Media"
QUESTION_TYPES = {"numeric": "numerical_question", "choice": "multiple_choice_question",
                  "boolean": "true_false_question", "text": "short_answer_question", "essay": "essay_question"}


def _item(inst, part, ident: str, figure_src: dict, figures: list) -> dict:
    lms = lms_item(inst, part)
    kind = "essay" if lms.kind == "numbers" else lms.kind
    item = {"ident": ident, "title": f"{inst.problem.id} seed {inst.seed}: {part.id}", "points": points_text(part.points),
            "question_type": QUESTION_TYPES[kind], "html": item_html(inst, [(part, "")], figure_src, figures),
            "choices": [], "note": "", "kind": kind}
    if kind == "numeric":
        item.update(value=repr(lms.value), low=repr(lms.value - lms.tolerance), high=repr(lms.value + lms.tolerance))
    elif kind in ("choice", "boolean"):
        texts = [html(o) for o in lms.options] if kind == "choice" else ["True", "False"]
        item["choices"] = [{"ident": f"{ident}-c{i}", "html": text} for i, text in enumerate(texts)]
        index = lms.correct if kind == "choice" else (0 if lms.correct else 1)
        item["correct"] = item["choices"][index]["ident"]
    elif kind == "text":
        item["accepted"] = list(lms.accepted)
    else:
        item["note"] = f"<p>For the grader: the reference answer is <code>{html_lib.escape(lms.reference)}</code>.</p>"
    return item


def package(pools: list[tuple[str, list]], title: str) -> dict[str, bytes]:
    """The QTI package's files (path -> bytes) for (problem id, variants) pools."""
    ident = "g" + hashlib.sha256(json.dumps([title] + [[pid, [i.seed for i in insts]] for pid, insts in pools]
                                            ).encode()).hexdigest()[:24]
    files: dict[str, bytes] = {}
    media = []
    groups = []
    total = 0.0
    for pid, instances in pools:
        per_variant = []
        for inst in instances:
            figs = variant_figures(inst, f"{slug(pid)}-s{inst.seed}")
            src = {}
            for f in figs:
                href = f"web_resources/{MEDIA}/{f.name}"
                files[href] = f.svg.encode("utf-8")
                media.append({"ident": f"{ident}-{slug(f.name)}", "href": href})
                src[f.name] = f"$IMS-CC-FILEBASE$/{quote(MEDIA)}/{quote(f.name)}"
            per_variant.append((inst, src, figs))
        first = instances[0]
        for part in first.parts:
            items = [_item(inst, inst.part(part.id), f"{slug(pid)}-s{inst.seed}-{slug(part.id)}", src, figs)
                     for inst, src, figs in per_variant]
            groups.append({"ident": f"{ident}-{slug(pid)}-{slug(part.id)}", "title": f"{pid}: {part.id}",
                           "points": points_text(part.points), "questions": items})
            total += part.points
    files[f"{ident}/{ident}.xml"] = render_template("qti_assessment.xml.j2", ident=ident, title=title,
                                                     groups=groups).encode("utf-8")
    files[f"{ident}/assessment_meta.xml"] = render_template(
        "qti_meta.xml.j2", ident=ident, title=title, points=points_text(total),
        description=f"Pre-drawn variants of {', '.join(pid for pid, _ in pools)}, exported by grader.").encode("utf-8")
    files["imsmanifest.xml"] = render_template("qti_manifest.xml.j2", ident=ident, title=title,
                                               files=media).encode("utf-8")
    return files


def write_qti(pools: list[tuple[str, list]], out: Path, title: str) -> None:
    """Write the QTI zip (imsmanifest.xml at its root) to `out`, atomically."""
    files = package(pools, title)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ["imsmanifest.xml"] + sorted(n for n in files if n != "imsmanifest.xml"):
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), files[name])
    partial.replace(out)
