"""results.json's layout: indented objects, but every array of plain numbers on one line.

``json.dumps(indent=1)`` puts each number of an array on a line of its own. A 128-CPU
timeline has 128 arrays of up to 100 numbers per run, so that layout spends two thirds of
the file on newlines and indentation (41 MB instead of 14 MB for 300 runs at 128 cores).
Here objects and arrays of objects or arrays stay indented, so the file still reads (and
diffs) field by field, and an array of numbers (times, per-core loads, one core's
timeline) is one compact line. The output is ordinary JSON: any reader loads it.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps_results"]

_INDENT = 1


_NUMBER_TYPES = (int, float, type(None))
_encode_string = json.encoder.encode_basestring_ascii  # json.dumps's own (C) string escaping


def _is_number_array(value: list | tuple) -> bool:
    return all(type(item) in _NUMBER_TYPES for item in value)  # type(), not isinstance: bool is no number here


def _scalar(value: Any) -> str:
    """What json.dumps writes for a scalar, without its per-call overhead (a save writes ~40 per run)."""
    kind = type(value)
    if kind is str:
        return _encode_string(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and value == value and value not in (float("inf"), float("-inf")):
        return float.__repr__(value)
    return json.dumps(value, allow_nan=False, separators=(",", ":"))  # NaN, infinity: refused there


def _key(key: Any) -> str:
    # json.dumps turns non-string keys (int, float, bool, None) into their JSON text.
    return _encode_string(key) if type(key) is str else json.dumps(json.dumps(key))


def _encode(value: Any, depth: int, out: list[str]) -> None:
    if isinstance(value, dict) and value:
        pad = "\n" + " " * (_INDENT * (depth + 1))
        items = [(pad + _key(k) + ": ", v) for k, v in value.items()]
        close = "\n" + " " * (_INDENT * depth) + "}"
        opening = "{"
    elif isinstance(value, (list, tuple)) and value and not _is_number_array(value):
        pad = "\n" + " " * (_INDENT * (depth + 1))
        items = [(pad, v) for v in value]
        close = "\n" + " " * (_INDENT * depth) + "]"
        opening = "["
    elif isinstance(value, (list, tuple, dict)):  # an empty container or an array of numbers: one line
        out.append(json.dumps(value, allow_nan=False, separators=(",", ":")))
        return
    else:
        out.append(_scalar(value))
        return
    out.append(opening)
    for index, (prefix, item) in enumerate(items):
        out.append(prefix if index == 0 else "," + prefix)
        _encode(item, depth + 1, out)
    out.append(close)


def dumps_results(data: Any) -> str:
    """``data`` as JSON text in the layout above; NaN and infinity are refused (ValueError)."""
    out: list[str] = []
    _encode(data, 0, out)
    return "".join(out)
