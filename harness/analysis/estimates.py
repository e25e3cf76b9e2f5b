"""How much faster one set of repeats is than another, with a 95% interval that means it.

Two estimators of the ratio ``numerator / denominator`` of two configurations' times (a
speedup is serial's time over a run's; a tie is a time ratio near 1):

* **paired**, when both were timed in the same interleaved passes: each pass gives one
  ratio of two repeats timed seconds apart, so a slow spell of the host, which stretches
  both, cancels out of it. The estimate is the median of the per-pass ratios, its interval
  the sign test's (order statistics of the ratios: no assumption about their distribution).
  It needs PAIRED_MIN passes in common, the fewest whose median has a true 95% interval.
* **unpaired**, otherwise (configurations timed one by one, different interpreters, too few
  common passes): the Hodges-Lehmann estimate of the shift between the two samples' log
  times, the median of all pairwise log ratios, with the exact interval the Mann-Whitney U
  distribution gives (Lehmann, *Nonparametrics*, ch. 2). It assumes one sample is the other
  stretched by a factor, and treats the repeats as independent.

The older interval (``stats.speedup_interval``: the extremes of the two medians' intervals
paired against each other) covers every ratio both intervals allow; it is honest but about
twice as wide as either of these. Pure functions, tested against literal numbers.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

from harness.stats import median, median_ci, median_ci_coverage

__all__ = ["CONFIDENCE", "PAIRED_MIN", "RATIO_METHOD", "Estimate", "paired_ratio", "ratio_estimate",
           "unpaired_ratio", "pass_times"]

CONFIDENCE = 0.95
# Six ratios: their [min, max] covers the median with 1 - 2 * 0.5**6 = 96.9%; five only 93.75%.
PAIRED_MIN = 6
PAIRED = "paired"
UNPAIRED = "unpaired"


@dataclass(frozen=True, slots=True)
class Estimate:
    """A ratio, its interval (95% unless ``confidence`` says more; None where the samples are too
    few for one) and how it was got."""

    value: float
    ci: tuple[float, float] | None
    method: str  # "paired" or "unpaired"
    count: int  # the ratios (paired) or the pairs of repeats (unpaired) it rests on
    confidence: float = CONFIDENCE  # what the interval holds: above 95% where one of many comparisons

    def __post_init__(self) -> None:
        if self.method not in (PAIRED, UNPAIRED):
            raise ValueError(f"method must be paired or unpaired, got {self.method!r}")
        if self.ci is not None and not self.ci[0] <= self.ci[1]:
            raise ValueError(f"interval out of order: {self.ci}")

    @property
    def relative_width(self) -> float | None:
        """The interval's width over the estimate (None without an interval)."""
        return None if self.ci is None or self.value <= 0 else (self.ci[1] - self.ci[0]) / self.value

    def excludes(self, value: float) -> bool:
        """True when the interval lies wholly above or below ``value``: different beyond noise."""
        return self.ci is not None and (self.ci[0] > value or self.ci[1] < value)


def pass_times(times: Sequence[float], passes: Sequence[int | None] | None) -> dict[int, float]:
    """A configuration's repeat times by the interleaved pass that timed them (empty when none)."""
    if not passes or len(passes) != len(times):  # a hand-edited run whose passes do not line up: none
        return {}
    return {p: t for t, p in zip(times, passes) if p is not None}


def paired_ratio(numerator: Mapping[int, float], denominator: Mapping[int, float],
                 confidence: float = CONFIDENCE) -> Estimate | None:
    """The median per-pass ratio with the sign test's interval (None where the passes are too few
    to reach ``confidence``); None below PAIRED_MIN common passes."""
    common = sorted(set(numerator) & set(denominator))
    ratios = [numerator[p] / denominator[p] for p in common if denominator[p] > 0]
    if len(ratios) < PAIRED_MIN:
        return None
    interval = median_ci(ratios, confidence)
    ci = (interval.lo, interval.hi) if interval.confidence_achieved >= confidence else None
    return Estimate(median(ratios), ci, PAIRED, len(ratios), confidence)


@lru_cache(maxsize=256)
def _u_counts(m: int, n: int) -> tuple[int, ...]:
    """How many of the C(m+n, m) orderings give each Mann-Whitney U = 0..mn (no ties): the
    coefficients of the Gaussian binomial [m+n choose m], built as prod (1 - q^(n+i)) / (1 - q^i)."""
    size = m * n + 1
    coefficients = [1] + [0] * (size - 1)
    for i in range(1, m + 1):
        for k in range(size - 1, n + i - 1, -1):  # times (1 - q^(n+i))
            coefficients[k] -= coefficients[k - n - i]
        for k in range(i, size):  # over (1 - q^i)
            coefficients[k] += coefficients[k - i]
    return tuple(coefficients)


