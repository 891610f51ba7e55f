"""cnn-shapes: shapes, counts and receptive fields against independent computations (pure Python
always, PyTorch where installed), the seed's 3D case, misconceptions, follow-through and pins."""
from math import prod

import pytest

from grader import registry
from grader.answers.base import CORRECT, INCORRECT, INVALID, PARTIAL
from grader.errors import InvalidParams
from grader.grading import grade, grade_part
from grader.testing import check_instance

SEED_STACK = [
    {"type": "conv2d", "out_channels": 16, "kernel": 5, "stride": 1, "padding": 2}, {"type": "relu"},
    {"type": "maxpool2d", "kernel": 2, "stride": 2},
    {"type": "conv2d", "out_channels": 32, "kernel": 5, "stride": 1, "padding": 2}, {"type": "relu"},
    {"type": "maxpool2d", "kernel": 2, "stride": 2},
    {"type": "flatten"}, {"type": "linear", "out_features": 10},
]
SEEDS = range(120)


@pytest.fixture(scope="module")
def problem():
    return registry.get("cnn-shapes")


@pytest.fixture(scope="module")
def instances(problem):
    return [problem.instance(seed) for seed in SEEDS]


# -- an independent computation: windows enumerated, weights as shape tuples, fields as index sets --

def windows(n, kernel, stride, padding):
    """The start positions of the windows along one padded side."""
    return list(range(-padding, n + padding - kernel + 1, stride))


def by_enumeration(shape, layers):
    shapes, counts = [], []
    for layer in layers:
        tensors = []
        if layer["type"] == "conv2d":
            tensors = [(layer["out_channels"], shape[0], layer["kernel"], layer["kernel"]), (layer["out_channels"],)]
            shape = [layer["out_channels"]] + [len(windows(n, layer["kernel"], layer["stride"], layer["padding"]))
                                               for n in shape[1:]]
        elif layer["type"] == "maxpool2d":
            shape = shape[:1] + [len(windows(n, layer["kernel"], layer["stride"], 0)) for n in shape[1:]]
        elif layer["type"] == "flatten":
            shape = [prod(shape)]
        elif layer["type"] == "linear":
            tensors = [(layer["out_features"], shape[0]), (layer["out_features"],)]
            shape = [layer["out_features"]]
        shapes.append(shape)
        counts.append(sum(prod(t) for t in tensors))
    return shapes, counts


def field_by_sets(layers):
    """The input columns one output unit of the last window layer depends on (padding ignored)."""
    spatial = [layer for layer in layers if layer["type"] in ("conv2d", "maxpool2d")]
    seen = {0}
    for layer in reversed(spatial):
        seen = {i * layer["stride"] + t for i in seen for t in range(layer["kernel"])}
    assert seen == set(range(min(seen), max(seen) + 1))
    return len(seen)


def test_matches_enumeration(instances):
    for inst in instances:
        shapes, counts = by_enumeration(inst.params["input"], inst.params["layers"])
        assert inst.context["shapes"] == shapes
        assert inst.context["params"] == counts
        assert inst.context["total_params"] == sum(counts)
        assert inst.context["receptive_field"] == field_by_sets(inst.params["layers"])


def test_drawn_stacks_are_well_posed(instances):
    kinds = set()
    for inst in instances:
        shape = inst.params["input"]
        for layer, out in zip(inst.params["layers"], inst.context["shapes"]):
            if layer["type"] in ("conv2d", "maxpool2d"):
                pad = layer.get("padding", 0)
                assert all((n + 2 * pad - layer["kernel"]) % layer["stride"] == 0 for n in shape[1:])
            if layer["type"] == "flatten":
                assert min(shape[1:]) >= 2
            shape = out
            kinds.add(layer["type"])
        assert inst.params["layers"][-1]["type"] == "linear"
    assert kinds == {"conv2d", "relu", "maxpool2d", "flatten", "linear"}
    assert len({str(inst.params["layers"]) for inst in instances}) > len(instances) * 0.9


def test_seed_stack_by_hand(problem):
    inst = problem.instance(0, {"input": [3, 32, 32], "layers": SEED_STACK})
    assert inst.answer("shapes") == [[16, 32, 32], [16, 32, 32], [16, 16, 16], [32, 16, 16], [32, 16, 16],
                                     [32, 8, 8], [2048], [10]]
    assert inst.answer("params") == [1216, 0, 0, 12832, 0, 0, 0, 20490]
    assert inst.answer("total_params") == "34538"
    assert inst.answer("receptive_field") == "16"  # 1 + 4 + 1 + 4*2 + 1*2


