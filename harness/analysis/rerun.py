"""Where a rerun's figure would land: distribution-free prediction intervals for a median.

A 95% confidence interval for a run's median speedup says where the *true* median lies. A
person who runs the sweep again asks something else: where will *that* run's figure land?
The rerun's median has its own sampling error on top of this run's, so even on a perfectly
steady host a 95% confidence interval holds a rerun's median only 84-94% of the time (the
sign-test interval of an odd 7 to 29 values; ``rerun_coverage`` gives the figure for any size).

The interval here is the one that means "a rerun": order statistics [x_(k), x_(m+1-k)] of
this run's m values, with k the largest whose chance of holding the median of m' new values
from the same distribution is at least the confidence. Only exchangeability is assumed (no
shape): the rank of the new median among the old values then has a known distribution. The
number of old values below the new sample's j-th smallest is negative-hypergeometric,

    P(T = t) = C(t + j - 1, t) * C(m - t + m' - j, m - t) / C(m + m', m),

and the interval holds the new median when k <= T <= m - k (exactly, for an odd m' and no
tied values; ties only make it hold more often). An even m' has the mean of two middle
values as its median: it can escape only if its lower middle value falls below x_(k) or its
upper one above x_(m+1-k), each as likely as the other, so 1 - 2 P(T < k) is a lower bound.
Below 9 values no such interval is sure to reach 95%: [min, max] is returned with its coverage.

What it cannot hold is a host that changed between the runs: a drift longer than the run
itself is in no run's values. The answer-stability benchmark measures exactly that gap.
Pure functions, tested against exhaustive enumeration and literal numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

__all__ = ["RerunInterval", "min_values_for_rerun", "rerun_coverage", "rerun_interval", "rerun_ratio"]


@dataclass(frozen=True, slots=True)
class RerunInterval:
    """Where a rerun's median would land, and how often an interval so made holds it (``coverage``)."""

    lo: float
    hi: float
    coverage: float

    def __post_init__(self) -> None:
        if not self.lo <= self.hi or not 0.0 <= self.coverage <= 1.0:
            raise ValueError(f"not a rerun interval: {self!r}")


@lru_cache(maxsize=1024)
def _below_tail(m: int, future: int, j: int, k: int) -> float:
    """P(T < k): fewer than k of the m old values lie below the j-th smallest of ``future`` new ones."""
    total = math.comb(m + future, m)
    return sum(math.comb(t + j - 1, t) * math.comb(m - t + future - j, m - t) for t in range(k)) / total


def rerun_coverage(m: int, k: int, future: int | None = None) -> float:
    """How often [x_(k), x_(m+1-k)] of m exchangeable values holds the median of ``future``
    (default m) more of them: exact for an odd ``future``, a lower bound for an even one."""
    future = m if future is None else future
    if m < 1 or future < 1 or not 1 <= k <= (m + 1) // 2:
        raise ValueError(f"need m, future >= 1 and 1 <= k <= (m+1)//2, got m={m}, k={k}, future={future}")
    # The new median's lower middle value must not fall below x_(k); by symmetry the upper
    # middle value escapes above x_(m+1-k) as often. An odd future has one middle value.
    return max(0.0, 1.0 - 2.0 * _below_tail(m, future, (future + 1) // 2, k))


def min_values_for_rerun(confidence: float = 0.95) -> int:
    """The fewest values whose [min, max] holds a rerun's median (as many values) with ``confidence``:
    9 for 95% (7 hold 93.0%; 8 at least 92.3%), where the median's own interval needs only 6."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence is {confidence}; it must be strictly between 0 and 1")
    m = 2
    while rerun_coverage(m, 1) < confidence:
        m += 1
    return m


def rerun_interval(values: Sequence[float], confidence: float = 0.95, future: int | None = None) -> RerunInterval:
    """The narrowest order-statistic interval of ``values`` that holds a rerun's median (of
    ``future`` values, default as many) with at least ``confidence``; [min, max] with its lower
    coverage when even that falls short. ValueError for no values, a value that is not finite,
    or a confidence outside (0, 1)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence is {confidence}; it must be strictly between 0 and 1")
    ordered = sorted(float(v) for v in values)
    m = len(ordered)
    if m == 0 or not all(map(math.isfinite, ordered)):
        raise ValueError(f"rerun_interval needs at least one value, all finite; got {m} value(s)")
    if m == 1:
        return RerunInterval(ordered[0], ordered[0], 0.0)  # one value says nothing about the next
    k = 1
    while k + 1 <= (m + 1) // 2 and rerun_coverage(m, k + 1, future) >= confidence:
        k += 1
    return RerunInterval(ordered[k - 1], ordered[m - k], rerun_coverage(m, k, future))


def rerun_ratio(numerator: Sequence[float] | Mapping[int, float], denominator: Sequence[float] | Mapping[int, float],
                confidence: float = 0.95) -> RerunInterval | None:
    """Where a rerun's ratio ``numerator / denominator`` of two configurations' median times
    (a speedup: serial over a run) would land.

    Mappings are times by interleaved pass: the per-pass ratios, paired, carry the ratio (a slow
    spell stretches both sides of one ratio); the interval is for a rerun's *median per-pass
    ratio*. Sequences are repeats timed apart: each side's median gets its own rerun interval at
    ``1 - (1 - confidence) / 2`` and the ratio of medians spans their extremes; its coverage is
    the union bound 1 - (misses of one side) - (misses of the other), which needs no
    independence between the sides (11 repeats a side reach 95%; 9 reach 94.1%). Only positive,
    finite times count; None where none are left."""
    if isinstance(numerator, Mapping) and isinstance(denominator, Mapping):
        common = sorted(set(numerator) & set(denominator))
        ratios = [numerator[p] / denominator[p] for p in common if _usable(numerator[p]) and _usable(denominator[p])]
        return rerun_interval(ratios, confidence) if ratios else None
    tops, bottoms = [t for t in _times(numerator) if _usable(t)], [t for t in _times(denominator) if _usable(t)]
    if not tops or not bottoms:
        return None
    each = 1.0 - (1.0 - confidence) / 2.0
    top, bottom = rerun_interval(tops, each), rerun_interval(bottoms, each)
    coverage = max(0.0, top.coverage + bottom.coverage - 1.0)
    return RerunInterval(top.lo / bottom.hi, top.hi / bottom.lo, coverage)


def _usable(time: float) -> bool:
    return math.isfinite(time) and time > 0


def _times(values: Sequence[float] | Mapping[int, float]) -> Sequence[float]:
    return list(values.values()) if isinstance(values, Mapping) else values
