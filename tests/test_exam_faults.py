"""`exam grade` under faults (SPEC §9): killed at any moment it resumes to the same bytes, its
workers die with it, a second run on the same RESULTS is refused, a full disk is one line, and
hostile text (lone surrogates, escapes, NUL) crashes nothing and reaches nobody raw."""
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from test_exam_build import SECRET, tree, write_exam

EXAM = 'id = "midterm-1"\ntitle = "Midterm 1"\n[[problem]]\nid = "batchnorm-forward"\npoints = 10\n'


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"GRADER_SECRET": SECRET}, catch_exceptions=False)


@pytest.fixture(scope="module")
def exam(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    exam_file, roster = write_exam(folder, EXAM, students=16)
    assert invoke("exam", "build", exam_file, "--roster", roster, "--out", folder / "exam", "--no-pdf").exit_code == 0
    key = json.loads((folder / "exam/staff/key.json").read_text())
    subs = folder / "subs"
    subs.mkdir()
    for n, (sid, entries) in enumerate(key["students"].items()):
        answers = {p["id"]: p["answer"] for p in entries[0]["parts"]}
        if n % 3 == 0:
            answers["mean"] = "1\ud800"  # a lone surrogate, as a JSON escape
        if n % 4 == 0:
            answers["variance"] = "\u001b]0;TITLE\u0007\u001b[2J<b>9</b>\u0000"
        doc = {"student": sid, "exam": "midterm-1", "problems": [{"problem": "batchnorm-forward", "answers": answers}]}
        (subs / f"{sid}.json").write_text(json.dumps(doc), encoding="utf-8")
    (subs / "evil\x1b[2J\x07.json").write_text("{not json", encoding="utf-8")
    (subs / "ghost.json").write_text(json.dumps({"student": "\udfff\u001b[31m", "problems": [
        {"problem": "batchnorm-forward", "answers": {}}]}), encoding="utf-8")
    return folder


def outputs(results: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree(results).items() if k != ".lock"}


@pytest.fixture(scope="module")
def reference(exam):
    result = invoke("exam", "grade", exam / "exam", exam / "subs", "--out", exam / "reference", "--jobs", "2")
    assert result.exit_code == 0, result.output
    return result


def test_hostile_text_crashes_nothing_and_reaches_nobody_raw(exam, reference):
    results = exam / "reference"
    assert "\x1b" not in reference.output and "\\x1b" in reference.output
    assert "ghost.json" in reference.output and "evil\\x1b[2J\\x07.json" in reference.output
    for path in results.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"\x1b" not in data and b"\x00" not in data and b"\x07" not in data, path
            data.decode("utf-8")
    md = (results / "feedback/s04.md").read_text()  # n = 3: the surrogate answer
    assert "`1\ufffd`" in md
    assert "every statistic below is rough" in (results / "report.html").read_text()  # n = 16
    html = (results / "feedback/s01.html").read_text()
    assert "<b>9</b>" not in html and "&lt;b&gt;9&lt;/b&gt;" in html


def _children(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == parent and int(stat.parent.name) not in found:
                found.add(int(stat.parent.name))
                todo.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killed_at_any_moment_resumes_to_the_same_bytes(exam, reference):
    """kill -9 mid-grading (after the first results are kept) and in the write phase; the workers
    die with the run; each rerun ends byte-identical to the uninterrupted run."""
    results = exam / "killed"
    env = dict(os.environ, GRADER_SECRET=SECRET, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    command = [sys.executable, "-m", "grader", "exam", "grade", str(exam / "exam"), str(exam / "subs"),
               "--out", str(results), "--jobs", "2"]
    moments = [lambda: len(list((results / ".cache").glob("*.json"))) >= 2 if (results / ".cache").is_dir() else False,
               lambda: (results / ".stage").is_dir()]
    killed_mid_run = 0
    for moment in moments:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while proc.poll() is None and not moment() and time.monotonic() < deadline:
            time.sleep(0.005)
        workers = _children(proc.pid)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_mid_run += 1
        proc.wait()
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if _alive(w)], "workers outlived the killed run"
    assert killed_mid_run >= 1
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert outputs(results) == outputs(exam / "reference")


def test_a_second_run_on_the_same_results_is_refused(exam, reference, tmp_path):
    import shutil

    results = tmp_path / "r"
    shutil.copytree(exam / "reference", results)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'w'); "
                               "fcntl.lockf(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
                               str(results / ".lock")], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = invoke("exam", "grade", exam / "exam", exam / "subs", "--out", results)
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "another `grader exam grade` is writing these results" in result.output
    assert invoke("exam", "grade", exam / "exam", exam / "subs", "--out", results).exit_code == 0


def test_a_full_disk_is_one_line_and_a_rerun_resumes(exam, reference, tmp_path, monkeypatch):
    from grader.exam import files

    results = tmp_path / "r"
    real = files.write_atomic
    calls = []

    def full(path, data, mode=None):
        calls.append(path)
        if len(calls) > 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data, mode)

    monkeypatch.setattr(files, "write_atomic", full)
    result = invoke("exam", "grade", exam / "exam", exam / "subs", "--out", results, "--jobs", "1")
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "no space left on the device" in result.output and str(results / ".cache") in result.output
    assert len(list((results / ".cache").glob("*.json"))) == 5  # finished work is kept
    monkeypatch.setattr(files, "write_atomic", real)
    again = invoke("exam", "grade", exam / "exam", exam / "subs", "--out", results, "--jobs", "1")
    assert again.exit_code == 0 and "reused 5 result(s)" in again.output
    assert outputs(results) == outputs(exam / "reference")
