"""How many timed repeats a configuration gets: a fixed count, or ``--repeat auto``.

``auto`` repeats until the median's 95% interval spans at most ``AUTO_CI_WIDTH`` of the
median, or until the configuration's time budget (``--max-time``) is spent, whichever comes
first; but never fewer than the repeats whose [min, max] still holds where a *rerun's* median
would land, 95% of the time (9; the median's own 95% interval needs 6, but a second run's
median moves too: ``analysis.rerun``), and never more than ``AUTO_MAX_REPEATS``. Pure: the
runner asks, after each repeat, whether to go on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from harness.stats import median, median_ci

__all__ = ["AUTO", "AUTO_CI_WIDTH", "AUTO_MAX_REPEATS", "AUTO_MIN_REPEATS", "DEFAULT_MAX_TIME_S", "RepeatPolicy",
           "relative_ci_width"]

AUTO = "auto"
# The fewest repeats whose widest interval, [min, max], is sure to hold a rerun's median 95% of
# the time (analysis.rerun.min_values_for_rerun(0.95); 7 hold 93.0%, 8 at least 92.3%). The
# answer's speedup spans two such intervals, serial's and the run's: at least 94.1% with 9 a
# side (11 reach 97.5%, at 22% more time). A test pins the two equal.
AUTO_MIN_REPEATS = 9
# 10% of the median, i.e. about +-5%: narrow enough to resolve the 10% changes the CI gate
# looks for, reachable in a few dozen repeats even on a noisy shared machine.
AUTO_CI_WIDTH = 0.10
AUTO_MAX_REPEATS = 50
# Per configuration, counting its timed repeats (and reference loops) but not its start-up:
# the default sweep's 22 configurations then take a minute or two on 2 cores. Measured here, a longer
# budget did not make speedups repeat better (the host's speed flips, 2x, for seconds at a time).
DEFAULT_MAX_TIME_S = 3.0


@dataclass(frozen=True, slots=True)
class RepeatPolicy:
    """``fixed`` repeats, or (``fixed`` None) the adaptive rule above."""

    fixed: int | None = None
    max_time_s: float = DEFAULT_MAX_TIME_S
    min_repeats: int = AUTO_MIN_REPEATS
    max_repeats: int = AUTO_MAX_REPEATS
    target_width: float = AUTO_CI_WIDTH

    def __post_init__(self) -> None:
        if self.fixed is not None and self.fixed < 1:
            raise ValueError(f"fixed repeats must be >= 1, got {self.fixed}")
        if not (math.isfinite(self.max_time_s) and self.max_time_s > 0):
            raise ValueError(f"max_time_s must be a finite number > 0, got {self.max_time_s}")
        if not 1 <= self.min_repeats <= self.max_repeats:
            raise ValueError(f"need 1 <= min_repeats <= max_repeats, got {self.min_repeats}, {self.max_repeats}")

    @property
    def planned(self) -> int:
        """Repeats known in advance (for progress): the fixed count, or auto's minimum."""
        return self.fixed if self.fixed is not None else self.min_repeats

    @property
    def limit(self) -> int:
        """The most repeats this policy can ask for."""
        return self.fixed if self.fixed is not None else self.max_repeats

    def wants_more(self, times: Sequence[float], elapsed_s: float) -> bool:
        """After these repeat times and ``elapsed_s`` of timing, is another repeat due?"""
        count = len(times)
        if self.fixed is not None:
            return count < self.fixed
        if count < self.min_repeats:
            return True
        if count >= self.max_repeats or elapsed_s >= self.max_time_s:
            return False
        return relative_ci_width(times) > self.target_width


def relative_ci_width(times: Sequence[float]) -> float:
    """Width of the median's 95% interval over the median (infinity for a zero median)."""
    middle = median(times)
    interval = median_ci(times, 0.95)
    if middle <= 0:
        return 0.0 if interval.hi <= 0 else math.inf
    return (interval.hi - interval.lo) / middle
