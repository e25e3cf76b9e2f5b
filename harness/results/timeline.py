"""Per-core CPU timelines kept small: a bounded number of samples, whole percents.

A repeat of 30 s sampled every 0.1 s on a 128-CPU machine is 300 x 128 readings; a sweep of
300 such configurations would be tens of megabytes of results.json and of journal. The
report draws a timeline a few hundred pixels wide, so a timeline is merged down to at most
``MAX_TIMELINE_SAMPLES`` samples (time-weighted, so each merged sample is still the mean
load over the interval it covers) and stored in whole percents (psutil's own readings are
only good to about a percent at the default interval). A short repeat keeps every sample.

Also here, for the report at many cores: :func:`busiest_first`, which sorts each moment's
loads so that a heatmap of 128 cores reads as "how many cores were busy, when".
"""

from __future__ import annotations

import math
from typing import Sequence

__all__ = ["MAX_TIMELINE_SAMPLES", "merge_samples", "compact_timeline", "busiest_first", "busy_cores_over_time"]

MAX_TIMELINE_SAMPLES = 100


def merge_samples(
    edges: Sequence[float], per_core: Sequence[Sequence[float]], max_samples: int = MAX_TIMELINE_SAMPLES,
) -> tuple[tuple[float, ...], tuple[tuple[float, ...], ...]]:
    """Merge runs of consecutive samples so that at most ``max_samples`` remain.

    ``edges`` has one more value than each series: sample i covers (edges[i], edges[i+1]].
    Returns (sample end times, per-core series); each merged value is the time-weighted mean
    of the samples it replaces, so the mean load over the whole window is unchanged.
    """
    if max_samples < 1:
        raise ValueError(f"max_samples must be >= 1, got {max_samples}")
    count = len(edges) - 1
    if any(len(series) != count for series in per_core):
        raise ValueError("every core needs one value per sample interval")
    if count <= max_samples:
        return tuple(edges[1:]), tuple(tuple(series) for series in per_core)
    group = math.ceil(count / max_samples)
    bounds = [(i, min(i + group, count)) for i in range(0, count, group)]
    weights = [max(edges[i + 1] - edges[i], 0.0) for i in range(count)]
    ends = tuple(edges[hi] for _, hi in bounds)
    merged = []
    for series in per_core:
        row = []
        for lo, hi in bounds:
            total = sum(weights[lo:hi])
            if total > 0:
                row.append(sum(w * v for w, v in zip(weights[lo:hi], series[lo:hi])) / total)
            else:  # zero-length samples: their plain mean
                row.append(sum(series[lo:hi]) / (hi - lo))
        merged.append(tuple(row))
    return ends, tuple(merged)


def compact_timeline(
    start: float, t: Sequence[float], per_core: Sequence[Sequence[float]], max_samples: int = MAX_TIMELINE_SAMPLES,
) -> tuple[tuple[float, ...], tuple[tuple[int, ...], ...]]:
    """The stored form of one repeat's samples: times from ``start`` (ms precision), at most
    ``max_samples`` samples, loads clamped to 0..100 and rounded to whole percents."""
    edges = [0.0] + [round(x - start, 4) for x in t]
    ends, merged = merge_samples(edges, per_core, max_samples)
    return ends, tuple(tuple(int(round(min(max(v, 0.0), 100.0))) for v in series) for series in merged)


def busiest_first(per_core: Sequence[Sequence[float]]) -> list[list[float]]:
    """The loads of each sample sorted high to low down the cores: row k is the (k+1)-th
    busiest core at that moment, whichever core it was. The bright band's height is then the
    number of busy cores, even when the scheduler moves work between cores every sample."""
    if not per_core:
        return []
    columns = [sorted(column, reverse=True) for column in zip(*per_core)]
    return [list(row) for row in zip(*columns)] if columns else [[] for _ in per_core]


def busy_cores_over_time(per_core: Sequence[Sequence[float]]) -> list[float]:
    """Per sample, the sum of the loads in cores (100% = one core)."""
    return [sum(column) / 100.0 for column in zip(*per_core)]
