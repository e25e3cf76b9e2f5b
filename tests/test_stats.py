"""harness.stats against literal, hand-computed numbers."""

import math
import subprocess
import sys

import pytest

from harness import stats
from harness.stats import (
    AmdahlFit, MedianCI, Summary, amdahl_fit, amdahl_predict, amdahl_speedup, efficiency,
    iqr, karp_flatt, mean, median, median_ci, median_ci_coverage, quartiles, speedup,
    speedup_interval, stdev, summarize,
)


def test_exported_names():
    assert sorted(stats.__all__) == [
        "AmdahlFit", "MedianCI", "Summary", "amdahl_fit", "amdahl_predict", "amdahl_speedup",
        "efficiency", "iqr", "karp_flatt", "mean", "median", "median_ci",
        "median_ci_coverage", "nearest_rank", "quartiles", "speedup", "speedup_interval", "stdev", "summarize",
    ]


def test_nearest_rank_is_always_one_of_the_values():
    assert stats.nearest_rank([3.0, 1.0, 2.0], 0.5) == 2.0
    assert stats.nearest_rank([0.001, 1.0], 0.99) == 1.0  # a p99 of two ticks is the late one
    assert stats.nearest_rank(list(range(1, 101)), 0.99) == 99.0
    assert stats.nearest_rank([5.0], 1.0) == 5.0
    with pytest.raises(ValueError):
        stats.nearest_rank([1.0], 0)
    with pytest.raises(ValueError):
        stats.nearest_rank([], 0.5)


def test_import_stays_light():
    code = "import sys, harness.stats; print(sorted({'numpy','scipy','pandas'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_location_and_spread():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert mean([1, 2, 3, 4]) == 2.5
    # mean 5, squared deviations sum to 32, n-1 = 7
    assert stdev([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(math.sqrt(32 / 7))
    assert stdev([7.0]) == 0.0
    assert quartiles([1, 2, 3, 4]) == (1.75, 3.25)
    assert quartiles([1, 2, 3, 4, 5]) == (2.0, 4.0)
    assert quartiles([5.0]) == (5.0, 5.0)
    assert iqr([1, 2, 3, 4]) == 1.5
    assert iqr([4, 3, 2, 1]) == 1.5  # order does not matter


@pytest.mark.parametrize("bad, message", [
    ([], "empty"),
    ([1.0, -0.5], "negative"),
    ([1.0, float("nan")], "finite"),
    ([float("inf")], "finite"),
])
@pytest.mark.parametrize("func", [median, mean, stdev, quartiles, iqr, median_ci, summarize])
def test_bad_samples_rejected(func, bad, message):
    with pytest.raises(ValueError, match=message):
        func(bad)


def test_median_ci_n20():
    # B ~ Bin(20, 1/2). P(B <= 5) = (1+20+190+1140+4845+15504)/2**20 = 21700/1048576,
    # so [x_(6), x_(15)] covers 1 - 2*21700/2**20 = 0.95861053466796875 >= 0.95, while
    # [x_(7), x_(14)] adds C(20,6)=38760: 1 - 2*60460/2**20 = 0.8847 < 0.95.
    ci = median_ci(range(1, 21), 0.95)
    assert (ci.lo, ci.hi) == (6, 15)
    assert ci.confidence_achieved == 1 - 2 * 21700 / 2**20
    assert ci.confidence_achieved == pytest.approx(0.95861053466796875)
    assert median_ci_coverage(20, 7) == pytest.approx(1 - 2 * 60460 / 2**20)


def test_median_ci_unsorted_input_and_lower_confidence():
    # 0.8847 >= 0.88, and [x_(8), x_(13)] covers 1 - 2*137980/2**20 = 0.7368 < 0.88
    ci = median_ci(list(range(20, 0, -1)), 0.88)
    assert (ci.lo, ci.hi) == (7, 14)


def test_median_ci_too_few_repeats_returns_min_max():
    # n=5: [min, max] covers 1 - 2/32 = 0.9375 < 0.95
    assert median_ci([5, 1, 4, 2, 3]) == MedianCI(1, 5, 0.9375)
    # n=6: [min, max] covers 1 - 2/64 = 0.96875; next pair only 1 - 14/64 = 0.78125
    assert median_ci([1, 2, 3, 4, 5, 6]) == MedianCI(1, 6, 0.96875)
    assert median_ci_coverage(6, 2) == 0.78125


def test_median_ci_single_value_and_bad_confidence():
    assert median_ci([2.5]) == MedianCI(2.5, 2.5, 0.0)
    for bad in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="confidence"):
            median_ci([1, 2, 3], bad)
    with pytest.raises(ValueError):
        median_ci_coverage(5, 4)


def test_summarize():
    s = summarize([1, 2, 3, 4, 5, 6])
    # sum of squared deviations from 3.5 is 17.5, over n-1 = 5
    assert s == Summary(count=6, median=3.5, mean=3.5, stdev=math.sqrt(3.5),
                        iqr=2.5, min=1, max=6, ci_lo=1, ci_hi=6, ci_confidence=0.96875)
    with pytest.raises(AttributeError):
        s.median = 0  # frozen
    with pytest.raises(ValueError):
        Summary(count=0, median=1, mean=1, stdev=0, iqr=0, min=1, max=1,
                ci_lo=1, ci_hi=1, ci_confidence=0)
    with pytest.raises(ValueError):
        MedianCI(2, 1, 0.5)


def test_speedup_and_efficiency():
    assert speedup(10.0, 4.0) == 2.5
    assert speedup(None, 4.0) is None
    assert speedup(10.0, None) is None
    assert speedup(10.0, 0.0) is None
    with pytest.raises(ValueError):
        speedup(-1.0, 2.0)
    assert speedup_interval((9.0, 11.0), (4.0, 5.0)) == (9 / 5, 11 / 4)
    assert speedup_interval(None, (4.0, 5.0)) is None
    assert speedup_interval((9.0, 11.0), (0.0, 5.0)) is None
    with pytest.raises(ValueError):
        speedup_interval((11.0, 9.0), (4.0, 5.0))
    assert efficiency(3.0, 4) == 0.75
    assert efficiency(None, 4) is None
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="workers"):
            efficiency(1.0, bad)


