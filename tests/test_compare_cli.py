"""`grader compare`: one answer or a JSON-lines batch, exit 0 whatever the verdict."""
import json

import pytest
from click.testing import CliRunner

from grader.cli import cli

MLP = ["--var", "y_pred", "--var", "y_true", "--var", "C_i", "--var", "z_i", "--func", "sigma"]


def run(*args):
    return CliRunner().invoke(cli, ["compare", *args])


@pytest.mark.parametrize("args,verdict", [
    (["expression", "2*(y_pred - y_true)*C_i*sigma'(z_i)", "2 C_i (y_pred-y_true) σ'(z_i)", *MLP], "correct"),
    (["expression", "2*(y_pred - y_true)*C_i*sigma'(z_i)", "(y_pred-y_true) C_i σ'(z_i)", *MLP], "incorrect"),
    (["expression", "x+1", "x+", "--var", "x"], "invalid"),
    (["expression", "x+1", "q", "--var", "x"], "invalid"),
    (["bigo", "O(T k M log M)", "O(TkM log M + T k^2 log k)", "--var", "T", "--var", "k", "--var", "M",
      "--assume", "M >= k"], "correct"),
    (["bigo", "O(T k M log M)", "O(T k M)", "--var", "T", "--var", "k", "--var", "M"], "incorrect"),
    (["matrix-expression", "(A^T A + lambda I)^(-1) A^T b", "A^T (A A^T + lambda I)^(-1) b",
      "--shape", "A=nxd", "--shape", "b=nx1"], "correct"),
    (["matrix-expression", "(A^T A + lambda I)^(-1) A^T b", "(A A^T + lambda I)^(-1) A^T b",
      "--shape", "A=nxd", "--shape", "b=nx1"], "incorrect"),
])
def test_single(args, verdict):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {"verdict", "score", "feedback"} <= set(out) <= {"verdict", "score", "feedback", "read_as"}
    assert out["verdict"] == verdict
    shown = ("number", "expression", "bigo", "matrix-expression")
    assert ("read_as" in out) == (verdict not in ("invalid", "unanswered") and args[0] in shown)


def test_plain_output():
    result = run("expression", "x^2", "x*x", "--var", "x")
    assert result.exit_code == 0
    assert result.output.startswith("correct  1  ")


@pytest.mark.parametrize("args,fragment", [
    (["nosuchtype", "1", "1"], "unknown answer type"),
    (["expression", "x +", "x", "--var", "x"], "reference cannot be read"),
    (["expression", "x"], "TYPE REFERENCE ANSWER"),
    (["matrix-expression", "A", "A", "--shape", "A=3"], "NAME=ROWSxCOLS"),
    (["bigo", "O(n)", "O(n)", "--var", "n", "--assume", "n >= q"], "assumption"),
    (["boolean", "true", "true", "--var", "x"], "does not take"),
])
def test_usage_errors_exit_2(args, fragment):
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and fragment in result.output
    assert "Traceback" not in result.output


def test_batch(tmp_path):
    lines = [
        {"type": "expression", "reference": "x^2-1", "answer": "(x-1)(x+1)", "vars": ["x"], "funcs": [], "expected": True},
        "not json",
        {"type": "expression", "reference": "x", "answer": "y", "vars": ["x"]},
        {"type": "bigo", "reference": "O(T k M log M)", "answer": "O(TkM\\log M)", "vars": ["T", "k", "M"], "assume": ["M >= k"]},
        [1, 2],
        {"type": "expression", "reference": "x"},
        {"type": "wat", "reference": "x", "answer": "x"},
        {"type": "expression", "reference": "x", "answer": "x", "vars": ["x"], "bogus_option": 1},
        {"type": "expression", "reference": "sigma'(z)", "answer": "σ'(z)", "vars": ["z"], "funcs": ["sigma"]},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n\n")
    result = run("--batch", str(path), "--json")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["verdict"] for o in out] == ["correct", "invalid", "invalid", "correct", "invalid", "invalid",
                                           "invalid", "invalid", "correct"]
    assert out[1]["feedback"].startswith("line 2:")
    assert "missing field" in out[5]["feedback"]
    plain = run("--batch", str(path))
    assert plain.exit_code == 0 and len(plain.output.splitlines()) == len(lines)


def test_batch_binary_file(tmp_path):
    path = tmp_path / "bin.jsonl"
    path.write_bytes(b"\xff\xfe\x00garbage\n" + json.dumps({"type": "expression", "reference": "1", "answer": "1"}).encode())
    out = [json.loads(x) for x in run("--batch", str(path), "--json").output.splitlines()]
    assert [o["verdict"] for o in out] == ["invalid", "correct"]


def test_stack_corpus_as_batch():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "stack_algequiv.jsonl"
    if not path.exists():
        pytest.skip(f"{path} missing: corpus batch NOT run")
    result = run("--batch", str(path), "--json")
    assert result.exit_code == 0
    verdicts = [json.loads(x)["verdict"] for x in result.output.splitlines()]
    assert len(verdicts) == 77
