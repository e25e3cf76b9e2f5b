"""The rerun interval (harness.analysis.rerun): where a second run's median lands, on literal numbers."""

from __future__ import annotations

import random
import statistics
from itertools import combinations

import pytest

from harness.analysis.rerun import RerunInterval, rerun_coverage, rerun_interval, rerun_ratio
from harness.stats import median_ci


def _by_enumeration(m: int, k: int, future: int) -> float:
    """Every way m old and ``future`` new values interleave is equally likely for exchangeable
    values: the share of them where the new sample's median falls inside [old_(k), old_(m+1-k)]."""
    hits = total = 0
    for old in combinations(range(m + future), m):
        new = sorted(set(range(m + future)) - set(old))
        middle = new[(future - 1) // 2]  # an odd future: its one middle value
        total += 1
        hits += old[k - 1] <= middle <= old[m - k]
    return hits / total


@pytest.mark.parametrize("m, k, future", [(7, 1, 7), (9, 1, 9), (9, 2, 7), (8, 2, 9), (11, 3, 5), (6, 1, 3)])
def test_coverage_is_exact_for_an_odd_rerun(m, k, future):
    assert rerun_coverage(m, k, future) == pytest.approx(_by_enumeration(m, k, future), abs=1e-12)


def test_coverage_literal_figures():
    # C(12, 6) = 924 interleavings; in 84 all 6 old values lie above the new sample's lower middle value.
    assert rerun_coverage(6, 1) == pytest.approx(1 - 2 * 84 / 924)
    assert rerun_coverage(7, 1) == pytest.approx(0.93007, abs=1e-5)
    assert rerun_coverage(9, 1) == pytest.approx(0.97059, abs=1e-5)


def _both_middles_inside(m: int, k: int, future: int) -> float:
    """By enumeration: the share of interleavings where both middle values of an even ``future``
    lie inside [old_(k), old_(m+1-k)]: then their mean does too, whatever the values."""
    hits = total = 0
    for old in combinations(range(m + future), m):
        new = sorted(set(range(m + future)) - set(old))
        low, high = new[future // 2 - 1], new[future // 2]
        total += 1
        hits += old[k - 1] <= low and high <= old[m - k]
    return hits / total


@pytest.mark.parametrize("m, k, future", [(6, 1, 6), (6, 2, 6), (8, 2, 8), (10, 2, 10), (9, 2, 6)])
def test_an_even_rerun_gets_a_lower_bound(m, k, future):
    # The even rerun's median is the mean of two values: its rank alone does not decide it. The
    # figure given never exceeds the share where both middle values are inside (a sure hold).
    assert rerun_coverage(m, k, future) <= _both_middles_inside(m, k, future) + 1e-12
    # and a draw from a continuous distribution holds at least as often as the figure says
    draws = random.Random(m * 31 + k)
    hits = 0
    for _ in range(4000):
        old = sorted(draws.random() for _ in range(m))
        new = statistics.median(draws.random() for _ in range(future))
        hits += old[k - 1] <= new <= old[m - k]
    assert hits / 4000 >= rerun_coverage(m, k, future) - 0.02


def test_a_confidence_interval_is_too_narrow_for_a_rerun():
    # The sign test's 95% interval of the median holds the true median; a rerun's median moves
    # too, so the same order statistics hold it far less often: the gap this module closes.
    for m in (15, 17, 21, 25, 29):  # odd: the coverage given is exact
        ci = median_ci(list(range(m)), 0.95)
        k = int(ci.lo) + 1
        assert rerun_coverage(m, k) < 0.90
        assert rerun_interval(range(m)).coverage >= 0.95
        assert rerun_interval(range(m)).hi - rerun_interval(range(m)).lo > ci.hi - ci.lo


def test_rerun_interval_on_literal_values():
    twenty = rerun_interval(range(20))
    assert (twenty.lo, twenty.hi) == (3.0, 16.0) and twenty.coverage == pytest.approx(0.95926, abs=1e-5)
    nine = rerun_interval([5, 1, 4, 2, 3, 9, 8, 7, 6])
    assert (nine.lo, nine.hi) == (1.0, 9.0) and nine.coverage == pytest.approx(0.97059, abs=1e-5)
    few = rerun_interval([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])  # below 9 values nothing reaches 95%
    assert (few.lo, few.hi) == (1.0, 6.0) and few.coverage < 0.95
    assert rerun_interval([2.0]) == RerunInterval(2.0, 2.0, 0.0)
    with pytest.raises(ValueError):
        rerun_interval([])
    with pytest.raises(ValueError):
        rerun_interval([1.0, 2.0], confidence=1.0)


def test_rerun_ratio_pairs_passes_and_spans_independent_medians():
    serial = {p: 2.0 + 0.01 * p for p in range(1, 12)}
    pool = {p: 1.0 + 0.005 * p for p in range(1, 12)}
    paired = rerun_ratio(serial, pool)
    assert paired.lo == pytest.approx(2.0) and paired.hi == pytest.approx(2.0)  # each pass's ratio is exactly 2
    unpaired = rerun_ratio(list(serial.values()), list(pool.values()))
    assert unpaired.lo == pytest.approx(2.01 / 1.055) and unpaired.hi == pytest.approx(2.11 / 1.005)
    # The union bound over the two sides (no independence assumed): 11 a side reach 95%.
    assert unpaired.coverage == pytest.approx(2 * rerun_coverage(11, 1) - 1) and unpaired.coverage >= 0.95
    assert rerun_ratio({}, {1: 1.0}) is None and rerun_ratio([1.0], [0.0]) is None


def test_times_that_are_not_positive_and_finite_are_left_out():
    nan, inf = float("nan"), float("inf")
    assert rerun_ratio({1: 2.0, 2: nan, 3: 2.0}, {1: 1.0, 2: 1.0, 3: 0.0}).lo == pytest.approx(2.0)
    assert rerun_ratio([nan, 2.0, inf], [1.0, -1.0]).hi == pytest.approx(2.0)
    assert rerun_ratio([nan], [1.0]) is None
    with pytest.raises(ValueError):
        rerun_interval([1.0, nan])
    with pytest.raises(ValueError):
        rerun_coverage(5, 4)
