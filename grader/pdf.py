"""PDF from LaTeX with XeLaTeX (fontspec and the Noto fonts, so that names in any script print).

Many documents sharing one preamble (a class's exams) are compiled as one LaTeX run per worker
and split by the page ranges the run records: the preamble (TikZ, fontspec) costs about 1.5 s,
a student's exam about 0.4 s, so one run per document would spend most of its time loading."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError

ENGINE = "xelatex"
MARK_FILE = "doc.marks"


class PdfError(GraderError):
    """LaTeX could not compile a document."""


def tex_engine() -> list[str] | None:
    """The command that compiles `doc.tex`, or None when XeLaTeX is not installed."""
    if shutil.which(ENGINE):
        return [ENGINE, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape"]
    return None


_ERROR_LINE = re.compile(r"^(!|(\./)?doc\.tex:(\d+): )")


def first_error(log: str) -> tuple[str, int | None]:
    """The first error line of a LaTeX log and the source line it names (None if none)."""
    for line in log.splitlines():
        m = _ERROR_LINE.match(line)
        if m:
            return line.strip(), int(m.group(3)) if m.group(3) else None
    return "see the LaTeX log", None


@dataclass
class TexRun:
    """One LaTeX run: the PDF (None in a draft run), its log and the marks it recorded (one
    `(name, page, absolute page)` per `\\gradermark{name}` and a `page` one per page shipped
    out, in page order)."""

    pdf: bytes | None
    log: str
    marks: list[tuple[str, int, int]]

    @property
    def pages(self) -> int:
        """The pages of the document (its last page's number)."""
        return max(page for name, page, _ in self.marks if name == "page")


def run_tex(source: str, *, draft: bool = False, timeout: float = 600) -> TexRun:
    """Compile `source` once (page numbers come from the documents' own marks, not from
    references, so one run suffices). `draft` typesets without writing the PDF."""
    command = tex_engine()
    if command is None:
        raise PdfError(f"{ENGINE} is not installed")
    # reproducible PDFs: dates from SOURCE_DATE_EPOCH, no random document id
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    with tempfile.TemporaryDirectory(prefix="grader-tex-") as tmp:
        folder = Path(tmp)
        (folder / "doc.tex").write_text(source, encoding="utf-8")
        try:
            done = subprocess.run(command + (["-no-pdf"] if draft else []) + ["doc.tex"], cwd=tmp, env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(f"LaTeX did not finish within {timeout:g} s") from None
        log_file = folder / "doc.log"
        log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.is_file() else \
            done.stdout.decode(errors="replace")
        pdf = folder / "doc.pdf"
        if done.returncode != 0 or (not draft and not pdf.is_file()):
            message, line = first_error(log)
            error = PdfError(f"LaTeX failed: {message}")
            error.line, error.log = line, log
            raise error
        marks_file = folder / MARK_FILE
        marks = []
        if marks_file.is_file():
            for row in marks_file.read_text(encoding="utf-8").splitlines():
                name, page, absolute = row.rsplit(" ", 2)
                marks.append((name, int(page), int(absolute)))
        return TexRun(None if draft else pdf.read_bytes(), log, marks)


def compile_pdf(tex_source: str, out_path: str | os.PathLike, timeout: float = 120) -> Path | None:
    """Compile one document to `out_path` (atomically). Returns the path, or None when no TeX
    engine is installed; a document that does not compile raises PdfError."""
    if tex_engine() is None:
        return None
    from grader.exam.files import write_atomic

    try:
        run = run_tex(tex_source, timeout=timeout)
    except PdfError as exc:
        raise PdfError(exc.message, where=str(out_path)) from None
    write_atomic(Path(out_path), run.pdf)
    return Path(out_path)


def split_pages(pdf: bytes, ranges: list[tuple[int, int]]) -> list[bytes]:
    """The PDF's pages [first, last) of each range (0-based) as PDFs of their own."""
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(BytesIO(pdf))
    out = []
    for first, last in ranges:
        writer = PdfWriter()
        for index in range(first, last):
            writer.add_page(reader.pages[index])
        buffer = BytesIO()
        writer.write(buffer)
        out.append(buffer.getvalue())
    return out


def chunks(count: int, parts: int) -> list[range]:
    """`range(count)` cut into at most `parts` contiguous, nearly equal pieces."""
    parts = max(1, min(parts, count))
    size, extra = divmod(count, parts)
    out, start = [], 0
    for k in range(parts):
        end = start + size + (k < extra)
        out.append(range(start, end))
        start = end
    return out


def class_document(preamble: str, bodies: list[str]) -> str:
    """One LaTeX document holding every body, each starting on a page of its own."""
    return preamble + "\\begin{document}\n" + "\n\\clearpage\n".join(bodies) + "\n\\end{document}\n"


def compile_many(preamble: str, bodies: list[str], *, jobs: int = 1, draft: bool = False,
                 timeout: float = 1800) -> list[TexRun | PdfError]:
    """Compile documents sharing `preamble`, `jobs` LaTeX runs at a time, one run per chunk of
    bodies. Each body must start with `\\graderdocument`, so that the run can be cut into
    documents. Returns, per body, its own TexRun (its PDF, its chunk's log, its own marks) or
    the PdfError that stopped it; a chunk that fails is compiled body by body, so one broken
    document spoils no other."""
    pieces = chunks(len(bodies), jobs)

    def chunk(indices: range) -> list[TexRun | PdfError]:
        try:
            run = run_tex(class_document(preamble, [bodies[k] for k in indices]), draft=draft, timeout=timeout)
        except PdfError:
            if len(indices) == 1:
                raise
            return [one(k) for k in indices]
        return cut(run, indices)

    def one(k: int) -> TexRun | PdfError:
        try:
            return cut(run_tex(class_document(preamble, [bodies[k]]), draft=draft, timeout=timeout), range(k, k + 1))[0]
        except PdfError as exc:
            return exc

    def guarded(indices: range):
        try:
            return chunk(indices)
        except PdfError as exc:
            return [exc] * len(indices)

    with ThreadPoolExecutor(max_workers=max(1, len(pieces))) as pool:
        results = list(pool.map(guarded, pieces))
    return [item for part in results for item in part]


def cut(run: TexRun, indices: range) -> list[TexRun]:
    """Split one run of several documents by their marks: `doc` on each document's first page
    (the n-th one starts document `indices[n]`), `page` on every page shipped out, so the last
    one ends a document. Each document's marks are given with absolute pages counted from its
    own first page."""
    own: list[list] = []
    for name, page, absolute in run.marks:
        if name == "doc":
            own.append([])
        if own:
            own[-1].append((name, page, absolute))
    if len(own) != len(indices) or not all(any(name == "page" for name, _, _ in marks) for marks in own):
        error = PdfError("the LaTeX run lost the page marks of its documents")
        error.log = run.log
        raise error
    ranges = [(marks[0][2] - 1, max(a for name, _, a in marks if name == "page")) for marks in own]
    pdfs = split_pages(run.pdf, ranges) if run.pdf is not None else [None] * len(ranges)
    # a mark written after a document's last page (on the next document's first) is not its own
    return [TexRun(pdf, run.log, [(n, p, a - first) for n, p, a in marks if a <= last])
            for marks, (first, last), pdf in zip(own, ranges, pdfs)]
