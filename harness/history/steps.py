"""Steps in one benchmark history: where a series' level changed, by how much, how surely.

A pure function on samples per commit (first-parent order), chosen by the detection-quality
benchmark (``benchmarks/history_detection.py``; the figures are in its docstring and in the
README) against asv's ``step_detect`` and github-action-benchmark's previous-value rule:

1. **Per-commit value**: the median of the commit's samples, in log space, so that steps are
   ratios and the scale does not matter (linear, divided by the median magnitude, when a
   value is <= 0). Commits without samples are skipped; the indices still name the input.
2. **Candidates**: ruptures' binary segmentation with the L1 cost (robust to the whole
   commits a slow machine state shifts), ``min_size`` 3 commits, stopped by the penalty
   ``penalty_c * sigma * ln(n)``, where sigma is a robust noise scale from first differences
   (``1.4826 * MAD(diff) / sqrt(2)``: the steps themselves do not inflate it), floored at 0.1%.
3. **Filter**, to a fixed point: each candidate compares the segments either side (bounded by
   its neighbours). ``change = median(after samples) / median(before samples) - 1``; ``p`` is a
   two-sided Mann-Whitney U on the *per-commit medians* of the two segments (a commit is the
   independent unit: a whole commit can land in a slow state, and pooling its samples would
   overstate the evidence). A candidate stays when ``|change| >= threshold`` and ``p < alpha``;
   otherwise one goes and all are judged again: first the smallest change under the threshold,
   then, once every change reaches it, the largest p. (Not the largest p first: the p of a
   short segment is coarse, 0.0095 at best for 4 commits against 6, so ranking by p alone
   would drop a clear step beside a short spurious segment, before the spurious break whose
   removal would have given the step its whole segment.)
4. **Blip rule**: an interior segment shorter than ``blip`` commits whose neighbours do not
   differ is an excursion (a few slow commits in a row), not two steps: both its ends go.

ruptures' Binseg evaluates every split of a segment with ``np.median``, O(m^2 log m) per
segment: 0.45 s for one 1,000-commit series, too slow for hundreds of series. The split
search here (:class:`_L1Binseg`) is the same search, exact, from running medians kept in two
heaps (O(m log m)); ruptures still drives the segmentation and its stopping rule, and the
tests check that both give the same breakpoints.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np
import ruptures as rpt

__all__ = ["DEFAULT_ALPHA", "DEFAULT_THRESHOLD", "DetectorSettings", "Samples", "Step", "detect_steps", "prefix_l1_costs"]

DEFAULT_THRESHOLD = 0.10  # harness compare's 10%
DEFAULT_ALPHA = 0.05
_SIGMA_FLOOR = 1e-3  # in log units: 0.1%, so that a constant series (memory) has a scale


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """The detector's tuned constants (NOTES of the benchmark: c=1, 3 commits, blip 5)."""

    penalty_c: float = 1.0
    min_size: int = 3
    blip: int = 5

    def __post_init__(self) -> None:
        if not self.penalty_c > 0 or self.min_size < 1 or self.blip < 0:
            raise ValueError(f"detector settings out of range: {self!r}")


@dataclass(frozen=True, slots=True)
class Step:
    """One step: ``index`` is the first commit (of the input) after it; ``before`` and ``after``
    the medians of the samples of the segments either side; ``change`` = after / before - 1;
    ``p_value`` the Mann-Whitney U p on their per-commit medians."""

    index: int
    before: float
    after: float
    change: float
    p_value: float


