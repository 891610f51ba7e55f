"""A TA's whole cycle with a class of 40 (SPEC §5.1): build from a Canvas export -> grade with
manual parts pending -> scores entered -> overrides -> a fixed problem file -> regrade. Every
gradebook, canvas.csv, Gradescope file and changes.csv is checked against sums done by hand."""
import csv
import io
import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli

SECRET = "cycle secret"
NAMES = ["Dupont, Amélie", "Иванова, Анна", "王, 芳", "Παπαδόπουλος, Νίκος", "أحمد, محمد", "山田, 太郎", "김, 민준",
         "O'Brien, Seán"]
EXAM = """\
id = "midterm-1"
title = "Midterm 1"

[[problem]]
id = "batchnorm-forward"
points = 10
part_points = { output = 5 }

[[problem]]
id = "concepts"
points = 6
params = { topic = "autoencoders", count = 4, explain = 1 }
part_points = { s1_why = 2 }

[[problem]]
id = "beam-search"
points = 20

[[problem]]
id = "tiny-cycle"
points = 4
"""
TINY = '''
from grader.answers.numbers import Number
from grader.params import Param, integer
from grader.problem import Part, Problem
from grader.registry import register


@register
class TinyCycle(Problem):
    id = "tiny-cycle"
    title = "A third"
    params = (Param("k", "integer", "a number", range="1..90", check=integer(1, 90)),)
    example = {"k": 1}
    part_ids = ("third",)

    def draw(self, rng, p):
        return {"k": 3 * int(rng.integers(0, 30)) + int(rng.integers(1, 3))}  # no multiple of 3

    def solve(self, p):
        from fractions import Fraction

        return {"third": Fraction(p["k"], DIVISOR)}

    def parts(self, p):
        return [Part("third", Number(RULE))]
'''
TEMPLATE = ("{% block statement %}k = {{ p.k }}{% endblock %}{% block prompt_third %}What is k/3?{% endblock %}"
            "{% block solution_third %}k/3 = {{ c.third }}{% endblock %}")
# v1 asks for an exact value by mistake; v2 fixes the rule (3 significant figures); v3 changes the answer
VERSIONS = {"v1": ("3", "exact=True"), "v2": ("3", "sigfigs=3"), "v3": ("4", "sigfigs=3")}

PERFECT = [f"s{i:02d}" for i in range(1, 11)]
SIGN = [f"s{i:02d}" for i in range(11, 21)]
NO_WHY = [f"s{i:02d}" for i in range(21, 31)]
ROUNDED = [f"s{i:02d}" for i in range(31, 37)]


def canvas_export(path: Path) -> None:
    """A roster shaped exactly like Canvas's gradebook export: Points Possible row, test student."""
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Midterm 1 (403412)", "Current Score",
             "Unposted Current Score", "Final Score", "Unposted Final Score"],
            ["    Points Possible", "", "", "", "", "40.00", "(read only)", "(read only)", "(read only)", "(read only)"]]
    for i in range(1, 41):
        name = NAMES[i % len(NAMES)] if i % 5 else f"Student{i}, Pat"
        rows.append([name, str(100000 + i), f"s{i:02d}", f"login{i}", f"CS182 Lec {1 + i % 2:03d}", "", "", "", "", ""])
    rows.append(["Student, Test", "100999", "", "test_student", "CS182 Lec 001", "", "", "", "", ""])
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def course(folder: Path, version: str) -> Path:
    divisor, rule = VERSIONS[version]
    (folder / "templates").mkdir(parents=True)
    (folder / "tiny_cycle.py").write_text(TINY.replace("DIVISOR", divisor).replace("RULE", rule))
    (folder / "templates/tiny-cycle.md.j2").write_text(TEMPLATE)
    return folder


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"GRADER_SECRET": SECRET}, catch_exceptions=False)


