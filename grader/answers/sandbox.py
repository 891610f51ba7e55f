"""Grading under a time and memory budget, in a reusable forked worker process.

The worker is forked once per process and reused for every answer; an answer that runs past
its time budget (even inside C code) gets the worker killed and a fresh one forked for the next
answer. The worker caps its own address space, so an answer that would exhaust memory fails
there with MemoryError instead of taking the machine down. Plain `os.fork` is used (not
`multiprocessing`), so this also works inside daemonic pool workers.
"""
from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import struct
import threading
from typing import Any

from grader.answers.base import Outcome
from grader.errors import AnswerParseError, GraderError

DEFAULT_SECONDS = 2.0
DEFAULT_MEMORY = 1 << 30
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


def _read(fd: int) -> Any:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    return pickle.loads(_read_exact(fd, size))


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _serve(requests: int, replies: int, memory: int) -> None:
    """The worker loop: read (answer type, raw, reference), reply with an outcome or an error."""
    _die_with_parent()
    limit = _address_space() + memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            request = _read_exact(requests, _HEADER.unpack(_read_exact(requests, _HEADER.size))[0])
        except EOFError:
            return
        try:
            atype, raw, ref = pickle.loads(request)
            reply = ("ok", atype.grade(raw, ref))
        except MemoryError:
            reply = ("ok", Outcome.manual("Grading this answer needed more memory than its budget; "
                                          "left for a person to check."))
        except AnswerParseError as exc:
            reply = ("parse", (exc.message, exc.text, exc.position))
        except GraderError as exc:
            reply = ("error", str(exc))
        except Exception as exc:  # a bug while grading must not kill the batch
            reply = ("ok", Outcome.manual(f"Could not grade this answer ({type(exc).__name__}); "
                                          "left for a person to check."))
        _write(replies, reply)


class _Worker:
    def __init__(self, memory: int):
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                os.close(req_w)
                os.close(rep_r)
                _serve(req_r, rep_w, memory)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(req_r)
        os.close(rep_w)
        self.pid, self.requests, self.replies = pid, req_w, rep_r
        self.owner, self.memory = os.getpid(), memory

    def stop(self) -> None:
        for fd in (self.requests, self.replies):
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


def guarded_grade(answer_type, raw: Any, reference: Any, *, seconds: float = DEFAULT_SECONDS,
                  memory: int = DEFAULT_MEMORY) -> Outcome:
    """`answer_type.grade(raw, reference)` within `seconds` and `memory` bytes.

    Past the time budget, or when the worker dies, the verdict is `manual` with a message.
    Errors in the reference (GraderError) are raised here as in a direct call.
    """
    with _lock:
        worker = _current(memory)
        try:
            _write(worker.requests, (answer_type, raw, reference))
            ready, _, _ = select.select([worker.replies], [], [], seconds)
            if not ready:
                _retire()
                return Outcome.manual(f"Grading this answer took longer than {seconds:g} s; "
                                      "left for a person to check.")
            kind, value = _read(worker.replies)
        except (EOFError, OSError):
            _retire()
            return Outcome.manual("Grading this answer failed (it may have needed more memory "
                                  "than its budget); left for a person to check.")
    if kind == "parse":
        raise AnswerParseError(*value)
    if kind == "error":
        raise GraderError(value)
    return value


def grade(answer_type, raw: Any, reference: Any, **budget) -> Outcome:
    """Grade in the sandbox when the answer needs its budget (`budgeted(raw)`), else directly."""
    if answer_type.budgeted(raw):
        return guarded_grade(answer_type, raw, reference, **budget)
    return answer_type.grade(raw, reference)
