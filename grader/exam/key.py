"""The staff key as an index: key.json is read once, in chunks, to find where each student's
entries lie in the file; a student's entries are parsed only when asked for. No process holds
the whole key, so memory does not grow with the class."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from grader.errors import ExamError

CHUNK = 1 << 20
_SPACE = re.compile(r"[ \t\n\r]*")


class _Truncated(Exception):
    """The value runs past the bytes read so far."""


class _Reader:
    """key.json in chunks, decoded as Latin-1 so that a character's index is its byte offset
    (UTF-8 multi-byte sequences never contain `"`, `\\` or JSON punctuation, so the structure
    reads right; the values found are decoded properly later)."""

    def __init__(self, fh, digest):
        self.fh, self.digest, self.buf, self.base, self.eof = fh, digest, "", 0, False
        self.decoder = json.JSONDecoder()

    def more(self) -> None:
        if self.eof:
            raise _Truncated
        chunk = self.fh.read(CHUNK)
        self.digest.update(chunk)
        if not chunk:
            self.eof = True
        self.buf += chunk.decode("latin-1")

    def drop(self, pos: int) -> int:
        """Forget what lies before `pos` (an index into buf); return its new index."""
        self.buf, self.base = self.buf[pos:], self.base + pos
        return 0

    def space(self, pos: int) -> int:
        while True:
            pos = _SPACE.match(self.buf, pos).end()
            if pos < len(self.buf) or self.eof:
                return pos
            self.more()

    def char(self, pos: int) -> tuple[str, int]:
        pos = self.space(pos)
        if pos >= len(self.buf):
            raise _Truncated
        return self.buf[pos], pos

    def decoded(self, start: int, end: int):
        """The JSON value buf[start:end] decoded from its UTF-8 bytes."""
        return json.loads(self.buf[start:end].encode("latin-1").decode("utf-8"))

    def string(self, pos: int) -> tuple[str, int]:
        if self.buf[pos:pos + 1] != '"':
            raise ValueError("expected a string")
        _, end = self.value(pos)
        return self.decoded(pos, end), end

    def value(self, pos: int):
        """The JSON value at `pos` and the index after it."""
        while True:
            try:
                found, end = self.decoder.raw_decode(self.buf, pos)
            except json.JSONDecodeError:
                if self.eof:
                    raise
                self.more()
                continue
            if end < len(self.buf) or self.eof:  # a number could go on in the next chunk
                return found, end
            self.more()


class KeyIndex:
    """`exam` (the exam id), `sha256` (of key.json's bytes), `ids` (the students, in the key's
    order) and `entries(sid)`, parsed from that student's bytes of key.json."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.spans: dict[str, tuple[int, int]] = {}
        digest = hashlib.sha256()
        exam = None
        try:
            with open(self.path, "rb") as fh:
                reader = _Reader(fh, digest)
                exam, pos = self._scan(reader)
                if reader.space(pos) != len(reader.buf):
                    raise ValueError("more after the key's object")
        except OSError:
            raise ExamError("no staff/key.json: is this a folder written by `grader exam build`?",
                            where=str(self.path.parent.parent)) from None
        except (_Truncated, ValueError, RecursionError):
            self._refuse()
        if not isinstance(exam, str) or not self.spans:
            raise ExamError("not an exam key (expected `exam` and a non-empty `students` object)", where=str(self.path))
        self.exam, self.sha256 = exam, digest.hexdigest()

    def _refuse(self):
        """A key that is not even JSON: the whole-file reader names the line and column."""
        from grader.exam.grade import read_key

        read_key(self.path.parent.parent)
        raise ExamError("not an exam key (expected `exam` and a non-empty `students` object)", where=str(self.path))

    def _scan(self, r: _Reader):
        r.more()
        c, pos = r.char(3 if r.buf.startswith("\xef\xbb\xbf") else 0)
        if c != "{":
            raise ValueError
        exam, pos, first = None, pos + 1, True
        while True:
            c, pos = r.char(pos)
            if c == "}":
                return exam, pos + 1
            if not first:
                if c != ",":
                    raise ValueError
                c, pos = r.char(pos + 1)
            first = False
            name, pos = r.string(pos)
            c, pos = r.char(pos)
            if c != ":":
                raise ValueError
            pos = r.space(pos + 1)
            if name == "students" and r.buf[pos:pos + 1] == "{":
                pos = self._students(r, pos + 1)
                continue
            start = pos
            value, pos = r.value(pos)
            if name == "exam":
                exam = r.decoded(start, pos)
            elif name == "students":
                raise ExamError("not an exam key (expected `exam` and a non-empty `students` object)",
                                where=str(self.path))
            pos = r.drop(pos)

    def _students(self, r: _Reader, pos: int) -> int:
        first = True
        while True:
            c, pos = r.char(pos)
            if c == "}":
                return pos + 1
            if not first:
                if c != ",":
                    raise ValueError
                c, pos = r.char(pos + 1)
            first = False
            sid, pos = r.string(pos)
            c, pos = r.char(pos)
            if c != ":":
                raise ValueError
            pos = r.space(pos + 1)
            entries, end = r.value(pos)
            if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
                raise ExamError(f"malformed entry for student {sid!r}", where=str(self.path))
            self.spans.pop(sid, None)  # a repeated student: the last one counts, as in any JSON reader
            self.spans[sid] = (r.base + pos, r.base + end)
            pos = r.drop(end)

    @property
    def ids(self) -> list[str]:
        return list(self.spans)

    def raw(self, sid: str) -> bytes:
        start, end = self.spans[sid]
        with open(self.path, "rb") as fh:
            fh.seek(start)
            return fh.read(end - start)

    def entries(self, sid: str) -> list[dict]:
        from grader.submission import loads

        return loads(self.raw(sid), str(self.path), "key file")
