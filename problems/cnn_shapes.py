"""CNN shapes, parameter counts and design (Midterm Review: CNNs, Q1-Q2)."""
from __future__ import annotations

import json
from typing import Any

from grader.answers.base import FollowThrough, Misconception
from grader.answers.lists import ShapeList, Vector
from grader.answers.numbers import Number
from grader.errors import InvalidParams
from grader.figures import LayerStackFigure
from grader.params import Param
from grader.problem import Part, Problem, Redraw
from grader.problems.concepts import BY_ID, check_items, draw_items, item_part, posed
from grader.registry import register

DESIGN = ("fewer_fc_params", "any_image_size", "larger_receptive_field", "same_size", "more_layers")
FIELDS = {
    "conv2d": ("out_channels", "kernel", "stride", "padding"),
    "maxpool2d": ("kernel", "stride"),
    "relu": (),
    "flatten": (),
    "linear": ("out_features",),
}
SPATIAL = ("conv2d", "maxpool2d")
MAX_SIZE = 4096

EXACT = Number(exact=True)
INTEGERS = Vector(entry=EXACT)


# -- the network ----------------------------------------------------------------------------------

def out_side(n: int, kernel: int, stride: int, padding: int = 0, *, plus_one: bool = True) -> int:
    """Output side of a sliding window: ⌊(n + 2P − K)/S⌋ + 1 (the +1 dropped to model a slip)."""
    return (n + 2 * padding - kernel) // stride + (1 if plus_one else 0)


def layer_params(layer: dict, shape: list[int], *, bias: bool = True, pool_weights: bool = False) -> int:
    """Learned parameters of `layer` with input `shape`, as PyTorch counts them."""
    kind = layer["type"]
    if kind == "conv2d":
        k = layer["kernel"]
        return layer["out_channels"] * (shape[0] * k * k + bias)
    if kind == "linear":
        return layer["out_features"] * (shape[0] + bias)
    if kind == "maxpool2d" and pool_weights:
        return shape[0] * layer["kernel"] ** 2
    return 0


def trace(shape: list[int], layers: list[dict], *, padding: bool = True, plus_one: bool = True,
          strides: bool = True, bias: bool = True, pool_weights: bool = False) -> tuple[list[list[int]], list[int]]:
    """Output shape and parameter count of each layer. The flags model students' slips."""
    shapes, counts = [], []
    for layer in layers:
        counts.append(layer_params(layer, shape, bias=bias, pool_weights=pool_weights))
        kind = layer["type"]
        if kind in SPATIAL:
            pad = layer.get("padding", 0) if padding else 0
            c = layer["out_channels"] if kind == "conv2d" else shape[0]
            stride = layer["stride"] if strides else 1
            shape = [c] + [out_side(n, layer["kernel"], stride, pad, plus_one=plus_one) for n in shape[1:]]
        elif kind == "flatten":
            shape = [shape[0] * shape[1] * shape[2]]
        elif kind == "linear":
            shape = [layer["out_features"]]
        shapes.append(shape)
    return shapes, counts


def field_steps(layers: list[dict], *, strides: bool = True) -> list[dict]:
    """The receptive field (input pixels, one side) after each conv or pool layer: each widens
    it by (K − 1) times the step j, the product of the strides before it."""
    steps, field, jump = [], 1, 1
    for layer in layers:
        if layer["type"] in SPATIAL:
            field += (layer["kernel"] - 1) * jump
            steps.append({"type": layer["type"], "kernel": layer["kernel"], "jump": jump, "field": field})
            jump *= layer["stride"] if strides else 1
    return steps


def params_from_shapes(shape: list[int], layers: list[dict], shapes: list) -> list[int] | None:
    """Each layer's parameters computed from a student's own shapes (None if they do not fit)."""
    if len(shapes) != len(layers):
        return None
    counts = []
    for layer, out in zip(layers, [shape] + shapes[:-1]):
        wants = {"conv2d": 3, "linear": 1}.get(layer["type"])
        if wants and len(out) != wants:
            return None
        counts.append(layer_params(layer, out))
    return counts


