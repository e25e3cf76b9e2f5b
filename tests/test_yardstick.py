"""The reference time matched to how a run used its cores: pure, on literal numbers."""

import pytest

from harness.history.yardstick import matched_reference, slowest_weight


@pytest.mark.parametrize(("cores_used", "workers", "weight"), [
    (2.0, 2, 1.0),    # both workers computed at once: the slowest core sets the time
    (1.0, 2, 0.0),    # they took turns: the mean of their turns
    (1.5, 2, 0.5),
    (0.4, 2, 0.0),    # below one core (waiting on I/O or a lock): still taking turns, clamped
    (2.3, 2, 1.0),    # above the workers (the harness's own thread): clamped
    (9.0, 16, 8 / 15),
    (1.0, 1, 1.0),    # one worker: its only worker is both
    (None, 4, 1.0),   # unknown: the slowest, as harness compare divides
    (float("nan"), 4, 1.0),
])
def test_the_weight_on_the_slowest_worker(cores_used, workers, weight):
    assert slowest_weight(cores_used, workers) == pytest.approx(weight)


@pytest.mark.parametrize(("cores_used", "workers", "cpus", "weight"), [
    (2.0, 4, 2, 1.0),   # 4 workers on 2 CPUs, both busy: computing at once as fully as the machine lets
    (1.0, 4, 2, 0.0),   # taking turns
    (1.5, 4, 2, 0.5),
    (3.0, 4, 8, 2 / 3),  # more CPUs than workers: the workers set the bound
    (1.0, 4, 1, 1.0),   # one CPU: nothing runs at once, its one worker at a time is both
])
def test_the_weight_counts_only_the_workers_the_cpus_can_run_at_once(cores_used, workers, cpus, weight):
    assert slowest_weight(cores_used, workers, cpus) == pytest.approx(weight)
    assert matched_reference((0.04,), (0.02,), cores_used, workers, cpus) == pytest.approx((0.02 + 0.02 * weight,))


def test_the_matched_reference_between_the_slowest_and_the_mean_worker():
    slowest, mean = (0.030, 0.040), (0.025, 0.030)
    assert matched_reference(slowest, mean, 2.0, 2) == pytest.approx((0.030, 0.040))
    assert matched_reference(slowest, mean, 1.0, 2) == pytest.approx((0.025, 0.030))
    assert matched_reference(slowest, mean, 1.5, 2) == pytest.approx((0.0275, 0.035))
    assert matched_reference(slowest, None, 1.0, 2) == slowest  # results before schema 7
    with pytest.raises(ValueError, match="2 slowest-worker reference times but 1 mean ones"):
        matched_reference(slowest, (0.025,), 1.0, 2)


def test_a_run_taking_turns_on_cores_that_drift_apart_is_steady_per_matched_reference():
    """A fake 2-core host: each core's seconds per unit of the loop, per commit. A locked run does
    its 2 chunks (10 units each) one after the other, one per core: it lasts the sum of its turns.
    The reference loop (1 unit per worker, at once) gives the slowest and the mean worker. Only
    the host changes, so the run's time per reference should not."""
    cores = [(1.0, 1.0), (1.0, 1.4), (1.4, 1.0), (0.8, 1.2)]
    locked = [10 * a + 10 * b for a, b in cores]
    slowest = [max(a, b) for a, b in cores]
    mean = [(a + b) / 2 for a, b in cores]
    per_slowest = [t / r for t, r in zip(locked, slowest)]
    per_matched = [t / r for t, r in zip(locked, matched_reference(slowest, mean, 1.0, 2))]
    assert per_matched == pytest.approx([20.0] * 4)
    # per the slowest worker the run's time wanders by up to 17% with the host: steps that are not there
    assert per_slowest == pytest.approx([20.0, 24 / 1.4, 24 / 1.4, 20 / 1.2])
    parallel = [max(10 * a, 10 * b) for a, b in cores]  # the same chunks at once: the slowest core
    per_parallel = [t / r for t, r in zip(parallel, matched_reference(slowest, mean, 2.0, 2))]
    assert per_parallel == pytest.approx([10.0] * 4)
