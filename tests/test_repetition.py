"""--repeat auto's stopping rule, on literal numbers."""

import math

import pytest

from harness.config.repetition import AUTO_MIN_REPEATS, RepeatPolicy, relative_ci_width
from harness.analysis.rerun import min_values_for_rerun, rerun_coverage
from harness.analysis.stability import min_repeats_for
from harness.stats import median_ci


def test_auto_never_stops_before_its_range_can_say_where_a_rerun_lands():
    # 6 repeats give the median a real 95% interval; 9 are needed before [min, max] holds a
    # rerun's median 95% of the time (harness.analysis.rerun).
    assert min_repeats_for(0.95) == 6
    assert AUTO_MIN_REPEATS == min_values_for_rerun(0.95) == 9
    assert rerun_coverage(AUTO_MIN_REPEATS, 1) >= 0.95 > rerun_coverage(AUTO_MIN_REPEATS - 1, 1)
    assert median_ci([1.0] * AUTO_MIN_REPEATS).confidence_achieved >= 0.95
    policy = RepeatPolicy(max_time_s=0.001)
    # Even with the time budget long spent, and identical times.
    assert all(policy.wants_more([1.0] * k, elapsed_s=100.0) for k in range(AUTO_MIN_REPEATS))


def test_auto_stops_once_the_interval_is_narrow():
    policy = RepeatPolicy(target_width=0.10)
    steady = [1.00, 1.01, 0.99, 1.02, 0.98, 1.00, 1.01, 0.99, 1.00]
    assert relative_ci_width(steady) == pytest.approx(0.02)
    assert not policy.wants_more(steady, elapsed_s=1.0)
    noisy = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0]
    assert relative_ci_width(noisy) == pytest.approx(1.0)
    assert policy.wants_more(noisy, elapsed_s=1.0)


def test_auto_stops_when_the_budget_or_the_cap_is_reached():
    noisy = [1.0, 2.0] * 5
    assert RepeatPolicy(max_time_s=10.0).wants_more(noisy, elapsed_s=9.9)
    assert not RepeatPolicy(max_time_s=10.0).wants_more(noisy, elapsed_s=10.0)
    assert not RepeatPolicy(max_repeats=10).wants_more(noisy, elapsed_s=0.0)


def test_a_fixed_count_is_exactly_that():
    policy = RepeatPolicy(fixed=3)
    assert [policy.wants_more([1.0] * k, elapsed_s=1e9) for k in range(5)] == [True, True, True, False, False]
    assert policy.planned == policy.limit == 3
    assert RepeatPolicy().planned == AUTO_MIN_REPEATS


def test_zero_times_count_as_narrow_unless_the_interval_is_not():
    assert relative_ci_width([0.0] * 6) == 0.0
    assert math.isinf(relative_ci_width([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]))


@pytest.mark.parametrize("kwargs", [dict(fixed=0), dict(max_time_s=0), dict(max_time_s=math.inf),
                                    dict(min_repeats=5, max_repeats=4)])
def test_bad_policies_are_refused(kwargs):
    with pytest.raises(ValueError):
        RepeatPolicy(**kwargs)
