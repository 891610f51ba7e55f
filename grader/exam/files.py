"""Writing exam outputs: every file atomically (a temporary file in the same folder, then
os.replace), so a killed run never leaves a half-written file behind."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: str | os.PathLike, data: str | bytes, mode: int | None = None) -> str:
    """Write `data` to `path` atomically; return the SHA-256 of the bytes written. Text is
    written as UTF-8 with any lone surrogate replaced, so no student's text stops a write."""
    from grader.text import scrub

    path = Path(path)
    blob = scrub(data).encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha256(blob)


def dump_json(value: Any) -> str:
    """The one JSON layout of exam files: indented, UTF-8 (surrogates replaced, invisible
    characters escaped), a final newline."""
    from grader.text import json_dumps

    return json_dumps(value, indent=2) + "\n"


def write_json(path: str | os.PathLike, value: Any) -> str:
    return write_atomic(path, dump_json(value))
