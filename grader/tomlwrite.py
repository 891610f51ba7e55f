"""Writing TOML values (for the answers.toml skeleton): the JSON values parameters hold, as TOML
1.0 keys, strings, numbers, booleans, arrays and inline tables."""
from __future__ import annotations

import json
import math
import re
from typing import Any

from grader.errors import GraderError

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key(name: str) -> str:
    """A TOML key: bare where it can be, else a quoted string."""
    return name if _BARE_KEY.fullmatch(name) else string(name)


def string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; U+007F must be escaped too)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def value(v: Any) -> str:
    """A JSON value as a TOML value on one line."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise GraderError(f"{v!r} has no TOML form here")
        text = repr(v)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(v, str):
        return string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key(str(k))} = {value(x)}" for k, x in v.items()) + "}"
    raise GraderError(f"{type(v).__name__} values have no TOML form")
