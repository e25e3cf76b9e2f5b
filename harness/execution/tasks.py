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
    """One task of a run: worker ``worker`` computes the workload over ``[lo, hi)``."""

    worker: int
    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class TaskResult:
    """What one task reports back.

    ``start`` and ``end`` are ``time.perf_counter()`` readings. On Linux that is
    CLOCK_MONOTONIC, one clock for every process on the machine, so the parent can place
    worker spans on its own timeline. ``cpu_s`` is the thread's (or process's) CPU time,
    ``peak_rss`` the worker process's peak resident memory in bytes (None in-process),
    ``pid`` the worker process (None in-process), and ``gil_enabled`` the GIL's state as
    the worker saw it after importing the workload (None before Python 3.13).
    """

    worker: int
    value: Any
    start: float
    end: float
    cpu_s: float | None
    peak_rss: int | None = None
    pid: int | None = None
    gil_enabled: bool | None = None

    def with_value(self, value: Any) -> "TaskResult":
        """The same result carrying another value (a shared total read by the parent)."""
        return TaskResult(self.worker, value, self.start, self.end, self.cpu_s, self.peak_rss, self.pid,
                          self.gil_enabled)

    def to_list(self) -> list:
        """The journal's form: the fields in order."""
        return [self.worker, self.value, self.start, self.end, self.cpu_s, self.peak_rss, self.pid,
                self.gil_enabled]

    @classmethod
    def from_list(cls, fields: Sequence) -> "TaskResult":
        """From the journal's list; lines written before gil_enabled was recorded hold seven fields."""
        return cls(*fields)
