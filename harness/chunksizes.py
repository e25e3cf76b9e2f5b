"""The chunksize vocabulary every layer shares: the two rules, and how a chunksize is named.

A run's chunksize is as asked: ``"static"`` (one contiguous block per worker), ``"auto"``
(multiprocessing.Pool.map's rule) or an integer (items per chunk). Files written before
schema 4 record none; they ran the static split, so ``None`` reads as static everywhere.
"""

from __future__ import annotations

__all__ = ["STATIC", "AUTO", "CHUNK_RULES", "is_static", "chunk_suffix", "series_name"]

STATIC = "static"
AUTO = "auto"
CHUNK_RULES = (STATIC, AUTO)


def is_static(chunksize) -> bool:
    """The static split (one contiguous block per worker), or no chunksize recorded (before schema 4)."""
    return chunksize in (None, STATIC)


def chunk_suffix(chunksize) -> str:
    """What a label adds for a chunksize: nothing for the static split, else " cs=16" or " cs=auto"."""
    return "" if is_static(chunksize) else f" cs={chunksize}"


def series_name(backend: str, chunksize) -> str:
    """The line a run belongs to in tables and plots: "pool", or "pool cs=16" for a chunked run."""
    return backend + chunk_suffix(chunksize)