def describe(layer: dict, shape: list[int], after_flatten: bool) -> str:
    """The layer as PyTorch code; the input size of a linear layer after a flatten is left for
    the student to find."""
    kind = layer["type"]
    if kind == "conv2d":
        return (f"nn.Conv2d({shape[0]}, {layer['out_channels']}, kernel_size={layer['kernel']}, "
                f"stride={layer['stride']}, padding={layer['padding']})")
    if kind == "maxpool2d":
        return f"nn.MaxPool2d(kernel_size={layer['kernel']}, stride={layer['stride']})"
    if kind == "linear":
        return f"nn.Linear({'…' if after_flatten else shape[0]}, {layer['out_features']})"
    return {"relu": "nn.ReLU()", "flatten": "nn.Flatten()"}[kind]


# -- parameter checks ----------------------------------------------------------------------------

def _whole(name: str, where: str, x: Any, lo: int, hi: int = MAX_SIZE) -> int:
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    if not isinstance(x, int) or isinstance(x, bool) or not lo <= x <= hi:
        raise InvalidParams(name, f"{where} must be a whole number from {lo} to {hi}, got {json.dumps(x)[:40]}")
    return x


def check_input(name: str, value: Any) -> list[int]:
    if not isinstance(value, list) or len(value) != 3:
        raise InvalidParams(name, "expected [C, H, W], e.g. [3, 32, 32]")
    return [_whole(name, "CHW"[i], v, 1) for i, v in enumerate(value)]


def check_layers(name: str, value: Any) -> list[dict]:
    if not isinstance(value, list) or not 1 <= len(value) <= 40:
        raise InvalidParams(name, "expected a list of 1 to 40 layers, e.g. [{\"type\": \"conv2d\", \"out_channels\": 8, "
                                  "\"kernel\": 3, \"stride\": 1, \"padding\": 1}, {\"type\": \"relu\"}]")
    out = []
    for i, layer in enumerate(value, 1):
        if not isinstance(layer, dict) or layer.get("type") not in FIELDS:
            raise InvalidParams(name, f"layer {i}: expected an object whose \"type\" is one of {', '.join(FIELDS)}")
        kind = layer["type"]
        defaults = {"stride": 1, "padding": 0} if kind == "conv2d" else {"stride": layer.get("kernel")}
        extra = set(layer) - {"type", *FIELDS[kind]}
        if extra:
            raise InvalidParams(name, f"layer {i} ({kind}): unexpected field(s) {', '.join(sorted(extra))}")
        clean = {"type": kind}
        for field in FIELDS[kind]:
            if field not in layer and defaults.get(field) is None:
                raise InvalidParams(name, f"layer {i} ({kind}) needs \"{field}\"")
            lo = 0 if field == "padding" else 1
            clean[field] = _whole(name, f"layer {i} ({kind}) {field}", layer.get(field, defaults.get(field)), lo)
        out.append(clean)
    return out


def check_conv3d(name: str, value: Any) -> dict:
    if not isinstance(value, dict) or set(value) != {"filters", "in_channels", "kernel"}:
        raise InvalidParams(name, "expected {\"filters\": F, \"in_channels\": C, \"kernel\": K}")
    return {k: _whole(name, k, value[k], 1, 1024 if k != "kernel" else 15) for k in ("filters", "in_channels", "kernel")}


def _design_items(name: str, value: Any) -> list[dict]:
    if value == []:
        return []
    return check_items(name, value, [BY_ID[i] for i in DESIGN])


# -- the problem ---------------------------------------------------------------------------------

