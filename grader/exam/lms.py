"""What `exam grade` writes, as one set: gradebook.csv, canvas.csv (Canvas gradebook import),
gradescope/<id>.json (Gradescope results.json), feedback/<id>.md and .html, manual/<problem>.<part>.csv,
changes.csv, summary.json, report.html, inputs.json (what grading used) and scores.json (the
scores people entered). Every writer is a pure function of the GradeSummary (see grade.py)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from functools import lru_cache
from pathlib import Path

from grader.exam.files import dump_json
from grader.exam.points import shown
from grader.text import csv_cell as _cell, one_line

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
FOLDERS = ("gradescope", "feedback", "manual")
STAGE = ".stage"
COMPLETE = ".complete"


def _csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def notes(summary) -> dict[str, str]:
    """Why a roster student has no grade: no submission, or a skipped one."""
    out = {sid: "no submission" for sid in summary.missing}
    for record in summary.skipped:
        sid = record.get("student")
        if sid in summary.students and sid not in summary.grades:
            out.setdefault(sid, f"submission skipped: {record['reason']}")
    return out


def gradebook(summary) -> str:
    """`student`, one column per problem, `total`, `pending` (manual parts no person has scored
    yet: the total leaves them out) and a `note` for students without a grade."""
    why = notes(summary)
    rows = [["student"] + [c.label for c in summary.columns] + ["total", "pending", "note"]]
    for sid in summary.students:
        grade = summary.grades.get(sid)
        if grade is None:
            rows.append([_cell(sid)] + [""] * len(summary.columns) + ["", "", _cell(why.get(sid, ""))])
            continue
        r = grade.rounded()
        rows.append([_cell(sid)] + [shown(s) for s in r["problems"]] + [shown(r["total"]), str(grade.pending), ""])
    for record in summary.skipped:  # submissions naming no roster student still get a line
        if record.get("student") not in summary.students:
            rows.append(["", *[""] * len(summary.columns), "", "", _cell(f"not graded: {record['reason']}")])
    return _csv(rows)


def canvas_name(info: dict, sid: str) -> str:
    """Canvas's `Student` column: "Last, First" (as the roster gave it, else from the name; a
    name already written "Last, First" is kept)."""
    if info.get("sortable"):
        return info["sortable"]
    name = info.get("name", "").strip()
    if "," in name:
        return name
    head, _, tail = name.rpartition(" ")
    return f"{tail}, {head}" if head else name or sid


def canvas(summary) -> str:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section as Canvas
    wrote them, then the exam as one assignment column. A student with pending manual parts
    gets no score yet (a partial total would read as final)."""
    rows = [CANVAS_COLUMNS + [_cell(summary.title)], ["Points Possible", "", "", "", "", shown(summary.max_score)]]
    for sid, info in summary.students.items():
        grade = summary.grades.get(sid)
        score = shown(grade.rounded()["total"]) if grade is not None and not grade.pending else ""
        rows.append([_cell(canvas_name(info, sid)), _cell(info.get("canvas_id", "")),
                     _cell(info.get("sis_user_id") or sid), _cell(info.get("sis_login") or info.get("email", "")),
                     _cell(info.get("section", "")), score])
    return _csv(rows)


def gradescope(summary, sid: str, record: dict) -> dict:
    """Gradescope's results.json for one student: the autograder's writer, on the same grade."""
    from grader.exports.gradescope import results_json

    return results_json(summary.title, summary.columns, summary.grades[sid], record["problems"])


def manual_sheets(summary) -> dict[str, list[list]]:
    """`manual/<problem>.<part>.csv` rows for every part some student's answer left to a person:
    student, answer, rubric, score (empty until a person fills it in), comment."""
    from grader.exam.overrides import MANUAL_COLUMNS, manual_file

    sheets: dict[str, list[list]] = {}
    for sid in sorted(summary.grades):
        grade = summary.grades[sid]
        record = None
        for col, problem in zip(summary.columns, grade.problems):
            for k, part in enumerate(problem.parts):
                if part.verdict == "dropped":
                    continue
                if record is None and (part.pending or any("scored by a person" in w for w in part.why)):
                    record = summary.record(sid)
                if record is None:
                    continue
                raw = record["problems"][col.index]["parts"][k]
                if raw["verdict"] != "manual":
                    continue
                name = manual_file(col.label, part.id)
                sheets.setdefault(name, [MANUAL_COLUMNS])
                given = "" if part.pending else shown(part.score)
                comment = next((w[len("comment: "):] for w in part.why if w.startswith("comment: ")), "")
                sheets[name].append([_cell(sid), _cell(raw.get("answer") or ""), _cell(raw.get("feedback", "")),
                                     given, _cell(comment)])
    return sheets


