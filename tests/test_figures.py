"""Figures: SVG that parses and escapes its labels, TikZ that is balanced, the same layout in both,
for hand-made figures and for every registered problem's figures."""
import re
import xml.etree.ElementTree as ET

import pytest

from grader import registry
from grader.figures import GraphFigure, GridFigure, LayerStackFigure, TreeFigure, tex_label

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]


def beam_tree() -> TreeFigure:
    leaves = lambda: [TreeFigure("a", edge="-0.51", highlight=True), TreeFigure("b", edge="-0.92")]  # noqa: E731
    return TreeFigure("⟨start⟩", [TreeFigure("neural", leaves(), edge="-0.36", highlight=True),
                                  TreeFigure("network", leaves(), edge="-1.20")], caption="log-probabilities")


def test_tree_svg_draws_every_node_and_edge_label():
    tree = beam_tree()
    labels = texts(tree.svg())
    assert sorted(labels) == sorted(["⟨start⟩", "neural", "network", "a", "b", "a", "b",  # real minus signs
                                     "−0.36", "−1.20", "−0.51", "−0.92", "−0.51", "−0.92"])
    assert len(ET.fromstring(tree.svg()).findall(f"{SVG}line")) == 6


def test_tree_edges_are_drawn_before_every_label_so_none_strikes_through_one():
    root = ET.fromstring(beam_tree().svg())
    kinds = [child.tag.split("}")[1] for child in root]
    assert max(i for i, k in enumerate(kinds) if k == "line") < min(i for i, k in enumerate(kinds) if k == "text")
    tikz = beam_tree().tikz().splitlines()
    draws = [i for i, line in enumerate(tikz) if line.startswith("\\grline")]
    labels = [i for i, line in enumerate(tikz) if line.startswith("\\grlabel")]
    assert len(labels) == 6 and max(draws) < min(labels)


def test_tree_parents_sit_between_their_children():
    placed, columns, rows = beam_tree()._layout()
    assert rows == 4
    by_node = {id(node): (depth, row) for node, depth, row, _ in placed}
    for node, depth, row, _ in placed:
        if node.children:
            child_rows = [by_node[id(c)][1] for c in node.children]
            assert min(child_rows) < row < max(child_rows)
            assert all(by_node[id(c)][0] == depth + 1 for c in node.children)
    assert columns == sorted(columns) and len(set(columns)) == len(columns)


def test_tree_tikz_has_log_probabilities_on_edges_and_highlights_the_beam():
    tikz = beam_tree().tikz()
    assert tikz.startswith("\\begin{tikzpicture}") and tikz.endswith("\\end{tikzpicture}")
    assert tikz.count("\\grbox{") == 7 and tikz.count("\\grline{") == 6
    assert "{$-0.51$}" in tikz and tikz.count("\\grlabel{") == 6
    assert tikz.count("{blue!8}{blue!70!black}") == 3  # neural and its two 'a' children
    assert tikz.count("{blue!70!black}{1.2pt}") - 3 == 3  # the edges to them
    assert "\\node" not in tikz  # PGF's basic layer: no TikZ node to parse


def graph() -> GraphFigure:
    return GraphFigure(["A", "B", "C", "D"], [("A", "B"), ("B", "C"), ("C", "D"), ("A", "C")],
                       {"A": "[1, 2]", "B": "[-1, 2]", "C": "[2, 2]", "D": "[-3, 2]"}, highlight=["A", "D"])


def test_graph_svg_has_nodes_edges_and_vectors():
    root = ET.fromstring(graph().svg())
    assert len(root.findall(f"{SVG}circle")) == 4 and len(root.findall(f"{SVG}line")) == 4
    assert {"A", "B", "C", "D", "[1, 2]", "[−1, 2]", "[2, 2]", "[−3, 2]"} == set(texts(graph().svg()))
    highlighted = [c for c in root.findall(f"{SVG}circle") if c.get("fill") != "#fff"]
    assert len(highlighted) == 2
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    for element in root.iter():
        for axis, limit in (("x", width), ("cx", width), ("y", height), ("cy", height)):
            if element.get(axis) is not None:
                assert 0 <= float(element.get(axis)) <= limit, (element.tag, axis)


def test_graph_nodes_do_not_overlap():
    for n in range(1, 10):
        fig = GraphFigure([f"N{i}" for i in range(n)], [])
        pos = list(fig._layout().values())
        for i in range(n):
            for j in range(i):
                assert (pos[i][0] - pos[j][0]) ** 2 + (pos[i][1] - pos[j][1]) ** 2 >= 2.5 ** 2


