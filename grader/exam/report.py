"""The grading report: a self-contained HTML page (inline CSS, the histogram as inline SVG, no
scripts, no network) and the same summary in the terminal. Everything a student wrote is escaped."""
from __future__ import annotations

from html import escape

from grader import __version__

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d1d1f}
h1{margin-bottom:.2rem} .sub{color:#666;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.92rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f6} td.n{text-align:right;font-variant-numeric:tabular-nums}
code{background:#f4f4f6;padding:0 .2rem;border-radius:3px;word-break:break-all}
.bar{display:inline-block;height:.7rem;background:#3a7bd5;vertical-align:middle;margin-right:.4rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap} .card{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem}
.card b{display:block;font-size:1.4rem} ul{margin:0;padding-left:1.1rem} .warn{color:#a15c00}
"""


def histogram_svg(bins: list[dict], width: int = 640, height: int = 240) -> str:
    """The score histogram as an inline SVG bar chart."""
    left, bottom, top = 36, 36, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((b["count"] for b in bins), default=0) or 1
    bar_w = plot_w / max(len(bins), 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="histogram" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="Histogram of total scores">',
           f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
           f'<text x="{left - 6}" y="{top + 4}" font-size="11" text-anchor="end">{peak}</text>',
           f'<text x="{left - 6}" y="{top + plot_h}" font-size="11" text-anchor="end">0</text>']
    for i, b in enumerate(bins):
        h = plot_h * b["count"] / peak
        x = left + i * bar_w
        label = f"{b['low']}–{b['high']}"
        out.append(f'<rect class="bin" x="{x + 2:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 4:.1f}" height="{h:.1f}" '
                   f'fill="#3a7bd5"><title>{escape(label)}: {b["count"]} student(s)</title></rect>')
        if b["count"]:
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 3:.1f}" font-size="11" '
                       f'text-anchor="middle">{b["count"]}</text>')
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle">'
                   f'{escape(str(b["low"]))}</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" font-size="11" text-anchor="middle">total score '
               f'(bins of {escape(str(bins[0]["high"] if bins else 0))} points)</text></svg>')
    return "".join(out)


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>" if items else "–"


def report_html(summary) -> str:
    """The report page: overview, histogram, per-problem means, item statistics, skipped files."""
    s = summary.stats
    o = s["overall"]
    cards = [("students", o["students"]), ("graded", o["graded"]), ("skipped files", o["skipped"]),
             ("no submission", o["missing"]), ("max score", o["max_score"])]
    if o.get("graded"):
        cards += [("mean", o["mean"]), ("median", o["median"]), ("std. dev.", o["stdev"]),
                  ("min", o["min"]), ("max", o["max"])]
    html = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(summary.title)}: grading report</title><style>{CSS}</style></head><body>",
            f"<h1>{escape(summary.title)}</h1>",
            f'<p class="sub">Grading report for exam <code>{escape(summary.exam)}</code> · grader {__version__}</p>',
            '<div class="cards">' + "".join(f'<div class="card"><b>{escape(str(v))}</b>{escape(k)}</div>'
                                            for k, v in cards) + "</div>",
            "<h2>Score distribution</h2>", histogram_svg(s["histogram"]),
            "<h2>Problems</h2><table><thead><tr><th>#</th><th>problem</th><th>points</th><th>mean</th></tr></thead><tbody>"]
    for p in s["problems"]:
        html.append(f'<tr><td class="n">{p["index"]}</td><td>{escape(p["label"])}</td><td class="n">{p["points"]}</td>'
                    f'<td class="n">{"–" if p["mean"] is None else p["mean"]}</td></tr>')
    html.append("</tbody></table><h2>Parts</h2>"
                '<p class="sub">Share correct; discrimination = correlation of the part\'s score with the rest of '
                "the exam (low or negative values flag a part worth a second look).</p>"
                '<table id="parts"><thead><tr><th>problem</th><th>part</th><th>points</th><th>answered</th>'
                "<th>share correct</th><th>mean score</th><th>discrimination</th><th>verdicts</th>"
                "<th>most common wrong answers</th><th>misconceptions</th></tr></thead><tbody>")
    for part in s["parts"]:
        share = part["share_correct"]
        verdicts = _list([f"{escape(v)}: {c}" for v, c in part["verdicts"].items()])
        wrong = _list([f"<code>{escape(a)}</code> × {c}" for a, c in part["wrong_answers"]])
        miscon = _list([f"{escape(m)}: {c}" for m, c in part["misconceptions"].items()])
        disc = "–" if part["discrimination"] is None else f"{part['discrimination']:.2f}"
        html.append(f'<tr><td>{part["problem_index"]}. {escape(part["problem"])}</td><td><code>{escape(part["part"])}</code></td>'
                    f'<td class="n">{part["points"]}</td><td class="n">{part["n"]}</td>'
                    f'<td><span class="bar" style="width:{60 * share:.0f}px"></span>{_pct(share)}</td>'
                    f'<td class="n">{_pct(part["mean_fraction"])}</td><td class="n">{disc}</td>'
                    f"<td>{verdicts}</td><td>{wrong}</td><td>{miscon}</td></tr>")
    html.append("</tbody></table>")
    html.append(f"<h2>Skipped submissions ({len(summary.skipped)})</h2>")
    html.append(_list([f'<span class="warn">{escape(r["reason"])}</span>' for r in summary.skipped]))
    html.append(f"<h2>Students with no submission ({len(summary.missing)})</h2>")
    html.append(_list([escape(_who(summary, sid)) for sid in summary.missing]))
    html.append("</body></html>\n")
    return "\n".join(html)


def _who(summary, sid: str) -> str:
    name = summary.students.get(sid, {}).get("name")
    return f"{name} ({sid})" if name else sid


def print_summary(summary, console) -> None:
    """The report's summary in the terminal."""
    from rich.table import Table
    from rich.text import Text

    s = summary.stats
    o = s["overall"]
    line = f"{summary.title}: {o['graded']} graded of {o['students']} students"
    if o.get("graded"):
        line += f"; mean {o['mean']} / {o['max_score']}, median {o['median']}, range {o['min']}–{o['max']}"
    console.print(Text(line, style="bold"))
    peak = max((b["count"] for b in s["histogram"]), default=0) or 1
    for b in s["histogram"]:
        console.print(Text(f"  {b['low']:>7} – {b['high']:<7} {'█' * round(30 * b['count'] / peak)} {b['count']}"))
    problems = ", ".join(f"{p['index']}. {p['label']}" for p in s["problems"])
    table = Table(title=f"Parts of the problems {problems}", title_justify="left")
    for col in ("#", "part", "correct", "discr.", "most common wrong answer", "misconceptions"):
        table.add_column(col, overflow="fold")
    for part in s["parts"]:
        wrong = part["wrong_answers"][0] if part["wrong_answers"] else None
        table.add_row(str(part["problem_index"]), Text(part["part"]), _pct(part["share_correct"]),
                      "–" if part["discrimination"] is None else f"{part['discrimination']:.2f}",
                      Text(f"{wrong[0]} × {wrong[1]}" if wrong else "–"),
                      Text(", ".join(f"{m} × {c}" for m, c in part["misconceptions"].items()) or "–"))
    console.print(table)
    for record in summary.skipped:
        console.print(Text(f"skipped: {record['reason']}", style="yellow"), soft_wrap=True)
    if summary.missing:
        shown = ", ".join(summary.missing[:10]) + (" ..." if len(summary.missing) > 10 else "")
        console.print(Text(f"no submission from {len(summary.missing)} student(s): {shown}", style="yellow"))
    if summary.reused:
        console.print(f"reused {summary.reused} result(s) graded in an earlier run")
    console.print(Text(f"wrote {summary.out}/: gradebook.csv, canvas.csv, report.html, summary.json, "
                       "feedback/, gradescope/"), soft_wrap=True)
