"""gnn-message-passing: the Discussion 5 case, well-posed draws, misconceptions, bad pins."""
import json
from pathlib import Path

import pytest

from grader import registry
from grader.errors import InvalidParams
from grader.grading import grade_part
from grader.problems.gnn_message_passing import determinant, distances

SEED = next(c for c in json.loads((Path(__file__).parent / "data" / "seed_cases.json").read_text())["cases"]
            if c["problem"] == "gnn-message-passing")


@pytest.fixture(scope="module")
def problem():
    return registry.get("gnn-message-passing")


@pytest.fixture(scope="module")
def seed_instance(problem):
    return problem.instance(0, SEED["params"])


def test_seed_case_reproduces(seed_instance):
    expect = SEED["expect"]
    for pid in ("no_mp_1", "no_mp_2", "hops", "hops_with_global"):
        assert seed_instance.answer(pid) == expect[pid], pid
    assert seed_instance.answer("mp_1")[seed_instance.params["nodes"].index("A")] == expect["mp_1_row_A"]


def test_seed_case_message_passing_by_hand(seed_instance):
    # B's neighbours are A and C: W(vB + vA + vC) = W [2, 6] = [36, 14]
    assert seed_instance.answer("mp_1")[1] == [36, 14]
    # one layer of mp from the rows of mp_1, e.g. A: W(mp1_A + mp1_B) = W [56, 18]
    assert seed_instance.answer("mp_2")[0] == [3 * 56 + 5 * 18, 4 * 56 + 18]


@pytest.mark.parametrize("seed", range(40))
def test_drawn_graphs_are_well_posed(problem, seed):
    p = problem.instance(seed).params
    nodes = p["nodes"]
    assert p["source"] != p["target"]
    assert len(distances(nodes, p["edges"], nodes[0])) == len(nodes), "graph not connected"
    hops = distances(nodes, p["edges"], p["source"])[p["target"]]
    assert hops >= 1
    assert determinant(p["W"]) != 0, "a singular W maps distinct nodes to the same vector"
    assert all(sum(n in e for e in p["edges"]) <= 3 for n in nodes)
    assert all(-3 <= x <= 3 for v in p["features"].values() for x in v)
    assert len({tuple(v) for v in p["features"].values()}) == len(nodes)


@pytest.mark.parametrize("part, name, wrong", [
    ("mp_1", "forgot-self", lambda c: c["mp_wrong"]["no_self"][0]),
    ("mp_1", "raw-neighbours", lambda c: c["mp_wrong"]["raw"][0]),
    ("mp_2", "one-layer", lambda c: c["mp_1"]),
    ("no_mp_2", "one-layer", lambda c: c["no_mp_1"]),
    ("hops", "counted-nodes", lambda c: c["hops"] + 1),
    ("hops_with_global", "one-hop", lambda c: 1),
    ("global_1", "raw-nodes", lambda c: c["global_wrong"]["raw-nodes"]),
])
def test_misconceptions_are_named(seed_instance, part, name, wrong):
    inst = seed_instance
    result = grade_part(inst, inst.part(part), json.loads(json.dumps(wrong(inst.context), default=int)), {})
    assert result.verdict == "incorrect" and result.misconception == name
    assert result.feedback


def test_forgetting_the_self_term_in_the_seed_case(seed_instance):
    # A's only neighbour is B: without the self term row A is f_v(v_B) = [7, -2]
    assert seed_instance.context["mp_wrong"]["no_self"][0][0] == [7, -2]


def test_one_wrong_row_earns_partial_credit(seed_instance):
    rows = [list(r) for r in seed_instance.answer("mp_1")]
    rows[2][0] += 1
    result = grade_part(seed_instance, seed_instance.part("mp_1"), rows, {})
    assert result.verdict == "partial" and 0 < result.score < 1


