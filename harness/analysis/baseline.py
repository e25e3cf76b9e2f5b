"""What every analysis measures a run against: its baseline (serial's run of the same work),
the ideal speedup, and the cores it kept busy. Pure functions over RunResults."""

from __future__ import annotations

from typing import Sequence

from harness.chunksizes import is_static
from harness.execution.backends import is_baseline
from harness.results.model import RunResult

__all__ = ["baseline_key", "baseline_runs", "cpu_bound", "ideal_speedup", "cores_used", "threads_scaled"]


def baseline_key(run: RunResult) -> tuple:
    """The serial run a run is compared with: same n, scaling, workload and interpreter,
    and at weak scaling the same worker count (serial then does ``workers`` passes)."""
    workers = run.workers if run.scaling == "weak" else 1
    # No chunksize: every chunksize of a model is measured against the same serial run.
    return (run.n, run.scaling, run.workload, run.python, workers)


def baseline_runs(runs: Sequence[RunResult]) -> dict[tuple, RunResult]:
    """The successful serial runs by ``baseline_key``.

    Serial runs with the static split only; should a file hold a serial run at another
    chunksize too, the static one is the baseline (sorted last, so it is the one kept).
    """
    serial = [r for r in runs if is_baseline(r.backend) and r.status == "ok"]
    serial.sort(key=lambda r: is_static(r.chunksize))  # stable: otherwise the last one, as ever
    return {baseline_key(r): r for r in serial}


def cpu_bound(run: RunResult, speedup: float | None) -> bool:
    """Did the run's workers compute rather than wait? Its CPU time kept at least half as many
    cores busy as its speedup says. A sleep or I/O workload's threads can beat serial by their
    count on any number of CPUs; a computing one by no more than the CPUs."""
    used = cores_used(run)
    return used is not None and speedup is not None and used >= 0.5 * speedup


def ideal_speedup(workers: int, logical_cpus: int | None) -> float:
    """The most a run can beat serial by: one core's work per worker, and no more workers than CPUs."""
    return float(min(workers, logical_cpus) if logical_cpus else workers)


def cores_used(run: RunResult) -> float | None:
    """CPU time over wall time: how many cores the run's own processes kept busy.

    Unlike the system-wide per-core load, other programs on the machine do not inflate it.
    """
    if run.cpu_time_s is None or not run.median_s:
        return None
    return run.cpu_time_s / run.median_s


def threads_scaled(speedup: float, used: float | None) -> bool:
    """Did threads scale? Scaling needs both a real speedup and more than one core's worth of
    CPU (or, for I/O waits, a speedup with little CPU at all); a noisy machine can fake either
    one alone. ``used`` is ``cores_used`` (None when no CPU time was recorded)."""
    return speedup >= 1.3 and (used is None or used >= 1.3 or used < 0.5)
