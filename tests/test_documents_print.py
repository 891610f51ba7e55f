"""The HTML documents printed from Chromium (the print stylesheet): no more pages than the LaTeX
PDF of the same document, and no page but the last left mostly empty. Skips loudly without
Chromium, XeLaTeX or pdftoppm."""
import shutil
import subprocess

import pytest

from browsing import chromium, run_chromium
from grader import registry
from grader.render import problem_view, render_document
from test_export_qti import catalog

pytestmark = [pytest.mark.browser, pytest.mark.tex]


def page_count(pdf) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def ink_depths(pdf) -> list[float]:
    """How far down each page its lowest ink is, as a fraction of the page height."""
    done = subprocess.run(["pdftoppm", "-r", "20", "-gray", str(pdf)], capture_output=True, check=True)
    data, depths = done.stdout, []
    while data:
        magic, width, height, _, rest = data.split(maxsplit=4)
        assert magic == b"P5"
        width, height = int(width), int(height)
        pixels, data = rest[:width * height], rest[width * height:]
        rows = [y for y in range(height) if min(pixels[y * width:(y + 1) * width]) < 128]
        depths.append((rows[-1] + 1) / height if rows else 0.0)
    return depths


@pytest.mark.parametrize("solution", [False, True], ids=["exercise", "solutions"])
def test_printed_html_takes_no_more_pages_than_latex_and_leaves_no_page_empty(tmp_path, solution):
    from grader.pdf import compile_pdf, tex_engine

    binary = chromium()
    if tex_engine() is None or shutil.which("pdftoppm") is None:
        pytest.skip("PRINT TESTS SKIPPED: no xelatex or pdftoppm on PATH (apt-get install texlive-xetex "
                    "poppler-utils); the printed HTML was not compared with the LaTeX PDF")
    views = [problem_view(registry.get(pid).instance(5), solution, points=10) for pid in catalog()]
    meta = {"title": "Every problem", "solution": solution, "instructions": "Answer **every** part."}
    (tmp_path / "doc.html").write_text(render_document(views, "html", **meta), encoding="utf-8")
    latex = compile_pdf(render_document(views, "tex", **meta), tmp_path / "latex.pdf", timeout=300)
    done = run_chromium(binary, tmp_path, (tmp_path / "doc.html").as_uri(), "--no-pdf-header-footer",
                        f"--print-to-pdf={tmp_path / 'html.pdf'}")
    assert (tmp_path / "html.pdf").is_file(), done.stderr[-2000:]
    printed, typeset = page_count(tmp_path / "html.pdf"), page_count(latex)
    assert printed <= typeset, (printed, typeset)
    depths = ink_depths(tmp_path / "html.pdf")
    assert len(depths) == printed
    # the text block ends at 92 % of a letter page; a page ending above 55 % left a large gap
    gaps = [(page + 1, round(depth, 2)) for page, depth in enumerate(depths[:-1]) if depth < 0.55]
    assert not gaps, gaps
