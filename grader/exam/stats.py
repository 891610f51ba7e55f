"""Item statistics of a graded exam: the score distribution and, per part, the share correct,
the discrimination, the most common wrong answers and the misconceptions students fell into."""
from __future__ import annotations

import math
import statistics
from collections import Counter

TOP_WRONG = 5
BINS = 10


def _num(x: float):
    x = round(float(x), 4)
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


def summarize(summary) -> dict:
    """The statistics of a GradeSummary, as plain JSON values."""
    records = [summary.graded[sid] for sid in sorted(summary.graded)]
    maximum = sum(c.points for c in summary.columns)
    totals = [r["result"]["score"] for r in records]
    overall = {"students": len(summary.students), "graded": len(records), "skipped": len(summary.skipped),
               "missing": len(summary.missing), "max_score": _num(maximum)}
    if totals:
        overall.update(mean=_num(statistics.fmean(totals)), median=_num(statistics.median(totals)),
                       stdev=_num(statistics.pstdev(totals)), min=_num(min(totals)), max=_num(max(totals)))
    problems = []
    for col in summary.columns:
        scores = [r["result"]["problems"][col.index]["score"] for r in records]
        problems.append({"index": col.index + 1, "problem": col.problem, "label": col.label,
                         "points": _num(col.points), "mean": _num(statistics.fmean(scores)) if scores else None})
    return {"overall": overall, "histogram": histogram(totals, maximum), "problems": problems,
            "parts": _parts(summary, records, totals)}


def _parts(summary, records: list[dict], totals: list[float]) -> list[dict]:
    items: dict[tuple[int, str], dict] = {}
    for record, total in zip(records, totals):
        for col in summary.columns:
            res = record["result"]["problems"][col.index]
            wrong = record["wrong"][col.index] if col.index < len(record["wrong"]) else {}
            for part in res["parts"]:
                item = items.setdefault((col.index, part["id"]), {
                    "problem_index": col.index + 1, "problem": col.label, "part": part["id"],
                    "verdicts": Counter(), "fractions": [], "rest": [], "points": [],
                    "wrong": Counter(), "misconceptions": Counter()})
                item["verdicts"][part["verdict"]] += 1
                frac = part["score"] / part["max_score"] if part["max_score"] else 0.0
                item["fractions"].append(frac)
                item["rest"].append(total - part["score"])
                item["points"].append(part["max_score"])
                if part["id"] in wrong:
                    item["wrong"][wrong[part["id"]]] += 1
                if part.get("misconception"):
                    item["misconceptions"][part["misconception"]] += 1
    out = []
    for (index, pid), item in sorted(items.items(), key=lambda kv: kv[0][0]):
        n = len(item["fractions"])
        out.append({
            "problem_index": item["problem_index"], "problem": item["problem"], "part": pid,
            "points": _num(statistics.fmean(item["points"])), "n": n,
            "verdicts": dict(sorted(item["verdicts"].items())),
            "share_correct": _num(item["verdicts"]["correct"] / n),
            "mean_fraction": _num(statistics.fmean(item["fractions"])),
            "discrimination": (None if (r := correlation(item["fractions"], item["rest"])) is None else _num(r)),
            "wrong_answers": [[a, c] for a, c in sorted(item["wrong"].items(), key=lambda ac: (-ac[1], ac[0]))[:TOP_WRONG]],
            "misconceptions": dict(sorted(item["misconceptions"].items(), key=lambda mc: (-mc[1], mc[0]))),
        })
    return out
