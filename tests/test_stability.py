"""harness.analysis.stability rules, each at and just inside its boundary."""

import pytest

from harness.analysis import stability
from harness.analysis.stability import busy_machine_warning, min_repeats_for, sample_warnings
from harness.text import format_seconds


def test_exported_names():
    assert sorted(stability.__all__) == [
        "REFERENCE_DRIFT_WARN", "busy_machine_warning", "format_seconds", "min_repeats_for", "reference_warning",
        "sample_warnings",
    ]


@pytest.mark.parametrize("seconds, text", [
    (0, "0 s"),
    (1.5, "1.50 s"),
    (250, "250 s"),
    (12.34, "12.3 s"),
    (0.0123, "12.3 ms"),
    (1e-3, "1.00 ms"),
    (1.23e-4, "123 us"),
    (5e-9, "5.00 ns"),
    (1e-10, "0.10 ns"),
])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_format_seconds_rejects(bad):
    with pytest.raises(ValueError):
        format_seconds(bad)


def test_min_repeats_for():
    # [min, max] of n repeats covers the median with 1 - 2**(1-n)
    assert min_repeats_for(0.95) == 6  # n=5: 0.9375, n=6: 0.96875
    assert min_repeats_for(0.9) == 5  # 0.9375
    assert min_repeats_for(0.99) == 8  # n=7: 0.984375, n=8: 0.9921875
    assert min_repeats_for(0.5) == 2
    assert min_repeats_for(0.75) == 3
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError):
            min_repeats_for(bad)


def test_stdev_rule_at_exactly_ten_percent():
    # [90, 100, 110]: mean 100, sample stdev exactly 10. n=3 reaches 0.75, so ask for 0.75
    # to keep the repeats rule quiet.
    assert sample_warnings([90, 100, 110], label="threads x4", confidence=0.75) == [
        "threads x4: the standard deviation (10.0 s) is 10% of the mean (100 s); "
        "the result may be unstable"
    ]
    assert sample_warnings([91, 100, 109], label="x", confidence=0.75) == []  # 9%


def test_stdev_rule_message_in_ms():
    # mean 10 ms, stdev 1.2 ms
    (msg,) = sample_warnings([0.0088, 0.010, 0.0112], label="pool x2", confidence=0.75)
    assert msg == (
        "pool x2: the standard deviation (1.20 ms) is 12% of the mean (10.0 ms); "
        "the result may be unstable"
    )


def test_min_rule_at_exactly_fifty_percent():
    # one 50 and a hundred 100.5: mean exactly 100, stdev ~5.02 (below 10%)
    times = [50.0] + [100.5] * 100
    assert sample_warnings(times, label="p") == [
        "p: the minimum (50.0 s) is 50% smaller than the mean (100 s); "
        "the result may be unstable"
    ]
    assert sample_warnings([50.5] + [100.495] * 100, label="p") == []  # 49.5% away


def test_max_rule_at_exactly_fifty_percent():
    # one 150 and a hundred 99.5: mean exactly 100
    times = [150.0] + [99.5] * 100
    assert sample_warnings(times, label="p") == [
        "p: the maximum (150 s) is 50% greater than the mean (100 s); "
        "the result may be unstable"
    ]
    assert sample_warnings([149.0] + [99.51] * 100, label="p") == []  # 49% away


def test_repeats_rule():
    assert sample_warnings([1.0] * 5, label="serial") == [
        "serial: with 5 repeats the median's interval reaches only 93.75% confidence; "
        "at least 6 repeats are needed for a 95% interval of the median"
    ]
    assert sample_warnings([1.0] * 6, label="serial") == []
    assert sample_warnings([1.0], label="s", confidence=0.9) == [
        "s: with 1 repeat the median's interval reaches only 0% confidence; "
        "at least 5 repeats are needed for a 90% interval of the median"
    ]


def test_sample_warnings_zero_times_and_bad_input():
    assert sample_warnings([0.0] * 6, label="z") == []
    with pytest.raises(ValueError, match="empty"):
        sample_warnings([], label="x")
    with pytest.raises(ValueError, match="negative"):
        sample_warnings([1.0, -1.0], label="x")


def test_busy_machine_load_boundary():
    assert busy_machine_warning(2.0, 4, None) is None  # exactly half of 4 CPUs
    assert busy_machine_warning(2.01, 4, None) == (
        "the machine was busy before the run: the 1-minute load average was 2.01 for "
        "4 logical CPUs (above 2); timings may be disturbed"
    )
    assert busy_machine_warning(None, 4, None) is None


def test_busy_machine_core_boundary():
    assert busy_machine_warning(None, 2, [30.0, 0.0]) is None  # exactly 30%
    assert busy_machine_warning(0.1, 2, [31.0, 10.0]) == (
        "the machine was busy before the run: 1 core above 30% busy (core 0 31%); "
        "timings may be disturbed"
    )
    msg = busy_machine_warning(3.0, 2, [95.0, 10.0, 40.0])
    assert msg == (
        "the machine was busy before the run: the 1-minute load average was 3.00 for "
        "2 logical CPUs (above 1); 2 cores above 30% busy (core 0 95%, core 2 40%); "
        "timings may be disturbed"
    )


@pytest.mark.parametrize("args", [
    (1.0, 0, None),
    (-1.0, 4, None),
    (float("nan"), 4, None),
    (None, 4, [float("nan")]),
    (None, 4, [-1.0]),
    (None, 4, [101.0]),
])
def test_busy_machine_rejects_bad_input(args):
    with pytest.raises(ValueError):
        busy_machine_warning(*args)