def rows_of(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def book(results: Path) -> dict[str, dict]:
    return {r["student"]: r for r in rows_of(results / "gradebook.csv") if r["student"]}


def canvas(results: Path) -> dict[str, list[str]]:
    rows = list(csv.reader(io.StringIO((results / "canvas.csv").read_text(encoding="utf-8"))))
    return {"header": rows[0], "possible": rows[1], **{r[2]: r for r in rows[2:]}}


def answers_of(entry: dict) -> dict:
    return {p["id"]: p["answer"] for p in entry["parts"]}


def write_submissions(folder: Path, key: dict) -> None:
    folder.mkdir()
    for sid, entries in key["students"].items():
        bf, cc, beam, tiny = (answers_of(e) for e in entries)
        cc["s1_why"] = "Only the encoder is kept; the decoder defines the reconstruction loss."
        third = Fraction(entries[3]["parts"][0]["answer"])
        tiny["third"] = f"{float(third):.3f}" if sid in NO_WHY + ROUNDED else str(third)
        if sid in SIGN:
            bf["mean"] = str(-Fraction(bf["mean"])) if Fraction(bf["mean"]) else "1"
        if sid in NO_WHY:
            cc["s1_why"] = None
            beam["complexity"] = "O(T)"
        if sid == "s39":
            bf["bonus"] = "42"
        problems = [{"problem": e["problem"], "answers": a} for e, a in zip(entries, (bf, cc, beam, tiny))]
        doc = {"student": sid, "exam": "midterm-1", "problems": problems}
        if sid == "s40":
            continue
        if sid in ("s37", "s38"):
            blank = {"student": sid, "exam": "midterm-1", "submitted_at": "2026-03-14T09:00:00+00:00",
                     "problems": [{"problem": e["problem"], "answers": {}} for e in entries]}
            full = dict(doc, submitted_at="2026-03-14T09:30:00+00:00")
            # s37's later file is the full one; s38's later file (10:45 in UTC+1) is the blank one
            if sid == "s38":
                blank["submitted_at"], full["submitted_at"] = "2026-03-14T10:45:00+01:00", "2026-03-14T09:00:00+00:00"
            (folder / f"{sid}-a.json").write_text(json.dumps(full), encoding="utf-8")
            (folder / f"{sid}-b.json").write_text(json.dumps(blank), encoding="utf-8")
            continue
        (folder / f"{sid}.json").write_text(json.dumps(doc), encoding="utf-8")


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    from grader import registry

    registry.ids()
    saved = dict(registry._REGISTRY), list(registry._COURSE_DIRS)
    root = tmp_path_factory.mktemp("cycle")
    (root / "exam.toml").write_text(EXAM, encoding="utf-8")
    canvas_export(root / "roster.csv")
    v1 = course(root / "course_v1", "v1")
    result = invoke("--problems-dir", v1, "exam", "build", root / "exam.toml", "--roster", root / "roster.csv",
                    "--out", root / "exam", "--no-pdf", "--jobs", "2", "--json")
    assert result.exit_code == 0, result.output
    key = json.loads((root / "exam/staff/key.json").read_text())
    write_submissions(root / "subs", key)
    yield {"root": root, "key": key, "build": json.loads(result.stdout), "v1": v1}
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved[0])
    registry._COURSE_DIRS[:] = saved[1]


def points(key: dict, sid: str) -> list[dict[str, Fraction]]:
    return [{p["id"]: Fraction(str(p["points"])) for p in e["parts"]} for e in key["students"][sid]]


def split(cents: int, n: int) -> list[Fraction]:
    """Points in cents over n parts by hand, the first parts taking the leftover cents."""
    base, extra = divmod(cents, n)
    return [Fraction(base + (i < extra), 100) for i in range(n)]


def test_build_json_roster_and_points(cycle):
    key, build = cycle["key"], cycle["build"]
    assert build["exam"] == "midterm-1" and build["students"] == 40 and build["problems"] == 4
    assert sorted(key["students"]) == [f"s{i:02d}" for i in range(1, 41)]  # SIS User ID; test student left out
    manifest = json.loads((cycle["root"] / "exam/staff/manifest.json").read_text())
    s01 = manifest["students"]["s01"]
    assert (s01["sortable"], s01["name"], s01["canvas_id"], s01["section"]) == (
        "Иванова, Анна", "Анна Иванова", "100001", "CS182 Lec 002")
    beams = {tuple(p["id"] for p in entries[2]["parts"]) for entries in key["students"].values()}
    assert len(beams) == 1  # the same parts for every student
    for sid in key["students"]:
        bf, cc, beam, tiny = points(key, sid)
        assert bf == {"mean": Fraction(5, 2), "variance": Fraction(5, 2), "output": 5}
        assert {"s1", "s2", "s3", "s4"} <= set(cc) and cc.pop("s1_why") == 2
        assert list(cc.values()) == split(400, len(cc))  # 6 points less s1_why's 2, over the other parts
        assert list(beam.values()) == split(2000, len(beam))
        assert sum(beam.values()) == 20 and tiny == {"third": 4}


