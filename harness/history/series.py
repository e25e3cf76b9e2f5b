"""The properties a history follows per series, and their samples per commit.

harness records more than wall time, so a history can say *which* property stepped:

* ``time``: the timed repeats. Where every run of the series timed the reference loop beside
  each repeat (``--reference``, as ``history run`` does), each repeat is divided by its
  reference time first, as ``harness compare`` does: a machine that ran slower for one
  commit then does not pose as a step. Worse is up.
* ``speedup``: serial's median over each repeat (speedup x median / repeat), so a commit has
  as many samples as repeats. Left out for the baseline itself (always 1). Worse is down.
* ``busy_cores``: the cores the run kept busy (one value per run). Worse is down: the pool
  stopped running in parallel.
* ``memory``: the peak total memory of the harness and its workers (one value). Worse is up.

Only runs that finished (status ok) give samples; several sweeps at one commit pool theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.history.records import CommitInfo, PointValues, SeriesKey
from harness.history.store import SeriesHistory

__all__ = ["METRICS", "Metric", "MetricSeries", "metric_series"]


@dataclass(frozen=True, slots=True)
class Metric:
    """A property followed over commits: its name, how a person reads it, and which way is worse."""

    name: str
    title: str
    unit: str
    worse: str  # "up" or "down"


METRICS = (Metric("time", "time", "s", "up"), Metric("speedup", "speedup", "x", "down"),
           Metric("busy_cores", "busy cores", "cores", "down"), Metric("memory", "memory peak", "bytes", "up"))
_BY_NAME = {m.name: m for m in METRICS}


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One property of one series: per measured commit (oldest first) its samples.

    ``normalized``: time samples divided by their reference times (unit "x reference").
    """

    key: SeriesKey
    metric: Metric
    commits: tuple[CommitInfo, ...]
    samples: tuple[tuple[float, ...], ...]
    normalized: bool = False

    @property
    def unit(self) -> str:
        return "x reference" if self.normalized else self.metric.unit


def _by_commit(history: SeriesHistory) -> list[tuple[CommitInfo, list[PointValues]]]:
    grouped: list[tuple[CommitInfo, list[PointValues]]] = []
    for point in history.points:
        if grouped and grouped[-1][0].sha == point.commit.sha:
            grouped[-1][1].append(point.values)
        else:
            grouped.append((point.commit, [point.values]))
    return grouped


def _speedups(v: PointValues) -> tuple[float, ...]:
    if v.speedup is None or v.median_s is None:
        return ()
    serial = v.speedup * v.median_s
    return tuple(serial / t for t in v.times_s if t > 0)


def _samples(metric: str, v: PointValues, normalized: bool) -> tuple[float, ...]:
    if v.status != "ok":
        return ()
    if metric == "time":
        return tuple(t / r for t, r in zip(v.times_s, v.reference_s)) if normalized else v.times_s
    if metric == "speedup":
        return _speedups(v)
    value = v.busy_cores if metric == "busy_cores" else v.memory_peak_bytes
    return () if value is None else (float(value),)


def metric_series(history: SeriesHistory, metrics: tuple[str, ...] = tuple(_BY_NAME)) -> list[MetricSeries]:
    """The series' properties that have samples at two commits or more."""
    grouped = _by_commit(history)
    ok = [v for _, values in grouped for v in values if v.status == "ok"]
    normalized = bool(ok) and all(v.reference_s and min(v.reference_s) > 0 for v in ok)
    out = []
    for name in metrics:
        if name == "speedup" and all(v.speedup in (None, 1.0) for v in ok):
            continue  # the baseline: its speedup is 1 by definition
        commits, samples = [], []
        for commit, values in grouped:
            pooled = tuple(s for v in values for s in _samples(name, v, normalized and name == "time"))
            if pooled:
                commits.append(commit)
                samples.append(pooled)
        if len(commits) >= 2:
            out.append(MetricSeries(history.key, _BY_NAME[name], tuple(commits), tuple(samples),
                                    normalized and name == "time"))
    return out