def test_global_update(seed_instance):
    c = seed_instance.context
    total = [sum(r[i] for r in seed_instance.answer("no_mp_1")) for i in range(2)]
    assert total == [37, 4]
    fU = [sum(w * u for w, u in zip(row, c["U0"])) for row in c["W_U_rows"]]
    assert seed_instance.answer("global_1") == [fU[0] + 37, fU[1] + 4]


def test_adjacent_pair_needs_one_layer_even_with_the_global_node(problem):
    inst = problem.instance(0, dict(SEED["params"], target="B"))
    assert inst.answer("hops") == "1" and inst.answer("hops_with_global") == "1"
    assert inst.part("hops_with_global").misconceptions[0].answer(inst.context) is None


@pytest.mark.parametrize("change, param", [
    ({"target": "A"}, "target"),
    ({"target": "Z"}, "target"),
    ({"edges": [["A", "B"], ["C", "D"]]}, "target"),
    ({"edges": [["A", "A"]]}, "edges"),
    ({"edges": [["A", "B"], ["B", "A"]]}, "edges"),
    ({"edges": [["A", "Q"]]}, "edges"),
    ({"edges": "A-B"}, "edges"),
    ({"features": {"A": [1, 2]}}, "features"),
    ({"features": {"A": [1], "B": [1, 2], "C": [2, 2], "D": [3, 3]}}, "features"),
    ({"W": [[1, 2, 3], [4, 5, 6]]}, "W"),
    ({"W": [[1, "x"], [1, 2]]}, "W"),
    ({"U": [1, 2, 3]}, "U"),
    ({"nodes": ["A", "A"]}, "nodes"),
])
def test_bad_pins_name_the_parameter(problem, change, param):
    with pytest.raises(InvalidParams) as err:
        problem.instance(0, dict(SEED["params"], **change))
    assert err.value.param == param
    assert "\n" not in str(err.value)


def test_bad_pin_from_the_cli_is_one_line(invoke):
    result = invoke("new", "gnn-message-passing", "--param", "source=A", "--param", "target=A")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "'target'" in result.stderr


def test_pinning_only_the_graph_draws_the_rest(problem):
    p = {"nodes": ["P", "Q", "R", "S", "T"], "edges": [["P", "Q"], ["Q", "R"], ["R", "S"], ["S", "T"]]}
    inst = problem.instance(3, p)
    assert set(inst.params["features"]) == set(p["nodes"])
    assert 1 <= int(inst.answer("hops")) <= 4


def test_figure_shows_every_node_with_its_vector(problem, seed_instance):
    (fig,) = problem.figures(seed_instance.params, seed_instance.context)
    text = fig.text()
    assert "A  [1, 2]" in text and "D  [-3, 2]" in text and "A–B" in text
    assert fig.highlight == ["A", "D"]


def test_unrolled_diagram_parts_on_the_discussion_graph(problem, seed_instance):
    inst, c = seed_instance, seed_instance.context
    assert set(c["feeds"]) == {"D", "C"}
    assert c["unrolled_edges"] == 4 + 2 * 3
    assert c["unrolled_edges_global"] == 5 + 2 * (3 + 4)
    assert set(c["global_feeds"]) == {"U", "A", "B", "C", "D"}
    named = {("feeds", '["C"]'): "neighbours-only", ("unrolled_edges", 6): "no-self-edges",
             ("unrolled_edges", 7): "one-way-edges", ("unrolled_edges_global", 15): "global-one-way",
             ("unrolled_edges_global", 18): "global-no-self", ("global_feeds", "A, B, C, D"): "global-without-U"}
    for (pid, answer), name in named.items():
        assert grade_part(inst, inst.part(pid), answer, {}).misconception == name, pid
    assert grade_part(inst, inst.part("feeds"), "d, c", {}).verdict == "correct"


def test_hops_spread_over_seeds(problem):
    hops = [problem.instance(seed).context["hops"] for seed in range(1, 61)]
    assert 1 in hops and 2 in hops and 3 in hops
    assert max(hops.count(k) for k in set(hops)) <= 30
