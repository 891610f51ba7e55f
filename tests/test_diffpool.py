"""diffpool: exact fractions and softmax logits, the lecture's formulas, misconceptions, pins."""
import json
import math

import pytest

from grader import registry
from grader.errors import InvalidParams
from grader.grading import grade_part

EXACT = {"A": [[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 1], [0, 0, 1, 0]],
         "H": [[1, 2], [3, 0], [2, 2], [0, -1]],
         "S": [[1, 0], ["3/4", "1/4"], ["1/2", "1/2"], [0, 1]], "logits": None}
LOGITS = dict(EXACT, S=None, logits=[[0, -2], [1, 0], [-1, 1], [2, -2]])


@pytest.fixture(scope="module")
def problem():
    return registry.get("diffpool")


def plain(value):
    return json.loads(json.dumps(value, default=str))


def test_exact_instance_by_hand(problem):
    inst = problem.instance(0, EXACT)
    assert inst.part_ids == ["H_pooled", "A_pooled", "soft_links", "link_loss", "entropy_loss"]
    # cluster 1: 1*[1,2] + 3/4*[3,0] + 1/2*[2,2] = [17/4, 3]; cluster 2: [3/4+1, 1 - 1] = [7/4, 0]
    assert inst.answer("H_pooled") == [["4.25", "3"], ["1.75", "0"]]
    A_pooled = inst.context["A_pooled"]
    assert A_pooled[0][1] == A_pooled[1][0]
    # S^T A S sums to the total edge weight (every row of S sums to 1): 2 * 4 edges
    assert sum(map(sum, A_pooled)) == 8
    links = inst.context["soft_links"]
    assert links[1][2] == pytest.approx(3 / 8 + 1 / 8) and links[0][3] == 0
    squares = sum((a - s) ** 2 for row_a, row_s in zip(EXACT["A"], links) for a, s in zip(row_a, row_s))
    assert float(inst.reference("link_loss")) == pytest.approx(math.sqrt(squares))
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) + math.log(2)
    assert inst.reference("entropy_loss") == pytest.approx(h / 4)


def test_logits_instance_uses_the_row_softmax(problem):
    inst = problem.instance(0, LOGITS)
    assert inst.part_ids[0] == "S"
    S = inst.reference("S")
    assert S[0] == pytest.approx([1 / (1 + math.exp(-2)), math.exp(-2) / (1 + math.exp(-2))])
    assert all(sum(row) == pytest.approx(1) for row in S)
    rounded = [[round(x, 3) for x in row] for row in S]
    assert grade_part(inst, inst.part("S"), rounded, {}).verdict == "correct"


def test_logits_statement_states_the_tolerance(problem):
    from grader.render import texts

    assert "within 1%" in texts(problem.instance(0, LOGITS)).statement


@pytest.mark.parametrize("params, part, name", [
    (EXACT, "entropy_loss", "log2"),
    (EXACT, "entropy_loss", "no-1/N"),
    (EXACT, "soft_links", "StS"),
    (EXACT, "H_pooled", "transposed"),
    (EXACT, "A_pooled", "forgot-right-S"),
    (EXACT, "link_loss", "squared"),
    (LOGITS, "S", "column-softmax"),
    (LOGITS, "H_pooled", "raw-logits"),
    (LOGITS, "entropy_loss", "log2"),
])
def test_misconceptions_are_named(problem, params, part, name):
    inst = problem.instance(0, params)
    m = next(m for m in inst.part(part).misconceptions if m.name == name)
    result = grade_part(inst, inst.part(part), plain(m.answer(inst.context)), {})
    assert result.verdict == "incorrect" and result.misconception == name and result.feedback


def test_log2_entropy_value(problem):
    inst = problem.instance(0, EXACT)
    assert inst.context["wrong"]["log2"] == pytest.approx(inst.reference("entropy_loss") / math.log(2))


@pytest.mark.parametrize("seed", range(30))
def test_draws_are_well_posed(problem, seed):
    inst = problem.instance(seed)
    p, c = inst.params, inst.context
    n = len(p["A"])
    assert 4 <= n <= 5 and all(p["A"][i][j] == p["A"][j][i] for i in range(n) for j in range(n))
    assert (p["S"] is None) != (p["logits"] is None)
    S = c["S_used"]
    assert all(sum(row) == pytest.approx(1) for row in S)
    assert c["entropy_loss"] > 0
    assert all(sum(row[j] for row in S) > 0 for j in range(c["k"]))


def test_both_modes_are_drawn(problem):
    modes = {problem.instance(seed).params["logits"] is None for seed in range(20)}
    assert modes == {True, False}


@pytest.mark.parametrize("change, param", [
    ({"A": [[0, 1], [0, 0]]}, "A"),
    ({"A": [[0, 1, 1], [1, 0, 1], [1, 1, 0]]}, "H"),
    ({"A": [[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 0]]}, "A"),
    ({"H": [[1, 2]] * 3}, "H"),
    ({"S": [[1, 0], [1, 1], [0, 1], [0, 1]]}, "S"),
    ({"S": [[1, 0], [-1, 2], [0, 1], [0, 1]]}, "S"),
    ({"S": [[1, 0]]}, "S"),
    ({"logits": [[0, 1]] * 4}, "logits"),
    ({"S": None}, "S"),
    ({"A": [[0, -1, 1, 0], [-1, 0, 1, 0], [1, 1, 0, 1], [0, 0, 1, 0]]}, "A"),
])
def test_bad_pins_name_the_parameter(problem, change, param):
    with pytest.raises(InvalidParams) as err:
        problem.instance(0, dict(EXACT, **change))
    assert err.value.param == param and "\n" not in str(err.value)


def test_pinning_S_null_draws_logits(problem):
    inst = problem.instance(5, {"S": None})
    assert inst.params["logits"] is not None and inst.part_ids[0] == "S"


def test_figure_labels_nodes_with_embedding_and_assignment(problem):
    inst = problem.instance(0, EXACT)
    (fig,) = problem.figures(inst.params, inst.context)
    assert fig.labels["2"] == "h=[3, 0], s=[0.75, 0.25]"
    assert ("1", "2") in fig.edges and ("1", "4") not in fig.edges
