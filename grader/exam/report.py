"""The grading report (report.html), the post-exam review files (feedback/<id>.md and .html),
the terminal summary and `--explain`. Documents go through Jinja2 templates (report.html.j2,
feedback.md.j2, feedback.html.j2): HTML autoescaped, Markdown with every student value escaped
or in a code span; what reaches a terminal has control characters made visible."""
from __future__ import annotations

import re
from functools import lru_cache

from grader import __version__
from grader.exam.points import shown
from grader.render import part_label
from grader.text import md_code, md_text, one_line, visible

HIST_W, HIST_H = 640, 240


def md_block(text: str) -> str:
    """Any text as a fenced Markdown block that nothing inside can close or escape."""
    text = visible(text, keep="\n")
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall("`+", text)), default=0))
    return f"{fence}text\n{text}\n{fence}"


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


@lru_cache(maxsize=None)
def _environment():
    import jinja2

    from grader.render import bundled_templates

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(bundled_templates())),
                             autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(md_text=md_text, md_code=md_code, md_block=md_block, pts=shown, pct=_pct,
                       line=one_line, text=lambda t: visible(t, keep="\n"))
    return env


def _render(name: str, **context) -> str:
    return _environment().get_template(name).render(version=__version__, **context)


def histogram_bars(bins: list[dict]) -> dict:
    """Geometry of the score histogram's bars (the SVG itself is in the template)."""
    left, bottom, top = 36, 36, 12
    plot_w, plot_h = HIST_W - left - 8, HIST_H - bottom - top
    peak = max((b["count"] for b in bins), default=0) or 1
    bar_w = plot_w / max(len(bins), 1)
    bars = []
    for i, b in enumerate(bins):
        h = plot_h * b["count"] / peak
        x = left + i * bar_w
        bars.append({"x": f"{x + 2:.1f}", "y": f"{top + plot_h - h:.1f}", "w": f"{bar_w - 4:.1f}", "h": f"{h:.1f}",
                     "cx": f"{x + bar_w / 2:.1f}", "ty": f"{top + plot_h - h - 3:.1f}", **b})
    return {"width": HIST_W, "height": HIST_H, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h,
            "peak": peak, "bars": bars, "bin": bins[0]["high"] if bins else 0, "base": top + plot_h,
            "label_y": top + plot_h + 14, "mid": f"{left + plot_w / 2:.1f}"}


def who(summary, sid: str) -> str:
    name = summary.students.get(sid, {}).get("name")
    return f"{name} ({sid})" if name else sid


def report_html(summary) -> str:
    """The report page: overview, histogram, per-problem means, item statistics, skipped files."""
    return _render("report.html.j2", s=summary.stats, summary=summary, hist=histogram_bars(summary.stats["histogram"]),
                   who=lambda sid: who(summary, sid))


def review(summary, sid: str, record: dict | None) -> dict:
    """One student's review as plain values: per problem and part the answer, what it was read
    as, the reference, verdict, points, feedback, what changed it, and the worked solution."""
    from grader.exam.lms import notes

    out = {"title": summary.title, "exam": summary.exam, "student": sid, "who": who(summary, sid)}
    grade = summary.grades.get(sid)
    if grade is None or record is None:
        return dict(out, graded=False, why=notes(summary).get(sid, "no submission"))
    r = grade.rounded()
    problems = []
    for col, problem, result, scores, score in zip(summary.columns, grade.problems, record["problems"],
                                                   r["parts"], r["problems"]):
        parts = []
        for i, (part, raw, pts) in enumerate(zip(problem.parts, result["parts"], scores)):
            read_as = raw.get("read_as") or {}
            parts.append({"id": part.id, "label": part_label(i), "verdict": "pending" if part.pending else part.verdict,
                          "score": "pending" if part.pending else shown(pts), "max": shown(part.max),
                          "answer": raw.get("answer"), "read_as": read_as.get("text"),
                          "reference": raw.get("reference", ""), "feedback": raw.get("feedback", ""),
                          "why": list(part.why), "misconception": part.misconception,
                          "solution": raw.get("solution", ""), "solution_text": raw.get("solution_text", "")})
        problems.append({"index": col.index + 1, "label": col.label, "problem": col.problem, "score": shown(score),
                         "max": shown(problem.max), "invalid": problem.invalid, "parts": parts})
    return dict(out, graded=True, total=shown(r["total"]), max=shown(grade.max), pending=grade.pending,
                adjust=[{"points": shown(p), "reason": reason} for p, reason in grade.adjust], problems=problems,
                file=grade.file)


def feedback_pages(summary, sid: str, record: dict | None) -> tuple[str, str]:
    """The review as feedback/<id>.md and feedback/<id>.html."""
    r = review(summary, sid, record)
    return _render("feedback.md.j2", r=r), _render("feedback.html.j2", r=r)


