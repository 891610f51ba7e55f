"""`grader export moodle`: Moodle XML checked structurally against Moodle's XML format (question
types, the elements each needs, categories, unique idnumbers, one subquestion or essay per variant
part, tolerances in the cloze codes), then parsed back: each cloze subquestion's right answer and
each essay's reference grade as correct with this package's engine."""
import base64
import html
import json
import re
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from grader import registry
from grader.cli import cli
from grader.exports import chosen, lms_item
from grader.grading import grade_part, run
from test_export_qti import assert_image_svg, catalog

VARIANTS = 2
CODE = re.compile(r"\{(\d+):(NUMERICAL|MULTICHOICE|SHORTANSWER):((?:\\.|[^\\}])*)\}")
NEEDS = {"cloze": ["name/text", "questiontext/text", "generalfeedback", "defaultgrade", "penalty", "hidden"],
         "essay": ["name/text", "questiontext/text", "defaultgrade", "responseformat", "graderinfo/text"]}


def unescape(text: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    out = tmp_path_factory.mktemp("moodle") / "bank.xml"
    ids = catalog()
    result = CliRunner().invoke(cli, ["export", "moodle", *ids, "--variants", str(VARIANTS), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return ids, ET.parse(out).getroot()


def questions(root, kind):
    return [q for q in root.findall("question") if q.get("type") == kind]


def variant(name: str):
    problem, seed = re.fullmatch(r"(\S+) seed (\d+)(?:: \S+)?", name).groups()
    return registry.get(problem).instance(int(seed))


def test_structure_categories_and_unique_idnumbers(bank):
    ids, root = bank
    assert root.tag == "quiz"
    assert {q.get("type") for q in root.findall("question")} == {"category", "cloze", "essay"}
    paths = [q.find("category/text").text for q in questions(root, "category")]
    assert [p for p in paths if "manual" not in p] == [f"$course$/top/grader/{pid}" for pid in ids]
    for kind, needs in NEEDS.items():
        for q in questions(root, kind):
            for path in needs:
                assert q.find(path) is not None, (kind, path)
            assert q.find("questiontext").get("format") == "html"
            for f in q.findall("questiontext/file"):
                assert f.get("encoding") == "base64" and f.get("name") in q.find("questiontext/text").text
                assert_image_svg(base64.b64decode(f.text))
    idnumbers = [q.find("idnumber").text for q in root.findall("question") if q.get("type") != "category"]
    names = [q.find("name/text").text for q in root.findall("question") if q.get("type") != "category"]
    assert len(set(idnumbers)) == len(idnumbers) and len(set(names)) == len(names)


def test_one_subquestion_or_essay_per_variant_part_and_each_right_answer_grades_as_correct(bank):
    ids, root = bank
    essays = {q.find("name/text").text: q for q in questions(root, "essay")}
    clozes = questions(root, "cloze")
    assert len(clozes) == VARIANTS * len(ids)
    kinds, mistakes = set(), 0
    for cloze in clozes:
        inst = variant(cloze.find("name/text").text)
        text = cloze.find("questiontext/text").text
        assert not re.search(r"\$[^$]+\$", text)  # math is left to Moodle's filter as \( \)
        codes = CODE.findall(text)
        for part in inst.parts:
            ref = inst.reference(part.id)
            lms = lms_item(inst, part)
            count = len([e for row in lms.entries for e in row]) if lms.kind == "numbers" else 1
            if lms.kind == "essay":
                essay = essays.pop(f"{inst.problem.id} seed {inst.seed}: {part.id}")
                reference = html.unescape(re.search(r"<code>(.*)</code>", essay.find("graderinfo/text").text, re.S).group(1))
                if part.type.name != "text":
                    raw = json.loads(reference) if reference[:1] in "[{" else reference
                    assert run(part.type, raw, ref).verdict == "correct", (inst.problem.id, part.id)
                continue
            mine, codes = codes[:count], codes[count:]
            kinds |= {kind for _, kind, _ in mine}
            if mine[0][1] == "NUMERICAL":
                answers = [re.split(r"(?<!\\)~", body) for _, _, body in mine]
                values = [tuple(map(float, a[0].lstrip("=").split(":"))) for a in answers]
                for mistake in answers[0][1:]:  # a named misconception: 0%, with its feedback
                    wrong, feedback = re.fullmatch(r"%0%([^:]+):[^#]+#(.*)", mistake).groups()
                    result = grade_part(inst, part, float(wrong), {})
                    assert result.misconception and unescape(feedback) == result.feedback
                    mistakes += 1
                for shift in (0, -1, 1):  # the value and both ends of its tolerance
                    answer = [v + shift * t for v, t in values]
                    raw = answer[0] if lms.kind == "numeric" else (
                        [answer[i:i + len(lms.entries[0])] for i in range(0, len(answer), len(lms.entries[0]))]
                        if part.type.ndim == 2 else answer)
                    assert run(part.type, raw, ref).verdict == "correct", (inst.problem.id, part.id, shift)
                if lms.kind == "numeric" and values[0][1]:
                    assert run(part.type, values[0][0] + 3 * values[0][1], ref).verdict != "correct"
            elif mine[0][1] == "MULTICHOICE":
                options = re.split(r"(?<!\\)~", mine[0][2])
                right = next(i for i, o in enumerate(options) if o.startswith("="))
                raw = chosen(part.type, right) if lms.kind == "choice" else unescape(options[right][1:])
                assert run(part.type, raw, ref).verdict == "correct", (inst.problem.id, part.id)
            else:
                assert run(part.type, unescape(mine[0][2][1:]), ref).verdict == "correct"
        assert codes == [], inst.problem.id  # every code belongs to one part
        weights = sum(int(w) for w, _, _ in CODE.findall(text))
        assert weights > 0 and float(cloze.find("defaultgrade").text) > 0
    assert not essays  # every essay is a part of a cloze's variant
    assert sum("\\(" in c.find("questiontext/text").text for c in clozes) > len(clozes) / 2
    assert kinds == {"NUMERICAL", "MULTICHOICE", "SHORTANSWER"} and mistakes > 0


def test_cloze_answers_escape_the_cloze_specials():
    from grader.exports.moodle import cloze_text

    assert cloze_text("a}b~c#d/e\"f\\g") == 'a\\}b\\~c\\#d\\/e\\"f\\\\g'
    assert cloze_text("<b>$x^2$</b>") == "&lt;b&gt;\\\\(x^2\\\\)&lt;\\/b&gt;"


def test_cli_errors_are_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["export", "moodle", "nope", "--out", str(tmp_path / "b.xml")])
    assert result.exit_code == 2 and result.output.startswith("Error: ") and result.output.count("\n") == 1


def test_fewer_distinct_variants_than_asked_is_said(tmp_path):
    out = tmp_path / "b.xml"
    result = CliRunner().invoke(cli, ["export", "moodle", "batchnorm-forward", "--param", "batch=[1,7,7,9]",
                                      "--variants", "3", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "only 1 distinct variant" in result.stderr and "seeds 1)" in result.stdout
    assert len(questions(ET.parse(out).getroot(), "cloze")) == 1