def test_karp_flatt():
    # (1/1.6 - 1/2) / (1 - 1/2) = 0.125 / 0.5
    assert karp_flatt(1.6, 2) == pytest.approx(0.25)
    assert karp_flatt(4.0, 4) == 0.0  # linear speedup: no serial fraction
    assert karp_flatt(1.0, 4) == pytest.approx(1.0)  # no speedup: all serial
    assert karp_flatt(2.5, 4) == pytest.approx(0.2)  # (0.4 - 0.25) / 0.75
    assert karp_flatt(1.0, 1) is None
    assert karp_flatt(None, 4) is None
    with pytest.raises(ValueError):
        karp_flatt(0.0, 4)
    with pytest.raises(ValueError):
        karp_flatt(1.0, 0)


def test_amdahl_fit_recovers_known_coefficients():
    # T(p) = 2 + 8/p + 0.1*(p-1): 10, 6.1, 4.3, 3.7, 4.0
    workers = [1, 2, 4, 8, 16]
    times = [2 + 8 / p + 0.1 * (p - 1) for p in workers]
    fit = amdahl_fit(workers, times)
    assert fit.serial_s == pytest.approx(2.0, abs=1e-6)
    assert fit.parallel_s == pytest.approx(8.0, abs=1e-6)
    assert fit.overhead_s_per_worker == pytest.approx(0.1, abs=1e-6)
    assert fit.serial_fraction == pytest.approx(0.2, abs=1e-6)
    assert fit.r_squared == pytest.approx(1.0, abs=1e-9)
    assert amdahl_predict(fit, 4) == pytest.approx(4.3)
    assert amdahl_speedup(fit, 2) == pytest.approx(10 / 6.1)


def test_amdahl_fit_repeats_and_nonnegativity():
    # Repeats per worker count are fine; pure parallel work fits serial_s = 0.
    fit = amdahl_fit([1, 1, 2, 2, 4, 4], [8, 8, 4, 4, 2, 2])
    assert fit.serial_s == pytest.approx(0.0, abs=1e-9)
    assert fit.parallel_s == pytest.approx(8.0)
    assert fit.serial_fraction == pytest.approx(0.0, abs=1e-9)
    # Getting slower with p would need a negative parallel term; NNLS clamps it to 0.
    fit = amdahl_fit([1, 2, 4], [1.0, 1.5, 2.5])
    assert min(fit.serial_s, fit.parallel_s, fit.overhead_s_per_worker) >= 0


def test_amdahl_fit_two_levels_drops_overhead():
    # 10 = s + q, 6 = s + q/2 -> q = 8, s = 2
    fit = amdahl_fit([1, 2], [10.0, 6.0])
    assert (fit.serial_s, fit.parallel_s) == (pytest.approx(2.0), pytest.approx(8.0))
    assert fit.overhead_s_per_worker == 0.0


def test_amdahl_fit_needs_two_worker_counts_and_valid_input():
    assert amdahl_fit([4, 4, 4], [1.0, 1.1, 0.9]) is None
    with pytest.raises(ValueError, match="workers"):
        amdahl_fit([1, 2], [1.0])
    with pytest.raises(ValueError, match="workers"):
        amdahl_fit([0, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="negative"):
        amdahl_fit([1, 2], [1.0, -0.5])
    with pytest.raises(ValueError):
        AmdahlFit(serial_fraction=1.5, parallel_s=1, serial_s=1,
                  overhead_s_per_worker=0, r_squared=1)
