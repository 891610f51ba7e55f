"""The problem contract (SPEC §7) over every registered problem and 50 seeds, and hostile
parameters (SPEC §9) for every parameter of every problem."""
import json
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader import registry
from grader.testing import ALL_FORMATS, check_hostile_params, check_instance, check_pin

SEEDS = 50
BLOCK = 10


@pytest.mark.parametrize("start", range(0, SEEDS, BLOCK))
@pytest.mark.parametrize("problem_id", registry.ids())
def test_contract(problem_id, start):
    problem = registry.get(problem_id)
    violations = []
    for seed in range(start, start + BLOCK):
        violations += check_instance(problem, seed, ALL_FORMATS if seed == start else ("json",))
    assert not violations, "\n".join(map(str, violations[:20]))


@pytest.mark.parametrize("problem_id", registry.ids())
def test_example_is_the_listed_parts(problem_id):
    problem = registry.get(problem_id)
    assert problem.example_parts(), problem_id
    assert [p.id for p in problem.example_parts()] == list(problem.part_ids)


@pytest.mark.parametrize("problem_id", registry.ids())
def test_variants_differ_across_seeds(problem_id):
    problem = registry.get(problem_id)
    fingerprints = {problem.instance(seed).fingerprint() for seed in range(10)}
    assert len(fingerprints) >= 5, f"{problem_id}: only {len(fingerprints)} distinct variants in 10 seeds"


# -- hostile parameters (SPEC §9) -------------------------------------------------------------
LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-2**1100, max_value=2**1100),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from([0, -0.0, 1e308, -1e308, 5e-324, 10**6 + 1, "1/3", "1e9999", "\x1b[2J", "\ud800", ""]),
)
JSON = st.recursive(LEAVES, lambda kids: st.lists(kids, max_size=6) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
                    max_leaves=24)


def near(valid):
    """Values shaped like `valid` with some leaves, lengths or keys changed."""
    if isinstance(valid, list):
        same_shape = st.tuples(*[near(v) for v in valid]).map(list) if valid else st.just([])
        return st.one_of(same_shape, st.lists(near(valid[0]) if valid else LEAVES, max_size=12), JSON)
    if isinstance(valid, dict):
        keys = st.fixed_dictionaries({k: near(v) for k, v in list(valid.items())[:8]})
        return st.one_of(keys, JSON)
    return st.one_of(st.just(valid), LEAVES)


@lru_cache(maxsize=None)
def _valid_params(problem_id):
    return registry.get(problem_id).instance(0).params


@pytest.mark.parametrize("problem_id", registry.ids())
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_any_pinned_value_is_a_one_line_error_or_a_variant(problem_id, data):
    problem = registry.get(problem_id)
    name = data.draw(st.sampled_from([p.name for p in problem.params]), label="parameter")
    value = data.draw(near(_valid_params(problem_id)[name]), label="value")
    assert check_pin(problem, name, value) is None


@pytest.mark.parametrize("problem_id", registry.ids())
def test_extreme_pins_are_one_line_errors_or_variants(problem_id):
    violations = list(check_hostile_params(registry.get(problem_id)))
    assert not violations, "\n".join(map(str, violations[:10]))


@pytest.mark.parametrize("problem_id, pins, named", [
    ("batchnorm-forward", {"batch": [1e308, -1e308, 1e308]}, "batch"),
    ("batchnorm-forward", {"gamma": 1e308}, "gamma"),
    ("diffpool", {"A": [[1e308, 0], [0, 1e308]]}, "A"),
    ("mlp-backprop", {"A": [1e308] * 3}, "A"),
    ("gnn-message-passing", {"features": {}}, "features"),
    ("beam-search", {"vocab": ["x"]}, "vocab"),
    ("beam-search", {"length": 1}, "length"),
])
def test_the_reported_pins_are_one_line_errors_naming_the_parameter(invoke, write_json, problem_id, pins, named):
    path = write_json("answers.json", {"problem": problem_id, "seed": 1, "params": pins, "answers": {}})
    for result in (invoke("check", path), invoke("new", problem_id, "--seed", "1",
                                                  *[f"--param={k}={json.dumps(v)}" for k, v in pins.items()])):
        assert result.exit_code == 2 and "Traceback" not in result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and f"'{named}'" in lines[0], result.stderr
