"""A 3×3 convolution as message passing on the pixel grid: eight labelled edges plus self
(the GNN/RNN lecture)."""
from __future__ import annotations

from grader.answers.base import Misconception
from grader.answers.lists import Matrix
from grader.answers.numbers import Number
from grader.figures import GridFigure
from grader.params import Param, as_fraction, integer, matrix, number
from grader.problem import Part, Problem, Redraw
from grader.problems.gnn_message_passing import distinct
from grader.registry import register

# kernel position (row, column) -> the label of the edge from that neighbour to the centre
LABELS = (("NW", "N", "NE"), ("W", "me", "E"), ("SW", "S", "SE"))


def _pixel(name, x):
    if not (isinstance(x, list) and len(x) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in x)):
        raise Problem.invalid(name, "expected [row, column], two whole numbers counted from 0")
    return x


def messages(image, kernel, r, c, *, flip=False, wrap=False, self_term=True):
    """The nine messages into pixel (r, c): label, neighbour position, its value (0 outside the
    image unless `wrap`), the edge's weight and their product."""
    h, w = len(image), len(image[0])
    out = []
    for i in range(3):
        for j in range(3):
            if (i, j) == (1, 1) and not self_term:
                continue
            rr, cc = r + i - 1, c + j - 1
            inside = 0 <= rr < h and 0 <= cc < w
            value = image[rr % h][cc % w] if inside or wrap else 0
            weight = kernel[2 - i][2 - j] if flip else kernel[i][j]
            out.append({"label": LABELS[i][j], "pos": (rr, cc), "inside": inside, "value": value,
                        "weight": weight, "product": weight * value})
    return out


def conv_map(image, kernel, bias, *, valid=False, **options):
    """The output map ('same', zero-padded unless `valid` or `wrap`)."""
    h, w = len(image), len(image[0])
    rows = range(1, h - 1) if valid else range(h)
    cols = range(1, w - 1) if valid else range(w)
    return [[bias + sum(m["product"] for m in messages(image, kernel, r, c, **options)) for c in cols] for r in rows]


