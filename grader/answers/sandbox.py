"""Grading under a time and memory budget, in a reusable forked worker process.

The worker is forked once per process and reused for every answer; answers travel in batches
(one request, one reply per answer as soon as it is graded), so a class's answers cost one
round trip, not one each, and the parent sleeps while up to GATHER_SECONDS of them pile up
rather than waking for each (a wake-up costs CPU), while every answer keeps its own time budget: an answer that runs
past it (even inside C code) gets the worker killed, and the rest of the batch goes to a fresh
one. A budget counts the worker's CPU time (read from /proc while waiting, from the moment the
worker starts the answer), so it means the same on an idle and on a loaded machine; a wall-clock
cap of WALL_FACTOR budgets backs it up, and where /proc is missing the budget is wall-clock.
Before a batch's clock starts the worker imports what its answer types need (SymPy for
big-O), so a first answer is not charged for loading libraries. The worker caps its own
address space, so an answer that would exhaust memory fails there with MemoryError instead of
taking the machine down. Plain `os.fork` is used (not `multiprocessing`), so this also works
inside daemonic pool workers.
"""
from __future__ import annotations

import importlib
import os
import pickle
import resource
import select
import signal
import struct
import threading
import time
from typing import Any

from grader.answers.base import Outcome
from grader.errors import AnswerParseError, GraderError

DEFAULT_SECONDS = 2.0
DEFAULT_MEMORY = 1 << 30
READY_SECONDS = 120.0  # for the worker to import what a batch needs (never the answers' time)
WALL_FACTOR = 10  # wall-clock backstop, in budgets: a worker that sleeps or waits still ends
POLL_SECONDS = 0.05
GATHER_SECONDS = 0.05  # at most, replies of a batch gathered per wake-up of the parent (a wake-up
# costs as much CPU as grading a few answers on a virtual machine)
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_CORES = os.cpu_count() or 1024  # CPU time grows at most this much faster than wall time
_HEADER = struct.Struct("!Q")


def _write(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of process `pid`, or None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, ValueError, IndexError):
        return None


class _Budget:
    """One answer's time budget: the worker's CPU seconds since `cpu_start` (its own clock, sent
    with the previous reply at `sent`, a monotonic time), capped at WALL_FACTOR budgets of wall
    clock; wall clock alone where /proc is missing. /proc is read only once the time since `sent`
    could have let the worker spend the budget on every core (CPU time grows no faster)."""

    def __init__(self, pid: int, seconds: float, cpu_start: float, sent: float):
        self.pid, self.seconds, self.cpu_start, self.sent = pid, seconds, cpu_start, sent
        self.wall_start = time.monotonic()

    def left(self) -> float:
        """Seconds of budget left (at most, so the wait before the next look is never too long)."""
        now = time.monotonic()
        wall = now - self.wall_start
        spent = (now - self.sent) * _CORES  # at least what the worker has spent, either way
        if spent >= self.seconds:
            cpu = _cpu_seconds(self.pid)
            spent = wall if cpu is None else max(cpu - self.cpu_start, 0.0)
        return min(self.seconds - spent, WALL_FACTOR * self.seconds - wall)


