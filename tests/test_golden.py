"""Golden files pin a few variants of every problem: the exercise text (Markdown) and the key.
Regenerate after an intended change with `GRADER_REGEN_GOLDEN=1 pytest tests/test_golden.py`."""
import json
import os
from pathlib import Path

import pytest

from grader import registry
from grader.render import render, to_json

GOLDEN = Path(__file__).parent / "golden"
SEEDS = (1, 2)


def golden_cases():
    return [(pid, seed) for pid in registry.ids() for seed in SEEDS]


@pytest.mark.parametrize("problem_id, seed", golden_cases())
def test_golden(problem_id, seed):
    inst = registry.get(problem_id).instance(seed)
    key = to_json(inst, solution=True)
    key.pop("grader_version")
    produced = {
        f"{problem_id}-{seed}.key.json": json.dumps(key, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        f"{problem_id}-{seed}.md": render(inst, "md"),
    }
    for name, text in produced.items():
        path = GOLDEN / name
        if os.environ.get("GRADER_REGEN_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no golden file {name}: run with GRADER_REGEN_GOLDEN=1"
        assert path.read_text(encoding="utf-8") == text, f"{name} changed"
