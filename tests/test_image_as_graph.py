"""image-as-graph: nodes, directed labelled edges, and a 3×3 convolution's weight matrices."""
import pytest

from grader import registry
from grader.errors import InvalidParams
from grader.grading import grade, grade_part
from grader.problems.image_as_graph import EDGE_LABELS, label

PROBLEM = registry.get("image-as-graph")


def brute_force_edges(h, w):
    return sum(1 for r in range(h) for c in range(w) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
               if (dr, dc) != (0, 0) and 0 <= r + dr < h and 0 <= c + dc < w)


@pytest.mark.parametrize("seed", range(30))
def test_answers_match_a_brute_force_count(seed):
    inst = PROBLEM.instance(seed)
    p, c = inst.params, inst.context
    assert c["nodes"] == p["height"] * p["width"]
    assert c["edges"] == brute_force_edges(p["height"], p["width"])
    assert c["param_count"] == 9 * p["c_in"] * p["c_out"] + p["c_out"]
    assert max(abs(a - b) for a, b in zip(p["pixel"], p["other"])) == 1


def test_the_lecture_example():
    inst = PROBLEM.instance(0, PROBLEM.example)
    answers = {pid: inst.answer(pid) for pid in inst.part_ids}
    assert answers == {"nodes": "56", "edges": "362", "edge_label": "SW", "conv_matrices": "9",
                       "matrix_shape": [16, 3], "param_count": "448"}
    assert grade(inst, answers).score == inst.max_score


@pytest.mark.parametrize("source, target, expected", [
    ([0, 0], [1, 1], "NW"), ([1, 1], [0, 0], "SE"), ([0, 1], [1, 1], "N"), ([1, 0], [1, 1], "W"),
    ([2, 1], [1, 1], "S"), ([1, 2], [1, 1], "E"), ([0, 2], [1, 1], "NE"), ([2, 0], [1, 1], "SW"),
])
def test_an_edge_is_labelled_by_where_its_source_sits(source, target, expected):
    assert label(source, target) == expected


def test_labels_are_read_as_words_not_letters():
    inst = PROBLEM.instance(0, dict(PROBLEM.example, pixel=[2, 3], other=[2, 4]))  # p west of q
    part = inst.part("edge_label")
    assert inst.answer("edge_label") == "W"
    assert grade_part(inst, part, "w", {}).verdict == "correct"
    assert grade_part(inst, part, "E", {}).misconception == "reversed"
    result = grade_part(inst, part, "A", {})
    assert result.verdict == "invalid" and "N, S, E, W" in result.feedback


def test_named_counting_mistakes():
    inst = PROBLEM.instance(0, PROBLEM.example)
    cases = {"edges": {181: "undirected", 2 * (7 * 7 + 6 * 8): "four-neighbours", 362 + 56: "self-loops",
                       8 * 56: "wrap-around"},
             "nodes": {9 * 10: "padding-nodes"}, "conv_matrices": {8: "forgot-self"},
             "matrix_shape": {"[3, 16]": "transposed"},
             "param_count": {432: "no-bias", 8 * 48 + 16: "eight-matrices", 432 + 3: "bias-per-input"}}
    for pid, wrong in cases.items():
        for answer, name in wrong.items():
            assert grade_part(inst, inst.part(pid), answer, {}).misconception == name, (pid, answer)


@pytest.mark.parametrize("pinned, param", [
    ({"other": [4, 4]}, "other"), ({"other": [2, 3]}, "other"), ({"pixel": [7, 0], "other": [6, 0]}, "pixel"),
    ({"height": 1, "width": 1, "pixel": [0, 0], "other": [0, 1]}, "width"), ({"pixel": [0]}, "pixel"),
    ({"height": 5000}, "height"), ({"c_in": 0}, "c_in"),
])
def test_pins_that_break_the_rules_are_refused(pinned, param):
    with pytest.raises(InvalidParams) as err:
        PROBLEM.instance(0, dict(PROBLEM.example, **pinned))
    assert err.value.param == param


def test_show_lists_it_with_the_lecture_parameters(invoke):
    import json

    info = json.loads(invoke("show", "image-as-graph", "--json").stdout)
    assert [q["name"] for q in info["params"]] == ["height", "width", "pixel", "other", "c_in", "c_out"]
    assert [p["id"] for p in info["parts"]] == ["nodes", "edges", "edge_label", "conv_matrices", "matrix_shape",
                                                "param_count"]
    assert info["paper"]
    assert set(EDGE_LABELS) == {"N", "S", "E", "W", "NE", "SE", "NW", "SW"}