def _lower_rank(m: int, n: int, confidence: float) -> int:
    """The k of the interval [D_(k), D_(mn+1-k)] of the mn pairwise differences: the largest k
    with P(U <= k-1) <= (1 - confidence) / 2; 0 when no k reaches the confidence."""
    counts, total = _u_counts(m, n), math.comb(m + n, m)
    tail, k, allowed = 0, 0, (1.0 - confidence) / 2
    for u, count in enumerate(counts):
        tail += count
        if tail / total > allowed:
            return k
        k = u + 1
    return k


def unpaired_ratio(numerator: Sequence[float], denominator: Sequence[float],
                   confidence: float = CONFIDENCE) -> Estimate:
    """The Hodges-Lehmann ratio of two independent samples with its exact interval at ``confidence``."""
    if not numerator or not denominator or min(numerator) <= 0 or min(denominator) <= 0:
        raise ValueError("unpaired_ratio needs positive times on both sides")
    logs = sorted(math.log(x) - math.log(y) for x in numerator for y in denominator)
    value = math.exp(statistics.median(logs))  # log ratios may be negative: stats.median refuses those
    k = _lower_rank(len(numerator), len(denominator), confidence)
    ci = (math.exp(logs[k - 1]), math.exp(logs[len(logs) - k])) if k >= 1 else None
    return Estimate(value, ci, UNPAIRED, len(logs), confidence)


# Which estimator the tie rule and the verdict use: "paired" where PAIRED_MIN passes pair up (else
# unpaired), "unpaired" always, "auto" the same as paired. benchmarks/answer_stability.py measured
# both on 5 back-to-back runs of two sweeps on a 2-vCPU VM: only the paired rule kept the answer
# (each run's tied set held every other run's winner) in both; the unpaired one crowned a winner
# that excluded another run's. Paired intervals were wider (median 32% and 49% of the point
# against 22% and 38%) and covered another run's point more often in the sweep where both fell
# short (65% against 50%): a slow spell that hits a pass hits both sides of its ratio.
RATIO_METHOD = "paired"


def _inside_extremes(passes: int, confidence: float) -> bool:
    """Whether the sign test over ``passes`` reaches ``confidence`` with [x_(2), x_(n-1)]."""
    return passes >= 3 and median_ci_coverage(passes, 2) >= confidence


def ratio_estimate(numerator: Sequence[float], numerator_passes: Sequence[int | None] | None,
                   denominator: Sequence[float], denominator_passes: Sequence[int | None] | None,
                   method: str | None = None, confidence: float = CONFIDENCE) -> Estimate:
    """The ratio of two configurations' times by ``method`` (default RATIO_METHOD): "paired"
    where they were timed in PAIRED_MIN passes together (else unpaired), or "unpaired".

    Above 95% (one of many comparisons made at once: ``ties.family_confidence``), paired is used
    only where its passes reach ``confidence`` inside their extremes, else the repeats' unpaired
    interval is. The sign test over n passes reaches at most 1 - 2 / 2**n with [min, max]
    (99.6% at 9): an interval that rests on the single slowest and fastest pass moves with one
    odd pass, while the Mann-Whitney interval of 9 repeats a side still has inner ranks there.
    At 95%, PAIRED_MIN passes always reach it, as before.
    """
    method = method or RATIO_METHOD
    if method not in ("paired", "unpaired", "auto"):
        raise ValueError(f"method must be paired, unpaired or auto, got {method!r}")
    paired = None
    if method != "unpaired":
        paired = paired_ratio(pass_times(numerator, numerator_passes), pass_times(denominator, denominator_passes),
                              confidence)
        if paired is not None and paired.ci is not None and (
                confidence <= CONFIDENCE or _inside_extremes(paired.count, confidence)):
            return paired
    if paired is not None and min(*numerator, *denominator) <= 0:
        return paired  # no unpaired estimate of a zero time: the paired one, as it is
    unpaired = unpaired_ratio(numerator, denominator, confidence)
    if unpaired.ci is not None:
        return unpaired
    if paired is not None and paired.ci is not None:
        return paired  # the passes reach it on their extremes only, the repeats not at all
    if confidence > CONFIDENCE:
        # Too few repeats for the family's level: the widest interval the repeats give, where it
        # holds 95% at least, rather than none (which would leave the decision to a fixed margin).
        widest = _widest_unpaired(numerator, denominator)
        if widest is not None:
            return widest
    return paired if paired is not None else unpaired


def _widest_unpaired(numerator: Sequence[float], denominator: Sequence[float]) -> Estimate | None:
    """The extremes of the pairwise ratios, which hold 1 - 2 / C(m+n, m); None under 95%."""
    coverage = 1.0 - 2.0 / math.comb(len(numerator) + len(denominator), len(numerator))
    if coverage < CONFIDENCE:
        return None
    found = unpaired_ratio(numerator, denominator, coverage - 1e-12)
    return None if found.ci is None else Estimate(found.value, found.ci, UNPAIRED, found.count, coverage)