def changes_csv(summary) -> str:
    rows = [["student", "problem", "part", "old", "new", "why"]]
    for c in summary.changes:
        rows.append([_cell(c["student"]), summary.columns[c["problem"]].label, c["part"], c["old"], c["new"],
                     _cell(c["why"])])
    return _csv(rows)


def summary_json(summary) -> dict:
    return {"exam": summary.exam, "title": summary.title, **summary.stats,
            "skipped": [{"file": one_line(r["file"]), "reason": r["reason"]} for r in summary.skipped],
            "not_taken": summary.not_taken, "missing": summary.missing, "changes": len(summary.changes)}


def inputs_json(inputs: dict):
    """inputs.json in pieces: laid out as dump_json lays it out, but `students` (last), whose
    values are each student's inputs as JSON text (written by grader.text.json_dumps), one
    line a student."""
    from grader.text import json_dumps

    head = json_dumps({k: v for k, v in inputs.items() if k != "students"}, indent=2)
    students = inputs["students"]
    if not students:
        yield head[:-2] + ',\n  "students": {}\n}\n'
        return
    yield head[:-2] + ',\n  "students": {\n'
    for n, (sid, text) in enumerate(students.items()):
        yield f"{',' + chr(10) if n else ''}    {json_dumps(sid)}: {text}"
    yield "\n  }\n}\n"


class Stage:
    """Outputs written into RESULTS/.stage, then moved into place as one set: the marker
    RESULTS/.complete is removed first and written last, so it names a complete set only.
    `kept` are files of the previous set left in place, as they are (not rewritten); the
    marker records `students`, what each student's own files were written from."""

    def __init__(self, out: Path, root: str | None = None):
        """A new, empty stage; with `root`, the stage another process made (to add files to)."""
        self.out, self.files, self.kept, self.students = out, [], [], {}
        self.root = Path(root) if root else out / STAGE
        if root is None:
            with _writing(self.root):
                if self.root.exists():
                    shutil.rmtree(self.root)
                self.root.mkdir(parents=True)

    def put(self, rel: str, text: str) -> None:
        path = self.root / rel
        with _writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8", "replace"))
        self.files.append(rel)

    def write(self, rel: str, pieces) -> None:
        """Like put, from an iterable of text pieces (a large file never held whole)."""
        path = self.root / rel
        with _writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8", errors="replace", newline="") as fh:
                fh.writelines(pieces)
        self.files.append(rel)

    def commit(self) -> None:
        marker = self.out / COMPLETE
        moved = set(self.files)
        keep = moved | set(self.kept)
        with _writing(self.out):
            marker.unlink(missing_ok=True)
            for rel in sorted(moved):
                target = self.out / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.root / rel, target)
            for folder in FOLDERS:
                if (self.out / folder).is_dir():
                    for path in (self.out / folder).iterdir():
                        if path.is_file() and f"{folder}/{path.name}" not in keep:
                            path.unlink()
            shutil.rmtree(self.root)
        with _writing(marker):
            tmp = marker.with_name(marker.name + ".tmp")
            tmp.write_text(dump_json({"files": sorted(keep), "students": self.students}), encoding="utf-8")
            os.replace(tmp, marker)


def _writing(path: Path):
    from grader.exam.grade import writing

    return writing(path)


def student_files(task: tuple) -> list[str] | str:
    """Write one graded student's Gradescope results and review pages into the stage (in a
    worker process); the files written, or the one-line error that stopped it."""
    from grader.errors import GraderError
    from grader.exam.report import feedback_pages

    summary, sid, root = task
    stage = Stage(summary.out, root)
    try:
        record = summary.record(sid)
        stage.put(f"gradescope/{sid}.json", dump_json(gradescope(summary, sid, record)))
        md, html = feedback_pages(summary, sid, record)
        stage.put(f"feedback/{sid}.md", md)
        stage.put(f"feedback/{sid}.html", html)
    except GraderError as exc:
        return str(exc)
    return stage.files


