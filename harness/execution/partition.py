"""How a run splits its work: one task per worker, by scaling mode."""

from __future__ import annotations

from harness.execution.tasks import Chunk

__all__ = ["make_tasks", "expected_copies"]


def make_tasks(n: int, workers: int, scaling: str) -> list[Chunk]:
    """One task per worker.

    strong: [0, n) in contiguous chunks whose sizes differ by at most 1 (empty chunks when
    n < workers). weak: every worker computes all of [0, n), as the tutorial's comparison
    does, so the total work grows with the worker count.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if scaling == "weak":
        return [Chunk(w, 0, n) for w in range(workers)]
    if scaling != "strong":
        raise ValueError(f"unknown scaling mode {scaling!r}")
    base, extra = divmod(n, workers)
    tasks, lo = [], 0
    for w in range(workers):
        hi = lo + base + (1 if w < extra else 0)
        tasks.append(Chunk(w, lo, hi))
        lo = hi
    return tasks


def expected_copies(workers: int, scaling: str) -> int:
    """How many passes over [0, n) a run's tasks add up to."""
    return workers if scaling == "weak" else 1
