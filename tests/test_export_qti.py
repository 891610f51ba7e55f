"""`grader export qti`: a Canvas Classic Quizzes QTI 1.2 package, checked structurally against
the QTI 1.2 ASI elements Canvas reads (names, required attributes, ident uniqueness, one item per
variant part, tolerances), then parsed back: each item's correct response grades as correct
with this package's engine, and a response outside a numeric item's tolerance does not."""
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
from grader.exports import chosen
from grader.grading import run

Q = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
QUESTION_TYPES = {"numerical_question", "multiple_choice_question", "true_false_question",
                  "short_answer_question", "essay_question"}
VARIANTS = 2


def catalog() -> list[str]:
    return [p["id"] for p in json.loads(CliRunner().invoke(cli, ["list", "--json"]).output)]


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("qti") / "quiz.zip"
    ids = catalog()
    result = CliRunner().invoke(cli, ["export", "qti", *ids, "--variants", str(VARIANTS), "--out", str(out),
                                      "--title", "Practice <all>"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    manifest = ET.fromstring(files["imsmanifest.xml"])
    resource = manifest.find(f"{CP}resources/{CP}resource[@type='imsqti_xmlv1p2']")
    assessment = ET.fromstring(files[resource.find(f"{CP}file").get("href")])
    return {"ids": ids, "files": files, "manifest": manifest, "root": assessment}


def items(root):
    return list(root.iter(f"{Q}item"))


def field(item, label: str) -> str:
    for f in item.iter(f"{Q}qtimetadatafield"):
        if f.find(f"{Q}fieldlabel").text == label:
            return f.find(f"{Q}fieldentry").text
    raise KeyError(label)


def instance_of(item):
    problem, seed, part = re.fullmatch(r"(\S+) seed (\d+): (\S+)", item.get("title")).groups()
    inst = registry.get(problem).instance(int(seed))
    return inst, inst.part(part)


def test_manifest_resources_exist_in_the_package(package):
    files, manifest = package["files"], package["manifest"]
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
    assert svgs and all(ET.fromstring(files[n]).tag == "{http://www.w3.org/2000/svg}svg" for n in svgs)


def test_structure_and_ident_uniqueness(package):
    root = package["root"]
    assert root.tag == f"{Q}questestinterop"
    assessment = root.find(f"{Q}assessment")
    assert assessment.get("ident") and assessment.get("title") == "Practice <all>"
    idents = [e.get("ident") for tag in ("assessment", "section", "item", "response_label")
              for e in root.iter(f"{Q}{tag}")]
    assert all(idents) and len(idents) == len(set(idents))
    for item in items(root):
        assert item.get("title") and field(item, "question_type") in QUESTION_TYPES
        assert float(field(item, "points_possible")) > 0
        mattext = item.find(f"{Q}presentation/{Q}material/{Q}mattext")
        assert mattext.get("texttype") == "text/html" and mattext.text
        response = item.find(f"{Q}presentation/{Q}response_lid") or item.find(f"{Q}presentation/{Q}response_str")
        assert response is not None and response.get("ident") == "response1" and response.get("rcardinality") == "Single"
        decvar = item.find(f"{Q}resprocessing/{Q}outcomes/{Q}decvar")
        assert decvar.get("varname") == "SCORE" and decvar.get("maxvalue") == "100"
        for var in item.iter():
            if var.tag in (f"{Q}varequal", f"{Q}vargte", f"{Q}varlte"):
                assert var.get("respident") == "response1"


def test_a_group_per_problem_part_with_one_item_per_variant(package):
    root = package["root"]
    groups = root.findall(f"{Q}assessment/{Q}section/{Q}section")
    titles = {g.get("title"): g for g in groups}
    for pid in package["ids"]:
        first = registry.get(pid).instance(1)
        for part in first.parts:
            group = titles.pop(f"{pid}: {part.id}")
            assert group.find(f"{Q}selection_ordering/{Q}selection/{Q}selection_number").text == "1"
            points = group.find(f"{Q}selection_ordering/{Q}selection/{Q}selection_extension/{Q}points_per_item").text
            group_items = group.findall(f"{Q}item")
            assert len(group_items) == VARIANTS
            assert len({instance_of(i)[0].seed for i in group_items}) == VARIANTS
            assert all(field(i, "points_possible") == points for i in group_items)
    assert not titles


def test_every_correct_response_grades_as_correct(package):
    kinds = set()
    for item in items(package["root"]):
        inst, part = instance_of(item)
        ref = inst.reference(part.id)
        kind = field(item, "question_type")
        kinds.add(kind)
        if kind == "numerical_question":
            value, low, high = (float(item.find(f".//{Q}{tag}").text) for tag in ("varequal", "vargte", "varlte"))
            for x in (value, low, high):
                assert run(part.type, x, ref).verdict == "correct", (item.get("title"), x)
            if high > value:
                assert run(part.type, value + 3 * (high - value), ref).verdict != "correct"
        elif kind in ("multiple_choice_question", "true_false_question"):
            correct = item.find(f".//{Q}respcondition/{Q}conditionvar/{Q}varequal").text
            label = next(l for l in item.iter(f"{Q}response_label") if l.get("ident") == correct)
            text = html.unescape(re.sub("<[^>]+>", "", label.find(f".//{Q}mattext").text))
            answer = chosen(part.type, list(item.iter(f"{Q}response_label")).index(label)) \
                if kind.startswith("multiple") else text
            assert run(part.type, answer, ref).verdict == "correct", item.get("title")
        elif kind == "short_answer_question":
            for accepted in item.findall(f".//{Q}conditionvar/{Q}varequal"):
                assert run(part.type, accepted.text, ref).verdict == "correct"
        else:
            note = item.find(f"{Q}itemfeedback[@ident='general_fb']//{Q}mattext").text
            reference = html.unescape(re.search(r"<code>(.*)</code>", note, re.S).group(1))
            answer = reference if part.type.name in ("text",) else json.loads(reference) if reference[:1] in "[{" else reference
            if part.type.name != "text":
                assert run(part.type, answer, ref).verdict == "correct", item.get("title")
    assert kinds == QUESTION_TYPES


def test_math_is_left_to_canvas_and_figures_are_images(package):
    texts = [item.find(f"{Q}presentation/{Q}material/{Q}mattext").text for item in items(package["root"])]
    assert any("\\(" in t for t in texts) and not any("<math" in t for t in texts)
    outside_math = [re.sub(r"\\\(.*?\\\)|\$IMS-CC-FILEBASE\$", "", t, flags=re.S) for t in texts]
    assert not any(re.search(r"\$[^$]+\$", t) for t in outside_math)  # no $math$ left for Canvas to show raw
    images = {unquote(src) for t in texts for src in re.findall(r'<img src="([^"]+)"', t)}
    assert images and all(src.startswith("$IMS-CC-FILEBASE$/") for src in images)
    for src in images:
        assert "web_resources/" + src.removeprefix("$IMS-CC-FILEBASE$/") in package["files"]


def test_cli_errors_are_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["export", "qti", "no-such", "--out", str(tmp_path / "q.zip")])
    assert result.exit_code == 2 and result.output.startswith("Error: ") and result.output.count("\n") == 1
    result = CliRunner().invoke(cli, ["export", "qti", "batchnorm-forward", "--param", "batch=[1]",
                                      "--out", str(tmp_path / "q.zip")])
    assert result.exit_code == 2 and "batch" in result.output and not (tmp_path / "q.zip").exists()
