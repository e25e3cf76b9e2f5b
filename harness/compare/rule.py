"""The decision rule: is a change real (significance) and does it matter (threshold)?

Two questions, two tools, both required before anything is called a regression:

* Significance. With enough samples, a two-sided Mann-Whitney U test on the raw timings
  (no normality assumed: repeat timings are skewed by the odd slow outlier). With too few
  samples for the test ever to reach ``alpha`` (2 vs 2 can do no better than p = 1/3) it
  would call everything noise, so, as asv does, the rule falls back to asking whether the
  two medians' confidence intervals overlap.
* Size. A :class:`RegressionCheck` such as ``median:10%``: the median must have moved by more
  than the threshold. A significant 2% change is real but not worth failing a build for.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from harness.stats import median_ci

__all__ = [
    "METHOD_MANN_WHITNEY", "METHOD_CI_OVERLAP", "TOO_NOISY", "Evidence", "RegressionCheck",
    "evidence_from_samples", "evidence_from_summaries", "mann_whitney_p", "ratio_interval", "smallest_p",
]

METHOD_MANN_WHITNEY = "mann-whitney"
# Not significant, with an interval that reaches past the threshold too: the data cannot tell.
TOO_NOISY = "too noisy to tell"
METHOD_CI_OVERLAP = "ci-overlap"
# McGill, Tukey & Larsen (1978) box-plot notches: median +- 1.57 IQR / sqrt(n). Two notches
# that do not overlap are "strong evidence" (about 95%) that the medians differ; it is the
# best available from a summary without the samples.
_NOTCH = 1.57


@dataclass(frozen=True, slots=True)
class RegressionCheck:
    """A change of the median beyond ``threshold_pct`` percent, in either direction.

    Slower by more than the threshold (current / baseline > 1 + t) is a regression; faster
    by more than it (current / baseline < 1 - t: the time fell by t percent) an improvement.
    Parsed from pytest-benchmark's spelling: ``RegressionCheck.parse("median:10%")``.
    """

    threshold_pct: float = 10.0
    field: str = "median"

    _PATTERN = re.compile(r"^(?:(?P<field>[a-z]+):)?(?P<pct>[0-9]*\.?[0-9]+)%?$")

    def __post_init__(self) -> None:
        if self.field != "median":
            raise ValueError(f"only the median is compared (robust to the odd slow repeat), got {self.field!r}")
        if isinstance(self.threshold_pct, bool) or not math.isfinite(self.threshold_pct) or self.threshold_pct < 0:
            raise ValueError(f"threshold_pct must be a finite number >= 0, got {self.threshold_pct!r}")

    @classmethod
    def parse(cls, text: str) -> "RegressionCheck":
        """``median:10%``, ``10%`` or ``10``; ValueError for anything else."""
        match = cls._PATTERN.match(text.strip())
        if not match:
            raise ValueError(f"cannot parse {text!r}; expected FIELD:PCT% such as median:10%")
        return cls(float(match["pct"]), match["field"] or "median")

    @property
    def slower_than(self) -> float:
        return 1.0 + self.threshold_pct / 100.0

    @property
    def faster_than(self) -> float:
        return 1.0 - self.threshold_pct / 100.0

    def verdict(self, ratio: float | None, significant: bool, ratio_ci: tuple[float, float] | None = None) -> str:
        """'regression', 'improvement', 'no change' or 'too noisy to tell' for current/baseline ``ratio``.

        Too noisy to tell: not significant, but the ratio's interval reaches both no change
        (1) and beyond a threshold, so the data allow a change of the size the gate looks for
        as well as none: more rounds (``harness ab``) can decide, "no change" would mislead.
        """
        if ratio is None:
            return "no change"
        if not significant:
            if ratio_ci is not None and ratio_ci[0] <= 1.0 <= ratio_ci[1] and (
                    ratio_ci[1] > self.slower_than or ratio_ci[0] < self.faster_than):
                return TOO_NOISY
            return "no change"
        if ratio > self.slower_than:
            return "regression"
        if ratio < self.faster_than:
            return "improvement"
        return "no change"

    def __str__(self) -> str:
        return f"{self.field}:{self.threshold_pct:g}%"


@dataclass(frozen=True, slots=True)
class Evidence:
    """How sure we are that two sides differ: the test used, its p (where it has one), the
    ratio's interval, and whether the difference is significant."""

    significant: bool
    method: str
    p_value: float | None
    ratio_ci: tuple[float, float] | None
    reason: str | None = None


