"""Independent pieces of the history commands' pure work, spread over this machine's CPUs.

Finding the steps of a thousand series and drawing a report's figures are CPU-bound and
single-threaded in Python, so on a 2-core machine half the cores sat idle while the report of
a 1,000-commit x 300-configuration store took 16-21 s. :func:`fan_out` runs the pieces in
forked worker processes.

Forked, not spawned: a forked child already holds the data and the imported modules
(numpy, ruptures, matplotlib), so the inputs are never pickled (only each piece's index and
its result cross) and a child starts in milliseconds, where a spawned one would spend a
second importing. Fork is used only where it is safe: on Linux, and while this process runs
no other thread (forking a threaded process can copy a lock held by another thread; Python
3.12+ warns of it). Elsewhere, with one CPU or one piece, the pieces run here, one after
another, with the same results.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Callable, Sequence, TypeVar

__all__ = ["can_fork", "fan_out", "split", "usable_cpus"]

Piece = TypeVar("Piece")
Result = TypeVar("Result")

# The work of the current fan_out, read by its forked children (set before they fork).
_WORK: tuple[Callable, Sequence] | None = None


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether forking this process now is safe: Linux, and no thread but this one."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def split(items: Sequence[Piece], parts: int) -> list[Sequence[Piece]]:
    """``items`` in at most ``parts`` contiguous slices of near-equal length (their order kept)."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def _run_piece(index: int):
    work, pieces = _WORK
    return work(pieces[index])


def fan_out(work: Callable[[Piece], Result], pieces: Sequence[Piece], processes: int | None = None,
            preload: Sequence[str] = ()) -> list[Result]:
    """``[work(piece) for piece in pieces]``, in up to ``processes`` forked processes (default: the
    usable CPUs). Results come back in the pieces' order and must pickle; a piece's exception is
    raised here. ``work`` need not pickle: the children inherit it. ``preload`` names the modules
    ``work`` imports when it runs: imported here before forking, once, rather than in every child
    (matplotlib, scipy and ruptures take a second each)."""
    global _WORK
    processes = min(len(pieces), usable_cpus() if processes is None else processes)
    if processes < 2 or not can_fork():
        return [work(piece) for piece in pieces]
    import importlib
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    for module in preload:
        importlib.import_module(module)

    _WORK = (work, pieces)
    try:
        # With fork, the executor forks every worker before it starts its own thread.
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_run_piece, range(len(pieces))))
    finally:
        _WORK = None