def prefix_l1_costs(values: Sequence[float]) -> list[float]:
    """``out[i] = sum(|v - median(values[:i+1])|)``: the L1 cost of every prefix, O(n log n).

    Two heaps hold the lower half (negated, its top the median of an odd count) and the upper
    half, with their sums. For an even count the cost about any point between the middle two is
    the sum of the upper half less the sum of the lower; an odd count adds the median once.
    Each value goes into the half that keeps them balanced, through the other half when it
    belongs there (one heappushpop), so a step costs one or two heap operations.
    """
    low: list[float] = []
    high: list[float] = []
    out: list[float] = []
    push, pushpop, append = heapq.heappush, heapq.heappushpop, out.append
    s_low = s_high = 0.0
    balanced = True
    for v in values:
        if balanced:  # the count becomes odd: the new median joins the lower half
            if high and v > high[0]:
                moved = pushpop(high, v)
                s_high += v - moved
                v = moved
            push(low, -v)
            s_low += v
            append(s_high - s_low - low[0])
        else:
            top = -low[0]
            if v < top:
                pushpop(low, -v)
                s_low += v - top
                v = top
            push(high, v)
            s_high += v
            append(s_high - s_low)
        balanced = not balanced
    return out


class _L1Binseg(rpt.Binseg):
    """ruptures' Binseg with the L1 cost, its best split of a segment found in O(m log m)."""

    def __init__(self, min_size: int) -> None:
        super().__init__(model="l1", min_size=min_size, jump=1)

    def fit(self, signal) -> "_L1Binseg":
        self._values = np.asarray(signal, dtype=float).ravel().tolist()
        super().fit(signal)
        return self

    @lru_cache(maxsize=None)  # noqa: B019 - as ruptures' own single_bkp; fit() clears it
    def single_bkp(self, start: int, end: int):
        segment = self._values[start:end]
        m = len(segment)
        if m < 2 * self.min_size:
            return None, 0
        left = np.asarray(prefix_l1_costs(segment))           # left[k-1]: cost of segment[:k]
        right = np.asarray(prefix_l1_costs(segment[::-1]))[::-1]  # right[k]: cost of segment[k:]
        ks = np.arange(self.min_size, m - self.min_size + 1)
        gains = left[-1] - left[ks - 1] - right[ks]
        # ruptures takes max((gain, bkp)): the last of equal gains. The L1 cost is piecewise linear,
        # so exact ties between neighbouring splits are common; rounding must not pick among them.
        top = gains.max()
        best = np.flatnonzero(gains >= top - 1e-9 * (1.0 + abs(top)))[-1]
        return start + int(ks[best]), float(gains[best])


def _robust_sigma(y: np.ndarray) -> float:
    if len(y) < 3:
        return _SIGMA_FLOOR
    d = np.diff(y)
    return max(1.4826 * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2), _SIGMA_FLOOR)