@register
class ConvMessagePassing(Problem):
    id = "conv-message-passing"
    title = "A 3×3 convolution as message passing"
    topic = "convolutional networks"
    source = "Lecture: generalising CNNs to graphs (image as a graph)"
    params = (
        Param("image", "matrix", "the input image (one channel)", range="4×4 to 5×5, integers 0..3",
              check=matrix((3, 10), (3, 10))),
        Param("kernel", "matrix", "the 3×3 kernel: W_NW W_N W_NE / W_W W_me W_E / W_SW W_S W_SE",
              range="integers in -2..2", check=matrix((3, 3), (3, 3))),
        Param("bias", "number", "the bias b", range="integers in -2..2", check=number()),
        Param("pixel", "[row, column]", "the output pixel asked about, counted from 0",
              range="on the border half of the time", check=_pixel),
        Param("c_in", "integer", "input channels of the layer whose parameters are counted",
              range="1, 3, 16, 32, 64", check=integer(1, 4096)),
        Param("c_out", "integer", "output channels of that layer", range="8..128", check=integer(1, 4096)),
    )
    example = {"image": [[1, 1, 1, 1], [1, 4, 1, 4], [1, 1, 1, 1], [1, 1, 4, 1]],
               "kernel": [[0, 1, 0], [1, -2, 2], [0, -1, 1]], "bias": 1, "pixel": [0, 1], "c_in": 3, "c_out": 16}
    paper = "a small image of integers 0..3 and a kernel of integers -2..2"
    part_ids = ("output", "pixel_value", "param_count")

    def draw(self, rng, p):
        out = {}
        if "image" not in p:
            h, w = (int(v) for v in rng.integers(4, 6, size=2))
            out["image"] = [[int(v) for v in rng.integers(0, 4, size=w)] for _ in range(h)]
        image = p.get("image", out.get("image"))
        if "kernel" not in p:
            K = [[int(v) for v in rng.integers(-2, 3, size=3)] for _ in range(3)]
            if K[1][1] == 0 or sum(v != 0 for row in K for v in row) < 5 or K == [row[::-1] for row in K[::-1]]:
                raise Redraw
            out["kernel"] = K
        if "bias" not in p:
            out["bias"] = int(rng.choice([-2, -1, 1, 2]))
        if "pixel" not in p:
            h, w = len(image), len(image[0])
            if rng.random() < 0.5:
                border = [[r, c] for r in range(h) for c in range(w) if r in (0, h - 1) or c in (0, w - 1)]
                out["pixel"] = border[int(rng.integers(len(border)))]
            else:
                out["pixel"] = [int(rng.integers(1, h - 1)), int(rng.integers(1, w - 1))]
        if "c_in" not in p:
            out["c_in"] = int(rng.choice([1, 3, 16, 32, 64]))
        if "c_out" not in p:
            out["c_out"] = int(rng.choice([8, 16, 32, 64, 128]))
        return out

    def validate(self, p):
        r, c = p["pixel"]
        h, w = len(p["image"]), len(p["image"][0])
        if any(len(row) != w for row in p["image"]):
            raise self.invalid("image", "rows must all have the same length")
        if not (0 <= r < h and 0 <= c < w):
            raise self.invalid("pixel", f"[{r}, {c}] is outside the {h}×{w} image (rows 0..{h - 1}, columns 0..{w - 1})")

    def solve(self, p):
        image = [[as_fraction("image", x) for x in row] for row in p["image"]]
        kernel = [[as_fraction("kernel", x) for x in row] for row in p["kernel"]]
        bias = as_fraction("bias", p["bias"])
        r, c = p["pixel"]
        msgs = messages(image, kernel, r, c)
        value = bias + sum(m["product"] for m in msgs)

        def at_pixel(**options):
            return bias + sum(m["product"] for m in messages(image, kernel, r, c, **options))

        n_in, n_out = p["c_in"], p["c_out"]
        return {
            "image": image, "kernel": kernel, "bias": bias, "r": r, "c": c, "h": len(image), "w": len(image[0]),
            "labels": LABELS, "messages": msgs, "padded": [m for m in msgs if not m["inside"]],
            "output": conv_map(image, kernel, bias), "pixel_value": value,
            "param_count": 9 * n_in * n_out + n_out, "weights": 9 * n_in * n_out,
            "wrong": {
                "flipped": conv_map(image, kernel, bias, flip=True),
                "no-bias": conv_map(image, kernel, 0),
                "valid": conv_map(image, kernel, bias, valid=True),
                "no-self": conv_map(image, kernel, bias, self_term=False),
                "wrap": conv_map(image, kernel, bias, wrap=True),
                "pixel-flipped": at_pixel(flip=True), "pixel-no-bias": value - bias,
                "pixel-no-self": at_pixel(self_term=False), "pixel-wrap": at_pixel(wrap=True),
                "count-no-bias": 9 * n_in * n_out, "count-8-edges": 8 * n_in * n_out + n_out,
                "count-no-c_in": 9 * n_out + n_out, "count-bias-per-input": 9 * n_in * n_out + n_in,
            },
        }

    def parts(self, p):
        def wrong(name, part):
            return lambda c: distinct(c["wrong"][name], c[part])

        flipped = "You flipped the kernel (the textbook convolution); a CNN layer sends W_NW's message " \
                  "from the north-west neighbour, the kernel laid over the image as it is."
        no_bias = "You left out the bias b: it is added once at every output pixel."
        no_self = "You left out the self term W_me · h_me: the centre pixel sends a message to itself."
        wrap = "You wrapped around the edges; 'same' padding adds zeros outside the image."
        return [
            Part("output", Matrix(partial=True, index="pixel [{r0}, {c0}]", relations=(
                "the kernel times the 3×3 window centred on [{r0}, {c0}] (0 outside the image), plus b",) * len(p["image"])),
                misconceptions=(
                Misconception("flipped-kernel", flipped, wrong("flipped", "output")),
                Misconception("no-bias", no_bias, wrong("no-bias", "output")),
                Misconception("no-self", no_self, wrong("no-self", "output")),
                Misconception("valid", "That is the 'valid' output (no padding, smaller map); 'same' pads "
                              "with zeros so the output has the image's size.", wrong("valid", "output")),
                Misconception("wrap-around", wrap, wrong("wrap", "output")),
            )),
            Part("pixel_value", Number(), misconceptions=(
                Misconception("flipped-kernel", flipped, wrong("pixel-flipped", "pixel_value")),
                Misconception("no-bias", no_bias, wrong("pixel-no-bias", "pixel_value")),
                Misconception("no-self", no_self, wrong("pixel-no-self", "pixel_value")),
                Misconception("wrap-around", wrap, wrong("pixel-wrap", "pixel_value")),
            )),
            Part("param_count", Number(exact=True), misconceptions=(
                Misconception("no-bias", "You counted the weights only; add the c_out biases.",
                              wrong("count-no-bias", "param_count")),
                Misconception("eight-edges", "There are nine weight matrices, not eight: the self edge "
                              "W_me has its own.", wrong("count-8-edges", "param_count")),
                Misconception("no-c_in", "Each edge's weight is a c_out × c_in matrix, not one number per "
                              "output channel.", wrong("count-no-c_in", "param_count")),
                Misconception("bias-per-input", "The bias has one entry per output channel (c_out), not "
                              "per input channel.", wrong("count-bias-per-input", "param_count")),
            )),
        ]

    def figures(self, p, ctx):
        return [
            GridFigure([list(row) for row in p["image"]], highlight=tuple(p["pixel"]),
                       caption=f"The image; the highlighted pixel is [{p['pixel'][0]}, {p['pixel'][1]}] (row, column from 0)."),
            GridFigure([list(row) for row in p["kernel"]], highlight=(1, 1),
                       caption="The kernel: row 1 W_NW W_N W_NE, row 2 W_W W_me W_E, row 3 W_SW W_S W_SE "
                               "(the self weight W_me highlighted)."),
        ]