def expected_phase1(key, sid):
    """Totals by hand before any person has scored anything: (total, pending)."""
    complexity = points(key, sid)[2]["complexity"]
    if sid in PERFECT:
        return Fraction(38), 1
    if sid in SIGN:
        return Fraction(71, 2), 1
    if sid in NO_WHY:
        return 34 - complexity, 0
    if sid in ROUNDED:
        return Fraction(34), 1
    return {"s37": (Fraction(38), 1), "s38": (Fraction(0), 0), "s39": (Fraction(28), 1)}[sid]


def shown(x: Fraction) -> str:
    return str(int(x)) if x.denominator == 1 else f"{float(x):g}"


def grade_into(cycle, results: Path, *extra, problems: Path | None = None, jobs: str = "1"):
    root = cycle["root"]
    return invoke("--problems-dir", problems or cycle["v1"], "exam", "grade", root / "exam", root / "subs",
                  "--out", results, "--jobs", jobs, *extra)


def next_phase(previous: Path, name: str) -> Path:
    """The results of the previous phase, copied: each phase's files stay as that phase left them."""
    import shutil

    target = previous.parent / name
    shutil.copytree(previous, target)
    return target


@pytest.fixture(scope="module")
def phase1(cycle):
    """Graded, no person has scored anything yet."""
    results = cycle["root"] / "phase1"
    result = grade_into(cycle, results, "--json", jobs="2")
    assert result.exit_code == 0, result.output
    return {"results": results, "json": json.loads(result.stdout)}


GIVEN = {**{s: "2" for s in PERFECT}, **{s: "1" for s in SIGN}, **{s: "1.5" for s in ROUNDED}, "s37": "2", "s39": "0"}


@pytest.fixture(scope="module")
def phase2(cycle, phase1):
    """The TAs' scores for the explanations merged."""
    results = next_phase(phase1["results"], "phase2")
    filled = cycle["root"] / "filled"
    filled.mkdir()
    rows = rows_of(results / "manual/concepts.s1_why.csv")
    for r in rows:
        r["score"], r["comment"] = GIVEN[r["student"]], "see rubric"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    (filled / "concepts.s1_why.csv").write_text(buffer.getvalue(), encoding="utf-8")
    result = grade_into(cycle, results, "--scores", filled)
    assert result.exit_code == 0, result.output
    changes = rows_of(results / "changes.csv")
    again = grade_into(cycle, next_phase(results, "phase2-rerun"), "--json")  # without --scores: kept
    return {"results": results, "changes": changes, "rerun": json.loads(again.stdout),
            "rerun_results": cycle["root"] / "phase2-rerun"}


OVERRIDES = """
[[full_credit]]
problem = "beam-search"
part = "complexity"

[[drop]]
problem = "concepts"
part = "s4"

[[adjust]]
student = "s05"
points = -1.5
reason = "regrade request 7"

[[accept]]
problem = "batchnorm-forward"
part = "mean"
answer = "ANSWER"
students = ["s11"]
"""


@pytest.fixture(scope="module")
def phase3(cycle, phase2):
    """Overrides applied."""
    root, key = cycle["root"], cycle["key"]
    results = next_phase(phase2["results"], "phase3")
    wrong = str(-Fraction(answers_of(key["students"]["s11"][0])["mean"]) or 1)
    (root / "overrides.toml").write_text(OVERRIDES.replace("ANSWER", wrong), encoding="utf-8")
    result = grade_into(cycle, results, "--overrides", root / "overrides.toml")
    assert result.exit_code == 0, result.output
    explained = grade_into(cycle, next_phase(results, "phase3-explain"), "--overrides", root / "overrides.toml",
                           "--explain", "s11")
    return {"results": results, "explain": explained.output}


@pytest.fixture(scope="module")
def phase4(cycle, phase3):
    """A fixed problem file (v2), then one whose answers changed (v3)."""
    from grader.exam import grade

    root = cycle["root"]
    results = next_phase(phase3["results"], "phase4")
    graded = []
    real = grade.grade_problem
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(grade, "grade_problem", lambda entry, *a: graded.append(entry["problem"]) or real(entry, *a))
        result = grade_into(cycle, results, "--overrides", root / "overrides.toml",
                            problems=course(root / "course_v2", "v2"))
    assert result.exit_code == 0, result.output
    changed = grade_into(cycle, next_phase(results, "phase4-changed"), problems=course(root / "course_v3", "v3"))
    return {"results": results, "graded": graded, "changed": changed}