class _Reader:
    """Messages from a pipe, read in large chunks: replies that arrived together cost one read."""

    TIMEOUT = object()

    def __init__(self, fd: int):
        self.fd, self.buffer, self.start = fd, bytearray(), 0  # messages before `start` are read

    def take(self):
        """The next message if it has arrived whole, else None."""
        buffer, start = self.buffer, self.start
        if len(buffer) - start < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(buffer, start)
        end = start + _HEADER.size + size
        if len(buffer) < end:
            return None
        message = pickle.loads(buffer[start + _HEADER.size:end])
        if end == len(buffer):
            buffer.clear()
            end = 0
        self.start = end
        return message

    def next(self, seconds: float):
        """The next message, or TIMEOUT when none is complete within `seconds` (the pipe is
        looked at once even when `seconds` is 0); EOFError when the writer is gone."""
        deadline = time.monotonic() + seconds
        while True:
            message = self.take()
            if message is not None:
                return message
            remaining = max(deadline - time.monotonic(), 0.0)
            if not select.select([self.fd], [], [], remaining)[0]:
                return self.TIMEOUT
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise EOFError
            if self.start:
                del self.buffer[:self.start]
                self.start = 0
            self.buffer += chunk

    def within(self, budget: _Budget, gather: float = 0.0):
        """The next message, or TIMEOUT once `budget` is spent, looking at it every POLL_SECONDS.
        With `gather` (seconds in which more replies are due), a wait first lets them pile up,
        so that they cost one wake-up and one read, not one each."""
        while True:
            message = self.take()  # a reply already here costs no look at the clock
            if message is not None:
                return message
            left = budget.left()
            if left <= 0:
                return self.next(0)  # a reply that arrived as the budget ran out still counts
            if gather > 0:
                time.sleep(min(left, gather))
                gather = 0.0
            message = self.next(min(left, POLL_SECONDS))
            if message is not self.TIMEOUT:
                return message


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _die_with_parent(signal_too: bool = True) -> None:
    """End this (forked) process when its parent process ends: a watching thread checks every
    0.2 s, and with `signal_too` PR_SET_PDEATHSIG ends it at once. The signal follows the
    parent's *thread* that forked, not its process, so a child forked from a short-lived thread
    must not ask for it."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
    if not signal_too:
        return
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _grade_one(atype, raw, ref) -> tuple:
    """A reply: ("ok", outcome as a plain tuple, cheap to pickle), ("value", v) for a task whose
    `grade` returns something else (a preview), ("parse", ...) or ("error", ...)."""
    try:
        o = atype.grade(raw, ref)
    except MemoryError:
        o = Outcome.manual("Grading this answer needed more memory than its budget; left for a "
                           "person to check.")
    except AnswerParseError as exc:
        return ("parse", (exc.message, exc.text, exc.position))
    except GraderError as exc:
        return ("error", str(exc))
    except Exception as exc:  # a bug while grading must not kill the batch
        o = Outcome.manual(f"Could not grade this answer ({type(exc).__name__}); left for a person "
                           "to check.")
    if not isinstance(o, Outcome):
        return ("value", o)
    return ("ok", (o.score, o.verdict, o.feedback, o.read_as))


def _serve(requests: int, replies: int, memory: int, from_main_thread: bool) -> None:
    """The worker loop: read a batch of (answer type, raw, reference), import what the types
    need, say it is ready, then reply with an outcome or an error per answer. Each message
    ends with the worker's CPU time and the monotonic time when it was sent, where the next
    answer's budget starts."""
    _die_with_parent(signal_too=from_main_thread)
    limit = _address_space() + memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            request = _read_exact(requests, _HEADER.unpack(_read_exact(requests, _HEADER.size))[0])
        except EOFError:
            return
        batch = pickle.loads(request)
        for module in sorted({m for atype, _, _ in batch for m in getattr(atype, "needs", ())}):
            importlib.import_module(module)
        _write(replies, ("ready", None, time.process_time(), time.monotonic()))
        for atype, raw, ref in batch:
            _write(replies, (*_grade_one(atype, raw, ref), time.process_time(), time.monotonic()))


class _Worker:
    def __init__(self, memory: int):
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        from_main_thread = threading.current_thread() is threading.main_thread()
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                os.close(req_w)
                os.close(rep_r)
                _serve(req_r, rep_w, memory, from_main_thread)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(req_r)
        os.close(rep_w)
        self.pid, self.requests, self.replies = pid, req_w, _Reader(rep_r)
        self.owner, self.memory = os.getpid(), memory

    def stop(self) -> None:
        for fd in (self.requests, self.replies.fd):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


_lock = threading.Lock()
_worker: _Worker | None = None


def _current(memory: int) -> _Worker:
    global _worker
    if _worker is not None and _worker.owner != os.getpid():
        _worker = None  # inherited through a fork: it belongs to the parent
    if _worker is not None and _worker.memory != memory:
        _worker.stop()
        _worker = None
    if _worker is None:
        _worker = _Worker(memory)
    return _worker


