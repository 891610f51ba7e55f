"""Text hygiene at the edges: whatever a student, a roster or a file holds, what reaches a
terminal, a Markdown file or a CSV is valid Unicode with no control bytes left to act.

- `scrub`: lone surrogates (from JSON escapes such as "\\ud800") become U+FFFD, so every string
  can be encoded as UTF-8.
- `visible`: `scrub`, then control characters, bidi overrides and other invisible format
  characters shown as escapes (`\\x1b`, `\\u202e`), never sent.
- `md_text`, `md_code`: a one-line value as Markdown text (specials escaped) or as a code span.
- `csv_cell`: a free-text cell that a spreadsheet neither breaks on nor runs as a formula.
- `json_dumps`: JSON text with the same guarantees, still valid JSON.
"""
from __future__ import annotations

import json
import re

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls (tab and newline are handled by the caller's `keep`), DEL, bidi embeddings,
# overrides and isolates, zero-width and other invisible format characters, BOM.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$&~])")


def scrub(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, keep: str = "") -> str:
    """`text` safe for a terminal or a file: surrogates replaced, control and invisible format
    characters shown as escapes. Characters in `keep` (e.g. "\\n") pass through; tab and newline
    are otherwise shown as escapes too."""
    text = scrub(text).replace("\r\n", "\n")
    text = _HIDDEN.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)
    if "\t" not in keep:
        text = text.replace("\t", "\\t")
    if "\n" not in keep:
        text = text.replace("\n", "\\n")
    return text


def one_line(text: str, limit: int | None = None) -> str:
    """`visible` on one line, cut to `limit` characters with an ellipsis."""
    text = visible(text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def md_text(text: str) -> str:
    """A value (a name, an id) as Markdown text on one line: every Markdown and HTML special
    character escaped, so `<script>` or `*` print as themselves."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def md_code(text: str, limit: int | None = None) -> str:
    """A value (a student's answer) as a Markdown code span on one line, fenced with more
    backticks than it holds and padded so a leading or trailing backtick stays inside."""
    text = one_line(text, limit)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def csv_cell(text: str) -> str:
    """A free-text CSV cell: `visible` on one line, and a leading `= + - @` (which a spreadsheet
    would run as a formula) quoted with an apostrophe."""
    text = one_line(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def json_dumps(value, **kwargs) -> str:
    """`json.dumps` (UTF-8 kept readable) with lone surrogates replaced and the invisible
    characters JSON leaves raw (C1 controls, bidi, zero-width) written as \\u escapes."""
    text = scrub(json.dumps(value, ensure_ascii=False, **kwargs))
    return _HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
