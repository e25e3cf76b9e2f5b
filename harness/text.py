"""Text for people: one helper the whole harness shares."""

from __future__ import annotations

__all__ = ["one_line"]


def one_line(text) -> str:
    """``text`` (or an exception's message) with every run of whitespace, newlines included, as one space."""
    return " ".join(str(text).split())