@dataclass(frozen=True, slots=True)
class Samples:
    """Samples per commit, flattened: commit i's are ``values[offsets[i]:offsets[i + 1]]``.

    What a history of hundreds of commits is handed over as: one array, no object per commit.
    """

    values: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[Sequence[float]]) -> "Samples":
        counts = [len(r) for r in rows]
        flat = np.fromiter((v for r in rows for v in r), dtype=float, count=sum(counts))
        return cls(flat, np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def row(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i]:self.offsets[i + 1]]

    def take(self, indices: Sequence[int]) -> "Samples":
        """The commits at ``indices``, in that order."""
        rows = [self.row(i) for i in indices]
        counts = [len(r) for r in rows]
        values = np.concatenate(rows) if rows else np.empty(0)
        return Samples(values, np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]))

    def medians(self) -> np.ndarray:
        """Each commit's median (every commit has a sample), vectorized even for unequal counts."""
        counts = self.counts
        if len(counts) and (counts == counts[0]).all():
            return np.median(self.values.reshape(len(counts), counts[0]), axis=1)
        groups = np.repeat(np.arange(len(counts)), counts)
        ordered = self.values[np.lexsort((self.values, groups))]
        starts = self.offsets[:-1]
        return (ordered[starts + (counts - 1) // 2] + ordered[starts + counts // 2]) / 2.0


class _Segments:
    """The commits' samples flattened once, so a segment's pooled median is one slice."""

    def __init__(self, samples: Samples) -> None:
        self.flat = samples.values
        self.offsets = samples.offsets
        self.medians = samples.medians()

    def compare(self, a: int, b: int, c: int, d: int) -> tuple[float, float, float, float]:
        """before, after, change and p between the commits [a, b) and [c, d)."""
        from scipy.stats import mannwhitneyu

        before = float(np.median(self.flat[self.offsets[a]:self.offsets[b]]))
        after = float(np.median(self.flat[self.offsets[c]:self.offsets[d]]))
        if before == 0:
            change = 0.0 if after == 0 else math.copysign(math.inf, after)
        else:
            change = after / before - 1.0
        p = float(mannwhitneyu(self.medians[a:b], self.medians[c:d], alternative="two-sided").pvalue)
        return before, after, change, (1.0 if math.isnan(p) else p)  # all tied: no evidence


def _filter(segments: _Segments, bkps: list[int], n: int, threshold: float, alpha: float,
            blip: int) -> list[tuple[int, tuple[float, float, float, float]]]:
    """The candidates that pass (steps 3 and 4 of the module docstring), with their figures."""
    while True:
        edges = [0, *bkps, n]
        evals = [segments.compare(edges[i], edges[i + 1], edges[i + 1], edges[i + 2]) for i in range(len(bkps))]
        small = [i for i, (_, _, change, _) in enumerate(evals) if not abs(change) >= threshold]
        if small:  # the smallest change goes first: it can never be reported, whatever its p
            del bkps[min(small, key=lambda i: (abs(evals[i][2]), -evals[i][3]))]
            continue
        unsure = [i for i, (_, _, _, p) in enumerate(evals) if not p < alpha]
        if unsure:
            del bkps[max(unsure, key=lambda i: (evals[i][3], -abs(evals[i][2])))]
            continue
        for i in range(1, len(bkps)):
            if bkps[i] - bkps[i - 1] >= blip:
                continue
            _, _, change, p = segments.compare(edges[i - 1], edges[i], edges[i + 1], edges[i + 2])
            if abs(change) < threshold or p >= alpha:
                del bkps[i - 1:i + 1]
                break
        else:
            return list(zip(bkps, evals))


def detect_steps(samples_per_commit: "Samples | Sequence[Sequence[float]]", threshold: float = DEFAULT_THRESHOLD,
                 alpha: float = DEFAULT_ALPHA, settings: DetectorSettings = DetectorSettings()) -> tuple[Step, ...]:
    """The steps of one history, oldest first (see the module docstring for the rule).

    ``samples_per_commit`` holds, per commit in first-parent order, that commit's samples (an
    empty one for a commit not measured), as :class:`Samples` or as a sequence of sequences.
    ValueError for a threshold or alpha out of range.
    """
    if not threshold >= 0 or not 0 < alpha < 1:
        raise ValueError(f"need threshold >= 0 and 0 < alpha < 1, got {threshold!r}, {alpha!r}")
    samples = samples_per_commit if isinstance(samples_per_commit, Samples) else Samples.of(samples_per_commit)
    keep = np.flatnonzero(samples.counts > 0)
    if len(keep) < len(samples):
        samples = samples.take(keep)
    n = len(samples)
    if n < 2 * settings.min_size:
        return ()
    segments = _Segments(samples)
    meds = segments.medians
    y = np.log(meds) if np.all(meds > 0) else meds / max(float(np.median(np.abs(meds))), 1e-300)
    penalty = settings.penalty_c * _robust_sigma(y) * math.log(n)
    bkps = sorted(int(b) for b in _L1Binseg(settings.min_size).fit(y).predict(pen=penalty)[:-1])
    passed = _filter(segments, bkps, n, threshold, alpha, settings.blip)
    return tuple(Step(int(keep[b]), before, after, change, p) for b, (before, after, change, p) in passed)
