"""Grade CSVs for Blackboard's Grade Center and Brightspace (D2L), written by `exam grade` beside
canvas.csv from the same summary (SPEC §12). One row a roster student; a student without a grade
gets an empty cell, never a zero."""
from __future__ import annotations

import csv
import io

from grader.text import csv_cell

BLACKBOARD_COLUMNS = ["Last Name", "First Name", "Username", "Student ID"]


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _score(summary, sid: str) -> str:
    record = summary.graded.get(sid)
    return "" if record is None else str(record["result"]["score"])


def _names(name: str) -> tuple[str, str]:
    """(last, first) from a roster name: "Ada Lovelace" -> ("Lovelace", "Ada"); "Last, First" kept."""
    if "," in name:
        last, _, first = name.partition(",")
        return last.strip(), first.strip()
    first, _, last = name.strip().rpartition(" ")
    return (last, first) if first else (name.strip(), "")


def blackboard(summary) -> str:
    """Blackboard Grade Center upload: the student columns (Username and Student ID both the
    roster id), then the exam as a new column `<title> [Total Pts: <max> Score]`."""
    maximum = summary.stats["overall"]["max_score"]
    rows = [BLACKBOARD_COLUMNS + [csv_cell(f"{summary.title} [Total Pts: {maximum} Score]")]]
    for sid, info in summary.students.items():
        last, first = _names(info.get("name", ""))
        rows.append([csv_cell(last), csv_cell(first), csv_cell(sid), csv_cell(sid), _score(summary, sid)])
    return _csv(rows)


def brightspace(summary) -> str:
    """Brightspace grades import: `OrgDefinedId` (the roster id, with the `#` prefix Brightspace
    expects), `<title> Points Grade`, and the `End-of-Line Indicator` column of `#`."""
    rows = [["OrgDefinedId", csv_cell(f"{summary.title} Points Grade"), "End-of-Line Indicator"]]
    for sid in summary.students:
        rows.append(["#" + csv_cell(sid), _score(summary, sid), "#"])
    return _csv(rows)


CSVS = {"blackboard.csv": blackboard, "brightspace.csv": brightspace}
