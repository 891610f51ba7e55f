"""Item statistics of a graded exam that mean something when every student has a variant of
their own: wrong answers are grouped by the misconception they match or by how they relate to
the student's own reference (sign flipped, off by a factor, reordered, ...); raw wrong values
are counted only within one variant. Every figure carries its n; below SMALL_N it is flagged."""
from __future__ import annotations

import math
import statistics
from collections import Counter
from fractions import Fraction
from typing import Any

from grader.exam.points import value

TOP_WRONG = 5
BINS = 10
SMALL_N = 30
FACTORS = (2, 3, 4, 5, 10, 100, 1000)


def _num(x: float, digits: int = 2):
    """Points and scores to 2 decimals; shares and correlations to 4."""
    x = round(float(x), digits)
    return int(x) if x.is_integer() else x


def correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r, or None when either side does not vary."""
    if len(xs) < 3:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


def histogram(scores: list[float], maximum: float, bins: int = BINS) -> list[dict]:
    """Counts of scores in `bins` equal ranges of [0, maximum] (the last one closed)."""
    width = maximum / bins if maximum > 0 else 1
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, max(0, int(s / width)))] += 1
    return [{"low": _num(i * width), "high": _num((i + 1) * width), "count": c} for i, c in enumerate(counts)]


# -- how a wrong answer relates to the student's own reference --------------------------------

def _ratio_name(sub: float, ref: float) -> str | None:
    if ref == 0 or sub == 0:
        return None
    if math.isclose(sub, -ref, rel_tol=1e-9):
        return "sign flipped"
    ratio = abs(sub / ref)
    for k in FACTORS:
        if math.isclose(ratio, k, rel_tol=1e-6) or math.isclose(ratio, 1 / k, rel_tol=1e-6):
            return f"off by a factor of {k}" + ("" if sub / ref > 0 else ", sign flipped")
    if math.isclose(sub, ref, rel_tol=0.05):
        return "close (rounded too early?)"
    return None


def _cheap(raw: Any) -> bool:
    """A raw JSON number or a (nested) list of them: parsed without the sandbox's budget."""
    if isinstance(raw, list):
        return len(raw) <= 400 and all(_cheap(x) for x in raw)
    return isinstance(raw, (int, float)) and not isinstance(raw, bool) and abs(raw) < 1e300


def relation(answer_type, raw: Any, reference: Any) -> str | None:
    """How a wrong `raw` answer relates to the reference, in words, or None."""
    kind = answer_type.name
    if getattr(answer_type, "sandboxed", False) and not _cheap(raw):
        return None
    try:
        if kind == "number":
            return _ratio_name(float(answer_type.parse(raw)), float(answer_type.reference(reference)))
        if kind in ("vector", "matrix"):
            (sshape, svals), (rshape, rvals) = answer_type.parse(raw), answer_type.reference(reference)
            if sshape != rshape:
                if len(rshape) == 2 and sshape == rshape[::-1]:
                    rows, cols = rshape
                    transposed = [rvals[c * cols + r] for r in range(cols) for c in range(rows)]
                    if all(math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(svals, transposed)):
                        return "transposed"
                return "wrong shape"
            s, r = [float(v) for v in svals], [float(v) for v in rvals]
            if sorted(s) == sorted(r) and s != r:
                return "right entries, wrong order"
            names = {_ratio_name(a, b) for a, b in zip(s, r) if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)}
            if len(names) == 1 and None not in names:
                return names.pop()
            return None
        if kind == "sequence":
            sub, ref = answer_type.parse(raw), answer_type.reference(reference)
            if sorted(map(str, sub)) == sorted(map(str, ref)):
                return "right items, wrong order"
    except Exception:  # noqa: BLE001 - a relation is a hint for the report, never a failure
        return None
    return None


# -- the statistics ----------------------------------------------------------------------------

