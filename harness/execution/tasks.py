"""The typed values that travel between the runner and the workers: a chunk of work and its result.

Stdlib only: both cross into worker processes of every start method, into subinterpreters
and onto dask workers, so they must import and pickle anywhere the harness runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

__all__ = ["Chunk", "TaskResult"]


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


@dataclass(frozen=True, slots=True)
class TaskResult:
    """What one chunk reports back.

    ``start`` and ``end`` are ``time.perf_counter()`` readings. On Linux that is
    CLOCK_MONOTONIC, one clock for every process on the machine, so the parent can place
    worker spans on its own timeline. ``value`` is a range workload's total, or a map
    workload's results in item order (the runner checks them and then drops them).
    ``cpu_s`` is the thread's (or process's) CPU time, ``peak_rss`` the worker process's peak
    resident memory in bytes (None in-process), ``pid`` the worker process (None
    in-process), ``gil_enabled`` the GIL's state as the worker saw it after importing the
    workload (None before Python 3.13), and ``thread`` the native id of the thread that ran
    it: (pid, thread) names the worker that took a chunk from a shared queue.
    """

    worker: int
    value: Any
    start: float
    end: float
    cpu_s: float | None
    peak_rss: int | None = None
    pid: int | None = None
    gil_enabled: bool | None = None
    thread: int | None = None
    items: int | None = None
    # Seconds spent computing, when this result stands for several chunks of one worker
    # (merged after the repeat): then start..end also spans its waits between chunks.
    busy_s: float | None = None

    @property
    def busy(self) -> float:
        return self.busy_s if self.busy_s is not None else max(self.end - self.start, 0.0)

    def with_value(self, value: Any) -> "TaskResult":
        """The same result carrying another value (a shared total read by the parent, or None
        once a map workload's results are checked)."""
        return TaskResult(self.worker, value, self.start, self.end, self.cpu_s, self.peak_rss, self.pid,
                          self.gil_enabled, self.thread, self.items, self.busy_s)

    @property
    def runner(self) -> tuple:
        """Which worker ran it: its process (None in-process) and thread."""
        return (self.pid, self.thread)

    def to_list(self) -> list:
        """The journal's form: the fields in order."""
        return [self.worker, self.value, self.start, self.end, self.cpu_s, self.peak_rss, self.pid,
                self.gil_enabled, self.thread, self.items, self.busy_s]

    @classmethod
    def from_list(cls, fields: Sequence) -> "TaskResult":
        """From the journal's list; older lines hold 7 (before gil_enabled) or 8 fields."""
        return cls(*fields)
