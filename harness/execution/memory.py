"""Memory of the harness and all its workers: read from the sampler process, summed, aggregated.

What is read. The sampler process (:mod:`harness.execution.sampler`) reads the harness (its
parent) and every descendant of it, recursively: pool workers, a forkserver and its workers,
loky's workers, dask's nannies and their workers. It leaves itself out. Per process it reads
psutil's ``memory_full_info()``: USS (memory unique to the process, what would be freed if
it exited), PSS (shared pages split among their sharers) and RSS. Linux reads USS and PSS
from /proc/PID/smaps_rollup (or smaps): that costs ~0.3-2 ms per process, which is why the
sampler spaces memory readings out (see its module docstring).

Which metric. One reading (:class:`TreeReading`) sums each metric over its processes, but
only the metrics every one of them gave: a process whose smaps cannot be read (AccessDenied:
another user's; or a platform without USS or PSS) gives only RSS, and the whole reading then
has only RSS. A window of readings (:func:`samples_from_readings`) keeps the best metric all
its readings have: USS, else PSS, else RSS, and says which. Processes that vanish while they
are read (NoSuchProcess, zombies) are left out of that reading; so are processes holding no
memory at all (an exited worker not yet reaped).

The readings of one window become a :class:`~harness.results.samples.MemorySamples`; summing
them up over a configuration's repeats (:func:`~harness.results.samples.memory_use`) is pure
and lives with the value.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Collection, Sequence

from harness.results.samples import METRICS, MemorySamples

__all__ = ["SWEEP_METRIC", "ProcessMemory", "TreeReading", "read_process", "read_tree", "samples_from_readings"]

# What a sweep's runs sum (harness run, harness.sweep): PSS, not USS. After fork, the pages a
# worker still shares with the harness are unique to none of them, so a sum of USS falls below
# the harness alone; PSS splits each shared page among its sharers, and its sum is the footprint.
SWEEP_METRIC = "pss"


@dataclass(frozen=True, slots=True)
class ProcessMemory:
    """One process's memory in bytes (or a sum over processes); None where it could not be read."""

    uss: int | None
    pss: int | None
    rss: int


def read_process(proc) -> ProcessMemory:
    """USS, PSS and RSS of one psutil.Process; RSS alone where its smaps cannot be read.

    Raises psutil.NoSuchProcess (ZombieProcess included) if it is gone.
    """
    import psutil

    try:
        info = proc.memory_full_info()
    except psutil.AccessDenied:
        return ProcessMemory(None, None, proc.memory_info().rss)
    return ProcessMemory(getattr(info, "uss", None), getattr(info, "pss", None), info.rss)


@dataclass(frozen=True, slots=True)
class TreeReading:
    """One reading of a process tree: when (the middle of the reading, perf_counter), how long
    it took, how many processes it summed and their total of each metric."""

    t: float
    duration_s: float
    processes: int
    total: ProcessMemory


def read_tree(root_pid: int, exclude: Collection[int] = (),
              reader: Callable[[Any], ProcessMemory] = read_process) -> TreeReading:
    """Sum the memory of ``root_pid`` and all its descendants, less the pids in ``exclude``.

    ``reader`` reads one psutil.Process (injectable, for tests). Processes that are gone, or
    that ``reader`` cannot read even RSS of, are skipped: a reading never raises.
    """
    import psutil

    begin = time.perf_counter()
    procs = []
    try:
        root = psutil.Process(root_pid)
        procs = [root]
        procs += root.children(recursive=True)
    except (psutil.Error, OSError):  # the harness gone, or its children not listable: what there is
        pass
    uss: int | None = 0
    pss: int | None = 0
    rss = 0
    count = 0
    for proc in procs:
        if proc.pid in exclude:
            continue
        try:
            mem = reader(proc)
        except (psutil.Error, OSError):  # gone (NoSuchProcess, ZombieProcess), or not even RSS readable
            continue
        if mem.rss <= 0:  # a zombie, or a process exiting: it holds nothing
            continue
        count += 1
        rss += mem.rss
        uss = None if uss is None or mem.uss is None else uss + mem.uss
        pss = None if pss is None or mem.pss is None else pss + mem.pss
    end = time.perf_counter()
    return TreeReading((begin + end) / 2, end - begin, count, ProcessMemory(uss, pss, rss))


def samples_from_readings(readings: Sequence[TreeReading], prefer: str = "uss") -> MemorySamples | None:
    """A window's readings in the best metric all of them have: ``prefer``, else the weaker
    ones after it (USS, else PSS, else RSS)."""
    readings = [r for r in readings if r.processes > 0]
    if not readings:
        return None
    for index in range(METRICS.index(prefer), len(METRICS)):
        metric = METRICS[index]
        if all(getattr(r.total, metric) is not None for r in readings):
            return MemorySamples(metric, tuple(r.t for r in readings),
                                 tuple(int(getattr(r.total, metric)) for r in readings),
                                 tuple(r.processes for r in readings))
    raise AssertionError("rss is always read")  # pragma: no cover
