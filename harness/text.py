"""Text for people: the formatting helpers every layer shares (they return strings; only the CLI prints)."""

from __future__ import annotations

import math

__all__ = ["one_line", "format_seconds", "format_interval_s"]


def one_line(text) -> str:
    """``text`` (or an exception's message) with every run of whitespace, newlines included, as one space."""
    return " ".join(str(text).split())


_UNITS = (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9))


def format_seconds(s: float) -> str:
    """Format a duration with a unit (s, ms, us, ns) and about three significant digits."""
    s = float(s)
    if not math.isfinite(s) or s < 0:
        raise ValueError(f"duration is {s}; it must be finite and not negative")
    if s == 0:
        return "0 s"
    unit, scale = _UNITS[-1]
    for unit, scale in _UNITS:
        if s >= scale:
            break
    value = s / scale
    decimals = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{decimals}f} {unit}"


def format_interval_s(lo: float, hi: float) -> str:
    """An interval of durations, the unit said once where both ends share it: "297-359 ms"."""
    low, high = format_seconds(lo), format_seconds(hi)
    low_value, _, low_unit = low.partition(" ")
    return f"{low_value}-{high}" if high.endswith(" " + low_unit) else f"{low}-{high}"
