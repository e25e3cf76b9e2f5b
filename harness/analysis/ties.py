"""Ties: when two configurations' times differ beyond noise, and which of those tied to pick.

The rule: configuration B is slower than A beyond noise when the interval of the ratio of
their times (``estimates.ratio_estimate``: paired per pass where they shared passes, else the
Hodges-Lehmann interval) lies wholly above 1 + margin, the margin being the host's own spread
beside the runs of that size (``noise.tie_margin``). Otherwise they are tied. Without any
interval (too few repeats for one: fewer than 6 paired passes and a 3-vs-3 sample), a ratio
no more than TIE_WITHOUT_INTERVAL above 1, or the margin where that is wider, is a tie.

Why the margin: an interval from one run says nothing of what moves between runs. On this
project's 2-vCPU VM, in back-to-back runs of `make bench`'s sweep, the three process pools at
2 and 4 workers (within 2-5% of each other) swapped places by more than either varied
within one run: one run had pool-async@2 slower than process-executor@2 in all 9 passes
(the ratio's interval [1.009, 1.109]) and the next had it fastest. The host's spread was
+-1-4% in those runs, so the margin is the least a rerun on the same host can be expected
to move; it is measured, not chosen, and grows on a noisier host (where the answer then says
first what it cannot tell apart). With it, every run's tied set held every other run's
fastest in 24 of 24 sets of 5 runs (12 of each sweep), against 22 of 24 without.

One comparison is made at 95%. Picking the fastest of k + 1 configurations makes k of them
at once, so each is made at 1 - 10%/k (``family_confidence``: Bonferroni over one side of
each interval): then the fastest and those tied with it hold the truly fastest configuration
at least 95% of the time (a confidence set for the best, as in Hsu's multiple comparisons with
the best). Where the repeats are too few for that level, the widest interval they give stands
in when it holds 95% (6 repeats a side: 99.8%).

At 95% each, the chance that one of k comparisons with near-equal configurations comes out
"beyond noise" by chance grows with k: on 7 sets of 5 back-to-back runs of `make bench`'s
sweep (14 comparisons each), the three process pools at 2 workers, within 2-5% of each other,
swapped places while a run's tied set left out another run's winner in 4 of the 7 sets (4 of
the 5 re-judged held as one family). The verdict (the fastest of its candidates) and the
chunksize advice (the fastest chunksize of a backend) pick among many; "threads match
processes" is one comparison.

Among tied configurations the simplest is recommended: the fewest workers, then the plainest
model (``Backend.plainness``), then the faster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from harness.analysis.estimates import CONFIDENCE, Estimate, ratio_estimate
from harness.analysis.rerun import RerunInterval, rerun_ratio
from harness.execution.backends import backend_trait
from harness.results.model import RunResult

__all__ = ["TIE_WITHOUT_INTERVAL", "Comparison", "compare_times", "family_confidence", "simplest", "speedup_estimate",
           "speedup_rerun", "tied_with"]

TIE_WITHOUT_INTERVAL = 0.10


@dataclass(frozen=True, slots=True)
class Comparison:
    """``other`` against ``reference``: the ratio of their times (>1: other is slower), whether
    that is beyond noise, and the margin it was judged with."""

    reference: RunResult
    other: RunResult
    ratio: Estimate
    beyond_noise: bool
    margin: float = 0.0  # the host's spread: no difference within it is beyond noise

    @property
    def tied(self) -> bool:
        return not self.beyond_noise

    @property
    def resolves(self) -> float | None:
        """About the smallest difference, relative, this comparison could call beyond noise: the
        interval's half-width plus the margin (None without an interval)."""
        width = self.ratio.relative_width
        return None if width is None else width / 2 + self.margin


def _decide(ratio: Estimate, margin: float) -> bool:
    """Slower beyond noise: the interval wholly above 1 + margin. One-sided, as the family's
    level assumes (``family_confidence``): a candidate faster than the reference by the passes
    (its per-pass median can differ from its median's) is never dropped from a tied set."""
    if ratio.ci is not None:
        return ratio.ci[0] > 1.0 + margin
    return ratio.value > 1.0 + max(TIE_WITHOUT_INTERVAL, margin)


def _passes(run: RunResult, other: RunResult):
    # Passes pair only within one interpreter's sweep: each interpreter runs its own passes.
    return run.repeat_passes if run.python == other.python else None


def family_confidence(comparisons: int) -> float:
    """The confidence each of ``comparisons`` made at once needs for the tied set to hold the
    truly fastest 95% of the time.

    The rule uses one side of each two-sided interval (beyond noise only when it lies wholly
    above 1), so each errs that way at most half as often as it misses: k comparisons at
    1 - 10%/k miss the fastest at most 5% of the time. One comparison stays at 95%.
    """
    if comparisons <= 1:
        return CONFIDENCE
    return 1.0 - 2.0 * (1.0 - CONFIDENCE) / comparisons


def compare_times(reference: RunResult, other: RunResult, comparisons: int = 1, margin: float = 0.0) -> Comparison:
    """How ``other``'s time compares with ``reference``'s, beyond noise or not, as one of
    ``comparisons`` made at once, a difference within ``margin`` (the host's spread, relative)
    never beyond it (see the module docstring)."""
    if not margin >= 0.0:
        raise ValueError(f"margin is {margin}; it must be a share >= 0")
    ratio = ratio_estimate(other.times_s, _passes(other, reference), reference.times_s, _passes(reference, other),
                           confidence=family_confidence(comparisons))
    return Comparison(reference, other, ratio, _decide(ratio, margin), margin)


def speedup_estimate(run: RunResult, baseline: RunResult) -> Estimate:
    """How many times faster than ``baseline`` the run is (baseline's time over its own), with
    the interval the tie rule uses."""
    return ratio_estimate(baseline.times_s, _passes(baseline, run), run.times_s, _passes(run, baseline))


def speedup_rerun(run: RunResult, baseline: RunResult) -> RerunInterval | None:
    """Where a rerun's speedup against ``baseline`` would land: the interval a second run's
    figure is to be held against, from each side's repeats on their own (``rerun_ratio`` of
    two sequences), even where the two shared passes.

    Pairing divides out a slow spell both sides of one pass shared: right for comparing two
    configurations of one run (the tie rule, ``speedup_estimate``), not for a rerun, which
    has spells of its own, and whose configurations may stand differently to serial than in
    this run. On 28 sets of 5 back-to-back runs here (the README's table), the paired rerun
    interval held another run's figure for its worst configuration less than 90% of the time
    in 15 sets (65-85%); this one in 1 (80%, on a busy day), at about 1.4 times the width
    (benchmarks/answer_stability.py)."""
    return rerun_ratio(baseline.times_s, run.times_s)


def tied_with(best: RunResult, candidates: Sequence[RunResult]) -> list[Comparison]:
    """The candidates (``best`` left out) whose time is not beyond noise of ``best``'s, every one
    compared at the confidence that holds for all of them at once."""
    others = [run for run in candidates if run is not best]
    return [c for c in (compare_times(best, run, len(others)) for run in others) if c.tied]


def simplest(runs: Sequence[RunResult]) -> RunResult:
    """The run to recommend among tied ones: fewest workers, then plainest model, then fastest."""
    return min(runs, key=lambda r: (r.workers, backend_trait(r.backend, "plainness", 100), r.median_s))
