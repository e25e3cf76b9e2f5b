import pytest

from harness.results.timeline import MAX_TIMELINE_SAMPLES, busiest_first, busy_cores_over_time, compact_timeline, merge_samples


def test_few_samples_are_kept_as_they_are():
    ends, per_core = merge_samples([0.0, 0.1, 0.2], [[10.0, 20.0], [0.0, 100.0]], max_samples=2)
    assert ends == (0.1, 0.2)
    assert per_core == ((10.0, 20.0), (0.0, 100.0))


def test_merged_samples_are_time_weighted_means_ending_at_the_last_edge():
    # Four samples into two: (0, 0.1] + (0.1, 0.2], then (0.2, 0.3] + a short last one (0.3, 0.35].
    edges = [0.0, 0.1, 0.2, 0.3, 0.35]
    ends, per_core = merge_samples(edges, [[0.0, 100.0, 30.0, 60.0]], max_samples=2)
    assert ends == (0.2, 0.35)
    assert per_core[0][0] == pytest.approx(50.0)
    assert per_core[0][1] == pytest.approx((30.0 * 0.1 + 60.0 * 0.05) / 0.15)


def test_merging_keeps_the_mean_load_over_the_window():
    edges = [i * 0.1 for i in range(11)] + [1.03]
    series = [float(i * 7 % 100) for i in range(11)]
    ends, per_core = merge_samples(edges, [series], max_samples=3)
    assert len(ends) == 3 and ends[-1] == 1.03

    def mean(e, s):
        return sum((b - a) * v for a, b, v in zip(e, e[1:], s)) / (e[-1] - e[0])

    assert mean((0.0,) + ends, per_core[0]) == pytest.approx(mean(edges, series))


def test_merge_refuses_ragged_series_and_a_zero_cap():
    with pytest.raises(ValueError):
        merge_samples([0.0, 0.1], [[1.0, 2.0]])
    with pytest.raises(ValueError):
        merge_samples([0.0, 0.1], [[1.0]], max_samples=0)


def test_compact_timeline_is_relative_capped_clamped_and_whole_percents():
    start = 1000.0
    t = [start + 0.1 * (i + 1) for i in range(3 * MAX_TIMELINE_SAMPLES)]
    per_core = [[100.4] * len(t), [-0.2] * len(t), [12.6] * len(t)]
    ends, stored = compact_timeline(start, t, per_core)
    assert len(ends) == MAX_TIMELINE_SAMPLES and all(len(s) == MAX_TIMELINE_SAMPLES for s in stored)
    assert ends[0] == pytest.approx(0.3) and ends[-1] == pytest.approx(0.1 * len(t))
    assert set(stored[0]) == {100} and set(stored[1]) == {0} and set(stored[2]) == {13}
    assert all(type(v) is int for s in stored for v in s)


def test_busiest_first_sorts_each_moment_down_the_cores():
    per_core = [[100, 0, 5],
                [0, 100, 50],
                [30, 0, 5]]
    assert busiest_first(per_core) == [[100, 100, 50],
                                       [30, 0, 5],
                                       [0, 0, 5]]
    assert busiest_first([]) == []


def test_busy_cores_over_time_sums_the_loads():
    assert busy_cores_over_time([[100, 0, 5], [0, 100, 50], [30, 0, 5]]) == [1.3, 1.0, 0.6]