def smallest_p(n1: int, n2: int) -> float:
    """The smallest two-sided p an exact Mann-Whitney U test can give for samples of n1 and n2.

    Reached when the samples do not interleave at all: 2 of the C(n1+n2, n1) equally likely
    orderings are that extreme. 2 vs 2: 1/3; 3 vs 3: 0.1; 4 vs 4: 0.029; 5 vs 5: 0.0079.
    """
    if n1 < 1 or n2 < 1:
        return 1.0
    return min(1.0, 2.0 / math.comb(n1 + n2, n1))


def mann_whitney_p(baseline: Sequence[float], current: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value (scipy picks exact or asymptotic); 1.0 if undefined."""
    from scipy.stats import mannwhitneyu  # lazy: scipy costs ~0.3 s to import

    p = float(mannwhitneyu(current, baseline, alternative="two-sided").pvalue)
    return 1.0 if math.isnan(p) else p  # identical constant samples: no evidence of a difference


def ratio_interval(baseline: tuple[float, float], current: tuple[float, float]) -> tuple[float, float] | None:
    """Conservative interval of current/baseline from the two medians' intervals.

    Pairs the extremes (current low / baseline high, current high / baseline low), so it
    covers every ratio both intervals allow; it excludes 1 exactly when they do not overlap.
    None when the baseline interval reaches 0.
    """
    (b_lo, b_hi), (c_lo, c_hi) = baseline, current
    if b_lo <= 0 or b_hi <= 0:
        return None
    return c_lo / b_hi, c_hi / b_lo


def _disjoint(baseline: tuple[float, float], current: tuple[float, float]) -> bool:
    return current[0] > baseline[1] or current[1] < baseline[0]


def evidence_from_samples(baseline: Sequence[float], current: Sequence[float], alpha: float) -> Evidence:
    """Mann-Whitney where it can reach ``alpha``, else non-overlap of the medians' intervals."""
    confidence = 1.0 - alpha
    b_ci, c_ci = median_ci(baseline, confidence), median_ci(current, confidence)
    b_int, c_int = (b_ci.lo, b_ci.hi), (c_ci.lo, c_ci.hi)
    interval = ratio_interval(b_int, c_int)
    floor = smallest_p(len(baseline), len(current))
    if floor < alpha:
        p = mann_whitney_p(baseline, current)
        return Evidence(p < alpha, METHOD_MANN_WHITNEY, p, interval)
    if min(len(baseline), len(current)) == 1:
        # A single timing says nothing about its own noise: only the threshold decides.
        reason = "a single sample on one side: no estimate of the noise, so the threshold alone decided"
    else:
        reason = (f"{len(baseline)} vs {len(current)} samples: the test cannot reach p < {alpha:g} "
                  f"(best p {floor:.2g}), so the medians' intervals were compared")
    return Evidence(_disjoint(b_int, c_int), METHOD_CI_OVERLAP, None, interval, reason)


def _notch(median_s: float, iqr_s: float | None, count: int) -> tuple[float, float]:
    half = _NOTCH * (iqr_s or 0.0) / math.sqrt(max(count, 1))
    return max(median_s - half, 0.0), median_s + half


def evidence_from_summaries(baseline: tuple[float, float | None, int],
                            current: tuple[float, float | None, int]) -> Evidence:
    """From (median, IQR, count) alone: do the medians' notches overlap? Weaker than a test."""
    b_int, c_int = _notch(*baseline), _notch(*current)
    return Evidence(_disjoint(b_int, c_int), METHOD_CI_OVERLAP, None, ratio_interval(b_int, c_int),
                    "no raw samples: the medians' notches (1.57 IQR / sqrt(n)) were compared")