def test_graph_tikz():
    tikz = graph().tikz()
    assert tikz.count("\\node[gn") == 4 and tikz.count("\\draw[") == 4
    assert "label={[gl]" in tikz and "\\ensuremath{-}3, 2]" in tikz
    assert tikz.count("\\node[gn, hl") == 2


def test_layer_stack_and_grid():
    stack = LayerStackFigure([("input", "3 × 32 × 32"), ("conv2d 3→16, k=3", "16 × 32 × 32"), ("flatten", "16384")])
    assert texts(stack.svg()) == ["input", "3 × 32 × 32", "conv2d 3→16, k=3", "16 × 32 × 32", "flatten", "16384"]
    assert stack.tikz().count("\\grbox{") == 3 and stack.tikz().count("\\grarrow{") == 2
    grid = GridFigure([[1, -2, 3], [4, 5, 6]], highlight=(1, 2))
    assert texts(grid.svg()) == ["1", "−2", "3", "4", "5", "6"]
    tikz = grid.tikz()
    assert tikz.count("\\node[cell") == 6 and tikz.count("\\node[cell, hl]") == 1
    assert tikz.rstrip().splitlines()[-2].startswith("\\node[cell, hl]")  # drawn last, on top
    assert "{$-2$}" in tikz


def test_labels_from_parameters_are_escaped():
    evil = '<script>alert("x")</script>&'
    figures = [TreeFigure(evil, [TreeFigure(evil, edge=evil)]), GraphFigure([evil, "B"], [(evil, "B")], {evil: evil}),
               LayerStackFigure([(evil, evil)]), GridFigure([[evil]])]
    for fig in figures:
        svg = fig.svg()
        assert "<script" not in svg
        assert evil in texts(svg)  # escaped in the markup, intact as text
        tikz = fig.tikz()
        assert "\\textless{}script\\textgreater{}" in tikz and "&" not in tikz.replace("\\&", "")


def test_tex_label():
    assert tex_label("-0.51") == "$-0.51$" and tex_label("−5/3") == "$-5/3$"
    assert tex_label("[1, -2]") == "[1, \\ensuremath{-}2]"
    assert tex_label("x_1 & 50%") == "x\\_1 \\& 50\\%"


@pytest.mark.parametrize("problem_id", registry.ids())
def test_every_problem_figure_draws_in_svg_and_tikz(problem_id):
    for seed in range(3):
        instance = registry.get(problem_id).instance(seed)
        for fig in instance.problem.figures(instance.params, instance.context):
            svg = fig.svg()
            root = ET.fromstring(svg)
            assert root.tag == f"{SVG}svg" and float(root.get("width")) > 0 and texts(svg)
            tikz = fig.tikz()
            assert tikz.count("{") == tikz.count("}")
            assert svg == fig.svg() and tikz == fig.tikz()


@pytest.mark.parametrize("nodes, edges", [
    ("ABCD", ["AC", "BD", "AB", "CD"]),  # drawn in this order on a circle, A-C and B-D cross
    ("ABCD", ["AB", "AC", "AD", "BC", "BD", "CD"]),  # K4: one node in the middle
    ("ABCDEF", ["AD", "BE", "CF", "AB", "CD"]),
    ("ABCDE", ["AC", "CE", "EB", "BD", "DA"]),  # a pentagram, a pentagon once reordered
])
def test_small_graphs_are_drawn_without_crossing_edges(nodes, edges):
    from grader.figures import _crossings

    figure = GraphFigure(list(nodes), [tuple(e) for e in edges])
    assert _crossings(figure._layout(), figure.edges) == 0
    width = float(ET.fromstring(figure.svg()).get("width"))
    assert width >= 200  # big enough to read, not a thumbnail


def test_the_gnn_figure_has_no_crossing_edges_for_any_seed():
    from grader import registry
    from grader.figures import _crossings

    problem = registry.get("gnn-message-passing")
    for seed in range(20):
        instance = problem.instance(seed)
        figure = problem.figures(instance.params, instance.context)[0]
        assert _crossings(figure._layout(), figure.edges) == 0, seed


def test_the_cnn_layer_stack_draws_layers_not_code():
    from grader import registry

    problem = registry.get("cnn-shapes")
    instance = problem.instance(1)
    stack = problem.figures(instance.params, instance.context)[0]
    labels = texts(stack.svg())
    assert not any("nn." in label for label in labels)
    assert any(label.startswith("conv ") and "filters" in label for label in labels)
    fills = {rect.get("fill") for rect in ET.fromstring(stack.svg()).iter(f"{SVG}rect")}
    assert len(fills) >= 3  # convolutions, pooling, fully connected, ... each a colour of its own
