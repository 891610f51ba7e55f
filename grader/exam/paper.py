"""Paper exams (`exam build --paper`, SPEC §5.1 Paper): answer space fitted to each part, a name
and ID box, a header on every page (exam id, student id, `page i/n`, a QR code of
`exam|student|page`) and a fixed layout: every student's PDF has the same pages and every
problem starts on the same page.

The class is compiled twice, a few students per LaTeX run: a draft run records where each
problem starts for every student; the longest student fixes each problem's pages; the final
run pads every problem to them with working pages (content is never moved, so the layout of
the draft holds) and prints the QR codes. The runs are cut into students by recorded marks."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError

QR_SIZE_MM = 16  # side of every QR code; at 150 dpi a module of a 25-module code is ~3.7 px
PAGE_OVERFLOW = re.compile(r"^grader-overflow: (.*)$", re.M)


class PaperError(GraderError):
    """A paper exam cannot be laid out (a part too tall for a page, a layout that moved)."""


# -- answer space ---------------------------------------------------------------------------

def answer_space(part, reference) -> dict:
    """The space a part's answer gets on paper, from its type and its reference's shape (the
    shape of a vector or matrix is part of the question; the values are not printed)."""
    name = part.type.name
    if name == "boolean":
        return {"kind": "ticks", "options": ["True", "False"]}
    if name == "choice":
        return {"kind": "ticks", "options": [chr(65 + i) for i in range(len(part.type.options))]}
    if name in ("vector", "matrix"):
        answer = part.type.canonical(reference)
        rows = [answer] if name == "vector" else answer
        return {"kind": "grid", "rows": len(rows), "columns": max(len(r) for r in rows)}
    if name == "number":
        return {"kind": "box"}
    if name in ("set", "sequence", "shapes"):
        items = reference if isinstance(reference, (list, tuple)) and name != "sequence" else [reference]
        return {"kind": "lines", "lines": min(12, len(items) + 2)}
    if name == "text":
        return {"kind": "lines", "lines": 8}
    return {"kind": "working", "height": 3.2}  # expressions, matrix expressions, big-O


def spaces(instance) -> dict[str, dict]:
    """Answer space of every part of an instance."""
    return {part.id: answer_space(part, instance.reference(part.id)) for part in instance.parts}


# -- QR codes -------------------------------------------------------------------------------

def qr_payload(exam_id: str, student_id: str, page: int) -> str:
    return f"{exam_id}|{student_id}|{page}"


def qr_tex(payload: str) -> tuple[str, int]:
    """A QR code as TeX rules (one `\\qR` row of `\\qB` black and `\\qW` white runs) and its
    number of modules a side."""
    import segno

    # a fixed mask pattern: any of the eight is valid and decodes; scoring all of them to pick
    # one (segno's default) is four fifths of the time of a code, and a class has thousands
    matrix = segno.make_qr(payload, error="m", mask=0).matrix
    rows = []
    for row in matrix:
        runs, k = [], 0
        while k < len(row):
            j = k
            while j < len(row) and bool(row[j]) == bool(row[k]):
                j += 1
            if row[k]:
                runs.append(f"\\qB{{{j - k}}}")
            elif j < len(row):
                runs.append(f"\\qW{{{j - k}}}")
            k = j
        rows.append("\\qR{" + "".join(runs) + "}")
    return "".join(rows), len(matrix)


def qr_definitions(exam_id: str, student_id: str, pages: int) -> str:
    """`\\graderqrdef` lines: the QR code of each page of one student."""
    lines = []
    for page in range(1, pages + 1):
        rows, modules = qr_tex(qr_payload(exam_id, student_id, page))
        lines.append(f"\\graderqrdef{{{page}}}{{{QR_SIZE_MM / modules:.4f}mm}}{{{rows}}}")
    return "\n".join(lines)


# -- documents ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """The fixed layout: the page each problem starts on (1-based) and the pages per student."""

    starts: tuple[int, ...]
    pages: int


def student_body(views: list[dict], *, title: str, exam_id: str, instructions: str) -> str:
    """One student's paper exam; the student's name, id, QR codes and page count are defined
    by each run (`run_body`), so the same body without them is the blank template."""
    from grader.render import environment

    return environment().get_template("_partials/paper_body.tex.j2").render(
        problems=views, title=title, exam_id=exam_id, instructions=instructions)


def preamble(exam_id: str, layout: Layout | None) -> str:
    from grader.render import tex_preamble

    paper = {"exam_id": exam_id, "starts": list(layout.starts) if layout else [],
             "pages": layout.pages if layout else 0}
    return tex_preamble(solution=False, paper=paper)


def run_body(body: str, student, exam_id: str, layout: Layout | None) -> str:
    """A body as one run compiles it: the student (None for the template) and, in the final
    run, the QR codes of their pages."""
    from grader.markup import latex_escape

    student_id, name = (student.id, student.name or "") if student else ("", "")
    head = (f"\\graderdocument\n\\def\\graderstudentid{{{latex_escape(student_id)}}}"
            f"\\def\\gradername{{{latex_escape(name)}}}\n")
    qr = qr_definitions(exam_id, student_id, layout.pages) + "\n" if layout else ""
    return head + qr + body


def _overflows(log: str) -> list[str]:
    return sorted(set(PAGE_OVERFLOW.findall(log)))


def plan(runs, count: int) -> Layout:
    """The layout from a draft run of every student: each problem gets the most pages any
    student needs for it."""
    cover, budgets = 0, [0] * count
    for run in runs:
        starts = [page for name, page, _ in run.marks if name.startswith("problem ")]
        content = run.pages  # the draft pads nothing: its last page is the last of the content
        if len(starts) != count:
            raise PaperError("a draft run lost a problem's page marks")
        cover = max(cover, starts[0] - 1)
        for j in range(count):
            end = starts[j + 1] - 1 if j + 1 < count else content
            budgets[j] = max(budgets[j], end - starts[j] + 1)
    starts, page = [], cover + 1
    for pages in budgets:
        starts.append(page)
        page += pages
    return Layout(tuple(starts), page - 1)


def check(run, layout: Layout, who: str) -> None:
    """A final run's student must have the planned pages, each problem on its planned page."""
    starts = tuple(page for name, page, _ in run.marks if name.startswith("problem "))
    last = run.pages
    if starts != layout.starts or last != layout.pages:
        raise PaperError(f"the paper layout moved for {who}: problems start on pages {list(starts)} of {last}, "
                         f"planned {list(layout.starts)} of {layout.pages}")


