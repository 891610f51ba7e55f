"""What `exam grade` writes: gradebook.csv, canvas.csv (Canvas gradebook import),
gradescope/<id>.json (Gradescope results.json), feedback/<id>.md, summary.json, report.html."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.exam.files import dump_json, write_atomic, write_json
from grader.render import part_label
from grader.text import csv_cell as _cell

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _score(x) -> str:
    return "" if x is None else str(x)


def notes(summary) -> dict[str, str]:
    """Why a roster student has no grade: no submission, or a skipped one."""
    out = {sid: "no submission" for sid in summary.missing}
    for record in summary.skipped:
        sid = record.get("student")
        if sid in summary.students and sid not in summary.graded:
            out.setdefault(sid, f"submission skipped: {record['reason']}")
    return out


def gradebook(summary) -> str:
    """`student`, one column per problem, `total`, and a `note` for students without a grade."""
    why = notes(summary)
    rows = [["student"] + [c.label for c in summary.columns] + ["total", "note"]]
    for sid in summary.students:
        record = summary.graded.get(sid)
        if record is None:
            rows.append([sid] + [""] * len(summary.columns) + ["", _cell(why.get(sid, ""))])
            continue
        result = record["result"]
        rows.append([sid] + [_score(p["score"]) for p in result["problems"]] + [_score(result["score"]), ""])
    for record in summary.skipped:  # submissions naming no roster student still get a line
        if record.get("student") not in summary.students:
            rows.append(["", *[""] * len(summary.columns), "", _cell(f"not graded: {record['reason']}")])
    return _csv(rows)


def canvas(summary) -> str:
    """Canvas's gradebook import: the student columns, then the exam as one assignment column."""
    maximum = summary.stats["overall"]["max_score"]
    rows = [CANVAS_COLUMNS + [summary.title], ["Points Possible", "", "", "", "", str(maximum)]]
    for sid, info in summary.students.items():
        record = summary.graded.get(sid)
        score = _score(record["result"]["score"]) if record else ""
        rows.append([_cell(info["name"]), "", sid, _cell(info["email"]), "", score])
    return _csv(rows)


def _test_name(col, i: int, part_id: str) -> str:
    return f"Problem {col.index + 1} ({col.problem}) ({part_label(i)}) {part_id}"


def gradescope(summary, sid: str) -> dict:
    """Gradescope's results.json for one student: the total and one test per part."""
    result = summary.graded[sid]["result"]
    tests = []
    for col, res in zip(summary.columns, result["problems"]):
        for i, part in enumerate(res["parts"]):
            tests.append({"name": _test_name(col, i, part["id"]), "score": part["score"],
                          "max_score": part["max_score"], "status": "passed" if part["verdict"] == "correct" else "failed",
                          "output": f"{part['verdict']}: {part['feedback']}" if part["feedback"] else part["verdict"]})
    return {"score": result["score"], "output": f"{summary.title}: {result['score']} / {result['max_score']}",
            "tests": tests}


def feedback(summary, sid: str) -> str:
    """A student's feedback as Markdown: per problem and part, the verdict, points and why."""
    info = summary.students.get(sid, {})
    who = f"{info['name']} ({sid})" if info.get("name") else sid
    lines = [f"# {summary.title}: feedback for {who}", ""]
    record = summary.graded.get(sid)
    if record is None:
        lines += ["Your submission could not be graded:", "", f"> {notes(summary).get(sid, 'no submission')}", "",
                  "Please contact the course staff.", ""]
        return "\n".join(lines)
    result = record["result"]
    lines += [f"**Total: {result['score']} / {result['max_score']}**", ""]
    for col, res in zip(summary.columns, result["problems"]):
        lines += [f"## Problem {col.index + 1}: {col.problem} ({res['score']} / {res['max_score']})", ""]
        for i, part in enumerate(res["parts"]):
            lines += [f"### ({part_label(i)}) `{part['id']}`: {part['verdict']}, {part['score']} / {part['max_score']}", ""]
            text = part["feedback"].strip()
            if "\n" in text:
                lines += ["```text", text.replace("```", "ʼʼʼ"), "```", ""]
            elif text:
                lines += [text, ""]
    return "\n".join(lines)


def _write_folder(folder: Path, files: dict[str, str]) -> None:
    """Write `files` into `folder` and remove the files an earlier run left there."""
    for name, text in files.items():
        write_atomic(folder / name, text)
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and path.name not in files and not path.name.startswith("."):
                path.unlink()


def write_outputs(summary) -> None:
    """Every file of RESULTS, each written atomically."""
    from grader.exam.report import report_html
    from grader.exports import grades

    out = summary.out
    write_atomic(out / "gradebook.csv", gradebook(summary))
    write_atomic(out / "canvas.csv", canvas(summary))
    for name, lms_csv in grades.CSVS.items():  # blackboard.csv, brightspace.csv
        write_atomic(out / name, lms_csv(summary))
    _write_folder(out / "gradescope", {f"{sid}.json": dump_json(gradescope(summary, sid)) for sid in summary.graded})
    with_feedback = list(summary.graded) + [sid for sid in notes(summary) if sid not in summary.missing]
    _write_folder(out / "feedback", {f"{sid}.md": feedback(summary, sid) for sid in sorted(with_feedback)})
    write_json(out / "summary.json", {"exam": summary.exam, "title": summary.title, **summary.stats,
                                      "skipped": [{"file": r["file"], "reason": r["reason"]} for r in summary.skipped],
                                      "missing": summary.missing})
    write_atomic(out / "report.html", report_html(summary))
