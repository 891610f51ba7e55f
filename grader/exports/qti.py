"""Canvas Classic Quizzes QTI 1.2 packages (SPEC §12), drawing one of N pre-drawn variants.

By default each problem is one question group (titled with the problem id) that draws 1 of N
items, each item a whole variant, so all of a student's parts come from one variant, as R/exams'
exams2canvas does. A variant of one part is its native item: numerical with the part's
tolerance, multiple choice, true/false, short answer for token sequences, or an essay (the
reference in its general comment) where Canvas cannot grade the part as this package does. A
variant of several parts is one fill-in-multiple-blanks item: Canvas compares each blank's text,
stripped and lower-cased, with its accepted answers, so a number's blank accepts its written
forms at the part's tolerance (rounded to a stated number of decimals), a vector's or matrix's
one blank an entry, a choice its letter, a boolean true or false; every accepted form grades
correct with this package's engine. A part Canvas cannot grade so (expressions, sets, free text)
keeps a blank that accepts the reference as written (case aside), and the item's general comment
gives the reference for the grader, who checks those answers and adjusts the score in
SpeedGrader. Canvas weighs an item's blanks equally. `groups="part"` keeps one group per part
(its points exact, but one student's parts may come from different variants). Figures are SVG files in the package, which
Canvas shows in <img> (docs/exports.md says why not PNG)."""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from urllib.parse import quote

from grader.exports import ExportError, chosen, entries_html, item_html, lms_item, markup, points_text, render_template, slug
from grader.exports import figures as variant_figures
from grader.exports import html

MEDIA = "Uploaded Media"
GROUPINGS = ("problem", "part")
QUESTION_TYPES = {"numeric": "numerical_question", "choice": "multiple_choice_question",
                  "boolean": "true_false_question", "text": "short_answer_question", "essay": "essay_question",
                  "blanks": "fill_in_multiple_blanks_question"}
EXTRA_DECIMALS = 2  # a number's blank also accepts this many more decimals than the fewest within tolerance
MAX_DECIMALS = 12


def fewest_decimals(value: float, tolerance: float) -> int | None:
    """The fewest decimals whose rounding of `value` lies within `tolerance` (None past MAX_DECIMALS)."""
    return next((d for d in range(MAX_DECIMALS + 1) if abs(float(f"{value:.{d}f}") - value) <= tolerance), None)


def written_forms(value: float, tolerance: float, decimals: int) -> list[str]:
    """The texts a number's blank accepts: `value` rounded to its own fewest decimals within
    `tolerance` up to `decimals` + EXTRA_DECIMALS, each also without its trailing zeros."""
    forms = []
    for d in range(min(fewest_decimals(value, tolerance), decimals), decimals + EXTRA_DECIMALS + 1):
        text = f"{value:.{d}f}"
        text = text[1:] if text.startswith("-") and float(text) == 0 else text
        for form in (text, text.rstrip("0").rstrip(".") if "." in text else text):
            if form not in forms:
                forms.append(form)
    return forms


def _number_rule(decimals: int, entries: bool = False) -> str:
    what = "Write each entry" if entries else "Write the number"
    if decimals == 0:
        return f"{what} as a whole number (or with up to {EXTRA_DECIMALS} decimals)."
    places = "place" if decimals == 1 else "places"
    return f"{what} rounded to {decimals} decimal {places} (up to {decimals + EXTRA_DECIMALS} are accepted)."


def _accepted(answer_type, candidates, reference) -> list[str]:
    """The candidate texts this package grades as correct, in order."""
    from grader.grading import run_many

    outcomes = run_many([(answer_type, c, reference) for c in candidates])
    return [c for c, o in zip(candidates, outcomes) if o.verdict == "correct"]


def part_blanks(inst, part) -> tuple[list[list[str]], str, bool]:
    """A part's blanks in a fill-in-multiple-blanks item: the accepted texts of each blank (one
    blank, or one an entry of a vector or matrix), how to fill them, and whether Canvas grades
    them as this package does (False: the blank accepts the reference as written, a person
    grades the rest)."""
    lms = lms_item(inst, part)
    kind, ref = part.type, inst.reference(part.id)
    if lms.kind in ("numeric", "numbers"):
        numbers = [(lms.value, lms.tolerance)] if lms.kind == "numeric" else [e for row in lms.entries for e in row]
        fewest = [fewest_decimals(v, t) for v, t in numbers]
        if None not in fewest:
            refs = [ref] if lms.kind == "numeric" else [v for row in ([list(r) for r in ref] if kind.ndim == 2 else [ref]) for v in row]
            entry = kind if lms.kind == "numeric" else kind.entry
            blanks = [_accepted(entry, written_forms(v, t, max(fewest)), r) for (v, t), r in zip(numbers, refs)]
            if all(blanks):
                return blanks, _number_rule(max(fewest), entries=lms.kind == "numbers"), True
    elif lms.kind in ("choice", "boolean"):
        index = lms.correct if lms.kind == "choice" else (0 if lms.correct else 1)
        answer = chosen(kind, index)
        text = ("true" if answer else "false") if lms.kind == "boolean" else str(answer)
        accepted = _accepted(kind, [text], ref)
        if accepted:
            rule = "Write true or false." if lms.kind == "boolean" else \
                "Write the letter of your choice." if kind.letters else kind.rule()
            return [accepted], rule, True
    elif lms.kind == "text":
        accepted = _accepted(kind, list(lms.accepted), ref)
        if accepted:
            return [accepted], lms.rule, True
    return [[lms.reference]], lms.rule, False


