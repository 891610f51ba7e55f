"""PDF from LaTeX with latexmk or pdflatex, when one of them is on PATH."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from grader.errors import GraderError


class PdfError(GraderError):
    """LaTeX could not compile a document."""


def tex_engine() -> list[str] | None:
    """The command that compiles `doc.tex` to `doc.pdf`, or None when no TeX engine is installed."""
    if shutil.which("latexmk"):
        return ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape"]
    if shutil.which("pdflatex"):
        return ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape"]
    return None


_ERROR_LINE = re.compile(r"^(!|(\./)?doc\.tex:\d+: )")


def _first_error(log: str) -> str:
    for line in log.splitlines():
        if _ERROR_LINE.match(line):
            return line.strip()
    return "see the LaTeX log"


def compile_pdf(tex_source: str, out_path: str | os.PathLike, timeout: float = 120) -> Path | None:
    """Compile `tex_source` and write the PDF to `out_path` (atomically). Returns the path, or
    None when no TeX engine is installed; a document that does not compile raises PdfError."""
    command = tex_engine()
    if command is None:
        return None
    out_path = Path(out_path)
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")  # reproducible PDFs
    with tempfile.TemporaryDirectory(prefix="grader-tex-") as tmp:
        (Path(tmp) / "doc.tex").write_text(tex_source, encoding="utf-8")
        runs = 1 if command[0] == "latexmk" else 2  # pdflatex: a second run settles references
        try:
            for _ in range(runs):
                done = subprocess.run(command + ["doc.tex"], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                      capture_output=True, timeout=timeout)
                if done.returncode != 0:
                    break
        except subprocess.TimeoutExpired:
            raise PdfError(f"LaTeX did not finish within {timeout:g} s", where=str(out_path)) from None
        pdf = Path(tmp) / "doc.pdf"
        if done.returncode != 0 or not pdf.is_file():
            log = Path(tmp) / "doc.log"
            text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else done.stdout.decode(errors="replace")
            raise PdfError(f"LaTeX failed: {_first_error(text)}", where=str(out_path))
        from grader.exam.files import write_atomic

        write_atomic(out_path, pdf.read_bytes())
    return out_path