def test_phase1_manual_parts_are_pending(cycle, phase1):
    key, results = cycle["key"], phase1["results"]
    assert phase1["json"] | {"out": ""} == {"exam": "midterm-1", "students": 40, "problems": 4, "graded": 39,
                                            "skipped": 0, "not_taken": 2, "missing": 1, "pending": 28, "changes": 0,
                                            "reused": 0, "out": ""}
    b, c = book(results), canvas(results)
    assert list(next(iter(b.values()))) == ["student", "batchnorm-forward", "concepts", "beam-search", "tiny-cycle",
                                            "total", "pending", "note"]
    assert c["possible"][:1] + c["possible"][5:] == ["Points Possible", "40"]
    for sid in key["students"]:
        if sid == "s40":
            assert b[sid]["note"] == "no submission" and c[sid][5] == ""
            continue
        total, pending = expected_phase1(key, sid)
        assert (b[sid]["total"], b[sid]["pending"]) == (shown(total), str(pending)), sid
        assert c[sid][5] == ("" if pending else shown(total)), sid  # a partial total is not sent to Canvas
    assert b["s39"]["batchnorm-forward"] == "0" and b["s39"]["concepts"] == "4"  # the stray key voids one problem
    # canvas.csv as Canvas matches it
    assert c["header"] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Midterm 1"]
    assert c["s01"][:5] == ["Иванова, Анна", "100001", "s01", "login1", "CS182 Lec 002"]
    # Gradescope: a manual part is pending, not failed
    gs = json.loads((results / "gradescope/s01.json").read_text())
    why = next(t for t in gs["tests"] if t["name"].endswith("s1_why"))
    assert "status" not in why and why["output"].startswith("Pending") and "pending" in why["tags"]
    assert all(t["status"] == "passed" for t in gs["tests"] if t is not why)
    assert gs["score"] == 38 and len(gs["tests"]) == sum(len(e["parts"]) for e in key["students"]["s01"])
    # the manual sheet lists exactly the students whose explanation waits for a person
    sheet = rows_of(results / "manual/concepts.s1_why.csv")
    assert list(sheet[0]) == ["student", "answer", "rubric", "score", "comment"]
    assert [r["student"] for r in sheet] == sorted(PERFECT + SIGN + ROUNDED + ["s37", "s39"])
    assert all(r["score"] == "" and "encoder" in r["answer"] for r in sheet)
    # --take latest: s38's later (blank) file counts; the other is listed
    summary = json.loads((results / "summary.json").read_text())
    assert {(n["student"], n["file"]) for n in summary["not_taken"]} == {("s37", "s37-b.json"), ("s38", "s38-a.json")}
    assert (results / ".complete").is_file() and not (results / ".stage").exists()


def test_phase1_statistics_and_review(cycle, phase1):
    results = phase1["results"]
    summary = json.loads((results / "summary.json").read_text())
    mean = next(p for p in summary["parts"] if p["problem"] == "batchnorm-forward" and p["part"] == "mean")
    assert mean["n"] == 39 and mean["verdicts"]["correct"] == 27
    assert ["sign flipped", len(SIGN)] in mean["mistakes"]
    why = next(p for p in summary["parts"] if p["part"] == "s1_why")
    assert why["pending"] == 28 and why["verdicts"]["unanswered"] == 11
    review = (results / "feedback/s11.md").read_text()
    key = cycle["key"]["students"]["s11"][0]
    assert f"- Your answer: `{-Fraction(answers_of(key)['mean'])}`" in review
    assert f"- Reference: `{answers_of(key)['mean']}`" in review
    assert "**Worked solution.**" in review and "still to be graded by a person" in review
    html = (results / "feedback/s11.html").read_text()
    assert "Reference" in html and "Worked solution" in html and "μ= (" in html
    report = (results / "report.html").read_text()
    assert "sign flipped × 10" in report and "n = 39" in report


def test_phase2_scores_are_merged(cycle, phase2):
    key, results = cycle["key"], phase2["results"]
    b, c = book(results), canvas(results)
    for sid, score in GIVEN.items():
        total = expected_phase1(key, sid)[0] + Fraction(score)
        assert (b[sid]["total"], b[sid]["pending"], c[sid][5]) == (shown(total), "0", shown(total)), sid
    changes = phase2["changes"]
    assert len(changes) == len(GIVEN)
    s11 = next(r for r in changes if r["student"] == "s11")
    assert (s11["problem"], s11["part"], s11["old"], s11["new"]) == ("concepts", "s1_why", "pending", "1")
    assert "scored by a person" in s11["why"] and "line" in s11["why"]
    assert "comment: see rubric" in (results / "feedback/s11.md").read_text()
    # a later run without --scores keeps them, and nothing moved
    assert phase2["rerun"]["pending"] == 0 and rows_of(phase2["rerun_results"] / "changes.csv") == []
    assert book(phase2["rerun_results"]) == b


