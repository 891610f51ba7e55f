"""The practice history: attempts in a versioned SQLite database; unusable databases are one-line
errors that leave the file untouched; `grader progress` prints the history."""
import json
import sqlite3

import pytest

from grader.progress import SCHEMA_VERSION, Progress, ProgressError


def result(problem="batchnorm-forward", seed=3, parts=(("mean", "correct", 1, None),
                                                        ("variance", "incorrect", 0, "unbiased-variance"))):
    rows = [{"id": pid, "verdict": v, "score": s, "max_score": 1, "feedback": "f", **({"misconception": m} if m else {})}
            for pid, v, s, m in parts]
    return {"problem": problem, "seed": seed, "score": sum(r["score"] for r in rows), "max_score": len(rows),
            "parts": rows}


def test_attempts_are_kept_per_variant(data_dir):
    store = Progress()
    assert store.path == data_dir / "progress.sqlite3"
    store.record(result(), {"mean": "9", "variance": "10.8"})
    store.record(result(parts=(("mean", "correct", 1, None), ("variance", "correct", 1, None))), {"mean": "9", "variance": "9"})
    store.record(result(seed=4), {"mean": "1"})
    attempts = store.attempts("batchnorm-forward", 3)
    assert [a["answers"]["variance"] for a in attempts] == ["10.8", "9"]
    assert attempts[0]["parts"][1] == {"id": "variance", "verdict": "incorrect", "score": 0, "max_score": 1,
                                       "feedback": "f", "misconception": "unbiased-variance"}
    assert store.last_seed("batchnorm-forward") == 4
    assert store.last_seed("beam-search") is None
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_summary_and_suggestions_put_the_latest_mistake_first():
    store = Progress()
    store.record(result("beam-search", parts=(("greedy", "incorrect", 0, "greedy-decoding"),)), {})
    store.record(result(), {})
    store.record(result("ridge-regression", parts=(("x", "correct", 1, None),)), {})
    summary = {row["problem"]: row for row in store.summary()}
    bn = summary["batchnorm-forward"]
    assert (bn["variants"], bn["attempts"], bn["best_score"], bn["last_score"]) == (1, 1, 0.5, 0.5)
    assert bn["misconceptions"] == {"unbiased-variance": 1}
    assert summary["ridge-regression"]["misconceptions"] == {}
    assert store.suggestions() == ["batchnorm-forward", "beam-search"]


def test_a_corrupt_database_is_an_error_and_is_left_untouched(data_dir):
    data_dir.mkdir()
    path = data_dir / "progress.sqlite3"
    garbage = b"this is not sqlite\x00" * 100
    path.write_bytes(garbage)
    with pytest.raises(ProgressError, match="not a readable progress database"):
        Progress().summary()
    with pytest.raises(ProgressError):
        Progress().record(result(), {})
    assert path.read_bytes() == garbage


def test_a_foreign_or_newer_database_is_refused(data_dir):
    data_dir.mkdir()
    with sqlite3.connect(data_dir / "progress.sqlite3") as conn:
        conn.execute("CREATE TABLE other (x)")
    with pytest.raises(ProgressError, match="not a grader progress database"):
        Progress().check()
    newer = data_dir / "newer.sqlite3"
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ProgressError, match="newer grader"):
        Progress(newer).check()


def test_a_locked_database_is_an_error_and_loses_nothing(monkeypatch):
    monkeypatch.setattr("grader.progress.BUSY_SECONDS", 0.05)
    store = Progress()
    store.record(result(), {"mean": "9"})
    holder = sqlite3.connect(store.path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ProgressError, match="locked"):
            store.record(result(), {"mean": "8"})
    finally:
        holder.rollback()
        holder.close()
    assert [a["answers"] for a in store.attempts("batchnorm-forward", 3)] == [{"mean": "9"}]


def test_progress_command_prints_the_history(invoke):
    empty = invoke("progress")
    assert empty.exit_code == 0 and "No practice yet" in empty.output
    assert json.loads(invoke("progress", "--json").output) == []
    Progress().record(result(), {})
    table = invoke("progress")
    assert table.exit_code == 0
    assert "batchnorm-forward" in table.output and "unbiased-variance ×1" in table.output and "50%" in table.output
    [row] = json.loads(invoke("progress", "--json").output)
    assert row["problem"] == "batchnorm-forward" and row["attempts"] == 1 and row["variants"] == 1
    assert row["best_score"] == 0.5 and row["misconceptions"] == {"unbiased-variance": 1}
    assert row["last_at"].endswith("Z")


def test_progress_command_on_a_corrupt_database_is_one_line(invoke, data_dir):
    data_dir.mkdir()
    (data_dir / "progress.sqlite3").write_bytes(b"\x00garbage" * 64)
    out = invoke("progress")
    assert out.exit_code == 2
    assert out.output.startswith("Error: progress database") and out.output.count("\n") == 1
    assert "Traceback" not in out.output