def summarize(summary) -> dict:
    """The statistics of a GradeSummary, as plain JSON values."""
    grades = [summary.grades[sid] for sid in sorted(summary.grades)]
    rounded = [g.rounded() for g in grades]
    totals = [float(r["total"]) for r in rounded]
    maximum = float(summary.max_score)
    pending = sum(g.pending for g in grades)
    overall = {"students": len(summary.students), "graded": len(grades), "n": len(grades),
               "skipped": len(summary.skipped), "not_taken": len(summary.not_taken), "missing": len(summary.missing),
               "pending": pending, "students_pending": sum(1 for g in grades if g.pending),
               "max_score": value(summary.max_score), "small_n": len(grades) < SMALL_N}
    if totals:
        overall.update(mean=_num(statistics.fmean(totals)), median=_num(statistics.median(totals)),
                       stdev=_num(statistics.pstdev(totals)), min=_num(min(totals)), max=_num(max(totals)))
    problems = []
    for col in summary.columns:
        scores = [float(r["problems"][col.index]) for r in rounded]
        points = grades[0].problems[col.index].max if grades else Fraction(0)
        problems.append({"index": col.index + 1, "problem": col.problem, "label": col.label,
                         "points": value(points), "n": len(scores),
                         "mean": _num(statistics.fmean(scores)) if scores else None})
    return {"overall": overall, "histogram": histogram(totals, maximum), "problems": problems,
            "parts": _parts(summary, grades, totals), "small_n": SMALL_N}


def _parts(summary, grades, totals: list[float]) -> list[dict]:
    out = []
    for col in summary.columns:
        for k, pid in enumerate(col.parts):
            verdicts, fractions, rest, mistakes, raw = Counter(), [], [], Counter(), Counter()
            points, scored = Fraction(0), 0
            misconceptions = Counter()
            for grade, total_score in zip(grades, totals):
                problem = grade.problems[col.index]
                parts = problem.parts
                part = parts[k] if k < len(parts) and parts[k].id == pid else next((p for p in parts if p.id == pid), None)
                if part is None:
                    continue
                points = max(points, part.max)
                verdicts["pending" if part.pending else part.verdict] += 1
                if part.pending or not part.max:
                    continue
                scored += 1
                fractions.append(float(part.score / part.max))
                rest.append(total_score - float(part.score))
                if part.verdict in ("incorrect", "partial", "invalid") and not part.by_person:
                    if part.misconception:
                        misconceptions[part.misconception] += 1
                        mistakes[f"misconception: {part.misconception}"] += 1
                    elif part.relation:
                        mistakes[part.relation] += 1
                    elif part.verdict == "invalid":
                        mistakes["could not be read"] += 1
                    else:
                        mistakes["other"] += 1
                    if part.answer is not None:
                        raw[(problem.variant, part.answer)] += 1
            n = sum(verdicts.values())
            r = correlation(fractions, rest)
            out.append({
                "problem_index": col.index + 1, "problem": col.label, "part": pid, "points": value(points),
                "n": n, "n_scored": scored, "small_n": scored < SMALL_N,
                "verdicts": dict(sorted(verdicts.items())),
                "share_correct": _num(verdicts["correct"] / n, 4) if n and n != verdicts["dropped"] else None,
                "mean_fraction": _num(statistics.fmean(fractions), 4) if fractions else None,
                "discrimination": None if r is None else _num(r, 4),
                "mistakes": [[m, c] for m, c in sorted(mistakes.items(), key=lambda mc: (-mc[1], mc[0]))],
                "misconceptions": dict(sorted(misconceptions.items(), key=lambda mc: (-mc[1], mc[0]))),
                # raw values mean something only among students who had the same numbers
                "wrong_answers": [[variant, answer, c] for (variant, answer), c in
                                  sorted(raw.items(), key=lambda vc: (-vc[1], vc[0]))[:TOP_WRONG] if c > 1],
                "pending": verdicts["pending"],
            })
    return out
