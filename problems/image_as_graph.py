"""An image as a graph: pixels as nodes, eight labelled directed edges each, and a 3×3
convolution as one weight matrix per edge label plus self (the GNN/RNN lecture)."""
from __future__ import annotations

from grader.answers.base import Misconception
from grader.answers.choice import Choice
from grader.answers.lists import Vector
from grader.answers.numbers import Number
from grader.figures import GridFigure
from grader.params import Param, _shown, integer
from grader.problem import Part, Problem, Variety
from grader.problems.conv_message_passing import LABELS, _pixel
from grader.problems.gnn_message_passing import distinct
from grader.registry import register

EDGE_LABELS = ("N", "S", "E", "W", "NE", "SE", "NW", "SW")
EXACT = Number(exact=True)
OPPOSITE = {"N": "S", "S": "N", "E": "W", "W": "E", "NE": "SW", "SW": "NE", "NW": "SE", "SE": "NW"}


def label(source: list[int], target: list[int]) -> str:
    """The label of the edge from `source` into `target`: where the source sits, seen from the target."""
    dr, dc = source[0] - target[0], source[1] - target[1]
    return LABELS[dr + 1][dc + 1]


def edge_count(h: int, w: int, *, directed: bool = True, diagonals: bool = True) -> int:
    """Edges between neighbouring pixels of an h×w image (no wrap-around, no self-loops)."""
    pairs = h * (w - 1) + (h - 1) * w + (2 * (h - 1) * (w - 1) if diagonals else 0)
    return 2 * pairs if directed else pairs


