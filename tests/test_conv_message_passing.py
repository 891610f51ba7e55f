"""conv-message-passing: the output against an independent convolution, misconceptions, pins."""
import pytest

from grader import registry
from grader.errors import InvalidParams
from grader.grading import grade_part

LECTURE = {"image": [[1, 1, 1, 1], [1, 4, 1, 4], [1, 1, 1, 1], [1, 1, 4, 1]],
           "kernel": [[0, 1, 0], [1, -2, 2], [0, -1, 1]], "bias": 1, "pixel": [0, 1], "c_in": 3, "c_out": 16}


@pytest.fixture(scope="module")
def problem():
    return registry.get("conv-message-passing")


def cross_correlate(image, kernel, bias):
    """'same' zero-padded cross-correlation, written with NumPy slicing (independent of the problem)."""
    np = pytest.importorskip("numpy")
    x = np.pad(np.array(image, dtype=float), 1)
    k = np.array(kernel, dtype=float)
    h, w = len(image), len(image[0])
    return [[float((x[r:r + 3, c:c + 3] * k).sum() + bias) for c in range(w)] for r in range(h)]


@pytest.mark.parametrize("seed", range(25))
def test_output_matches_an_independent_convolution(problem, seed):
    inst = problem.instance(seed)
    p = inst.params
    expected = cross_correlate(p["image"], p["kernel"], p["bias"])
    assert [[float(v) for v in row] for row in inst.reference("output")] == expected
    r, c = p["pixel"]
    assert float(inst.reference("pixel_value")) == expected[r][c]
    assert inst.reference("param_count") == 9 * p["c_in"] * p["c_out"] + p["c_out"]


def test_lecture_image_corner_pixel(problem):
    inst = problem.instance(0, LECTURE)
    # pixel [0, 1]: the north row is padding; W:1*1, me:-2*1, E:2*1, SW:0, S:-1*4, SE:1*1, bias 1
    assert inst.answer("pixel_value") == str(1 + 1 - 2 + 2 - 4 + 1)
    assert sum(not m["inside"] for m in inst.context["messages"]) == 3
    assert inst.answer("param_count") == str(9 * 3 * 16 + 16)


def test_torch_agrees_where_installed(problem):
    torch = pytest.importorskip("torch")
    inst = problem.instance(4)
    p = inst.params
    x = torch.tensor(p["image"], dtype=torch.float64)[None, None]
    w = torch.tensor(p["kernel"], dtype=torch.float64)[None, None]
    out = torch.nn.functional.conv2d(x, w, torch.tensor([float(p["bias"])], dtype=torch.float64), padding=1)
    assert out[0, 0].tolist() == [[float(v) for v in row] for row in inst.reference("output")]
    layer = torch.nn.Conv2d(p["c_in"], p["c_out"], 3)
    assert sum(t.numel() for t in layer.parameters()) == inst.reference("param_count")


@pytest.mark.parametrize("part, name", [
    ("output", "flipped-kernel"), ("output", "no-bias"), ("output", "valid"), ("output", "no-self"),
    ("pixel_value", "flipped-kernel"), ("pixel_value", "wrap-around"), ("pixel_value", "no-self"),
    ("param_count", "no-bias"), ("param_count", "eight-edges"), ("param_count", "no-c_in"),
])
def test_misconceptions_are_named(problem, part, name):
    inst = problem.instance(0, LECTURE)
    m = next(m for m in inst.part(part).misconceptions if m.name == name)
    value = m.answer(inst.context)
    assert value is not None
    answer = inst.part(part).type.canonical(inst.part(part).type.reference(value))
    result = grade_part(inst, inst.part(part), answer, {})
    assert result.verdict == "incorrect" and result.misconception == name and result.feedback


def test_interior_pixel_has_no_wrap_misconception(problem):
    inst = problem.instance(0, dict(LECTURE, pixel=[1, 1]))
    wrap = next(m for m in inst.part("pixel_value").misconceptions if m.name == "wrap-around")
    assert wrap.answer(inst.context) is None


def test_border_and_interior_pixels_are_both_drawn(problem):
    def on_border(p):
        r, c = p["pixel"]
        return r in (0, len(p["image"]) - 1) or c in (0, len(p["image"][0]) - 1)

    kinds = {on_border(problem.instance(seed).params) for seed in range(20)}
    assert kinds == {True, False}


@pytest.mark.parametrize("change, param", [
    ({"pixel": [4, 0]}, "pixel"),
    ({"pixel": [0, -1]}, "pixel"),
    ({"pixel": [0]}, "pixel"),
    ({"pixel": "centre"}, "pixel"),
    ({"kernel": [[1, 2], [3, 4]]}, "kernel"),
    ({"image": [[1, 2, 3], [1, 2]]}, "image"),
    ({"c_in": 0}, "c_in"),
    ({"c_out": 2.5}, "c_out"),
    ({"bias": "b"}, "bias"),
])
def test_bad_pins_name_the_parameter(problem, change, param):
    with pytest.raises(InvalidParams) as err:
        problem.instance(0, dict(LECTURE, **change))
    assert err.value.param == param and "\n" not in str(err.value)


def test_figures_highlight_the_pixel_and_the_self_weight(problem):
    inst = problem.instance(0, LECTURE)
    image, kernel = problem.figures(inst.params, inst.context)
    assert image.highlight == (0, 1) and image.values == LECTURE["image"]
    assert kernel.highlight == (1, 1) and "W_me" in kernel.caption
