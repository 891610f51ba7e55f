"""`grader export prairielearn`: every problem of the catalog becomes a question folder whose
server.py is imported and driven with PrairieLearn-shaped `data` dicts, and whose question.html
holds only PrairieLearn elements and attributes."""
import importlib.util
import json
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import registry
from grader.cli import cli
from test_export_qti import catalog

# The elements' attributes, as PrairieLearn documents them (the ones this export uses).
ALLOWED = {
    "pl-question-panel": set(),
    "pl-number-input": {"answers-name", "label", "comparison", "rtol", "atol", "digits"},
    "pl-matrix-input": {"answers-name", "label"},
    "pl-symbolic-input": {"answers-name", "label", "variables"},
    "pl-string-input": {"answers-name", "label", "remove-leading-trailing", "multiline"},
    "pl-multiple-choice": {"answers-name", "fixed-order"},
    "pl-answer": {"correct"},
}


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def questions(tmp_path_factory):
    out = tmp_path_factory.mktemp("pl") / "questions"
    ids = catalog()
    result = CliRunner().invoke(cli, ["export", "prairielearn", *ids, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, ids


def server(folder: Path):
    spec = importlib.util.spec_from_file_location(f"server_{folder.name.replace('-', '_')}", folder / "server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def new_data(seed: int, folder: Path) -> dict:
    return {"params": {}, "correct_answers": {}, "variant_seed": seed,
            "options": {"server_files_course_path": str(folder.parent.parent / "serverFilesCourse")}}


def submitted_correct(data: dict) -> dict:
    """What a student who gives every reference submits, as PrairieLearn's elements hand it over."""
    answers = dict(data["correct_answers"])
    for pid, entry in data["params"].items():
        if isinstance(entry, dict) and "options" in entry:
            answers[pid] = "abcdefghij"[[o["correct"] for o in entry["options"]].index("true")]
    return answers


def grade(module, data, submitted):
    data = dict(data, submitted_answers=submitted, partial_scores={}, feedback={}, score=0)
    module.grade(data)
    return data


def test_every_problem_builds_with_a_stable_uuid_and_v3_info(questions):
    out, ids = questions
    for pid in ids:
        info = json.loads((out / pid / "info.json").read_text())
        assert info["type"] == "v3" and info["title"] == registry.get(pid).title and pid in info["tags"]
        assert info["uuid"] == str(uuid.UUID(info["uuid"]))
    again = out.parent / "again"
    CliRunner().invoke(cli, ["export", "prairielearn", "beam-search", "--out", str(again)], catch_exceptions=False)
    assert json.loads((again / "beam-search/info.json").read_text())["uuid"] == \
        json.loads((out / "beam-search/info.json").read_text())["uuid"]
    assert len({json.loads((out / pid / "info.json").read_text())["uuid"] for pid in ids}) == len(ids)


def test_question_html_holds_only_prairielearn_elements(questions):
    out, ids = questions
    for pid in ids:
        text = (out / pid / "question.html").read_text()
        parser = Elements()
        parser.feed(text)
        names = []
        for tag, attrs in parser.tags:
            assert tag in ALLOWED, (pid, tag)
            assert set(attrs) <= ALLOWED[tag], (pid, tag, attrs)
            if "answers-name" in attrs:
                names.append(attrs["answers-name"])
        part_ids = server(out / pid).PARTS
        assert names == [p[0] for p in part_ids]
        assert re.findall(r"\{\{\{?\s*([^}]+?)\s*\}?\}\}", text), pid  # the texts come from params


@pytest.mark.parametrize("seed", [7, 123456])
def test_generate_then_grade_the_references_scores_one(questions, seed):
    out, ids = questions
    for pid in ids:
        module = server(out / pid)
        data = new_data(seed, out / pid)
        module.generate(data)
        assert data["params"]["statement"] and "$" not in data["params"]["statement"].replace("\\$", "")
        graded = grade(module, data, submitted_correct(data))
        manual = [k for k, v in graded["partial_scores"].items() if v["weight"] == 0]
        assert graded["score"] == pytest.approx(1.0), (pid, {k: v for k, v in graded["partial_scores"].items()
                                                             if v["score"] < 1 and k not in manual})
        assert all(graded["partial_scores"][k]["feedback"].startswith("Pending") for k in manual)
        blank = grade(module, data, {})
        assert blank["score"] == 0


def test_grade_names_the_misconception_and_takes_pl_shapes(questions):
    out, _ = questions
    module = server(out / "batchnorm-forward")
    data = new_data(3, out / "batchnorm-forward")
    module.generate(data)
    from grader.exports.prairielearn import instance_for

    inst = instance_for("batchnorm-forward", data["params"]["seed"], {}, {}, module.PARTS)
    batch = inst.params["batch"]
    mean = sum(batch) / len(batch)
    unbiased = sum((x - mean) ** 2 for x in batch) / (len(batch) - 1)
    output = data["correct_answers"]["output"]
    assert output["_type"] == "ndarray"
    graded = grade(module, data, {"mean": mean, "variance": unbiased, "output": output})
    variance = graded["partial_scores"]["variance"]
    assert variance["score"] == 0 and variance["feedback"]
    assert graded["feedback"]["misconceptions"] and graded["feedback"]["variance"] == variance["feedback"]
    assert graded["partial_scores"]["mean"]["score"] == 1 and graded["partial_scores"]["output"]["score"] == 1
    weights = {k: v["weight"] for k, v in graded["partial_scores"].items()}
    assert graded["score"] == pytest.approx((weights["mean"] + weights["output"]) / sum(weights.values()))


def test_cli_errors_are_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["export", "prairielearn", "no-such-problem", "--out", str(tmp_path)])
    assert result.exit_code == 2 and result.output.startswith("Error: ") and result.output.count("\n") == 1
