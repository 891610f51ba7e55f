"""`grader export qti`: a Canvas Classic Quizzes QTI 1.2 package, checked structurally against
the QTI 1.2 ASI elements Canvas reads (names, required attributes, ident uniqueness, a question
group per problem drawing 1 of N items, each a whole variant; with `--groups part`, one per
part), then parsed back: each item's correct responses, read as Canvas compares them (stripped,
lower-cased), grade as correct with this package's engine, and a response outside a numeric
item's tolerance does not."""
import html
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from grader import registry
from grader.cli import cli
from grader.exports import chosen, lms_item
from grader.exports.qti import fewest_decimals, part_blanks, written_forms
from grader.grading import run

Q = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
QUESTION_TYPES = {"numerical_question", "multiple_choice_question", "true_false_question",
                  "short_answer_question", "essay_question", "fill_in_multiple_blanks_question"}
VARIANTS = 2


def catalog() -> list[str]:
    """The bundled problems `grader list` shows (not course problems other tests have loaded)."""
    ids = [p["id"] for p in json.loads(CliRunner().invoke(cli, ["list", "--json"]).output)]
    return [pid for pid in ids if type(registry.get(pid)).__module__.startswith("grader.problems.")]


def export(tmp_path_factory, *options) -> dict:
    out = tmp_path_factory.mktemp("qti") / "quiz.zip"
    ids = catalog()
    result = CliRunner().invoke(cli, ["export", "qti", *ids, "--variants", str(VARIANTS), "--out", str(out),
                                      "--title", "Practice <all>", *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    manifest = ET.fromstring(files["imsmanifest.xml"])
    resource = manifest.find(f"{CP}resources/{CP}resource[@type='imsqti_xmlv1p2']")
    assessment = ET.fromstring(files[resource.find(f"{CP}file").get("href")])
    return {"ids": ids, "files": files, "manifest": manifest, "root": assessment,
            "groups": "part" if "part" in options else "problem"}


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return export(tmp_path_factory)


@pytest.fixture(scope="module")
def per_part(tmp_path_factory):
    return export(tmp_path_factory, "--groups", "part")


@pytest.fixture(params=["problem", "part"])
def either(request, package, per_part):
    return package if request.param == "problem" else per_part


def items(root):
    return list(root.iter(f"{Q}item"))


def field(item, label: str) -> str:
    for f in item.iter(f"{Q}qtimetadatafield"):
        if f.find(f"{Q}fieldlabel").text == label:
            return f.find(f"{Q}fieldentry").text
    raise KeyError(label)


def instance_of(item):
    """The variant an item's title names, and the part (None for a whole variant)."""
    problem, seed, part = re.fullmatch(r"(\S+) seed (\d+)(?:: (\S+))?", item.get("title")).groups()
    inst = registry.get(problem).instance(int(seed))
    return inst, inst.part(part) if part else None


def text_of_item(item) -> str:
    return item.find(f"{Q}presentation/{Q}material/{Q}mattext").text


def text_of(mattext) -> str:
    return html.unescape(re.sub("<[^>]+>", "", mattext.text))


def blank_answers(item) -> dict[str, list[str]]:
    """A fill-in-multiple-blanks item's blanks: name -> the texts its correct answers hold."""
    correct = {v.text for v in item.iter(f"{Q}varequal")}
    out = {}
    for lid in item.findall(f"{Q}presentation/{Q}response_lid"):
        name = lid.get("ident").removeprefix("response_")
        assert lid.find(f"{Q}material/{Q}mattext").text == name
        out[name] = [l.find(f".//{Q}mattext").text for l in lid.iter(f"{Q}response_label") if l.get("ident") in correct]
    return out


def canvas_reads(text: str) -> str:
    """What Canvas compares a blank's answer as."""
    return text.strip().lower()


def parts_of_blanks(inst, blanks: dict) -> dict:
    """Blank names (`p<n>`, `p<n>_<entry>`) grouped by the id of the part they answer, in entry order."""
    out: dict = {}
    for name, texts in blanks.items():
        n = int(re.fullmatch(r"p(\d+)(?:_\d+)?", name).group(1))
        out.setdefault(inst.parts[n - 1].id, []).append(texts)
    return out


def test_manifest_resources_exist_in_the_package(either):
    files, manifest = either["files"], either["manifest"]
    assert manifest.tag == f"{CP}manifest" and manifest.get("identifier")
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    idents = [r.get("identifier") for r in resources]
    assert len(idents) == len(set(idents))
    for r in resources:
        assert r.get("type") in ("imsqti_xmlv1p2", "webcontent", "associatedcontent/imscc_xmlv1p1/learning-application-resource")
        for f in r.findall(f"{CP}file"):
            assert f.get("href") in files
        for d in r.findall(f"{CP}dependency"):
            assert d.get("identifierref") in idents
    svgs = [n for n in files if n.endswith(".svg")]
    assert svgs
    for name in svgs:
        assert_image_svg(files[name])


def assert_image_svg(data: bytes) -> None:
    """An SVG that shows the same in an <img> as on its own: a size of its own, and nothing an
    image does not load or run (scripts, HTML, external files, fonts or style sheets)."""
    svg = ET.fromstring(data)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert float(svg.get("width")) > 0 and float(svg.get("height")) > 0
    for element in svg.iter():
        assert element.tag.rsplit("}", 1)[-1] not in ("script", "foreignObject", "image", "use")
        for name, value in element.attrib.items():
            assert not name.startswith("on") and "url(" not in value.replace("url(#", "")
            if name.endswith("href"):
                assert value.startswith("#")
    assert b"@import" not in data and b"@font-face" not in data


def test_structure_and_ident_uniqueness(either):
    root = either["root"]
    assert root.tag == f"{Q}questestinterop"
    assessment = root.find(f"{Q}assessment")
    assert assessment.get("ident") and assessment.get("title") == "Practice <all>"
    idents = [e.get("ident") for tag in ("assessment", "section", "item", "response_label")
              for e in root.iter(f"{Q}{tag}")]
    assert all(idents) and len(idents) == len(set(idents))
    for item in items(root):
        kind = field(item, "question_type")
        assert item.get("title") and kind in QUESTION_TYPES
        assert float(field(item, "points_possible")) > 0
        mattext = item.find(f"{Q}presentation/{Q}material/{Q}mattext")
        assert mattext.get("texttype") == "text/html" and mattext.text
        decvar = item.find(f"{Q}resprocessing/{Q}outcomes/{Q}decvar")
        assert decvar.get("varname") == "SCORE" and decvar.get("maxvalue") == "100"
        responses = [r.get("ident") for r in item.find(f"{Q}presentation") if r.tag != f"{Q}material"]
        if kind == "fill_in_multiple_blanks_question":
            blanks = [r.removeprefix("response_") for r in responses]
            assert len(blanks) == len(set(blanks)) and all(r.startswith("response_") for r in responses)
            assert all(f"[{b}]" in mattext.text for b in blanks)  # Canvas puts a box at each [blank]
            answers = [l.get("ident") for l in item.iter(f"{Q}response_label")]
            assert field(item, "original_answer_ids").split(",") == answers
        else:
            assert responses == ["response1"]
            assert item.find(f"{Q}presentation/*[@ident='response1']").get("rcardinality") == "Single"
        for var in item.iter():
            if var.tag in (f"{Q}varequal", f"{Q}vargte", f"{Q}varlte"):
                assert var.get("respident") in responses


def test_a_group_per_problem_drawing_one_whole_variant(package):
    groups = package["root"].findall(f"{Q}assessment/{Q}section/{Q}section")
    assert [g.get("title") for g in groups] == package["ids"]
    for group, pid in zip(groups, package["ids"]):
        selection = group.find(f"{Q}selection_ordering/{Q}selection")
        assert selection.find(f"{Q}selection_number").text == "1"
        points = selection.find(f"{Q}selection_extension/{Q}points_per_item").text
        group_items = group.findall(f"{Q}item")
        assert len(group_items) == VARIANTS
        seeds = set()
        for item in group_items:
            inst, part = instance_of(item)
            assert inst.problem.id == pid and part is None
            seeds.add(inst.seed)
            assert float(field(item, "points_possible")) == float(points) == inst.max_score
            # every part of the variant, and only its parts, is in the item
            answered = parts_of_blanks(inst, blank_answers(item))
            assert list(answered) == list(inst.part_ids)
            for part_id, blanks in answered.items():
                lms = lms_item(inst, inst.part(part_id))
                assert len(blanks) == (len([e for row in lms.entries for e in row]) if lms.kind == "numbers" else 1)
        assert len(seeds) == VARIANTS


def test_with_groups_part_a_group_per_part(per_part):
    groups = {g.get("title"): g for g in per_part["root"].findall(f"{Q}assessment/{Q}section/{Q}section")}
    for pid in per_part["ids"]:
        for part in registry.get(pid).instance(1).parts:
            group = groups.pop(f"{pid}: {part.id}")
            points = group.find(f"{Q}selection_ordering/{Q}selection/{Q}selection_extension/{Q}points_per_item").text
            group_items = group.findall(f"{Q}item")
            assert len({instance_of(i)[0].seed for i in group_items}) == len(group_items) == VARIANTS
            assert all(field(i, "points_possible") == points for i in group_items)
    assert not groups


def _grades_as_correct(item, inst, part, kind) -> None:
    ref = inst.reference(part.id)
    if kind == "numerical_question":
        value, low, high = (float(item.find(f".//{Q}{tag}").text) for tag in ("varequal", "vargte", "varlte"))
        for x in (value, low, high):
            assert run(part.type, x, ref).verdict == "correct", (item.get("title"), x)
        if high > value:
            assert run(part.type, value + 3 * (high - value), ref).verdict != "correct"
    elif kind in ("multiple_choice_question", "true_false_question"):
        correct = item.find(f".//{Q}respcondition/{Q}conditionvar/{Q}varequal").text
        label = next(l for l in item.iter(f"{Q}response_label") if l.get("ident") == correct)
        answer = chosen(part.type, list(item.iter(f"{Q}response_label")).index(label)) \
            if kind.startswith("multiple") else text_of(label.find(f".//{Q}mattext"))
        assert run(part.type, answer, ref).verdict == "correct", item.get("title")
    elif kind == "short_answer_question":
        for accepted in item.findall(f".//{Q}conditionvar/{Q}varequal"):
            assert run(part.type, accepted.text, ref).verdict == "correct"
    else:
        note = item.find(f"{Q}itemfeedback[@ident='general_fb']//{Q}mattext").text
        reference = html.unescape(re.search(r"<code>(.*)</code>", note, re.S).group(1))
        assert reference == lms_item(inst, part).reference


def _blanks_grade_as_correct(item, inst) -> None:
    """Each blank's accepted texts as Canvas reads them: a part's blanks filled with them grade
    correct, except the manual parts the grader note lists with their reference."""
    note = item.find(f"{Q}itemfeedback[@ident='general_fb']//{Q}mattext")
    manual = set()
    for part_id, blanks in parts_of_blanks(inst, blank_answers(item)).items():
        part = inst.part(part_id)
        lms = lms_item(inst, part)
        ref = inst.reference(part.id)
        assert all(blanks)
        if lms.kind in ("numeric", "numbers"):
            _blanks_follow_the_stated_rounding(item, inst, part, blanks)
        if lms.kind == "numbers":
            width = len(lms.entries[0])
            for k in range(max(len(b) for b in blanks)):
                entries = [canvas_reads(b[min(k, len(b) - 1)]) for b in blanks]
                rows = [entries[r * width:(r + 1) * width] for r in range(len(lms.entries))]
                answer = "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]" if part.type.ndim == 2 \
                    else "[" + ", ".join(rows[0]) + "]"
                assert run(part.type, answer, ref).verdict == "correct", (item.get("title"), part.id, answer)
            continue
        (texts,) = blanks
        if lms.kind == "essay":  # compared as text, case aside: a person checks every answer
            assert texts == [lms.reference]
            assert run(part.type, texts[0], ref).verdict in ("correct", "manual")
            manual.add(part.id)
        else:
            assert {run(part.type, canvas_reads(t), ref).verdict for t in texts} == {"correct"}, (item.get("title"), part.id)
        if lms.kind == "choice":  # the item asks for what the blank accepts: the letter, or the option as written
            rule = part_blanks(inst, part)[1]
            assert ("letter" in rule) == part.type.letters and html.escape(rule, quote=False) in text_of_item(item)
    if manual:
        assert note is not None and all(f"{p}: <code>" in note.text for p in manual)
    else:
        assert note is None


def _blanks_follow_the_stated_rounding(item, inst, part, blanks) -> None:
    """A number's blanks accept the rounding the item asks for, and nothing outside the tolerance."""
    lms = lms_item(inst, part)
    numbers = [(lms.value, lms.tolerance)] if lms.kind == "numeric" else [e for row in lms.entries for e in row]
    rule = part_blanks(inst, part)[1]
    assert html.escape(rule, quote=False) in item.find(f"{Q}presentation/{Q}material/{Q}mattext").text
    stated = re.search(r"rounded to (\d+) decimal", rule)
    decimals = int(stated.group(1)) if stated else 0
    assert stated or "whole number" in rule
    for (value, tolerance), texts in zip(numbers, blanks, strict=True):
        assert f"{value:.{decimals}f}".removeprefix("-" if round(value, decimals) == 0 else "") in texts
        assert all(abs(float(t) - value) <= tolerance for t in texts), (item.get("title"), part.id, texts)


def test_every_correct_response_grades_as_correct(either):
    kinds = set()
    for item in items(either["root"]):
        inst, part = instance_of(item)
        kind = field(item, "question_type")
        kinds.add(kind)
        if kind == "fill_in_multiple_blanks_question":
            _blanks_grade_as_correct(item, inst)
        else:
            _grades_as_correct(item, inst, part, kind)
    # the catalog's problems all have several parts: per problem, each item holds blanks
    assert kinds == (QUESTION_TYPES if either["groups"] == "part" else {"fill_in_multiple_blanks_question"})


def test_a_numbers_blank_accepts_its_roundings_within_tolerance():
    assert written_forms(0.34567, 0.0005, fewest_decimals(0.34567, 0.0005)) == ["0.346", "0.3457", "0.34567"]
    assert written_forms(2.5, 0.0, 1) == ["2.5", "2.50", "2.500"]
    assert written_forms(3.0, 0.0, 1) == ["3", "3.0", "3.00", "3.000"]
    assert written_forms(-0.0001, 0.001, 0) == ["0", "0.0", "0.00"]
    assert fewest_decimals(1 / 3, 0.0) is None


def test_math_is_left_to_canvas_and_figures_are_images(package):
    texts = [item.find(f"{Q}presentation/{Q}material/{Q}mattext").text for item in items(package["root"])]
    assert any("\\(" in t for t in texts) and not any("<math" in t for t in texts)
    outside_math = [re.sub(r"\\\(.*?\\\)|\$IMS-CC-FILEBASE\$", "", t, flags=re.S) for t in texts]
    assert not any(re.search(r"\$[^$]+\$", t) for t in outside_math)  # no $math$ left for Canvas to show raw
    images = {unquote(src) for t in texts for src in re.findall(r'<img src="([^"]+)"', t)}
    assert images and all(src.startswith("$IMS-CC-FILEBASE$/") for src in images)
    for src in images:
        assert "web_resources/" + src.removeprefix("$IMS-CC-FILEBASE$/") in package["files"]


def test_the_export_warns_where_canvas_weighs_parts_otherwise_than_their_points(tmp_path):
    def warned(*args) -> str:
        result = CliRunner().invoke(cli, ["export", "qti", *args, "--variants", "1", "--out", str(tmp_path / "q.zip")])
        assert result.exit_code == 0, result.output
        return "\n".join(line for line in result.output.splitlines() if line.startswith("warning:"))

    # concepts: one blank a part, each part 1 point; batchnorm-forward: a vector's blanks beside two numbers
    assert warned("concepts", "batchnorm-forward") == (
        "warning: Canvas gives each blank of a question an equal share, so the parts of batchnorm-forward "
        "weigh otherwise than their points (--groups part keeps them exact)")
    assert warned("concepts", "batchnorm-forward", "--groups", "part") == ""


def test_cli_errors_are_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["export", "qti", "no-such", "--out", str(tmp_path / "q.zip")])
    assert result.exit_code == 2 and result.output.startswith("Error: ") and result.output.count("\n") == 1
    result = CliRunner().invoke(cli, ["export", "qti", "batchnorm-forward", "--param", "batch=[1]",
                                      "--out", str(tmp_path / "q.zip")])
    assert result.exit_code == 2 and "batch" in result.output and not (tmp_path / "q.zip").exists()