def _one_student(summary, sid: str):
    """The summary cut down to one student: what a worker needs to write their files."""
    from dataclasses import replace

    return replace(summary, students={sid: summary.students[sid]}, grades={sid: summary.grades[sid]},
                   records={sid: summary.records[sid]}, skipped=[], missing=[], not_taken=[], stats={}, changes=[],
                   inputs={})


STUDENT_FILES = ("gradescope/{}.json", "feedback/{}.md", "feedback/{}.html")
# what a student's files are written with: a change to any of them rewrites every student's
WRITER_TEMPLATES = ("feedback.md.j2", "feedback.html.j2", "_partials/report.css")
WRITER_MODULES = ("exam/lms.py", "exam/report.py", "exam/points.py", "exports/gradescope.py", "render.py", "text.py")


@lru_cache(maxsize=None)
def _writers_digest() -> str:
    import grader
    from grader.render import bundled_templates

    digest = hashlib.sha256(grader.__version__.encode())
    package, templates = Path(grader.__file__).parent, bundled_templates()
    for path in [templates / t for t in WRITER_TEMPLATES] + [package / m for m in WRITER_MODULES]:
        digest.update(path.name.encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()


def student_digest(summary, sid: str, why: dict[str, str]) -> str:
    """Everything a student's own files (Gradescope results, review pages) are written from:
    equal digests mean byte-identical files."""
    grade = summary.grades.get(sid)
    what = [_writers_digest(), summary.exam, summary.title, repr(summary.columns), summary.students.get(sid)]
    if grade is None:
        what.append(why.get(sid))
    else:
        what += [summary.inputs["students"][sid], repr(grade), repr(grade.rounded())]
    return hashlib.sha256(repr(what).encode("utf-8", "surrogatepass")).hexdigest()


def _previous_students(out: Path) -> dict:
    """What each student's files of the previous complete set were written from ({} without one)."""
    try:
        marker = json.loads((out / COMPLETE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    students = marker.get("students") if isinstance(marker, dict) else None
    return students if isinstance(students, dict) else {}


def write_outputs(summary, scores: dict, jobs: int = 1) -> None:
    """Every file of RESULTS, staged (the students' files in `jobs` processes) and moved into
    place as one set. A student whose files would come out as the previous set's (same digest,
    files in place) keeps them untouched."""
    from grader.errors import ExamError
    from grader.exam.overrides import scores_to_json
    from grader.exam.parallel import run_all
    from grader.exam.report import feedback_pages, report_html
    from grader.exports import grades

    stage = Stage(summary.out)
    stage.put("gradebook.csv", gradebook(summary))
    stage.put("canvas.csv", canvas(summary))
    for name, lms_csv in grades.CSVS.items():  # blackboard.csv, brightspace.csv
        stage.put(name, lms_csv(summary))
    why, before = notes(summary), _previous_students(summary.out)
    ungraded = [sid for sid in sorted(why) if sid not in summary.missing]
    todo = []
    for sid in sorted(summary.grades) + ungraded:
        digest = stage.students[sid] = student_digest(summary, sid, why)
        files = [f.format(sid) for f in (STUDENT_FILES if sid in summary.grades else STUDENT_FILES[1:])]
        if before.get(sid) == digest and all((summary.out / f).is_file() for f in files):
            stage.kept += files
        else:
            todo.append(sid)
    tasks = [(_one_student(summary, sid), sid, str(stage.root)) for sid in todo if sid in summary.grades]
    for written in run_all(student_files, tasks, jobs=jobs, description="writing feedback"):
        if isinstance(written, str):
            raise ExamError(written)
        stage.files += written
    for sid in todo:
        if sid not in summary.grades:
            md, html = feedback_pages(summary, sid, None)
            stage.put(f"feedback/{sid}.md", md)
            stage.put(f"feedback/{sid}.html", html)
    for name, rows in sorted(manual_sheets(summary).items()):
        stage.put(f"manual/{name}", _csv(rows))
    stage.put("changes.csv", changes_csv(summary))
    stage.put("summary.json", dump_json(summary_json(summary)))
    stage.write("inputs.json", inputs_json(summary.inputs))
    stage.put("scores.json", dump_json(scores_to_json(scores)))
    stage.put("report.html", report_html(summary))
    stage.commit()


def check_complete(out: Path) -> bool:
    """True when RESULTS holds a complete set of outputs."""
    try:
        return isinstance(json.loads((out / COMPLETE).read_text(encoding="utf-8")).get("files"), list)
    except (OSError, ValueError, AttributeError):
        return False

