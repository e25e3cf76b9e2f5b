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

Aggregation (:func:`memory_use`, pure): the peak is the largest reading of any repeat; the
mean is time-weighted: within a repeat the readings are joined by straight lines (trapezoid
rule from its first reading to its last), across repeats each weighs by its length, as
:func:`harness.execution.sampler.mean_per_core` weighs CPU load.

The journal keeps at most :data:`MAX_MEMORY_SAMPLES` readings per repeat
(:func:`compact_memory`): the first and last two and the peak with its neighbours as read, the
others merged in runs, time-weighted, so the peak survives exactly and the mean nearly
(within 1% even on a timeline of 3000 irregular readings with spikes of 6x).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Collection, NamedTuple, Sequence

from harness.results.model import MemoryUse

if TYPE_CHECKING:
    from harness.execution.sampler import CpuSamples

__all__ = [
    "MAX_MEMORY_SAMPLES", "METRICS", "SWEEP_METRIC", "MemorySamples", "ProcessMemory", "TreeReading", "compact_memory",
    "mean_bytes", "memory_use", "read_process", "read_tree", "samples_from_readings",
]

METRICS = ("uss", "pss", "rss")  # best first
# What a sweep's runs sum (harness run, harness.sweep): PSS, not USS. After fork, the pages a
# worker still shares with the harness are unique to none of them, so a sum of USS falls below
# the harness alone; PSS splits each shared page among its sharers, and its sum is the footprint.
SWEEP_METRIC = "pss"
MAX_MEMORY_SAMPLES = 100


class ProcessMemory(NamedTuple):
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


