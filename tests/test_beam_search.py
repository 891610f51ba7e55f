"""beam-search: exact scores, no ties in drawn trees, pinned trees validated, named mistakes."""
import json
import math
from pathlib import Path

import pytest

from grader import registry
from grader.errors import InvalidParams
from grader.grading import grade
from grader.problems.beam_search import Scorer, prefixes

PROBLEM = registry.get("beam-search")
SEED_TREE = json.loads((Path(__file__).parent / "data" / "seed_cases.json").read_text())["cases"][2]["params"]


def answers(inst):
    return {pid: inst.answer(pid) for pid in inst.part_ids}


def test_seed_tree_scores_exactly():
    c = PROBLEM.instance(0, SEED_TREE).context
    assert [(s, h) for s, h in c["candidates"][1]] == [
        ("neural network", -125), ("network neural", -133), ("neural neural", -145), ("network network", -153)]
    assert c["ranked"][0] == ("neural neural network", -146)
    assert not c["is_optimal"]


@pytest.mark.parametrize("seed", range(60))
def test_drawn_trees_have_no_ties_and_hold_a_trap(seed):
    inst = PROBLEM.instance(seed)
    p, c = inst.params, inst.context
    scorer = Scorer(p["tree"], p["vocab"])
    assert scorer.cut_ties(p["beam_width"], p["length"]) == []
    assert scorer.greedy(p["length"])[1] == []
    assert c["ranked"][0][1] != c["ranked"][1][1]
    assert not c["is_optimal"] or c["greedy"] != c["returned"] or c["greedy"] == c["most_likely"]
    for prefix in prefixes(p["vocab"], p["length"]):
        dist = p["tree"][prefix]
        assert abs(sum(math.exp(v) for v in dist.values()) - 1) <= 0.005
        assert all(v <= 0 and round(v, 2) == v for v in dist.values())


def test_require_draws_variants_where_beam_search_misses():
    for seed in range(5):
        assert PROBLEM.instance(seed, require={"is_optimal": False}).context["is_optimal"] is False


def tree_with(**changes):
    tree = json.loads(json.dumps(SEED_TREE["tree"]))
    for prefix, dist in changes.items():
        if dist is None:
            del tree[prefix.replace("_", " ")]
        else:
            tree[prefix.replace("_", " ")] = dist
    return dict(SEED_TREE, tree=tree)


@pytest.mark.parametrize("params, fragment", [
    (tree_with(neural_neural=None), "after 'neural neural' is missing"),
    (tree_with(neural={"neural": 0.2, "network": -0.6}), "must be a number <= 0"),
    (tree_with(neural={"neural": -0.1, "network": -0.1}), "sum to"),
    (tree_with(neural={"neural": -0.7}), "for each of"),
    (tree_with(neural_network_network={"neural": -0.7, "network": -0.7}), "unexpected prefix"),
    (dict(SEED_TREE, beam_width=0), "beam_width"),
    (dict(SEED_TREE, vocab=["neural", "neural net"]), "vocab"),
    (dict(SEED_TREE, beam_width=1, tree=dict(SEED_TREE["tree"], **{"": {"neural": -0.69, "network": -0.69}})),
     "tie"),
])
def test_pinned_trees_are_validated(params, fragment):
    with pytest.raises(InvalidParams) as err:
        PROBLEM.instance(0, params)
    assert fragment in str(err.value)


def test_seed_tree_sums_are_accepted_with_slack():
    root = SEED_TREE["tree"][""]
    assert abs(sum(math.exp(v) for v in root.values()) - 1) > 0.003  # the seed's own rounding
    PROBLEM.instance(0, SEED_TREE)


@pytest.mark.parametrize("part, wrong, name", [
    ("returned", "neural neural network", "optimum-as-beam"),
    ("most_likely", "neural network network", "beam-is-optimal"),
    ("complexity", "O(T*k*M)", "no-sort"),
    ("complexity", "O(T^2 k M log M)", "no-stored-states"),
    ("complexity", "O(M^T)", "exhaustive"),
    ("returned_logprob", f"{math.exp(-1.85):.4f}", "probability-not-log"),
])
def test_named_misconceptions_on_the_seed_tree(part, wrong, name):
    inst = PROBLEM.instance(0, SEED_TREE)
    result = {p.id: p for p in grade(inst, {part: wrong}).parts}[part]
    assert result.verdict == "incorrect" and result.misconception == name, result


def test_greedy_given_as_the_beam_result_is_named():
    for seed in range(40):
        inst = PROBLEM.instance(seed)
        if inst.context["greedy"] != inst.context["returned"]:
            result = grade(inst, {"returned": " ".join(inst.context["greedy"])}).parts
            part = next(p for p in result if p.id == "returned")
            assert part.misconception == "greedy-as-beam"
            return
    pytest.fail("no drawn variant where greedy differs from beam search")


def test_reference_answers_score_full_marks_in_both_notations():
    inst = PROBLEM.instance(0, SEED_TREE)
    full = answers(inst)
    assert grade(inst, full).score == inst.max_score
    typed = dict(full, beam_2="network neural; neural network", returned=["neural", "network", "network"],
                 complexity="O(TkM\\log M)", is_optimal="F", returned_logprob="-1.850")
    assert grade(inst, typed).score == inst.max_score


def test_the_tree_figure_shows_every_log_probability():
    inst = PROBLEM.instance(0, SEED_TREE)
    (tree,) = PROBLEM.figures(inst.params, inst.context)
    text = tree.text()
    for value in ("−0.65", "−0.73", "−4.61", "−0.01"):  # minus signs, not hyphens
        assert value in text
    assert text.count("\n") >= 14  # 2 + 4 + 8 edges under the root


def test_beam_width_above_the_vocabulary_is_refused():
    with pytest.raises(InvalidParams) as err:
        PROBLEM.instance(1, {"beam_width": 5, "vocab": ["neural", "network"]})
    assert err.value.param == "beam_width" and "M ≥ k" in str(err.value)


def test_greedy_is_sometimes_optimal_and_beam_search_half_the_time():
    insts = [PROBLEM.instance(seed) for seed in range(1, 121)]
    optimal = sum(i.context["is_optimal"] for i in insts)
    greedy = sum(i.context["greedy"] == i.context["most_likely"] for i in insts)
    assert 40 <= optimal <= 80 and greedy >= 8
