"""A student's practice history: every graded attempt, kept in SQLite in the user's data folder
(platformdirs; `GRADER_DATA_DIR` overrides it). The schema is versioned with `user_version`.

A database that cannot be used (corrupt, locked, written by a newer grader) is a ProgressError
naming the file; nothing here ever deletes or rewrites a database it cannot read.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from grader.errors import GraderError
from grader.text import scrub

SCHEMA_VERSION = 1
FILENAME = "progress.sqlite3"
BUSY_SECONDS = 2.0

_SCHEMA = """
CREATE TABLE attempt (
    id INTEGER PRIMARY KEY,
    problem TEXT NOT NULL,
    seed INTEGER,
    params TEXT NOT NULL,
    at REAL NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    answers TEXT NOT NULL
);
CREATE INDEX attempt_variant ON attempt (problem, seed, params);
CREATE TABLE part_result (
    attempt INTEGER NOT NULL REFERENCES attempt (id),
    part TEXT NOT NULL,
    verdict TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    feedback TEXT NOT NULL,
    misconception TEXT,
    PRIMARY KEY (attempt, part)
);
"""


class ProgressError(GraderError):
    """The progress database cannot be used."""


def default_path() -> Path:
    """Where the history lives: $GRADER_DATA_DIR/progress.sqlite3, else the user's data folder."""
    folder = os.environ.get("GRADER_DATA_DIR")
    if not folder:
        from platformdirs import user_data_dir

        folder = user_data_dir("grader", appauthor=False)
    return Path(folder) / FILENAME


def _params_key(params: dict) -> str:
    return json.dumps(params, sort_keys=True)


class Progress:
    """The attempts database at `path` (created on first use)."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_path()

    def _fail(self, exc: sqlite3.Error) -> ProgressError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            why = "it is locked by another program; try again when that program is done"
        elif isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            why = f"it is not a readable progress database ({text}); it was left untouched: move it aside to start afresh"
        else:
            why = text
        return ProgressError(f"progress database {self.path}: {why}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProgressError(f"progress folder {self.path.parent}: {exc.strerror}") from None
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS)
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        try:
            with conn:
                self._migrate(conn)
                yield conn
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        finally:
            conn.close()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ProgressError(f"progress database {self.path}: written by a newer grader "
                                f"(schema {version}; this one knows {SCHEMA_VERSION}); upgrade grader")
        if version == 0:
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables:
                raise ProgressError(f"progress database {self.path}: not a grader progress database "
                                    "(it has tables but no schema version); it was left untouched")
            conn.executescript("BEGIN;" + _SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")

    def check(self) -> None:
        """Open the database once: a ProgressError now rather than after the first attempt."""
        with self._connect():
            pass

    def record(self, result: dict, answers: dict, params: dict | None = None) -> int:
        """Store one graded attempt (a `check --json` result for one problem); its id."""
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO attempt (problem, seed, params, at, score, max_score, answers) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (result["problem"], result.get("seed"), _params_key(params or {}), time.time(),
                 result["score"], result["max_score"], json.dumps(answers)))  # ASCII: any string survives
            conn.executemany(
                "INSERT INTO part_result VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(cur.lastrowid, p["id"], p["verdict"], p["score"], p["max_score"], scrub(p["feedback"]),
                  p.get("misconception")) for p in result["parts"]])
            return cur.lastrowid

    def attempts(self, problem: str, seed: int | None, params: dict | None = None) -> list[dict]:
        """The attempts at one variant, oldest first: {"at", "score", "max_score", "answers",
        "parts": [{"id", "verdict", "score", "max_score", "feedback", "misconception"}]}."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, at, score, max_score, answers FROM attempt WHERE problem = ? AND seed IS ? "
                "AND params = ? ORDER BY id", (problem, seed, _params_key(params or {}))).fetchall()
            out = []
            for aid, at, score, max_score, answers in rows:
                parts = conn.execute("SELECT part, verdict, score, max_score, feedback, misconception "
                                     "FROM part_result WHERE attempt = ? ORDER BY rowid", (aid,)).fetchall()
                out.append({"at": at, "score": score, "max_score": max_score, "answers": json.loads(answers),
                            "parts": [dict(zip(("id", "verdict", "score", "max_score", "feedback",
                                                "misconception"), p)) for p in parts]})
            return out

    def last_seed(self, problem: str) -> int | None:
        """The seed of the most recent attempt at `problem` (None when never tried)."""
        with self._connect() as conn:
            row = conn.execute("SELECT seed FROM attempt WHERE problem = ? ORDER BY id DESC LIMIT 1",
                               (problem,)).fetchone()
        return row[0] if row else None

    def summary(self) -> list[dict]:
        """Per problem practised, most recent first: {"problem", "variants", "attempts",
        "best_score", "last_score", "max_score", "last_at", "misconceptions": {name: count},
        "last_misconception_at"}. Scores are fractions of the variant's points (0..1)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT problem, count(DISTINCT seed || '|' || params), count(*), "
                "max(score / max_score), max(at) FROM attempt WHERE max_score > 0 GROUP BY problem "
                "ORDER BY max(at) DESC").fetchall()
            out = []
            for problem, variants, attempts, best, last_at in rows:
                last = conn.execute("SELECT score / max_score FROM attempt WHERE problem = ? "
                                    "ORDER BY id DESC LIMIT 1", (problem,)).fetchone()[0]
                hits = conn.execute(
                    "SELECT r.misconception, count(*), max(a.at) FROM part_result r JOIN attempt a "
                    "ON r.attempt = a.id WHERE a.problem = ? AND r.misconception IS NOT NULL "
                    "GROUP BY r.misconception ORDER BY max(a.at) DESC, r.misconception", (problem,)).fetchall()
                out.append({"problem": problem, "variants": variants, "attempts": attempts,
                            "best_score": round(best, 4), "last_score": round(last, 4), "last_at": last_at,
                            "misconceptions": {name: n for name, n, _ in hits},
                            "last_misconception_at": hits[0][2] if hits else None})
            return out

    def suggestions(self) -> list[str]:
        """Problems to practise next: those whose misconceptions were hit most recently first."""
        hit = [s for s in self.summary() if s["last_misconception_at"] is not None]
        return [s["problem"] for s in sorted(hit, key=lambda s: -s["last_misconception_at"])]


def summary_json(rows: list[dict]) -> list[dict]:
    """`grader progress --json`: the summary without internal timestamps' float noise."""
    return [{**row, "last_at": _iso(row["last_at"]),
             "last_misconception_at": _iso(row["last_misconception_at"])} for row in rows]


def _iso(ts: Any) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
