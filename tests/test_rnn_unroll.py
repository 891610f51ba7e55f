"""rnn-unroll: states and impulse responses against closed forms, stability, counts, big-O."""
import math
from fractions import Fraction

import pytest

from grader import registry
from grader.errors import InvalidParams
from grader.grading import grade_part

SCALAR = {"activation": "linear", "W": "1/2", "u": 1, "h0": 2, "x": [1, 0, -1], "n_hidden": 128, "n_input": 64}
MATRIX = {"activation": "linear", "W": [[0, 1], ["-1/2", 0]], "u": [1, 0], "h0": [0, 2], "x": [1, 1, 0],
          "n_hidden": 256, "n_input": 100}


@pytest.fixture(scope="module")
def problem():
    return registry.get("rnn-unroll")


def grade(inst, part, answer):
    return grade_part(inst, inst.part(part), answer, {})


def test_scalar_linear_by_hand(problem):
    inst = problem.instance(0, SCALAR)
    # h1 = 1/2*2 + 1 = 2, h2 = 1, h3 = 1/2 - 1 = -1/2
    assert inst.answer("hidden") == "-0.5"
    assert inst.answer("impulse") == ["1", "0.5", "0.25"]
    assert inst.reference("stable") is True
    assert inst.answer("param_count") == str(128 * 128 + 128 * 64 + 128)


@pytest.mark.parametrize("seed", range(30))
def test_linear_states_match_the_closed_form(problem, seed):
    inst = problem.instance(seed, {"activation": "linear"})
    c = inst.context
    np = pytest.importorskip("numpy")
    W = np.array([[float(v) for v in row] for row in c["W_rows"]])
    u, h = np.array([float(v) for v in c["u_vec"]]), np.array([float(v) for v in c["h0_vec"]])
    xs = [float(v) for v in c["xs"]]
    T = len(xs)
    closed = np.linalg.matrix_power(W, T) @ h + sum(np.linalg.matrix_power(W, T - t) @ u * x
                                                   for t, x in enumerate(xs, start=1))
    ref = inst.reference("hidden")
    assert np.allclose(np.atleast_1d(np.array(ref, dtype=float)), closed)
    taps = [np.linalg.matrix_power(W, t) @ u for t in range(T)]
    assert np.allclose(np.array(inst.reference("impulse"), dtype=float).reshape(T, -1), np.array(taps))
    assert inst.reference("stable") == (max(abs(np.linalg.eigvals(W))) < 1)


def test_matrix_rnn_with_complex_eigenvalues(problem):
    inst = problem.instance(0, MATRIX)
    # eigenvalues ±i/√2: |λ| = 0.707 < 1 although the entries' signs alternate
    assert inst.reference("stable") is True
    assert inst.context["rho"] == pytest.approx(1 / math.sqrt(2))
    assert inst.reference("impulse") == [[1, 0], [0, Fraction(-1, 2)], [Fraction(-1, 2), 0]]


def test_tanh_is_applied_every_step(problem):
    inst = problem.instance(0, dict(SCALAR, activation="tanh"))
    h = 2.0
    for x in (1, 0, -1):
        h = math.tanh(0.5 * h + x)
    assert float(inst.reference("hidden")) == pytest.approx(h)
    result = grade(inst, "hidden", f"{h:.3f}")
    assert result.verdict == "correct"
    linear = problem.instance(0, SCALAR).reference("hidden")
    result = grade(inst, "hidden", str(linear))
    assert result.misconception == "no-activation"


@pytest.mark.parametrize("seed", range(40))
def test_tanh_draws_do_not_saturate(problem, seed):
    inst = problem.instance(seed, {"activation": "tanh"})
    assert all(abs(v) <= 2.5 for s in inst.context["steps"] + inst.context["taps"] for v in s["pre"])


