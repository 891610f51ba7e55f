"""Variety (SPEC §7): `grader selftest --stats` thresholds every problem declares, over 300 seeds."""
import pytest

from grader import registry
from grader.problem import Variety
from grader.testing import variety_stats

SEEDS = 300


@pytest.mark.parametrize("problem_id", registry.ids())
def test_variety_thresholds(problem_id):
    stats = variety_stats(registry.get(problem_id), SEEDS)
    assert stats.ok, "\n".join(stats.failures)


class _Fixed:
    """A stand-in problem whose every seed gives the same variant."""

    id = "fixed"
    variety = Variety()

    def __init__(self, inst):
        self.inst = inst

    def instance(self, seed):
        return self.inst

    def measures(self, p, ctx):
        return {}


def test_thresholds_catch_a_repeated_answer_and_variant():
    inst = registry.get("batchnorm-forward").instance(1)
    stats = variety_stats(_Fixed(inst), 20)
    assert not stats.ok
    assert any("1 distinct variants in 20 seeds" in f for f in stats.failures)
    assert any(f.startswith("number mean:") for f in stats.failures)
    rows = {r.part: r for r in stats.parts}
    assert rows["mean"].distinct == 1 and rows["mean"].share == 1


def test_uniform_booleans_are_caught():
    inst = registry.get("concepts").instance(1, {"topic": "autoencoders", "count": 3, "explain": 0,
                                                  "items": ["ae-decoder", "ae-worse-than-raw", "ae-different-data"]})
    stats = variety_stats(_Fixed(inst), 5)
    assert any("every boolean answer is the same" in f for f in stats.failures)


def test_stats_command(invoke):
    result = invoke("selftest", "--stats", "--seeds", 40, "batchnorm-backward", "ridge-regression")
    assert result.exit_code == 0, result.stdout
    for word in ("batchnorm-backward", "distinct variants", "grad_x", "share", "fixed", "singular"):
        assert word in result.stdout


def test_stats_command_fails_on_a_threshold(invoke):
    result = invoke("selftest", "--stats", "--seeds", 2, "batchnorm-forward")  # 2 seeds: every share ≥ 1/2
    assert result.exit_code == 1
    assert "✗" in result.stdout


def test_stats_command_errors(invoke):
    result = invoke("selftest", "--stats", "no-such-problem")
    assert result.exit_code == 2 and "Error:" in result.stderr and "Traceback" not in result.stderr


def test_a_problem_that_fails_to_generate_is_reported(invoke, tmp_path, kept_registry):
    folder = tmp_path / "broken"
    (folder / "templates").mkdir(parents=True)
    (folder / "boom.py").write_text(
        "from grader.answers.numbers import Number\n"
        "from grader.params import Param, integer\n"
        "from grader.problem import Part, Problem\n"
        "from grader.registry import register\n\n\n"
        "@register\nclass Boom(Problem):\n"
        "    id = 'course-boom'\n    title = 'Boom'\n    topic = 't'\n"
        "    params = (Param('n', 'integer', 'n', check=integer(0, 9)),)\n"
        "    def draw(self, rng, p):\n        return {'n': int(rng.integers(0, 10))}\n"
        "    def solve(self, p):\n        return {'q': 1 / p['n']}\n"
        "    def parts(self, p):\n        return [Part('q', Number())]\n")
    result = invoke("--problems-dir", folder, "selftest", "--stats", "--seeds", 30, folder / "boom.py")
    assert result.exit_code == 1
    assert "generate seed" in result.stdout and "ZeroDivisionError" in result.stdout