@pytest.mark.parametrize("seed", [0, 7, 31])
def test_seed_case_3d_reproduces_with_the_rest_drawn(problem, seed):
    inst = problem.instance(seed, {"conv3d": {"filters": 8, "in_channels": 3, "kernel": 5}})
    assert inst.answer("conv3d_weight_shape") == [8, 3, 5, 5, 5]
    assert inst.answer("conv3d_bias_shape") == [8]
    assert inst.answer("conv3d_params") == str(8 * 3 * 125 + 8)
    assert not check_instance(problem, seed)


def test_pytorch_agrees(instances):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    for inst in instances[:20]:
        c, h, w = inst.params["input"]
        modules, channels = [], c
        for layer in inst.params["layers"]:
            if layer["type"] == "conv2d":
                modules.append(nn.Conv2d(channels, layer["out_channels"], layer["kernel"], layer["stride"], layer["padding"]))
                channels = layer["out_channels"]
            elif layer["type"] == "maxpool2d":
                modules.append(nn.MaxPool2d(layer["kernel"], layer["stride"]))
            elif layer["type"] == "linear":
                modules.append(nn.LazyLinear(layer["out_features"]))
            else:
                modules.append({"relu": nn.ReLU, "flatten": nn.Flatten}[layer["type"]]())
        x = torch.zeros(1, c, h, w)
        shapes = []
        with torch.no_grad():
            for module in modules:
                x = module(x)
                shapes.append(list(x.shape[1:]))
        assert shapes == inst.context["shapes"]
        assert [sum(p.numel() for p in m.parameters()) for m in modules] == inst.context["params"]


