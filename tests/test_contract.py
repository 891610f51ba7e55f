"""The problem contract (SPEC §7) over every registered problem and 50 seeds."""
import pytest

from grader import registry
from grader.testing import ALL_FORMATS, check_instance

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