@dataclass(frozen=True, slots=True)
class MemorySamples:
    """The readings of one timed repeat: at ``t[i]`` (perf_counter), ``processes[i]`` processes
    held ``total_bytes[i]`` bytes of ``metric`` ("uss", "pss" or "rss") together."""

    metric: str
    t: tuple[float, ...]
    total_bytes: tuple[int, ...]
    processes: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"memory metric must be one of {', '.join(METRICS)}, got {self.metric!r}")
        if not len(self.t) == len(self.total_bytes) == len(self.processes):
            raise ValueError("memory samples: t, total_bytes and processes need one value per sample")

    def to_dict(self) -> dict[str, Any]:
        """The sampler's stop reply and the journal's form (times to 0.1 ms)."""
        return {"metric": self.metric, "t": [round(v, 4) for v in self.t], "bytes": list(self.total_bytes),
                "processes": list(self.processes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MemorySamples":
        return cls(metric=str(data["metric"]), t=tuple(float(v) for v in data["t"]),
                   total_bytes=tuple(int(v) for v in data["bytes"]),
                   processes=tuple(int(v) for v in data["processes"]))


def samples_from_readings(readings: Sequence[TreeReading], prefer: str = "uss") -> MemorySamples | None:
    """A window's readings in the best metric all of them have: ``prefer``, else the weaker
    ones after it (USS, else PSS, else RSS)."""
    readings = [r for r in readings if r.processes > 0]
    if not readings:
        return None
    for index in range(METRICS.index(prefer), len(METRICS)):
        metric = METRICS[index]
        if all(r.total[index] is not None for r in readings):
            return MemorySamples(metric, tuple(r.t for r in readings),
                                 tuple(int(r.total[index]) for r in readings),
                                 tuple(r.processes for r in readings))
    raise AssertionError("rss is always read")  # pragma: no cover


def _weights(t: Sequence[float]) -> list[float]:
    """Each reading's share of the window under the trapezoid rule: half of each neighbouring gap."""
    gaps = [max(b - a, 0.0) for a, b in zip(t, t[1:])]
    return [((gaps[i - 1] if i > 0 else 0.0) + (gaps[i] if i < len(gaps) else 0.0)) / 2 for i in range(len(t))]


def mean_bytes(samples: MemorySamples) -> float:
    """Time-weighted mean of one repeat's readings (trapezoid rule; one reading: itself)."""
    if not samples.t:
        return 0.0
    weights = _weights(samples.t)
    total = sum(weights)
    if total <= 0:
        return sum(samples.total_bytes) / len(samples.total_bytes)
    return sum(w * v for w, v in zip(weights, samples.total_bytes)) / total


def _memory_of(item: "CpuSamples | MemorySamples | None") -> MemorySamples | None:
    if item is None or isinstance(item, MemorySamples):
        return item
    return item.memory  # CpuSamples


def memory_use(samples: Sequence["CpuSamples | MemorySamples | None"]) -> MemoryUse | None:
    """The MemoryUse of one configuration from the samples of all its timed repeats.

    Takes each repeat's CpuSamples (their ``memory``) or MemorySamples; None and repeats
    without readings are skipped; None if no repeat has any. Peak: the largest reading;
    mean: time-weighted (each repeat by the span of its readings); processes: the most seen
    at once; samples: the readings counted (for a repeat read back from the journal: the
    at most MAX_MEMORY_SAMPLES it was compacted to). Repeats read in different metrics (a process
    whose smaps could not be read in some) are not comparable: only those in the metric most
    of them have count (on a tie, the weaker metric).
    """
    windows = [m for m in map(_memory_of, samples) if m is not None and m.t]
    if not windows:
        return None
    counts = Counter(m.metric for m in windows)
    metric = max(counts, key=lambda name: (counts[name], METRICS.index(name)))
    windows = [m for m in windows if m.metric == metric]
    peak = max(max(m.total_bytes) for m in windows)
    spans = [max(m.t[-1] - m.t[0], 0.0) for m in windows]
    means = [mean_bytes(m) for m in windows]
    if sum(spans) > 0:
        mean = sum(s * v for s, v in zip(spans, means)) / sum(spans)
    else:
        mean = sum(means) / len(means)
    return MemoryUse(metric=metric, peak_bytes=int(peak), mean_bytes=min(int(round(mean)), int(peak)),
                     processes=max(max(m.processes) for m in windows),
                     samples=sum(len(m.t) for m in windows))


def compact_memory(samples: MemorySamples, max_samples: int = MAX_MEMORY_SAMPLES) -> MemorySamples:
    """At most ``max_samples`` readings (>= 10): the first two, the last two, the peak and its
    neighbours kept as read (so the peak keeps its weight in the mean); the runs between merged
    into one reading each, at their weighted mean time, with their time-weighted mean bytes and
    their largest process count. A short repeat keeps all its readings."""
    if max_samples < 10:
        raise ValueError(f"max_samples must be >= 10, got {max_samples}")
    count = len(samples.t)
    if count <= max_samples:
        return samples
    values = samples.total_bytes
    peak = max(range(count), key=values.__getitem__)
    keep = sorted({0, 1, peak - 1, peak, peak + 1, count - 2, count - 1} & set(range(count)))
    # The runs of readings between the kept ones, cut into groups of equal length.
    segments = [(lo + 1, hi) for lo, hi in zip(keep, keep[1:]) if hi > lo + 1]
    inner = sum(hi - lo for lo, hi in segments)
    group = math.ceil(inner / (max_samples - len(keep) - len(segments) + 1))
    weights = _weights(samples.t)
    out = [(samples.t[i], values[i], samples.processes[i]) for i in keep]
    for first, end in segments:
        for lo in range(first, end, group):
            hi = min(lo + group, end)
            w = weights[lo:hi]
            total = sum(w)
            if total > 0:
                t = sum(wi * ti for wi, ti in zip(w, samples.t[lo:hi])) / total
                v = sum(wi * vi for wi, vi in zip(w, values[lo:hi])) / total
            else:
                t = sum(samples.t[lo:hi]) / (hi - lo)
                v = sum(values[lo:hi]) / (hi - lo)
            out.append((t, int(round(v)), max(samples.processes[lo:hi])))
    out.sort(key=lambda row: row[0])
    return MemorySamples(samples.metric, tuple(r[0] for r in out), tuple(r[1] for r in out),
                         tuple(r[2] for r in out))
