"""The worked examples printed in the seed documents reproduce exactly, through the CLI."""
import json
from fractions import Fraction
from pathlib import Path

import pytest

from grader import registry

CASES = json.loads((Path(__file__).parent / "data" / "seed_cases.json").read_text())["cases"]
# Expectations about part of a part, keyed as the case file names them.
DERIVED = {"mp_1_row_A": ("mp_1", lambda answer: answer[0])}


def exact(value):
    """A number (JSON number or exact string) as a Fraction, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Fraction(str(value))
    if isinstance(value, str):
        try:
            return Fraction(value.replace("\u2212", "-"))
        except (ValueError, ZeroDivisionError):
            return None
    return None


def assert_same(expected, got, part_type, where):
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{where}: {got!r} != {expected!r}"
        for i, (e, g) in enumerate(zip(expected, got)):
            assert_same(e, g, part_type, f"{where}[{i}]")
        return
    if exact(expected) is not None:
        assert exact(got) == exact(expected), f"{where}: {got!r} != {expected!r}"
        return
    if isinstance(expected, bool):
        assert got is expected, f"{where}: {got!r} != {expected!r}"
        return
    # an expression, a sequence or a big-O: equal under the part's own rule, and as text
    assert part_type.same(expected, got), f"{where}: {got!r} is not {expected!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_seed_case_reproduces(case, invoke, write_json):
    params = write_json("params.json", case["params"])
    result = invoke("new", case["problem"], "--params", params, "--format", "json", "--solution")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    answers = {p["id"]: p["answer"] for p in data["parts"]}
    inst = registry.get(case["problem"]).instance(0, case["params"])
    for key, expected in case["expect"].items():
        pid, pick = DERIVED.get(key, (key, lambda a: a))
        assert pid in answers, f"part {pid} missing from {sorted(answers)}"
        assert_same(expected, pick(answers[pid]), inst.part(pid).type, key)


@pytest.mark.parametrize("case", [c for c in CASES if "misconceptions" in c],
                         ids=[c["name"] for c in CASES if "misconceptions" in c])
def test_seed_printed_mistakes_are_named(case, invoke, write_json):
    inst = registry.get(case["problem"]).instance(0, case["params"])
    for pid, wrongs in case["misconceptions"].items():
        for wrong in wrongs:
            submission = {"problem": case["problem"], "seed": 0, "params": case["params"], "answers": {pid: wrong}}
            result = json.loads(invoke("check", write_json("a.json", submission), "--json").stdout)
            part = next(p for p in result["parts"] if p["id"] == pid)
            assert part["verdict"] == "incorrect", (pid, wrong, part)
            assert part.get("misconception"), (pid, wrong, part)
            assert inst.part(pid).misconceptions