def _native(inst, part, ident: str, title: str, figure_src: dict, figures: list) -> dict:
    """A one-part variant as the Canvas item of its kind."""
    lms = lms_item(inst, part)
    kind = lms.kind
    item = {"ident": ident, "title": title, "points": points_text(part.points),
            "question_type": QUESTION_TYPES[kind], "html": item_html(inst, [(part, "")], figure_src, figures),
            "choices": [], "blanks": [], "note": "", "kind": kind}
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
        item["note"] = render_template("qti_grader_note.html.j2", blanks=False, parts=[{"reference": lms.reference}])
    return item


def _blanks(inst, parts, ident: str, title: str, figure_src: dict, figures: list) -> dict:
    """Parts of a variant as one fill-in-multiple-blanks item, a blank named `p<n>` or
    `p<n>_<entry>` (n the part's place) with its accepted texts."""
    from grader.render import part_label

    shown, rules, blanks, manual = [], {}, [], []
    for part in parts:
        accepted, rules[part.id], exact = part_blanks(inst, part)
        n = inst.parts.index(part) + 1
        names = [f"p{n}"] if len(accepted) == 1 else [f"p{n}_{e}" for e in range(1, len(accepted) + 1)]
        codes = [f"[{name}]" for name in names]
        lms = lms_item(inst, part)
        shown.append((part, entries_html(lms, codes, "( ", " )") if len(codes) > 1 else markup(codes[0])))
        for name, texts in zip(names, accepted):
            blanks.append({"name": name, "part": part.id,
                           "answers": [{"ident": f"{ident}-{name}-{k}", "text": t} for k, t in enumerate(texts)]})
        if not exact:
            manual.append({"label": part_label(n - 1), "id": part.id, "reference": lms.reference})
    note = render_template("qti_grader_note.html.j2", blanks=True, parts=manual) if manual else ""
    weight = 100 / len(blanks)
    counts = [sum(b["part"] == p.id for b in blanks) for p in parts]
    return {"ident": ident, "title": title, "points": points_text(sum(p.points for p in parts)),
            "uneven": len({p.points / n for p, n in zip(parts, counts)}) > 1,
            "question_type": QUESTION_TYPES["blanks"], "kind": "blanks", "choices": [], "note": note,
            "html": item_html(inst, shown, figure_src, figures, rules),
            "blanks": [dict(b, weight=f"{weight:.4f}") for b in blanks]}


def _item(inst, parts, ident: str, title: str, figure_src: dict, figures: list) -> dict:
    """The Canvas item of a variant's `parts`: native for one part (a vector or matrix as blanks),
    else fill in multiple blanks."""
    if len(parts) == 1 and lms_item(inst, parts[0]).kind != "numbers":
        return _native(inst, parts[0], ident, title, figure_src, figures)
    return _blanks(inst, parts, ident, title, figure_src, figures)


def package(pools: list[tuple[str, list]], title: str, groups_by: str = "problem") -> tuple[dict[str, bytes], list[str]]:
    """The QTI package's files (path -> bytes) for (problem id, variants) pools, a question
    group per problem (each item a whole variant) or, `groups_by="part"`, per part; and the
    problems whose items Canvas splits otherwise than their parts' points (it weighs an item's
    blanks equally)."""
    if groups_by not in GROUPINGS:
        raise ExportError(f"groups must be one of {', '.join(GROUPINGS)}, got {groups_by!r}")
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
        if groups_by == "problem":
            base = f"{slug(pid)}-s"
            groups.append({"ident": f"{ident}-{slug(pid)}", "title": pid, "points": points_text(instances[0].max_score),
                           "questions": [_item(inst, inst.parts, f"{base}{inst.seed}", f"{pid} seed {inst.seed}", src, figs)
                                         for inst, src, figs in per_variant]})
            total += instances[0].max_score
            continue
        for part in instances[0].parts:
            items = [_item(inst, [inst.part(part.id)], f"{slug(pid)}-s{inst.seed}-{slug(part.id)}",
                           f"{pid} seed {inst.seed}: {part.id}", src, figs) for inst, src, figs in per_variant]
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
    uneven = [pid for (pid, _), group in zip(pools, groups) if any(i.get("uneven") for i in group["questions"])] \
        if groups_by == "problem" else []
    return files, uneven


def write_qti(pools: list[tuple[str, list]], out: Path, title: str, groups_by: str = "problem") -> list[str]:
    """Write the QTI zip (imsmanifest.xml at its root) to `out`, atomically; returns the
    problems whose parts Canvas weighs otherwise than their points (see `package`)."""
    files, uneven = package(pools, title, groups_by)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ["imsmanifest.xml"] + sorted(n for n in files if n != "imsmanifest.xml"):
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), files[name])
    partial.replace(out)
    return uneven
