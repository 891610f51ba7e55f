"""`exam build --paper` (SPEC §5.1 Paper): one build of 8 students whose names cover the scripts,
checked page by page: equal page counts, problems on the same pages, headers, QR codes (zbarimg
at 150 dpi), answer space, names, no overfull boxes. Skips loudly without XeLaTeX or zbar."""
import json
from io import BytesIO
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

pytestmark = pytest.mark.tex

NAMES = {
    "s01": "Zoë Ångström-Müller", "s02": "Nguyễn Thị Minh Khai", "s03": "Дмитрий Шостакович",
    "s04": "Αλέξανδρος Παπαδόπουλος", "s05": "محمد الخوارزمي", "s06": "李小龙", "s07": "山田 太郎",
    "s08": "김민준",
}
EXAM = """\
id = "midterm-2"
title = "Midterm 2"

[[problem]]
id = "beam-search"
points = 10

[[problem]]
id = "gnn-message-passing"
points = 10

[[problem]]
id = "concepts"
points = 5
"""


def _tools():
    from grader.pdf import tex_engine

    if tex_engine() is None:
        pytest.skip("PAPER TESTS SKIPPED: no xelatex on PATH (apt-get install texlive-xetex texlive-latex-extra "
                    "texlive-pictures fonts-noto-core fonts-noto-cjk); no paper exam was built")
    for tool, package in (("zbarimg", "zbar-tools"), ("pdftotext", "poppler-utils"), ("pdftoppm", "poppler-utils")):
        if shutil.which(tool) is None:
            pytest.skip(f"PAPER TESTS SKIPPED: no {tool} on PATH (apt-get install {package})")


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    from click.testing import CliRunner

    from grader.cli import cli

    _tools()
    folder = tmp_path_factory.mktemp("paper")
    (folder / "exam.toml").write_text(EXAM, encoding="utf-8")
    rows = ["id,name"] + [f"{sid},{name}" for sid, name in reversed(NAMES.items())]  # roster order: s08 first
    (folder / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["exam", "build", str(folder / "exam.toml"), "--roster", str(folder / "roster.csv"),
                                      "--out", str(folder / "out"), "--paper", "--jobs", "2"],
                                env={"GRADER_SECRET": "paper secret"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "PDF: compiled" in result.output, result.output
    return folder / "out"


def pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def test_every_student_has_the_same_pages_and_every_problem_starts_on_the_same_page(paper):
    counts = {sid: page_count(paper / "students" / sid / "exam.pdf") for sid in NAMES}
    assert len(set(counts.values())) == 1, counts
    n = counts["s01"]
    assert page_count(paper / "staff/template.pdf") == n
    assert page_count(paper / "print/class.pdf") == n * len(NAMES)
    starts = {}
    for sid in NAMES:
        text = pages(paper / "students" / sid / "exam.pdf")
        starts[sid] = [i + 1 for i, page in enumerate(text) if re.search(r"Question \d+:", page)]
    assert len(set(map(tuple, starts.values()))) == 1, starts
    assert len(starts["s01"]) == 3 and starts["s01"][0] == 2  # the cover page, then one problem after another


def test_every_page_has_the_header_and_a_qr_code_of_exam_student_page(paper):
    n = page_count(paper / "students/s01/exam.pdf")
    order = list(reversed(NAMES))  # the class PDF follows the roster
    text = pages(paper / "print/class.pdf")
    for k, sid in enumerate(order):
        for i in range(1, n + 1):
            head = text[k * n + i - 1].split("\n")[:4]
            assert any("midterm-2" in line for line in head) and any(sid in line for line in head), (sid, i, head)
            assert any(f"page {i}/{n}" in line for line in head), (sid, i, head)
    # the header band of every page at 150 dpi: one QR code each, read in page order
    crop = ["-r", "150", "-x", "700", "-y", "0", "-W", "575", "-H", "260", "-gray", "-png"]
    out = paper.parent / "qr"
    out.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", *crop, str(paper / "print/class.pdf"), str(out / "p")], check=True)
    images = sorted(out.glob("p-*.png"))
    done = subprocess.run(["zbarimg", "-q", "--raw", *map(str, images)], capture_output=True, text=True)
    payloads = done.stdout.split()
    assert payloads == [f"midterm-2|{sid}|{i}" for sid in order for i in range(1, n + 1)]


def test_names_in_every_script_print(paper):
    for sid, name in NAMES.items():
        first = pages(paper / "students" / sid / "exam.pdf")[0]
        assert name in first, (sid, name, first[:400])
        assert "?" not in first.split("Student ID")[0]
    template = pages(paper / "staff/template.pdf")[0]
    assert not any(name in template for name in NAMES.values())  # the blank layout names nobody


def test_answer_space_fits_each_part_type(paper):
    key = json.loads((paper / "staff/key.json").read_text())
    log = (paper / "staff/paper.log").read_text(encoding="utf-8", errors="replace")
    spaces = re.findall(r"^grader-space: (.*)$", log, re.M)
    students = len(NAMES) + 1  # and the template, a copy of the first student's
    assert spaces.count("name and ID box") == students
    parts = [part for entries in key["students"].values() for entry in entries for part in entry["parts"]]
    kinds = {"boolean": "ticks", "choice": "ticks", "number": "box", "set": "lines", "sequence": "lines",
             "text": "lines", "bigo": "working"}
    for kind in set(kinds.values()):
        expected = sum(kinds.get(p["type"]) == kind for p in parts)
        assert expected and spaces.count(kind) >= expected, (kind, expected, spaces.count(kind))
    order = list(reversed(NAMES)) + ["s08"]  # the runs' order: the roster, then the template (its first student)

    def grid(part):
        rows = [part["answer"]] if part["type"] == "vector" else part["answer"]
        return f"grid {len(rows)}x{len(rows[0])}"

    expected = [grid(part) for sid in order for entry in key["students"][sid] for part in entry["parts"]
                if part["type"] in ("vector", "matrix")]
    assert expected and [s for s in spaces if s.startswith("grid ")] == expected
    assert "Overfull" not in log and "grader-overflow" not in log


def test_a_part_too_tall_for_a_page_is_a_build_error_naming_it(tmp_path, kept_registry, invoke):
    _tools()
    course = tmp_path / "course"
    (course / "templates").mkdir(parents=True)
    (course / "long.py").write_text(LONG)
    (course / "templates/long-paper-test.md.j2").write_text(
        "{% block statement %}A long one.{% endblock %}{% block prompt_essay %}"
        + "Explain at length. " * 20 + "\n\n" + ("A paragraph of the prompt.\n\n" * 60) + "{% endblock %}")
    (tmp_path / "exam.toml").write_text('id = "q"\n[[problem]]\nid = "long-paper-test"\npoints = 1\n')
    (tmp_path / "roster.csv").write_text("id\ns1\n")
    result = invoke("--problems-dir", course, "exam", "build", tmp_path / "exam.toml", "--roster", tmp_path / "roster.csv",
                    "--out", tmp_path / "out", "--paper", env={"GRADER_SECRET": "x"})
    assert result.exit_code == 2
    assert "Error: problem 1 (long-paper-test), part essay does not fit on one page" in result.output
    assert "Traceback" not in result.output


LONG = '''
from grader.answers.choice import Text
from grader.problem import Part, Problem
from grader.registry import register


@register
class Long(Problem):
    id = "long-paper-test"
    title = "Too long"
    part_ids = ("essay",)

    def solve(self, p):
        return {"essay": "anything"}

    def parts(self, p):
        return [Part("essay", Text())]
'''


def test_a_document_whose_last_line_fills_its_page_is_cut_at_that_page():
    """A mark written after a document's last line would land on a page of its own that is never
    shipped out; documents end on their last page shipped."""
    from grader.pdf import compile_many
    from grader.render import tex_preamble

    _tools()
    full = "\\graderdocument\n\\noindent\\rule{1pt}{\\textheight}\\par\\vspace{1em}\n\\gradermark{after}\n"
    runs = compile_many(tex_preamble(solution=False), [full, "\\graderdocument\nTwo.\n", full])
    assert [run.pages for run in runs] == [1, 1, 1]
    assert [page_count(BytesIO(run.pdf)) for run in runs] == [1, 1, 1]