def _retire() -> None:
    global _worker
    if _worker is not None:
        _worker.stop()
        _worker = None


def _unpack(reply: tuple):
    kind, value = reply[0], reply[1]
    if kind == "parse":
        return AnswerParseError(*value)
    if kind == "error":
        return GraderError(value)
    if kind == "value":
        return value
    return Outcome(*value)


def guarded_grade_many(items: list, *, seconds: float = DEFAULT_SECONDS,
                       memory: int = DEFAULT_MEMORY) -> list:
    """`answer_type.grade(raw, reference)` for each (answer_type, raw, reference) in `items`,
    each within `seconds` and `memory` bytes, in one round trip to the worker.

    Returns, in order, an Outcome per item, or the AnswerParseError / GraderError that a
    reference raised. Past the time budget (see `_Budget`), or when the worker dies, an item is `manual` with
    a message, and the items after it go to a fresh worker.
    """
    results: list = []
    with _lock:
        while len(results) < len(items):
            pending = items[len(results):]
            worker = _current(memory)
            try:
                _write(worker.requests, pending)
                message = worker.replies.next(READY_SECONDS)
                if message is _Reader.TIMEOUT or message[0] != "ready":
                    raise EOFError
            except (EOFError, OSError):
                _retire()
                results.append(Outcome.manual("Grading this answer failed (its grader could not "
                                              "start); left for a person to check."))
                continue
            replies, ready, last = worker.replies, message[-1], len(pending) - 1
            for k in range(len(pending)):
                try:
                    reply = replies.take()  # one already here needs no budget
                    if reply is None:
                        pace = (message[-1] - ready) / k if k else 0.0  # the worker's seconds per answer
                        reply = replies.within(_Budget(worker.pid, seconds, *message[-2:]),
                                               gather=min(GATHER_SECONDS, (last - k) * pace))
                    message = reply
                    if message is _Reader.TIMEOUT:
                        _retire()
                        results.append(Outcome.manual(f"Grading this answer took longer than {seconds:g} s; "
                                                      "left for a person to check."))
                        break
                    results.append(_unpack(message))
                except (EOFError, OSError):
                    _retire()
                    results.append(Outcome.manual("Grading this answer failed (it may have needed more "
                                                  "memory than its budget); left for a person to check."))
                    break
    return results


def guarded_grade(answer_type, raw: Any, reference: Any, *, seconds: float = DEFAULT_SECONDS,
                  memory: int = DEFAULT_MEMORY) -> Outcome:
    """`answer_type.grade(raw, reference)` within `seconds` and `memory` bytes.

    Past the time budget, or when the worker dies, the verdict is `manual` with a message.
    Errors in the reference (GraderError) are raised here as in a direct call.
    """
    (result,) = guarded_grade_many([(answer_type, raw, reference)], seconds=seconds, memory=memory)
    if isinstance(result, Exception):
        raise result
    return result


def grade(answer_type, raw: Any, reference: Any, **budget) -> Outcome:
    """Grade in the sandbox when the answer needs its budget (`budgeted(raw)`), else directly."""
    if answer_type.budgeted(raw):
        return guarded_grade(answer_type, raw, reference, **budget)
    return answer_type.grade(raw, reference)


def grade_many(items: list, **budget) -> list:
    """`grade` for each (answer_type, raw, reference): the sandboxed ones in one batch. Returns an
    Outcome per item, or the exception its reference raised."""
    out: list = [None] * len(items)
    boxed = [i for i, (atype, raw, _) in enumerate(items) if atype.budgeted(raw)]
    for i, result in zip(boxed, guarded_grade_many([items[i] for i in boxed], **budget)):
        out[i] = result
    for i, (atype, raw, ref) in enumerate(items):
        if out[i] is None:
            try:
                out[i] = atype.grade(raw, ref)
            except (AnswerParseError, GraderError) as exc:
                out[i] = exc
    return out
