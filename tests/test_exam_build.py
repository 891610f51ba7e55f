"""`grader exam build`: layout, determinism, secrets, distinct variants, spec and roster errors."""
import json
from pathlib import Path

import pytest

SECRET = "correct horse battery staple"

EXAM = """\
id = "midterm-1"
title = "Midterm 1"
instructions = "Answer every part."

[[problem]]
id = "batchnorm-forward"
points = 10

[[problem]]
id = "batchnorm-forward"
points = 6
params = { gamma = 2, beta = 1 }
require = { variance = 9 }
"""


def write_exam(folder: Path, text: str = EXAM, students: int = 40, name: str = "exam.toml") -> tuple[Path, Path]:
    """An exam file and a roster of `students` students (s01, s02, ...; every third has no name)."""
    exam = folder / name
    exam.write_text(text, encoding="utf-8")
    roster = folder / "roster.csv"
    rows = ["id,name,email"] + [f"s{i:02d},{'' if i % 3 == 0 else f'Student {i}'},s{i:02d}@uni.edu"
                                for i in range(1, students + 1)]
    roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return exam, roster


def build(invoke, folder: Path, out: Path, *extra, text: str = EXAM, students: int = 40, secret: str | None = SECRET):
    exam, roster = write_exam(folder, text, students)
    env = {"GRADER_SECRET": secret} if secret is not None else {"GRADER_SECRET": ""}
    return invoke("exam", "build", exam, "--roster", roster, "--out", out, "--no-pdf", *extra, env=env)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from click.testing import CliRunner

    from grader.cli import cli

    folder = tmp_path_factory.mktemp("exam")
    exam, roster = write_exam(folder)
    result = CliRunner().invoke(cli, ["exam", "build", str(exam), "--roster", str(roster), "--out",
                                      str(folder / "out"), "--no-pdf", "--jobs", "2"],
                                env={"GRADER_SECRET": SECRET}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder / "out"


def test_layout_and_shapes(built):
    key = json.loads((built / "staff/key.json").read_text())
    manifest = json.loads((built / "staff/manifest.json").read_text())
    assert key["exam"] == "midterm-1"
    assert sorted(key["students"]) == [f"s{i:02d}" for i in range(1, 41)]
    for sid, entries in key["students"].items():
        folder = built / "students" / sid
        assert sorted(p.name for p in folder.iterdir()) == ["answers.json", "exam.html", "exam.md", "exam.tex"]
        skeleton = json.loads((folder / "answers.json").read_text())
        assert skeleton == {"student": sid, "exam": "midterm-1", "problems": [
            {"problem": "batchnorm-forward", "answers": {"mean": None, "variance": None, "output": None}}] * 2}
        assert (built / "staff/solutions" / f"{sid}.md").is_file()
        assert [e["points"] for e in entries] == [10, 6]
        for entry in entries:
            assert set(entry) == {"problem", "seed", "params", "points", "parts"}
            assert sum(p["points"] for p in entry["parts"]) == pytest.approx(entry["points"], abs=1e-9)
            assert all(set(p) == {"id", "type", "answer", "points"} for p in entry["parts"])
        assert entries[1]["params"]["gamma"] == 2 and entries[1]["params"]["beta"] == 1
        assert str(entries[1]["parts"][1]["answer"]) == "9"  # require = { variance = 9 }
        info = manifest["students"][sid]
        assert len(info["variants"]) == 2 and set(info["files"]) >= {f"students/{sid}/exam.md"}
    assert manifest["grader_version"] and manifest["inputs"]["exam"]["sha256"] and manifest["inputs"]["roster"]["sha256"]
    assert SECRET not in (built / "staff/manifest.json").read_text()
    assert manifest["students"]["s01"]["name"] == "Student 1" and manifest["students"]["s03"]["name"] == ""


def test_manifest_hashes_match_files(built):
    import hashlib

    manifest = json.loads((built / "staff/manifest.json").read_text())
    for info in manifest["students"].values():
        for rel, digest in info["files"].items():
            assert hashlib.sha256((built / rel).read_bytes()).hexdigest() == digest


def test_no_two_students_share_a_variant(built):
    manifest = json.loads((built / "staff/manifest.json").read_text())
    for index in range(2):
        prints = [info["variants"][index] for info in manifest["students"].values()]
        assert len(set(prints)) == len(prints)
    assert [p["variants"] for p in manifest["problems"]] == [40, 40]


def test_key_never_reaches_students(built):
    key = json.loads((built / "staff/key.json").read_text())
    for sid, entries in key["students"].items():
        folder = built / "students" / sid
        texts = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
        assert "seed" not in json.loads(texts["answers.json"])["problems"][0]
        for name, text in texts.items():
            for entry in entries:
                assert str(entry["seed"]) not in text, (sid, name)
            for marker in ("**Solution.**", "\\begin{solution}", '<div class="solution"', "**Answer:**"):
                assert marker not in text, (sid, name, marker)
    assert "**Solution.**" in (built / "staff/solutions/s01.md").read_text()
    assert not list(built.glob("students/**/key.json")) and not list(built.glob("students/**/*.pdf"))


def test_same_inputs_give_identical_bytes(invoke, tmp_path, built):
    result = build(invoke, tmp_path, tmp_path / "again", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert tree(tmp_path / "again") == tree(built)


def test_other_secret_other_variants(invoke, tmp_path, built):
    assert build(invoke, tmp_path, tmp_path / "other", secret="another secret").exit_code == 0
    ours = json.loads((built / "staff/key.json").read_text())["students"]["s01"]
    theirs = json.loads((tmp_path / "other/staff/key.json").read_text())["students"]["s01"]
    assert [e["seed"] for e in ours] != [e["seed"] for e in theirs]


def test_secret_created_and_kept(invoke, tmp_path):
    first = build(invoke, tmp_path, tmp_path / "out", students=3, secret=None)
    assert first.exit_code == 0, first.output
    secret = tmp_path / "out/staff/secret"
    assert secret.is_file() and len(secret.read_text().strip()) == 64
    assert "created a new secret" in first.output and str(secret) in first.output
    key = (tmp_path / "out/staff/key.json").read_bytes()
    second = build(invoke, tmp_path, tmp_path / "out", students=3, secret=None)
    assert "kept from an earlier build" in second.output
    assert (tmp_path / "out/staff/key.json").read_bytes() == key


def test_secret_file(invoke, tmp_path):
    (tmp_path / "s.txt").write_text(SECRET + "\n")
    exam, roster = write_exam(tmp_path, students=2)
    out = tmp_path / "out"
    result = invoke("exam", "build", exam, "--roster", roster, "--out", out, "--no-pdf",
                    "--secret-file", tmp_path / "s.txt", env={"GRADER_SECRET": "ignored"})
    assert result.exit_code == 0, result.output
    assert not (out / "staff/secret").exists()
    assert build(invoke, tmp_path / "..", tmp_path / "env", students=2).exit_code == 0
    assert (out / "staff/key.json").read_bytes() == (tmp_path / "env/staff/key.json").read_bytes()


def test_exhausted_variants_are_shared_with_a_warning(invoke, tmp_path):
    text = EXAM + '\n[[problem]]\nid = "batchnorm-forward"\nparams = { batch = [1, 7, 7, 9] }\n'
    result = build(invoke, tmp_path, tmp_path / "out", text=text, students=4)
    assert result.exit_code == 0, result.output
    assert "only 1 distinct variants for 4 students" in result.output
    manifest = json.loads((tmp_path / "out/staff/manifest.json").read_text())
    assert len({info["variants"][2] for info in manifest["students"].values()}) == 1
    assert manifest["problems"][2]["points"] == 3  # the problem's own points when none are given


@pytest.mark.parametrize("text, needle", [
    ('id = "x"\ntitel = "typo"\n[[problem]]\nid = "batchnorm-forward"\n', "line 2: unknown key 'titel'"),
    ('id = "x"\n[[problem]]\nid = "batchnorm-forward"\n\n[[problem]]\nid = "batchnorm-forward"\npionts = 3\n',
     "line 7: unknown key 'pionts' in [[problem]] #2"),
    ('id = "x"\n[[problem]]\nid = "no-such-problem"\n', "line 3: unknown problem 'no-such-problem'"),
    ('id = "x"\n[[problem]]\nid = "batchnorm-forward"\nparams = { batch = [3, 3, 3] }\n', "line 4:"),
    ('id = "x"\n[[problem]]\nid = "batchnorm-forward"\n[problem.params]\ngamma = 1\nwidth = 3\n',
     "line 6: [[problem]] #1 (batchnorm-forward): parameter 'width'"),
    ('id = "x"\n[[problem]]\nid = "batchnorm-forward"\nrequire = { variance = 1000 }\n', "line 4: problem 1"),
    ('id = "x"\n[[problem]]\nid = "batchnorm-forward"\nrequire = { nothing = 1 }\n', "line 4:"),
    ('id = "x"\n[[problem]]\nid = "batchnorm-forward"\npoints = -1\n', "line 4: [[problem]] #1: `points`"),
    ('id = "x"\n[[problem]\n', "not valid TOML"),
    ('title = "no id"\n[[problem]]\nid = "batchnorm-forward"\n', "needs an `id`"),
    ('id = "x"\n', "at least one [[problem]]"),
])
def test_spec_errors_are_one_line(invoke, tmp_path, text, needle):
    result = build(invoke, tmp_path, tmp_path / "out", text=text, students=2)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "exam.toml" in lines[0]
    assert needle in lines[0], lines[0]
    assert not (tmp_path / "out/students").exists()


@pytest.mark.parametrize("roster, needle", [
    ("name,email\nAda,a@x\n", "line 1: the header row has no `id` column"),
    ("id,name\ns1,A\ns2,B\ns1,C\n", "line 4: student id 's1' is already on line 2"),
    ("id\n../evil\n", "line 2: student id '../evil'"),
    ("id\n", "lists no students"),
    ("", "the roster is empty"),
])
def test_roster_errors(invoke, tmp_path, roster, needle):
    exam, _ = write_exam(tmp_path)
    (tmp_path / "bad.csv").write_text(roster)
    result = invoke("exam", "build", exam, "--roster", tmp_path / "bad.csv", "--out", tmp_path / "out", "--no-pdf",
                    env={"GRADER_SECRET": SECRET})
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and needle in result.output, result.output


def test_roster_with_extra_columns_and_blank_lines(invoke, tmp_path):
    exam, _ = write_exam(tmp_path)
    (tmp_path / "r.csv").write_text("\ufeffEmail,ID,Section\nx@y,a1,101\n\n,b2,102\n")
    result = invoke("exam", "build", exam, "--roster", tmp_path / "r.csv", "--out", tmp_path / "out", "--no-pdf",
                    env={"GRADER_SECRET": SECRET})
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out/staff/manifest.json").read_text())
    assert manifest["students"]["a1"]["email"] == "x@y" and set(manifest["students"]) == {"a1", "b2"}


@pytest.mark.tex
def test_pdf_when_tex_is_installed(invoke, tmp_path):
    from grader.pdf import tex_engine

    if tex_engine() is None:
        pytest.skip("TEX TEST SKIPPED: no xelatex on PATH: the exam PDF was not compiled")
    exam, roster = write_exam(tmp_path, students=1)
    result = invoke("exam", "build", exam, "--roster", roster, "--out", tmp_path / "out", "--pdf",
                    env={"GRADER_SECRET": SECRET})
    assert result.exit_code == 0, result.output
    for pdf in (tmp_path / "out/students/s01/exam.pdf", tmp_path / "out/staff/solutions/s01.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.tex
def test_compile_pdf_reports_latex_errors(tmp_path):
    from grader.pdf import PdfError, compile_pdf, tex_engine

    if tex_engine() is None:
        pytest.skip("TEX TEST SKIPPED: no xelatex on PATH")
    with pytest.raises(PdfError, match="Undefined control sequence"):
        compile_pdf("\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


TINY = '''
from grader.answers.numbers import Number
from grader.params import Param, integer
from grader.problem import Part, Problem
from grader.registry import register


@register
class Tiny(Problem):
    id = "tiny-exam-test"
    title = "Five variants"
    params = (Param("k", "integer", "a number", range="0..4", check=integer(0, 4)),)
    example = {"k": 1}
    part_ids = ("double",)

    def draw(self, rng, p):
        return {"k": int(rng.integers(0, 5))}

    def solve(self, p):
        return {"double": 2 * p["k"]}

    def parts(self, p):
        return [Part("double", Number())]
'''


@pytest.mark.parametrize("students, distinct", [(5, 5), (7, 5)])
def test_repeated_variants_are_redrawn(invoke, tmp_path, kept_registry, students, distinct):
    course = tmp_path / "course"
    (course / "templates").mkdir(parents=True)
    (course / "tiny.py").write_text(TINY)
    (course / "templates/tiny-exam-test.md.j2").write_text(
        "{% block statement %}k = {{ p.k }}{% endblock %}{% block prompt_double %}What is 2k?{% endblock %}"
        "{% block solution_double %}2k = {{ c.double }}{% endblock %}")
    exam, roster = write_exam(tmp_path, 'id = "quiz"\n[[problem]]\nid = "tiny-exam-test"\npoints = 2\n', students)
    result = invoke("--problems-dir", course, "exam", "build", exam, "--roster", roster, "--out", tmp_path / "out",
                    "--no-pdf", "--jobs", "2", env={"GRADER_SECRET": SECRET})
    assert result.exit_code == 0, result.output
    key = json.loads((tmp_path / "out/staff/key.json").read_text())
    ks = [entries[0]["params"]["k"] for entries in key["students"].values()]
    assert len(set(ks)) == distinct
    assert ("only 5 distinct variants for 7 students" in result.output) == (students > distinct)
    for sid, entries in key["students"].items():  # the files written match the redrawn variant
        assert f"k = {entries[0]['params']['k']}" in (tmp_path / "out/students" / sid / "exam.md").read_text()


CANVAS = '''Student,ID,SIS User ID,SIS Login ID,Section,Midterm 1 (403412),Current Score
    Points Possible,,,,,100.00,(read only)
"Dupont, Amélie",4242,jd01,adupont,CS182 Lec 001,,
"Student, Test",4999,,test_student,CS182 Lec 001,,
"王, 芳",4243,jd02,wfang,CS182 Lec 002,,
'''


@pytest.mark.parametrize("text, extra, ids, first", [
    (CANVAS, (), ["jd01", "jd02"], {"name": "Amélie Dupont", "sortable": "Dupont, Amélie", "canvas_id": "4242",
                                    "sis_user_id": "jd01", "sis_login": "adupont", "section": "CS182 Lec 001"}),
    (CANVAS.replace("    Points Possible,,,,,100.00,(read only)\n", ""), (), ["jd01", "jd02"], {"canvas_id": "4242"}),
    (CANVAS, ("--id-column", "SIS Login ID"), ["adupont", "test_student", "wfang"], {"sis_user_id": "jd01"}),
    ("First Name,Last Name,SID,Email\nAda,Lovelace,1815,ada@uni.edu\nAlan,Turing,1912,alan@uni.edu\n", (),
     ["1815", "1912"], {"name": "Ada Lovelace", "sortable": "Lovelace, Ada", "email": "ada@uni.edu"}),
    ("Name,SID,Email\nAda Lovelace,1815,ada@uni.edu\n", (), ["1815"], {"name": "Ada Lovelace", "sortable": "Lovelace, Ada"}),
    ("Name,SID,Email\nAda Lovelace,1815,ada@uni.edu\n", ("--id-column", "email"), ["ada@uni.edu"], {"name": "Ada Lovelace"}),
])
def test_rosters_from_canvas_and_gradescope(invoke, tmp_path, text, extra, ids, first):
    exam, _ = write_exam(tmp_path)
    (tmp_path / "export.csv").write_text(text, encoding="utf-8")
    result = invoke("exam", "build", exam, "--roster", tmp_path / "export.csv", "--out", tmp_path / "out", "--no-pdf",
                    "--json", *extra, env={"GRADER_SECRET": SECRET})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["students"] == len(ids)
    manifest = json.loads((tmp_path / "out/staff/manifest.json").read_text())
    assert sorted(manifest["students"]) == sorted(ids)
    assert first.items() <= manifest["students"][sorted(ids)[0]].items()


def test_roster_id_column_missing(invoke, tmp_path):
    exam, _ = write_exam(tmp_path)
    (tmp_path / "r.csv").write_text("id,name\ns1,A\n")
    result = invoke("exam", "build", exam, "--roster", tmp_path / "r.csv", "--out", tmp_path / "out", "--no-pdf",
                    "--id-column", "SID", env={"GRADER_SECRET": SECRET})
    assert result.exit_code == 2 and "line 1: the header row has no `SID` column" in result.output


PART_POINTS = """\
id = "q"
[[problem]]
id = "batchnorm-forward"
points = 10
part_points = PP
"""


@pytest.mark.parametrize("pp, needle", [
    ("{ nope = 2 }", "part_points names 'nope', not a part"),
    ("{ mean = 6, variance = 4 }", "leaving nothing for output"),
    ("{ mean = 11 }", "add up to 11 of the problem's 10"),
    ("{ mean = 3, variance = 3, output = 3 }", "name every part but add up to 9"),
    ("{ mean = -1 }", "`part_points` must be a table of part ids and positive numbers"),
])
def test_part_points_errors(invoke, tmp_path, pp, needle):
    result = build(invoke, tmp_path, tmp_path / "out", text=PART_POINTS.replace("PP", pp), students=2)
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "exam.toml, line 5" in result.output and needle in result.output, result.output


def test_part_points_share_the_rest_evenly(invoke, tmp_path):
    text = 'id = "q"\n[[problem]]\nid = "batchnorm-forward"\npoints = 7\npart_points = { mean = 2 }\n'
    assert build(invoke, tmp_path, tmp_path / "out", text=text, students=2).exit_code == 0
    key = json.loads((tmp_path / "out/staff/key.json").read_text())
    for entries in key["students"].values():
        assert [p["points"] for p in entries[0]["parts"]] == [2, 2.5, 2.5]


def test_beam_search_parts_are_the_same_for_the_whole_exam(invoke, tmp_path):
    text = 'id = "q"\n[[problem]]\nid = "beam-search"\npoints = 20\n'
    assert build(invoke, tmp_path, tmp_path / "out", text=text, students=12).exit_code == 0
    key = json.loads((tmp_path / "out/staff/key.json").read_text())
    parts = {tuple(p["id"] for p in e[0]["parts"]) for e in key["students"].values()}
    assert len(parts) == 1
    for entries in key["students"].values():
        pts = [p["points"] for p in entries[0]["parts"]]
        assert round(sum(pts), 9) == 20 and all(round(p * 100) == p * 100 for p in pts)
    pinned = text + "params = { length = 2 }\n"
    assert build(invoke, tmp_path, tmp_path / "out2", text=pinned, students=3).exit_code == 0
    key = json.loads((tmp_path / "out2/staff/key.json").read_text())
    assert all(len(e[0]["parts"]) == 10 for e in key["students"].values())  # beam_1, beam_2 and 8 more


def test_paper_without_xelatex_is_a_one_line_error(invoke, tmp_path, monkeypatch):
    import grader.pdf

    monkeypatch.setattr(grader.pdf, "tex_engine", lambda: None)
    exam, roster = write_exam(tmp_path, students=2)
    result = invoke("exam", "build", exam, "--roster", roster, "--out", tmp_path / "out", "--paper",
                    env={"GRADER_SECRET": SECRET})
    assert result.exit_code == 2
    assert "Error: --paper needs XeLaTeX (xelatex) on PATH" in result.output and "Traceback" not in result.output