@register
class CnnShapes(Problem):
    id = "cnn-shapes"
    title = "CNN shapes, parameter counts and design"
    topic = "convolutional networks"
    source = "Midterm Review: CNNs, Q1-Q2"
    params = (
        Param("input", "[C, H, W]", "the input's channels, height and width (no batch dimension)",
              range="C in {1, 3}, sides 16..64", check=check_input),
        Param("layers", "list of layers", "the network, in order: {\"type\": \"conv2d\", \"out_channels\", \"kernel\", "
              "\"stride\", \"padding\"}, {\"type\": \"maxpool2d\", \"kernel\", \"stride\"}, {\"type\": \"relu\"}, "
              "{\"type\": \"flatten\"}, {\"type\": \"linear\", \"out_features\"}",
              range="1-3 conv blocks (conv, ReLU, max-pool), flatten, 1-2 linear layers; windows that fit exactly",
              check=check_layers),
        Param("conv3d", "object", "a 3D convolution: {\"filters\": F, \"in_channels\": C, \"kernel\": K}",
              range="F 4..64, C 1..16, K in {3, 5, 7}", check=check_conv3d),
        Param("design", "list of objects", "the design questions asked, {\"id\", \"order\"} each (the options' order)",
              range=", ".join(DESIGN), check=_design_items),
    )
    example = {
        "input": [3, 32, 32],
        "layers": [
            {"type": "conv2d", "out_channels": 16, "kernel": 5, "stride": 1, "padding": 2}, {"type": "relu"},
            {"type": "maxpool2d", "kernel": 2, "stride": 2},
            {"type": "conv2d", "out_channels": 32, "kernel": 5, "stride": 1, "padding": 2}, {"type": "relu"},
            {"type": "maxpool2d", "kernel": 2, "stride": 2},
            {"type": "flatten"}, {"type": "linear", "out_features": 10},
        ],
        "conv3d": {"filters": 8, "in_channels": 3, "kernel": 5},
        "design": list(DESIGN),
    }
    paper = "whole-number shapes; the windows tile every side exactly"
    part_ids = ("shapes", "params", "total_params", "receptive_field", "conv3d_weight_shape",
                "conv3d_bias_shape", "conv3d_params") + DESIGN

    def draw(self, rng, p):
        out = {}
        if "conv3d" not in p:
            out["conv3d"] = {"filters": int(rng.choice([4, 8, 16, 32, 64])), "in_channels": int(rng.choice([1, 3, 8, 16])),
                             "kernel": int(rng.choice([3, 5, 7]))}
        if "design" not in p:
            out["design"] = draw_items(rng, [BY_ID[i] for i in DESIGN], len(DESIGN))
        if "input" not in p:
            side = int(rng.choice([16, 24, 28, 32, 48, 64]))
            other = side if rng.random() < 0.75 else int(rng.choice([16, 24, 28, 32, 48, 64]))
            out["input"] = [int(rng.choice([1, 3])), side, other]
        if "layers" not in p:
            shape = p.get("input") or out["input"]
            if min(shape[1:]) < 8:
                raise self.invalid("input", "sides of at least 8 are needed to draw layers for it; pin \"layers\" too")
            out["layers"] = self._draw_layers(rng, shape)
        return out

    @staticmethod
    def _draw_layers(rng, shape: list[int]) -> list[dict]:
        layers = []
        channels = int(rng.choice([4, 6, 8, 16]))
        for block in range(int(rng.choice([1, 2, 2, 3]))):
            k = int(rng.choice([3, 5]))
            layers.append({"type": "conv2d", "out_channels": channels * 2 ** block, "kernel": k,
                           "stride": int(rng.choice([1, 1, 1, 2])), "padding": int(rng.choice([0, (k - 1) // 2]))})
            layers.append({"type": "relu"})
            if block == 0 or rng.random() < 0.8:
                k, s = [(2, 2), (2, 2), (3, 2), (3, 3), (2, 1)][int(rng.integers(5))]
                layers.append({"type": "maxpool2d", "kernel": k, "stride": s})
        layers.append({"type": "flatten"})
        if rng.random() < 0.3:
            layers += [{"type": "linear", "out_features": int(rng.choice([32, 64, 100, 128]))}, {"type": "relu"}]
        layers.append({"type": "linear", "out_features": int(rng.choice([2, 5, 10, 10, 100]))})
        # Windows must tile each side exactly and the map must stay a few pixels wide; the linear
        # layer's input stays hand-sized unless a pinned input is too large for that.
        limit = 4096 if max(shape[1:]) <= 64 else float("inf")
        for layer in layers:
            if layer["type"] in SPATIAL:
                if any((n + 2 * layer.get("padding", 0) - layer["kernel"]) % layer["stride"] for n in shape[1:]):
                    raise Redraw
            if layer["type"] == "flatten" and (min(shape[1:]) < 2 or shape[0] * shape[1] * shape[2] > limit):
                raise Redraw
            shape = trace(shape, [layer])[0][0]
        return layers

    def validate(self, p):
        shape = p["input"]
        for i, layer in enumerate(p["layers"], 1):
            kind = layer["type"]
            if kind in SPATIAL or kind == "flatten":
                if len(shape) != 3:
                    raise self.invalid("layers", f"layer {i} ({kind}) needs a [C, H, W] input, but it follows a flatten")
            if kind in SPATIAL:
                pad = layer.get("padding", 0)
                if any(n + 2 * pad < layer["kernel"] for n in shape[1:]):
                    raise self.invalid("layers", f"layer {i} ({kind}): the {layer['kernel']}×{layer['kernel']} window "
                                                 f"is larger than its {shape[1]}×{shape[2]} input")
            if kind == "linear" and len(shape) != 1:
                raise self.invalid("layers", f"layer {i} (linear) needs a flat input: put a flatten before it")
            shape = trace(shape, [layer])[0][0]
        if not any(layer["type"] in SPATIAL for layer in p["layers"]):
            raise self.invalid("layers", "needs at least one conv2d or maxpool2d layer (the receptive field is asked)")

    def solve(self, p):
        shape, layers = p["input"], p["layers"]
        shapes, counts = trace(shape, layers)
        steps = field_steps(layers)
        f, c, k = (p["conv3d"][n] for n in ("filters", "in_channels", "kernel"))
        ctx = {
            "shapes": shapes, "params": counts, "total_params": sum(counts),
            "receptive_field": steps[-1]["field"],
            "conv3d_weight_shape": [f, c, k, k, k], "conv3d_bias_shape": [f], "conv3d_params": f * c * k ** 3 + f,
            "rows": self._rows(shape, layers, shapes, counts),
            "rf_steps": steps,
            "asked": {spec["id"]: posed(spec) for spec in p["design"]},
        }
        for name, kwargs in (("no_padding", {"padding": False}), ("no_plus_one", {"plus_one": False}),
                             ("no_strides", {"strides": False}),
                             ("no_bias", {"bias": False}), ("pool_weights", {"pool_weights": True})):
            ctx[name] = trace(shape, layers, **kwargs)
        ctx["rf_no_strides"] = field_steps(layers, strides=False)[-1]["field"]
        ctx["rf_last_kernel"] = steps[-1]["kernel"]
        for spec in p["design"]:
            ctx[spec["id"]] = ctx["asked"][spec["id"]]["answer"]
        return ctx

    @staticmethod
    def _rows(shape, layers, shapes, counts) -> list[dict]:
        rows = []
        for i, (layer, out, n) in enumerate(zip(layers, shapes, counts)):
            after_flatten = "flatten" in [q["type"] for q in layers[:i]]
            rows.append({"layer": layer, "in": shape, "out": out, "params": n,
                         "code": describe(layer, shape, after_flatten)})
            shape = out
        return rows

    def parts(self, p):
        def differs(value, ref):
            return None if value == ref else value

        shapes = Part("shapes", ShapeList(), misconceptions=(
            Misconception("forgot-padding", "You left out the padding: a conv layer's output side is "
                          "⌊(H + 2P − K)/S⌋ + 1, with P added on both sides.",
                          lambda c: differs(c["no_padding"][0], c["shapes"])),
            Misconception("missing-plus-one", "You dropped the + 1: the output side is ⌊(H + 2P − K)/S⌋ + 1 "
                          "(the first window counts too).",
                          lambda c: differs(c["no_plus_one"][0], c["shapes"])),
            Misconception("ignored-stride", "You did not divide by the stride: with stride S the window moves S "
                          "pixels at a time, so the side is ⌊(H + 2P − K)/S⌋ + 1.",
                          lambda c: differs(c["no_strides"][0], c["shapes"])),
        ))
        params = Part("params", Vector(entry=EXACT, partial=True, index="layer {i}"), misconceptions=(
            Misconception("forgot-biases", "You counted only the weights: PyTorch's conv and linear layers also "
                          "have one bias per output channel or feature.",
                          lambda c: c["no_bias"][1]),
            Misconception("pool-parameters", "A max-pooling layer has no parameters: it takes a fixed maximum "
                          "over each window.",
                          lambda c: differs(c["pool_weights"][1], c["params"])),
            Misconception("forgot-padding", "Your linear layer's input size ignores the conv padding: the "
                          "flattened size comes from the padded output shapes.",
                          lambda c: differs(c["no_padding"][1], c["params"])),
        ), follow=FollowThrough(("shapes",), lambda c, own: params_from_shapes(
            c["rows"][0]["in"], [r["layer"] for r in c["rows"]], own["shapes"])))
        total = Part("total_params", EXACT, misconceptions=(
            Misconception("forgot-biases", "You counted only the weights: add one bias per output channel of each "
                          "conv layer and per output feature of each linear layer.",
                          lambda c: sum(c["no_bias"][1])),
            Misconception("pool-parameters", "A max-pooling layer has no parameters: it takes a fixed maximum "
                          "over each window.",
                          lambda c: differs(sum(c["pool_weights"][1]), c["total_params"])),
            Misconception("forgot-padding", "Your linear layer's input size ignores the conv padding: the "
                          "flattened size comes from the padded output shapes.",
                          lambda c: differs(sum(c["no_padding"][1]), c["total_params"])),
        ), follow=FollowThrough(("params",), lambda c, own: sum(own["params"])))
        field = Part("receptive_field", EXACT, misconceptions=(
            Misconception("ignored-strides", "Each layer's kernel adds (K − 1) times the product of the strides "
                          "before it, not just K − 1.",
                          lambda c: differs(c["rf_no_strides"], c["receptive_field"])),
            Misconception("last-layer-only", "That is only the last layer's window; each earlier conv and pool "
                          "layer widens the field too.",
                          lambda c: differs(c["rf_last_kernel"], c["receptive_field"])),
        ))
        weight = Part("conv3d_weight_shape", INTEGERS, misconceptions=(
            Misconception("channels-last", "That is the channels-last layout of some libraries; PyTorch's "
                          "nn.Conv3d stores (F, C, K, K, K).",
                          lambda c: differs(c["conv3d_weight_shape"][:1] + c["conv3d_weight_shape"][2:]
                                            + c["conv3d_weight_shape"][1:2], c["conv3d_weight_shape"])),
            Misconception("two-d-kernel", "A 3D kernel spans time as well as height and width: K × K × K.",
                          lambda c: c["conv3d_weight_shape"][:4]),
            Misconception("forgot-channels", "Each filter spans every input channel: C is part of the weight.",
                          lambda c: c["conv3d_weight_shape"][:1] + c["conv3d_weight_shape"][2:]),
        ))
        bias = Part("conv3d_bias_shape", INTEGERS, misconceptions=(
            Misconception("bias-per-channel", "There is one bias per filter (output channel), not per input channel.",
                          lambda c: c["conv3d_weight_shape"][:2]),
        ))
        count3d = Part("conv3d_params", EXACT, misconceptions=(
            Misconception("forgot-biases", "Add the F biases to the F·C·K³ weights.",
                          lambda c: c["conv3d_params"] - c["conv3d_bias_shape"][0]),
        ))
        design = [item_part(spec["id"], posed(spec), "design") for spec in p["design"]]
        return [shapes, params, total, field, weight, bias, count3d] + design

    def figures(self, p, ctx):
        return [LayerStackFigure.from_layers(p["input"], [r["layer"] for r in ctx["rows"]], ["?"] * len(ctx["rows"]),
                                             caption="The network, layer by layer; '?' marks the shapes to find.")]