def build_paper(out: Path, exam_id: str, students: list, bodies: list[str], *, jobs: int = 1) -> tuple[Layout, dict[str, str]]:
    """Compile the paper exams of `students` (roster order; `bodies[k]` is student k's) into
    `out/students/<id>/exam.pdf`, `out/print/class.pdf` (every student, roster order) and
    `out/staff/template.pdf` (the first body without a student), and the LaTeX logs of the
    final runs in `out/staff/paper.log`. Returns the
    layout and the SHA-256 of each PDF written."""
    from grader.exam.files import write_atomic
    from grader.pdf import PdfError, compile_many

    def failed(results, label):
        for result, student in zip(results, label):
            overflow = _overflows(getattr(result, "log", ""))
            if overflow:  # a box taller than a page can also lose the marks after it
                raise PaperError(f"{overflow[0]} does not fit on one page: shorten it or split the part")
            if isinstance(result, PdfError):
                raise PaperError(f"paper exam of {student}: {result.message}")

    count = bodies[0].count("\\graderproblem{")
    ids = [s.id for s in students]
    draft = compile_many(preamble(exam_id, None), [run_body(b, s, exam_id, None) for b, s in zip(bodies, students)],
                         jobs=jobs, draft=True)
    failed(draft, ids)
    layout = plan(draft, count)
    final_bodies = [run_body(b, s, exam_id, layout) for b, s in zip(bodies, students)]
    final_bodies.append(run_body(bodies[0], None, exam_id, layout))
    final = compile_many(preamble(exam_id, layout), final_bodies, jobs=jobs)
    failed(final, ids + ["the template"])
    hashes = {}
    for run, sid in zip(final, ids + ["the template"]):
        check(run, layout, f"student {sid}" if sid != "the template" else sid)
    for run, sid in zip(final, ids):
        hashes[f"students/{sid}/exam.pdf"] = write_atomic(out / "students" / sid / "exam.pdf", run.pdf)
    hashes["staff/template.pdf"] = write_atomic(out / "staff" / "template.pdf", final[-1].pdf)
    hashes["print/class.pdf"] = write_atomic(out / "print" / "class.pdf", merge([run.pdf for run in final[:-1]]))
    logs = list(dict.fromkeys(run.log for run in final))  # one log a LaTeX run, in order
    write_atomic(out / "staff" / "paper.log", "\n".join(logs))
    return layout, hashes


def merge(pdfs: list[bytes]) -> bytes:
    """PDFs one after the other, as one PDF."""
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(BytesIO(pdf)))
    writer.compress_identical_objects()
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PAPER_INSTRUCTIONS = ("Write each answer in the space under its part; use the working pages for "
                      "rough work. Do not write in the header: its code identifies your pages.")


def paper_body(instances, views: list[dict], job) -> str:
    """A student's paper exam body, from their instances and public problem views."""
    from grader.exam.build import DEFAULT_INSTRUCTIONS

    views = [dict(view, parts=[dict(part, space=spaces(instance)[part["id"]]) for part in view["parts"]])
             for instance, view in zip(instances, views)]
    instructions = PAPER_INSTRUCTIONS if job.instructions == DEFAULT_INSTRUCTIONS else job.instructions
    return student_body(views, title=job.title, exam_id=job.exam_id, instructions=instructions)


def write_pdfs(out: Path, job, students: list, texs: list[dict], *, jobs: int = 1) -> list[str]:
    """Compile the class's PDFs, a few students per LaTeX run: each student's exam.pdf (the
    paper exam with `job.paper`, with the class PDF and the template) and the staff's solutions.
    `texs[k]` holds student k's bodies (roster order). Returns the failures, one line each; a
    paper layout that fails raises PaperError."""
    from grader.exam.files import write_atomic
    from grader.pdf import PdfError, compile_many
    from grader.render import tex_preamble

    failures = []
    wanted = [("solutions", True, "staff/solutions/{}.pdf")]
    if job.paper:  # a paper exam that cannot be laid out is an error, not a missing PDF
        build_paper(out, job.exam_id, students, [t["paper"] for t in texs], jobs=jobs)
    else:
        wanted.insert(0, ("exam", False, "students/{}/exam.pdf"))
    for kind, solution, target in wanted:
        runs = compile_many(tex_preamble(solution=solution), [t[kind] for t in texs], jobs=jobs)
        for student, run in zip(students, runs):
            if isinstance(run, PdfError):
                failures.append(f"{target.format(student.id)}: {run.message}")
            else:
                write_atomic(out / target.format(student.id), run.pdf)
    return failures