@register
class ImageAsGraph(Problem):
    id = "image-as-graph"
    title = "An image as a graph: nodes, labelled edges and a convolution's weights"
    topic = "convolutional networks"
    source = "Lecture: generalising CNNs to graphs (image as a graph)"
    params = (
        Param("height", "integer", "the image's height H in pixels", range="3..8", check=integer(1, 32)),
        Param("width", "integer", "the image's width W in pixels", range="3..8", check=integer(1, 32)),
        Param("pixel", "[row, column]", "the pixel p, counted from 0 (row 0 at the top, north)",
              range="anywhere in the image", check=_pixel),
        Param("other", "[row, column]", "a neighbour q of p, counted from 0", range="one of p's 8 neighbours",
              check=_pixel),
        Param("c_in", "integer", "input channels of the 3×3 convolution", range="1, 3, 8, 16, 32",
              check=integer(1, 4096)),
        Param("c_out", "integer", "output channels of the 3×3 convolution", range="4, 8, 16, 32, 64",
              check=integer(1, 4096)),
    )
    example = {"height": 7, "width": 8, "pixel": [2, 3], "other": [1, 4], "c_in": 3, "c_out": 16}
    part_ids = ("nodes", "edges", "edge_label", "conv_matrices", "matrix_shape", "param_count")
    paper = "small integers throughout"
    # a 3×3 convolution has nine weight matrices whatever the image: the part checks the idea
    variety = Variety(parts={"conv_matrices": None})

    def draw(self, rng, p):
        out = {}
        for name in ("height", "width"):
            if name not in p:
                out[name] = int(rng.integers(3, 9))
        h, w = p.get("height", out.get("height")), p.get("width", out.get("width"))
        if "pixel" not in p:
            out["pixel"] = [int(rng.integers(h)), int(rng.integers(w))]
        r, c = p.get("pixel", out.get("pixel"))
        if "other" not in p:
            around = [[r + dr, c + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                      if (dr, dc) != (0, 0) and 0 <= r + dr < h and 0 <= c + dc < w]
            if not around:  # p outside the image, or a 1×1 image: say which
                self._check_pixels(h, w, {"pixel": [r, c]})
            out["other"] = around[int(rng.integers(len(around)))]
        if "c_in" not in p:
            out["c_in"] = int(rng.choice([1, 3, 8, 16, 32]))
        if "c_out" not in p:
            out["c_out"] = int(rng.choice([4, 8, 16, 32, 64]))
        return out

    def _check_pixels(self, h, w, pixels: dict):
        """Refuse a 1×1 image and any of these pixels outside the image."""
        if h * w < 2:
            raise self.invalid("width", "a 1×1 image has no neighbouring pixels: use at least two pixels")
        for name, (r, c) in pixels.items():
            if not (0 <= r < h and 0 <= c < w):
                raise self.invalid(name, f"{_shown([r, c])} is outside the "
                                         f"{h}×{w} image (rows 0..{h - 1}, columns 0..{w - 1})")

    def validate(self, p):
        self._check_pixels(p["height"], p["width"], {"pixel": p["pixel"], "other": p["other"]})
        (r, c), (r2, c2) = p["pixel"], p["other"]
        if max(abs(r - r2), abs(c - c2)) != 1:
            raise self.invalid("other", f"[{r2}, {c2}] is not one of the 8 neighbours of pixel [{r}, {c}]")

    def solve(self, p):
        h, w, n_in, n_out = p["height"], p["width"], p["c_in"], p["c_out"]
        lab = label(p["pixel"], p["other"])
        return {
            "h": h, "w": w, "horizontal": h * (w - 1), "vertical": (h - 1) * w, "diagonal": 2 * (h - 1) * (w - 1),
            "nodes": h * w, "edges": edge_count(h, w), "edge_label": EDGE_LABELS.index(lab), "label": lab,
            "conv_matrices": 9, "matrix_shape": [n_out, n_in], "weights": 9 * n_in * n_out,
            "param_count": 9 * n_in * n_out + n_out,
            "wrong": {
                "nodes-padded": (h + 2) * (w + 2),
                "edges-undirected": edge_count(h, w, directed=False),
                "edges-four": edge_count(h, w, diagonals=False),
                "edges-self": edge_count(h, w) + h * w,
                "edges-wrap": 8 * h * w,
                "label-reversed": EDGE_LABELS.index(OPPOSITE[lab]),
                "shape-transposed": [n_in, n_out],
                "count-no-bias": 9 * n_in * n_out, "count-8": 8 * n_in * n_out + n_out,
                "count-bias-in": 9 * n_in * n_out + n_in,
            },
        }

    def parts(self, p):
        def wrong(name, part, kind=None):
            return lambda c: distinct(c["wrong"][name], c[part], kind)

        shape = Vector(entry=EXACT, labels=(("the rows (c_out)", "the columns (c_in)"),))
        return [
            Part("nodes", EXACT, misconceptions=(
                Misconception("padding-nodes", "Zero padding is not part of the graph: the nodes are the "
                              "H × W pixels only.", wrong("nodes-padded", "nodes")),
            )),
            Part("edges", EXACT, misconceptions=(
                Misconception("undirected", "Each pair of neighbours has two directed edges, one each way "
                              "(p → q is labelled by where p sits, q → p by where q sits).",
                              wrong("edges-undirected", "edges")),
                Misconception("four-neighbours", "Each pixel has eight neighbours, the diagonal ones (NE, SE, "
                              "NW, SW) included.", wrong("edges-four", "edges")),
                Misconception("self-loops", "The self relation is special, not an edge of the graph: leave "
                              "the self-loops out.", wrong("edges-self", "edges")),
                Misconception("wrap-around", "Border pixels have fewer than eight neighbours: nothing wraps "
                              "around the image.", wrong("edges-wrap", "edges")),
            )),
            Part("edge_label", Choice(options=EDGE_LABELS, letters=False), misconceptions=(
                Misconception("reversed", "That is where q sits seen from p. An edge into a pixel is labelled "
                              "by where its source sits, seen from the pixel that receives the message.",
                              wrong("label-reversed", "edge_label")),
            )),
            Part("conv_matrices", EXACT, misconceptions=(
                Misconception("forgot-self", "Eight neighbours and the self relation: W_me is a ninth weight "
                              "matrix.", lambda c: 8),
            )),
            Part("matrix_shape", shape, misconceptions=(
                Misconception("transposed", "W_ℓ maps a neighbour's c_in-vector to a c_out-vector: it is "
                              "c_out × c_in.", wrong("shape-transposed", "matrix_shape", shape)),
            )),
            Part("param_count", EXACT, misconceptions=(
                Misconception("no-bias", "You counted the weights only; add the c_out biases.",
                              wrong("count-no-bias", "param_count")),
                Misconception("eight-matrices", "There are nine weight matrices, not eight: the self edge "
                              "W_me has its own.", wrong("count-8", "param_count")),
                Misconception("bias-per-input", "The bias has one entry per output channel (c_out), not per "
                              "input channel.", wrong("count-bias-in", "param_count")),
            )),
        ]

    def figures(self, p, ctx):
        grid = [["·"] * p["width"] for _ in range(p["height"])]
        grid[p["pixel"][0]][p["pixel"][1]] = "p"
        grid[p["other"][0]][p["other"][1]] = "q"
        return [GridFigure(grid, highlight=tuple(p["pixel"]),
                           caption=f"The {p['height']}×{p['width']} image; p = [{p['pixel'][0]}, {p['pixel'][1]}], "
                                   f"q = [{p['other'][0]}, {p['other'][1]}] (row, column from 0).")]
