"""Reading JSON that a user, another program or a web client could have made: settings beside an output, resume
files, batch reports, the studio's records and request bodies. One loader for all of them, limited in size and in
nesting before the parser sees the text (Python's parser recurses, so a deep document is a RecursionError, not an
error message), and every failure is one line: a BadJSON, which is a ValueError."""

from __future__ import annotations

import json
import re
from pathlib import Path

MAX_BYTES = 1 << 20  # a settings file or a job request is a few KB; anything far larger is not one of ours
MAX_DEPTH = 32  # painterly writes at most three levels; leave room for a hand-edited file

# The only characters that change the nesting or whether the scan is inside a string.
_SPECIAL = re.compile(r'["\\\[\]{}]')


class BadJSON(ValueError):
    """The text is not JSON painterly will read; the message is one line, fit to show the user."""


def _reject_constant(name: str) -> float:
    raise BadJSON(f"{name} is not a JSON number")


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects, counted outside strings, in one linear pass."""
    depth = deepest = 0
    in_string = False
    escaped_at = -1  # the position a backslash inside a string escapes
    for match in _SPECIAL.finditer(text):
        char, at = match[0], match.start()
        if in_string:
            if at == escaped_at:
                continue
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads(text: str | bytes, *, limit: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> object:
    """Parse `text` as strict JSON (no NaN or Infinity), refusing it whole when over `limit` bytes or nested deeper
    than `max_depth`."""
    if len(text) > limit:
        raise BadJSON(f"it is over {limit // 1024} KB")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise BadJSON("it is not UTF-8 text") from None
    if nesting_depth(text) > max_depth:
        raise BadJSON(f"it is nested more than {max_depth} levels deep")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except BadJSON:
        raise
    except (ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError
        raise BadJSON(f"it is not valid JSON ({str(exc).splitlines()[0]})") from None


def load(path: Path, *, limit: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> object:
    """Read and parse the file at `path`, reading no more than `limit` bytes of it (a huge file is not loaded to be
    refused). A file that cannot be read is a BadJSON too."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise BadJSON(f"it cannot be read ({exc.strerror or exc})") from None
    return loads(data, limit=limit, max_depth=max_depth)


def load_object(path: Path, *, limit: int = MAX_BYTES) -> dict:
    """As `load`, for a file that must hold one JSON object (every file painterly writes does)."""
    data = load(path, limit=limit)
    if not isinstance(data, dict):
        raise BadJSON("it does not hold a JSON object")
    return data