def test_pytorch_receptive_field(instances):
    """The gradient of one central unit reaches exactly the receptive field (all-ones weights,
    average pooling in place of max-pooling so that every input of a window gets gradient)."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    for inst in instances[:20]:
        spatial = [layer for layer in inst.params["layers"] if layer["type"] in ("conv2d", "maxpool2d")]
        side = 4 * inst.context["receptive_field"] + 16
        modules = []
        for layer in spatial:
            if layer["type"] == "conv2d":
                conv = nn.Conv2d(1, 1, layer["kernel"], layer["stride"], bias=False)
                nn.init.ones_(conv.weight)
                modules.append(conv)
            else:
                modules.append(nn.AvgPool2d(layer["kernel"], layer["stride"]))
        x = torch.ones(1, 1, side, side, requires_grad=True)
        y = nn.Sequential(*modules)(x)
        y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
        rows = (x.grad[0, 0] != 0).any(dim=1).nonzero().flatten()
        assert int(rows.max() - rows.min() + 1) == inst.context["receptive_field"]


# -- grading ------------------------------------------------------------------------------------

def outcome(inst, pid, raw, answers=None):
    return grade_part(inst, inst.part(pid), raw, answers or {})


def test_misconceptions_are_named(problem):
    inst = problem.instance(0, {"input": [3, 32, 32], "layers": SEED_STACK,
                                "conv3d": {"filters": 8, "in_channels": 3, "kernel": 5}})
    # no padding: 28 -> 14 -> 10 -> 5, so the linear layer sees 32*5*5 = 800 inputs
    r = outcome(inst, "shapes", [[16, 28, 28], [16, 28, 28], [16, 14, 14], [32, 10, 10], [32, 10, 10],
                                 [32, 5, 5], [800], [10]])
    assert (r.verdict, r.misconception) == (INCORRECT, "forgot-padding")
    r = outcome(inst, "shapes", [[16, 32, 32], [16, 32, 32], [16, 31, 31], [32, 31, 31], [32, 31, 31],
                                 [32, 30, 30], [28800], [10]])
    assert r.misconception == "ignored-stride" and "moves S pixels" in r.feedback
    assert outcome(inst, "params", [1200, 0, 0, 12800, 0, 0, 0, 20480]).misconception == "forgot-biases"
    assert outcome(inst, "total_params", 34538 + 16 * 4 + 32 * 4).misconception == "pool-parameters"
    assert outcome(inst, "total_params", 1216 + 12832 + 8010).misconception == "forgot-padding"
    assert outcome(inst, "receptive_field", 1 + 4 + 1 + 4 + 1).misconception == "ignored-strides"
    assert outcome(inst, "conv3d_weight_shape", [8, 5, 5, 5, 3]).misconception == "channels-last"
    assert outcome(inst, "conv3d_bias_shape", [8, 3]).misconception == "bias-per-channel"


def test_shapes_partial_notation_and_invalid(problem):
    inst = problem.instance(0, {"input": [3, 32, 32], "layers": SEED_STACK})
    ref = inst.answer("shapes")
    assert outcome(inst, "shapes", "[(16, 32, 32), (16, 32, 32), (16, 16, 16), (32, 16, 16), (32, 16, 16), "
                                   "(32, 8, 8), (2048), (10)]").verdict == CORRECT
    one_off = [list(s) for s in ref]
    one_off[-1] = [11]
    r = outcome(inst, "shapes", one_off)
    assert r.verdict == PARTIAL and r.score == pytest.approx(7 / 8) and "layer 8" in r.feedback
    assert outcome(inst, "shapes", ref[:-1]).verdict == INCORRECT
    bad = outcome(inst, "shapes", [16, 32, 32])
    assert bad.verdict == INVALID and "list of shapes" in bad.feedback
    assert outcome(inst, "shapes", [[16, 32, "x"]] + ref[1:]).verdict == INVALID
    short = outcome(inst, "shapes", [[16, 32, "x"]])  # the count of layers is checked first
    assert short.verdict == INCORRECT and "Expected 8 shapes" in short.feedback
    assert outcome(inst, "shapes", ref[:-2] + [2048, 10]).verdict == CORRECT  # 2048 for [2048]


def test_follow_through_from_own_shapes(problem):
    inst = problem.instance(0, {"input": [3, 32, 32], "layers": SEED_STACK})
    own = [[16, 32, 32], [16, 32, 32], [16, 16, 16], [32, 16, 16], [32, 16, 16], [32, 4, 4], [512], [10]]
    params = [1216, 0, 0, 12832, 0, 0, 0, 5130]  # right for a 512-long flattened vector
    result = grade(inst, {"shapes": own, "params": params, "total_params": sum(params)})
    verdicts = {p.id: p.verdict for p in result.parts}
    assert verdicts["shapes"] == PARTIAL
    assert verdicts["params"] == CORRECT and "Follow-through" in result.parts[1].feedback
    assert verdicts["total_params"] == CORRECT and "Follow-through" in result.parts[2].feedback
    assert outcome(inst, "total_params", sum(params)).verdict == INCORRECT


def test_design_parts_are_shuffled_choices(instances):
    letters = {inst.answer("same_size") for inst in instances}
    assert letters == {"A", "B", "C", "D"}
    for inst in instances[:5]:
        assert [p for p in inst.part_ids if p in ("fewer_fc_params", "any_image_size", "larger_receptive_field",
                                                  "same_size", "more_layers")]
        part = inst.part("more_layers")
        assert "Residual" in part.type.options[inst.reference("more_layers")]


# -- pins -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("pins, name, words", [
    ({"input": [3, 32]}, "input", "[C, H, W]"),
    ({"input": [0, 32, 32]}, "input", "C must be"),
    ({"layers": [{"type": "conv3d"}]}, "layers", "one of conv2d"),
    ({"layers": [{"type": "conv2d", "kernel": 3}]}, "layers", "needs \"out_channels\""),
    ({"layers": [{"type": "relu", "kernel": 3}]}, "layers", "unexpected field"),
    ({"layers": [{"type": "linear", "out_features": 10}]}, "layers", "put a flatten before it"),
    ({"layers": [{"type": "flatten"}, {"type": "maxpool2d", "kernel": 2}]}, "layers", "follows a flatten"),
    ({"input": [1, 8, 8], "layers": [{"type": "maxpool2d", "kernel": 9}]}, "layers", "larger than"),
    ({"layers": [{"type": "flatten"}, {"type": "linear", "out_features": 3}]}, "layers", "at least one conv2d"),
    ({"input": [1, 4, 4]}, "input", "pin \"layers\" too"),
    ({"conv3d": {"filters": 8, "kernel": 3}}, "conv3d", "in_channels"),
    ({"design": ["nope"]}, "design", "unknown item"),
    ({"design": [{"id": "same_size", "order": [0, 0, 1, 2]}]}, "design", "permutation"),
])
def test_bad_pins_name_the_parameter(problem, pins, name, words):
    with pytest.raises(InvalidParams) as err:
        problem.instance(0, pins)
    assert err.value.param == name and words in str(err.value)


@pytest.mark.parametrize("shape", [[1, 8, 8], [3, 33, 33], [1, 9, 13], [3, 500, 300]])
def test_pinned_inputs_get_drawn_layers(problem, shape):
    for seed in range(10):
        inst = problem.instance(seed, {"input": shape})
        assert inst.context["shapes"] == by_enumeration(shape, inst.params["layers"])[0]


def test_pins_defaults_and_cli_error(problem, invoke):
    inst = problem.instance(0, {"layers": [{"type": "maxpool2d", "kernel": 2}, {"type": "flatten"},
                                           {"type": "linear", "out_features": 3}], "design": []})
    assert inst.params["layers"][0] == {"type": "maxpool2d", "kernel": 2, "stride": 2}
    assert "same_size" not in inst.part_ids
    result = invoke("new", "cnn-shapes", "--param", 'layers=[{"type": "linear", "out_features": 2}]')
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "Error: parameter 'layers'" in result.output