@pytest.mark.parametrize("line, needle", [
    ("s01,x,r,3,\n", "line 2: score 3 is outside 0..2"),
    ("s99,x,r,1,\n", "line 2: student 's99' is not in the exam"),
    ("s01,x,r,one,\n", "line 2: score 'one' is not a number"),
])
def test_scores_errors_name_file_and_line(cycle, tmp_path, line, needle):
    scores = tmp_path / "scores"
    scores.mkdir()
    (scores / "concepts.s1_why.csv").write_text("student,answer,rubric,score,comment\n" + line)
    result = grade_into(cycle, tmp_path / "r", "--scores", scores)
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "concepts.s1_why.csv, " + needle in result.output, result.output
    (scores / "concepts.s1_why.csv").unlink()
    (scores / "concepts.nope.csv").write_text("student,score\n")
    result = grade_into(cycle, tmp_path / "r", "--scores", scores)
    assert result.exit_code == 2 and "concepts.nope.csv, line 1: the file name names no part" in result.output


def overridden_total(key, sid: str) -> Fraction:
    total = expected_phase1(key, sid)[0] + Fraction(GIVEN.get(sid, 0))
    total -= points(key, sid)[1]["s4"] if sid != "s38" else 0  # s4 dropped: everyone who answered had it right
    total += {"s05": Fraction(-3, 2), "s11": Fraction(5, 2)}.get(sid, 0)
    return total + (points(key, sid)[2]["complexity"] if sid in NO_WHY + ["s38"] else 0)


def test_phase3_overrides(cycle, phase3):
    key, results = cycle["key"], phase3["results"]
    b, c = book(results), canvas(results)
    assert c["possible"][5] == shown(40 - points(key, "s01")[1]["s4"])  # the dropped part lowers every maximum
    for sid in key["students"]:
        if sid != "s40":
            assert b[sid]["total"] == c[sid][5] == shown(overridden_total(key, sid)), sid
    assert all(b[sid]["total"] == shown(34 - points(key, sid)[1]["s4"]) for sid in NO_WHY)  # complexity back, s4 off
    changes = rows_of(results / "changes.csv")
    by = {(r["student"], r["part"]): r for r in changes}
    assert len(changes) == len(NO_WHY) + 1 + 38 + 1  # complexity (s38 too), s4 for 38 students, s11's mean
    assert by["s21", "complexity"]["old"] == "0" and "full credit" in by["s21", "complexity"]["why"]
    assert by["s01", "s4"]["new"] == "0" and "counts for nobody" in by["s01", "s4"]["why"]
    assert by["s11", "mean"]["new"] == "2.5" and "accepted" in by["s11", "mean"]["why"]
    assert "regrade request 7" in (results / "feedback/s05.md").read_text()
    assert "mean: correct, 2.5 / 2.5" in phase3["explain"] and "accepted" in phase3["explain"]


def test_phase4_a_fixed_problem_file_regrades_only_that_problem(cycle, phase4):
    key, results = cycle["key"], phase4["results"]
    assert set(phase4["graded"]) == {"tiny-cycle"} and len(phase4["graded"]) == 41  # 39 students, 2 second files
    b = book(results)
    for sid in key["students"]:
        if sid != "s40":
            fixed = 4 if sid in NO_WHY + ROUNDED else 0
            assert b[sid]["total"] == shown(overridden_total(key, sid) + fixed), sid
    changes = rows_of(results / "changes.csv")
    assert {r["student"] for r in changes} == set(NO_WHY + ROUNDED)
    assert all(r["part"] == "third" and (r["old"], r["new"]) == ("0", "4") for r in changes)
    assert all("problem file changed (tiny-cycle)" in r["why"] for r in changes)
    inputs = json.loads((results / "inputs.json").read_text())
    assert set(inputs["problem_files"]) == {"batchnorm-forward", "concepts", "beam-search", "tiny-cycle"}
    assert inputs["overrides"][0]["kind"] == "full_credit"
    # a problem whose answers changed is an error naming student and part, never a silent regrade
    changed = phase4["changed"]
    assert changed.exit_code == 2 and changed.output.count("\n") == 1
    assert "student s01, problem 4 (tiny-cycle), part third: the key's answer" in changed.output
