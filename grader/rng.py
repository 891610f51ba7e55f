"""Seeds: one explicit NumPy generator per instance, HMAC seeds for exams. No global state."""
from __future__ import annotations

import hashlib
import hmac
import secrets

MAX_SEED = 2**31 - 1


def _tag(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def generator(problem_id: str, seed: int, attempt: int = 0):
    """The generator for draw `attempt` of (problem, seed): the same on every machine."""
    from numpy.random import PCG64, Generator, SeedSequence

    return Generator(PCG64(SeedSequence([_tag(problem_id), int(seed), int(attempt)])))


def fresh_seed() -> int:
    """A new seed for a variant the user did not pin (told to the user so it can be remade)."""
    return secrets.randbelow(1_000_000)


def exam_seed(secret: bytes, exam_id: str, student_id: str, index: int, attempt: int = 0) -> int:
    """HMAC-SHA256(secret, exam id, student id, problem index): knowing the exercise gives no key."""
    message = "\x1f".join([exam_id, student_id, str(index), str(attempt)]).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % MAX_SEED
