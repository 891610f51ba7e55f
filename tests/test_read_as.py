"""`read_as` (SPEC §2): what an answer was read as, in `check` and `compare`, terminal and JSON."""
import json

from grader.cli import cli

MLP_ANSWERS = {"dsigma": "σ(z)(1−σ(z))", "dL_dd": r"2\left(y_{pred}-y_{true}\right)", "dL_dC_i": "y +", "dL_db_i": None}


def test_check_json_carries_read_as(invoke, write_json):
    path = write_json("a.json", {"problem": "mlp-backprop", "seed": 1, "answers": MLP_ANSWERS})
    parts = {p["id"]: p for p in json.loads(invoke("check", path, "--json").stdout)["parts"]}
    assert parts["dsigma"]["read_as"] == {"text": "σ(z)·(1 − σ(z))",
                                          "latex": r"\sigma\left(z\right) \left(1 - \sigma\left(z\right)\right)"}
    assert parts["dL_dd"]["read_as"]["text"] == "2(y_pred − y_true)"
    assert "read_as" not in parts["dL_dC_i"] and parts["dL_dC_i"]["verdict"] == "invalid"
    assert "read_as" not in parts["dL_db_i"] and parts["dL_db_i"]["verdict"] == "unanswered"


def test_check_table_shows_read_as_under_the_verdict(invoke, write_json):
    path = write_json("a.json", {"problem": "mlp-backprop", "seed": 1, "answers": MLP_ANSWERS})
    lines = invoke("check", path, env={"COLUMNS": "160"}).stdout.splitlines()
    row = next(i for i, line in enumerate(lines) if "dsigma" in line)
    assert "correct" in lines[row] and "read as σ(z)·(1 − σ(z))" in lines[row + 1]
    assert sum("read as" in line for line in lines) == 2


def test_compare_shows_read_as(runner):
    result = runner.invoke(cli, ["compare", "expression", "9*pi/4", r"\frac94\pi"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["correct  1  Correct.", "read as 9π/4"]
    out = json.loads(runner.invoke(cli, ["compare", "expression", "94/pi", r"\frac94\pi", "--json"]).stdout)
    assert out["verdict"] == "incorrect" and out["read_as"] == {"text": "9π/4", "latex": r"\frac{9 \pi}{4}"}


def test_compare_batch_shows_read_as(runner, tmp_path):
    path = tmp_path / "b.jsonl"
    rows = [{"type": "bigo", "reference": "O(T k M log M)", "answer": "O(TKM log M)", "vars": ["T", "k", "M"]},
            {"type": "expression", "reference": "x", "answer": "x +", "vars": ["x"]}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    plain = runner.invoke(cli, ["compare", "--batch", str(path)]).stdout.splitlines()
    assert plain[0].startswith("correct  1  (read as O(T k M log M)) Correct.") and "K was read as k" in plain[0]
    assert "read as" not in plain[1]
    out = [json.loads(x) for x in runner.invoke(cli, ["compare", "--batch", str(path), "--json"]).stdout.splitlines()]
    assert out[0]["read_as"]["latex"] == r"O\left(T k M \log M\right)" and "read_as" not in out[1]
