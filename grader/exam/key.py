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


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not allowed")


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


class JsonIndex:
    """A JSON file whose top level is an object, read in chunks: `head` holds its members but
    `member`, an object whose members' places in the file are `spans` (name -> byte range), read
    back one at a time with `get(name)`. `check(name, value)` may refuse a member as it is read.
    Raises ValueError (or OSError) for a file that is not such an object."""

    def __init__(self, path: Path, member: str, check=None):
        self.path, self.member, self.check = Path(path), member, check
        self.spans: dict[str, tuple[int, int]] = {}
        self.head: dict = {}
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            reader = _Reader(fh, digest)
            try:
                pos = self._scan(reader)
                if reader.space(pos) != len(reader.buf):
                    raise ValueError("more after the top-level object")
            except _Truncated:
                raise ValueError("the file ends too early") from None
        self.sha256 = digest.hexdigest()

    def _members(self, r: _Reader, pos: int, found) -> int:
        """Read the object whose `{` is at `pos`, calling `found(name, start)` at each member's
        value (which returns the index after it); return the index after the `}`."""
        c, pos = r.char(pos)
        if c != "{":
            raise ValueError("expected an object")
        pos, first = pos + 1, True
        while True:
            c, pos = r.char(pos)
            if c == "}":
                return pos + 1
            if not first:
                if c != ",":
                    raise ValueError("expected ','")
                c, pos = r.char(pos + 1)
            first = False
            name, pos = r.string(pos)
            c, pos = r.char(pos)
            if c != ":":
                raise ValueError("expected ':'")
            pos = r.drop(found(name, r.space(pos + 1)))

    def _scan(self, r: _Reader) -> int:
        while len(r.buf) < 3 and not r.eof:
            r.more()
        start = 3 if r.buf.startswith("\xef\xbb\xbf") else 0

        def top(name: str, pos: int) -> int:
            if name == self.member and r.buf[pos:pos + 1] == "{":
                self.spans.clear()
                return self._members(r, pos, inner)
            value, end = r.value(pos)
            self.head[name] = r.decoded(pos, end)
            return end

        def inner(name: str, pos: int) -> int:
            value, end = r.value(pos)
            if self.check is not None:
                self.check(name, value)
            self.spans.pop(name, None)  # a repeated name: the last one counts, as in any JSON reader
            self.spans[name] = (r.base + pos, r.base + end)
            return end

        return self._members(r, start, top)

    def raw(self, name: str) -> bytes:
        start, end = self.spans[name]
        with open(self.path, "rb") as fh:
            fh.seek(start)
            return fh.read(end - start)

    def get(self, name: str):
        return json.loads(self.raw(name))


class KeyIndex(JsonIndex):
    """The staff key: `exam` (the exam id), `sha256` (of key.json's bytes), `ids` (the students,
    in the key's order) and `entries(sid)`, parsed from that student's bytes of key.json."""

    def __init__(self, path: Path):
        path = Path(path)
        try:
            super().__init__(path, "students", self._check)
        except OSError:
            raise ExamError("no staff/key.json: is this a folder written by `grader exam build`?",
                            where=str(path.parent.parent)) from None
        except (ValueError, RecursionError):
            from grader.exam.grade import read_key

            read_key(path.parent.parent)  # a key that is not JSON: the whole-file reader names line and column
            self.spans = {}
        self.exam = self.head.get("exam")
        if not isinstance(self.exam, str) or not self.spans:
            raise ExamError("not an exam key (expected `exam` and a non-empty `students` object)", where=str(path))

    def _check(self, sid: str, entries) -> None:
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise ExamError(f"malformed entry for student {sid!r}", where=str(self.path))

    @property
    def ids(self) -> list[str]:
        return list(self.spans)

    def entries(self, sid: str) -> list[dict]:
        return entries_at(self.path, self.spans[sid], sid)


def entries_at(path, span: tuple[int, int], sid: str) -> list[dict]:
    """A student's entries, from their byte range of key.json (as KeyIndex.spans gives it)."""
    start, end = span
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ExamError(f"student {sid!r}: not valid JSON: {exc}", where=str(path)) from None
