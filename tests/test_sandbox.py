"""The sandbox: time and memory budgets enforced in a reused worker, also from pool workers."""
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from grader.answers.base import AnswerType, Outcome
from grader.answers.expressions import Expression
from grader.answers.sandbox import grade, guarded_grade

X = Expression(variables=("x",))


@dataclass(frozen=True)
class Hostile(AnswerType):
    """Misbehaves on request: loops, allocates, crashes."""

    name = "hostile"

    def grade(self, raw, ref):
        if raw == "loop":
            while True:
                pass
        if raw == "memory":
            hog = [bytearray(1 << 20) for _ in range(4096)]
            return Outcome.correct(str(len(hog)))
        if raw == "crash":
            raise ZeroDivisionError
        if raw.startswith("sleep "):
            time.sleep(float(raw.split()[1]))
            return Outcome.correct("slept")
        if raw == "exit":
            import os

            os._exit(3)
        return Outcome.correct("fine")


def test_grades_like_a_direct_call():
    assert guarded_grade(X, "x^2 - 1", "(x-1)(x+1)") == X.grade("x^2 - 1", "(x-1)(x+1)")
    assert guarded_grade(X, "x +", "x").verdict == "invalid"


def test_time_budget_then_recovers():
    out = guarded_grade(Hostile(), "loop", None, seconds=0.5)
    assert out.verdict == "manual" and "longer than 0.5 s" in out.feedback
    assert guarded_grade(Hostile(), "ok", None).verdict == "correct"


def test_memory_budget_then_recovers():
    out = guarded_grade(Hostile(), "memory", None, memory=256 << 20, seconds=5)
    assert out.verdict == "manual" and "memory" in out.feedback
    assert guarded_grade(Hostile(), "ok", None, memory=256 << 20).verdict == "correct"


def test_crashes_are_manual_not_fatal():
    assert guarded_grade(Hostile(), "crash", None).verdict == "manual"
    assert guarded_grade(Hostile(), "exit", None).verdict == "manual"
    assert guarded_grade(Hostile(), "ok", None).verdict == "correct"


def test_worker_is_reused_and_fast():
    guarded_grade(X, "x", "x")
    start = time.perf_counter()
    for i in range(200):
        guarded_grade(X, f"x + {i}", "x")
    assert time.perf_counter() - start < 5


def test_cheap_types_run_in_process():
    assert grade(Hostile(), "ok", None).feedback == "fine"


def _in_pool(raw):
    return guarded_grade(Hostile(), raw, None, seconds=0.5).verdict


def test_works_inside_a_process_pool_worker():
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(_in_pool, ["ok", "loop", "ok"])) == ["correct", "manual", "correct"]


def test_a_batch_is_one_round_trip_with_a_budget_per_answer():
    from grader.answers.sandbox import guarded_grade_many
    from grader.errors import AnswerParseError, GraderError

    items = [(Hostile(), "ok", None), (Hostile(), "loop", None), (X, "x^2", "x*x"),
             (Hostile(), "exit", None), (X, "x +", "x"), (X, "x", "x +"), (Hostile(), "ok", None)]
    start = time.perf_counter()
    out = guarded_grade_many(items, seconds=0.5)
    assert time.perf_counter() - start < 3
    assert [getattr(o, "verdict", None) for o in out] == ["correct", "manual", "correct", "manual",
                                                           "invalid", None, "correct"]
    assert "longer than 0.5 s" in out[1].feedback
    assert isinstance(out[5], AnswerParseError) and not isinstance(out[4], GraderError)


def test_libraries_load_before_the_clock_starts():
    """A first big-O answer is not charged for importing SymPy in a fresh worker."""
    from grader.answers import sandbox
    from grader.answers.bigo import BigO

    sandbox._retire()
    out = guarded_grade(BigO(variables=("n",)), "O(n log n)", "O(n*log(n))", seconds=0.3)
    assert out.verdict == "correct", out


def test_a_cpu_bound_answer_stops_at_its_cpu_budget(monkeypatch):
    from grader.answers import sandbox

    seen = []
    real = sandbox._cpu_seconds
    monkeypatch.setattr(sandbox, "_cpu_seconds", lambda pid: seen.append(real(pid)) or seen[-1])
    out = guarded_grade(Hostile(), "loop", None, seconds=0.3)
    assert out.verdict == "manual" and "longer than 0.3 s" in out.feedback
    assert seen[-1] >= 0.3  # stopped once the worker had spent its budget in CPU time


def test_the_budget_is_not_spent_while_the_worker_waits():
    """A worker that is not running (sleeping here; descheduled on a loaded machine) keeps its
    budget, up to the wall-clock backstop."""
    assert guarded_grade(Hostile(), "sleep 0.8", None, seconds=0.2).verdict == "correct"
    out = guarded_grade(Hostile(), "sleep 30", None, seconds=0.1)
    assert out.verdict == "manual" and "longer than 0.1 s" in out.feedback
    assert guarded_grade(Hostile(), "ok", None).verdict == "correct"


def test_without_proc_the_budget_is_wall_clock(monkeypatch):
    from grader.answers import sandbox

    monkeypatch.setattr(sandbox, "_cpu_seconds", lambda pid: None)
    assert guarded_grade(Hostile(), "sleep 0.8", None, seconds=0.2).verdict == "manual"
    assert guarded_grade(Hostile(), "ok", None).verdict == "correct"


def test_a_worker_forked_from_a_thread_outlives_the_thread_and_dies_with_its_process():
    """PR_SET_PDEATHSIG follows the forking thread: a worker started from a short-lived thread
    must keep serving after that thread ends, and still end when its process does."""
    import os
    import signal
    import threading
    import time

    from grader.answers import sandbox
    from grader.answers.numbers import Number

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # a process whose sandbox worker is forked from a thread that then ends
        try:
            os.close(r)
            t = threading.Thread(target=lambda: sandbox.guarded_grade(Number(), "sqrt(4)", 2))
            t.start()
            t.join()
            time.sleep(0.5)
            outcome = sandbox.guarded_grade(Number(), "sqrt(9)", 3)
            os.write(w, f"{outcome.verdict} {sandbox._worker.pid}\n".encode())
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(w)
    line = os.read(r, 100).decode().split()
    assert line[0] == "correct"
    worker = int(line[1])
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    for _ in range(50):
        if not alive(worker):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the sandbox worker outlived its process")


def test_a_closed_form_number_loads_its_libraries_before_the_clock_starts():
    """In a process that has not imported SymPy, a fresh worker's first closed-form number is not
    charged for importing it (the run's verdicts must not depend on how loaded the machine is)."""
    import subprocess
    import sys

    code = ("import sys; from grader.answers.numbers import Number; from grader.answers.sandbox import guarded_grade;"
            "assert 'sympy' not in sys.modules; print(guarded_grade(Number(), '2^10', 1024, seconds=0.5).verdict)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "correct", done.stdout + done.stderr
