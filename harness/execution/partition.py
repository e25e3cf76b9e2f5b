"""How a run splits its work into chunks: the static split, Pool's ``auto`` rule, or a fixed size.

``--chunksize`` takes, per sweep, a list of:
- ``static``: one contiguous block per worker, sizes differing by at most one (at weak
  scaling every worker computes all of [0, n), as the tutorial's comparison does);
- ``auto``: multiprocessing.Pool.map's own rule, ``ceil(n / (4 x workers))`` items per chunk:
  four chunks per worker, so a worker that finishes early takes another while chunks stay
  few enough that dispatch costs little;
- an integer: that many items per chunk (the last chunk takes what is left).

Static chunks go one per worker; other chunks go to whichever worker is free (each
backend's own dispatcher, or a shared work queue for threads and processes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from harness.chunksizes import AUTO, STATIC

__all__ = ["Chunk", "chunk_items", "make_chunks", "make_tasks", "expected_copies"]



@dataclass(frozen=True, slots=True)
class Chunk:
    """One task of a run: items ``[lo, hi)`` of the workload.

    A range workload computes ``fn(lo, hi)``. A map workload computes ``fn(item)`` for each
    of ``items``, the items ``[lo, hi)`` themselves: they travel with the chunk (pickled, for
    a process), so a worker needs nothing but the chunk. ``index`` is the chunk's place in the
    run; under a static split it is also the worker meant to take it.
    """

    index: int
    lo: int
    hi: int
    items: tuple | None = None
    # False for a chunk any free worker may take (a chunksize other than static).
    static: bool = True

    @property
    def worker(self) -> int:
        """The static split's worker number: chunk i for worker i."""
        return self.index

    @property
    def size(self) -> int:
        return self.hi - self.lo

    @property
    def where(self) -> str:
        """How a failure names it: "worker 1" under the static split, else "chunk 5 (items 40-47)"."""
        return f"worker {self.index}" if self.static else f"chunk {self.index} (items {self.lo}-{self.hi - 1})"


def chunk_items(chunksize: int | str, n: int, workers: int) -> int:
    """Items per chunk that ``chunksize`` comes to for n items over ``workers`` (at least 1)."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if chunksize == STATIC:
        return max(1, math.ceil(n / workers))
    if chunksize == AUTO:
        return max(1, math.ceil(n / (4 * workers)))
    if isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1:
        raise ValueError(f"chunksize must be static, auto or an integer >= 1, got {chunksize!r}")
    return chunksize


def make_chunks(n: int, workers: int, scaling: str = "strong", chunksize: int | str = STATIC,
                items: Sequence | None = None) -> list[Chunk]:
    """The chunks of one repeat, in item order; each carries its items when ``items`` is given."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if items is not None and len(items) != n:
        raise ValueError(f"{len(items)} items for n={n}")
    if chunksize == STATIC:
        chunks = make_tasks(n, workers, scaling)
    else:
        if scaling != "strong":
            raise ValueError("only the static split runs at weak scaling (every worker computes all of [0, n))")
        size = chunk_items(chunksize, n, workers)
        chunks = [Chunk(i, lo, min(lo + size, n), static=False) for i, lo in enumerate(range(0, n, size))]
    if items is None:
        return chunks
    return [Chunk(c.index, c.lo, c.hi, tuple(items[c.lo:c.hi]), c.static) for c in chunks]


def make_tasks(n: int, workers: int, scaling: str) -> list[Chunk]:
    """The static split: one chunk per worker.

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
