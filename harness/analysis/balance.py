"""The yardsticks of a run that won less than it could: the time a perfect model would take
(its ideal), its gap over that, and how evenly its work fell on its workers. Pure functions."""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.analysis.baseline import cpu_bound, ideal_speedup
from harness.execution.backends import workers_used
from harness.results.model import RunResult

__all__ = ["WorkerBalance", "gap_over_ideal", "ideal_time", "worker_balance"]


@dataclass(frozen=True, slots=True)
class WorkerBalance:
    """How evenly a run's work fell on its workers (``worker_busy_s`` of the median repeat)."""

    busy_s: tuple[float, ...]
    wall_s: float

    @property
    def busiest_s(self) -> float:
        return max(self.busy_s)

    @property
    def mean_s(self) -> float:
        return sum(self.busy_s) / len(self.busy_s)

    @property
    def ratio(self) -> float:
        """Busiest over mean: 1.0 is perfect balance."""
        return self.busiest_s / self.mean_s if self.mean_s > 0 else math.inf

    @property
    def idle_s(self) -> tuple[float, ...]:
        """Per worker, how long it waited for the busiest one (busiest minus its own busy time)."""
        return tuple(self.busiest_s - b for b in self.busy_s)

    @property
    def idlest(self) -> int:
        """The index of the worker left idle longest."""
        return min(range(len(self.busy_s)), key=self.busy_s.__getitem__)

    @property
    def longest_idle_s(self) -> float:
        return self.busiest_s - min(self.busy_s)

    @property
    def longest_idle_share(self) -> float:
        """The longest idle as a share of the wall time."""
        return self.longest_idle_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def saving_s(self) -> float:
        """Wall time perfect balance would save: the busiest worker's excess over the mean."""
        return self.busiest_s - self.mean_s


def worker_balance(run: RunResult) -> WorkerBalance | None:
    """The run's per-worker balance, or None without busy times for two workers or more."""
    busy = run.worker_busy_s
    if not busy or len(busy) < 2 or not run.median_s or sum(busy) <= 0:
        return None
    return WorkerBalance(tuple(float(b) for b in busy), float(run.median_s))


def ideal_time(run: RunResult, serial: RunResult, logical_cpus: int | None = None) -> float:
    """Serial's median over the run's ideal speedup: the time a perfect model would take.

    The CPUs cap the ideal only for a run that computes (``cpu_bound``): waiting workers can
    beat serial by their count on any number of CPUs.
    """
    speedup = serial.median_s / run.median_s if run.median_s else None
    cpus = logical_cpus if cpu_bound(run, speedup) else None
    return serial.median_s / ideal_speedup(workers_used(run.backend, run.workers), cpus)


def gap_over_ideal(run: RunResult, serial: RunResult, logical_cpus: int | None = None) -> float:
    """Seconds the run took beyond its ideal (negative when it beat the ideal, as noise may)."""
    return run.median_s - ideal_time(run, serial, logical_cpus)
