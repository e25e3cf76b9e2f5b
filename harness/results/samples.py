"""What the sampler measured during one timed repeat: per-core CPU load and the memory of the
harness and its workers, as values, with the pure functions that sum them up.

The sampler process (:mod:`harness.execution.sampler`) produces these; the journal stores them
(compacted: :func:`harness.results.timeline.compact_timeline` for the load, :func:`compact_memory`
for memory); a run's summary turns them into its :class:`~harness.results.model.CpuLoad` and
:class:`~harness.results.model.MemoryUse`.

Memory aggregation (:func:`memory_use`): the peak is the largest reading of any repeat; the
mean is time-weighted: within a repeat the readings are joined by straight lines (trapezoid
rule from its first reading to its last), across repeats each weighs by its length, as
:func:`mean_per_core` weighs CPU load. The journal keeps at most :data:`MAX_MEMORY_SAMPLES`
readings per repeat: the first and last two and the peak with its neighbours as read, the
others merged in runs, time-weighted, so the peak survives exactly and the mean nearly
(within 1% even on a timeline of 3000 irregular readings with spikes of 6x).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

from harness.results.measures import MemoryUse

__all__ = ["MAX_MEMORY_SAMPLES", "METRICS", "CpuSamples", "MemorySamples", "compact_memory", "mean_bytes",
           "mean_per_core", "memory_use"]

METRICS = ("uss", "pss", "rss")  # best first
MAX_MEMORY_SAMPLES = 100


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


@dataclass(frozen=True, slots=True)
class CpuSamples:
    """Per-core busy percent; sample i covers (t[i-1], t[i]], the first from ``start``.

    ``memory``: the memory readings of the same window (None where memory was not sampled).
    """

    start: float
    t: tuple[float, ...]
    per_core: tuple[tuple[float, ...], ...]  # one series per logical CPU
    memory: MemorySamples | None = None


def mean_per_core(samples: CpuSamples) -> tuple[float, ...]:
    """Time-weighted mean load of each core over the whole window."""
    if not samples.t:
        return ()
    edges = (samples.start,) + samples.t
    weights = [max(b - a, 0.0) for a, b in zip(edges, edges[1:])]
    total = sum(weights)
    if total <= 0:
        return tuple(series[-1] for series in samples.per_core)
    return tuple(sum(w * v for w, v in zip(weights, series)) / total for series in samples.per_core)


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