def print_summary(summary, console) -> None:
    """The report's summary in the terminal; every student value shown with its control
    characters visible."""
    from rich.table import Table
    from rich.text import Text

    s = summary.stats
    o = s["overall"]
    line = f"{one_line(summary.title)}: {o['graded']} graded of {o['students']} students"
    if o.get("graded"):
        line += f"; mean {o['mean']} / {o['max_score']}, median {o['median']}, range {o['min']}–{o['max']} (n = {o['n']})"
    console.print(Text(line, style="bold"))
    if o["pending"]:
        console.print(Text(f"{o['pending']} manual part(s) of {o['students_pending']} student(s) wait for a person: "
                           f"fill in {summary.out}/manual/*.csv and rerun with --scores", style="yellow"), soft_wrap=True)
    peak = max((b["count"] for b in s["histogram"]), default=0) or 1
    for b in s["histogram"]:
        console.print(Text(f"  {b['low']:>7} – {b['high']:<7} {'█' * round(30 * b['count'] / peak)} {b['count']}"))
    problems = ", ".join(f"{p['index']}. {p['label']}" for p in s["problems"])
    table = Table(title=f"Parts of the problems {problems}", title_justify="left")
    for col in ("#", "part", "n", "correct", "discr.", "most common mistake", "misconceptions"):
        table.add_column(col, overflow="fold")
    for part in s["parts"]:
        mistake = part["mistakes"][0] if part["mistakes"] else None
        table.add_row(str(part["problem_index"]), Text(part["part"]), str(part["n"]) + ("*" if part["small_n"] else ""),
                      _pct(part["share_correct"]),
                      "–" if part["discrimination"] is None else f"{part['discrimination']:.2f}",
                      Text(f"{mistake[0]} × {mistake[1]}" if mistake else "–"),
                      Text(", ".join(f"{m} × {c}" for m, c in part["misconceptions"].items()) or "–"))
    console.print(table)
    if any(p["small_n"] for p in s["parts"]):
        console.print(Text(f"* fewer than {s['small_n']} scored answers: read these figures as rough"))
    for record in summary.skipped:
        console.print(Text(f"skipped: {one_line(record['reason'])}", style="yellow"), soft_wrap=True)
    for record in summary.not_taken:
        console.print(Text(f"not taken: {one_line(record['reason'])}"), soft_wrap=True)
    if summary.missing:
        shown_ids = ", ".join(summary.missing[:10]) + (" ..." if len(summary.missing) > 10 else "")
        console.print(Text(f"no submission from {len(summary.missing)} student(s): {shown_ids}", style="yellow"))
    if summary.changes:
        console.print(Text(f"{len(summary.changes)} part score(s) changed since the previous run: see changes.csv"))
    if summary.reused:
        console.print(f"reused {summary.reused} result(s) graded in an earlier run")
    console.print(Text(f"wrote {summary.out}/: gradebook.csv, canvas.csv, report.html, summary.json, changes.csv, "
                       "feedback/, gradescope/, manual/"), soft_wrap=True)


def explain(summary, sid: str, console) -> None:
    """One student's grading, part by part, in the terminal."""
    from rich.text import Text

    from grader.errors import ExamError

    if sid not in summary.students:
        raise ExamError(f"student {one_line(sid)!r} is not in the exam")
    r = review(summary, sid, summary.record(sid) if sid in summary.grades else None)
    console.print(Text(f"{one_line(r['who'])}: {summary.title}", style="bold"))
    if not r["graded"]:
        console.print(Text(one_line(r["why"])))
        return
    console.print(Text(f"graded {one_line(r['file'])}: {r['total']} / {r['max']}"
                       + (f", {r['pending']} part(s) pending" if r["pending"] else "")))
    for p in r["problems"]:
        console.print(Text(f"\nProblem {p['index']} ({p['label']}): {p['score']} / {p['max']}", style="bold"))
        if p["invalid"]:
            console.print(Text(f"  invalid: {one_line(p['invalid'])}"))
        for part in p["parts"]:
            console.print(Text(f"  ({part['label']}) {part['id']}: {part['verdict']}, {part['score']} / {part['max']}"))
            answer = "(no answer)" if part["answer"] is None else one_line(part["answer"], 200)
            console.print(Text(f"      answer:    {answer}"))
            if part["read_as"]:
                console.print(Text(f"      read as:   {one_line(part['read_as'], 200)}"))
            console.print(Text(f"      reference: {one_line(part['reference'], 200)}"))
            if part["feedback"]:
                console.print(Text(f"      feedback:  {one_line(part['feedback'], 300)}"))
            for line in part["why"]:
                console.print(Text(f"      override:  {one_line(line, 300)}"))
    for a in r["adjust"]:
        console.print(Text(f"\nadjusted by {a['points']}: {one_line(a['reason'])}"))