@pytest.mark.parametrize("params, part, answer, name", [
    (SCALAR, "hidden", "1", "one-short"),
    (SCALAR, "impulse", ["0", "1", "0.5"], "includes-h0"),
    (SCALAR, "param_count", 3 * (128 * 128 + 128 * 64 + 128), "times-T"),
    (SCALAR, "param_count", 128 * 128 + 128 * 64, "no-bias"),
    (SCALAR, "param_count", 2 * 128 * 128 + 128, "square-input"),
    (dict(SCALAR, W=-2), "stable", True, "sign"),
    (SCALAR, "beam_cost", "O(T^2 k M log M)", "no-stored-states"),
    (SCALAR, "beam_cost", "O(T M log M)", "forgot-k"),
    (SCALAR, "beam_cost_no_state", "O(T k M log M)", "stored-states"),
])
def test_misconceptions_are_named(problem, params, part, answer, name):
    inst = problem.instance(0, params)
    result = grade(inst, part, answer)
    assert result.verdict == "incorrect" and result.misconception == name and result.feedback


def test_entries_below_one_is_not_stability(problem):
    inst = problem.instance(0, dict(MATRIX, W=[["1/2", "3/4"], ["3/4", "1/2"]]))  # eigenvalues 5/4, -1/4
    assert inst.reference("stable") is False
    assert grade(inst, "stable", True).misconception == "entries"
    inst = problem.instance(0, dict(MATRIX, W=[["1/2", "-3/4"], ["3/4", "1/2"]]))  # |λ| = 0.901
    assert inst.reference("stable") is True


def test_beam_costs_accept_equivalent_forms(problem):
    inst = problem.instance(0, SCALAR)
    assert grade(inst, "beam_cost", "T*k*M*log(M) + T*k^2*log(k)").verdict == "correct"
    assert grade(inst, "beam_cost_no_state", "O(T^2 k M log M)").verdict == "correct"
    assert grade(inst, "beam_cost_no_state", "O(T k M log M)").verdict == "incorrect"


def test_both_shapes_and_activations_are_drawn(problem):
    params = [problem.instance(seed).params for seed in range(40)]
    assert {isinstance(p["W"], list) for p in params} == {True, False}
    assert {p["activation"] for p in params} == {"linear", "tanh"}


@pytest.mark.parametrize("change, param", [
    ({"W": 1}, "W"),
    ({"W": -1}, "W"),
    ({"W": [[1, 2, 3]]}, "W"),
    ({"W": "big"}, "W"),
    ({"u": [1, 2]}, "u"),
    ({"u": 0}, "u"),
    ({"h0": [1]}, "h0"),
    ({"x": []}, "x"),
    ({"activation": "relu"}, "activation"),
    ({"n_hidden": 0}, "n_hidden"),
])
def test_bad_pins_name_the_parameter(problem, change, param):
    with pytest.raises(InvalidParams) as err:
        problem.instance(0, dict(SCALAR, **change))
    assert err.value.param == param and "\n" not in str(err.value)


def test_matrix_rnn_needs_vector_input_weights(problem):
    with pytest.raises(InvalidParams) as err:
        problem.instance(0, dict(MATRIX, u=1))
    assert err.value.param == "u"


@pytest.mark.parametrize("W, answer, words", [
    ([["-1/2", 1], ["-1/2", 0]], False, "does not make W unstable"),  # seed 10: stable, one entry is 1
    ([[1, "1/2"], ["-1/2", 0]], False, "does not make W unstable"),
    ([["3/4", "3/4"], ["3/4", "3/4"]], True, "Entries below 1 in magnitude do not make W stable"),
])
def test_entry_wise_stability_feedback_points_the_right_way(problem, W, answer, words):
    inst = problem.instance(1, {"activation": "linear", "W": W, "u": [1, 0], "h0": [0, 1], "x": [1, 0, -1]})
    assert inst.context["stable"] is not answer
    result = grade_part(inst, inst.part("stable"), answer, {})
    assert result.misconception == "entries" and words in result.feedback

