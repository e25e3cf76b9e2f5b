"""How much of the reference loop's variation a series' times follow (history's control variate):
pure on literal and seeded numbers, then through a real store."""

import math
import random
import statistics

import pytest

from harness.history.ingest import sweep_record
from harness.history.series import MIN_SHARE_DOF, metric_series, reference_share
from harness.history.store import HistoryStore
from harness.results.storage import load_suite, save_suite

from tests._history import make_repo, real_results, scaled_results


def _runs(share, runs=6, repeats=8, seed=1, own=0.05, common=0.05, levels=None):
    """Repeats whose reference varies by a common factor (the machine) the times follow with
    exponent ``share``, plus noise of the loop's own that the times do not follow; each run at
    its own level (a step between commits must not enter the share)."""
    rng = random.Random(seed)
    times, references = [], []
    for k in range(runs):
        level = (levels or [1.0] * runs)[k]
        for _ in range(repeats):
            machine = math.exp(rng.gauss(0, common))
            times.append(0.050 * level * machine ** share)
            references.append(0.0125 * machine * math.exp(rng.gauss(0, own)))
    return times, references, [repeats] * runs


def test_times_that_follow_the_loop_exactly_divide_by_it_outright():
    times, references, counts = _runs(1.0, own=0.0)
    assert reference_share(times, references, counts) == pytest.approx(1.0)


def test_times_that_ignore_the_loop_do_not_divide_by_it():
    """The e2e benchmark's free pool: the loop on both workers varied, the pool's repeats did not."""
    times, references, counts = _runs(0.0)
    assert reference_share(times, references, counts) == pytest.approx(0.0, abs=0.02)


def test_the_share_is_the_slope_within_runs_so_steps_between_commits_do_not_enter_it():
    flat = reference_share(*_runs(0.5, own=0.0))
    stepped = reference_share(*_runs(0.5, own=0.0, levels=[1, 1, 1.3, 1.3, 2.6, 2.3]))
    assert flat == pytest.approx(0.5) and stepped == pytest.approx(0.5)


def test_the_loops_own_noise_lowers_the_share_to_the_variance_minimising_slope():
    """Common variance 0.05^2 and the loop's own 0.05^2: the least-variance divisor is half the loop."""
    times, references, counts = _runs(1.0, runs=40, own=0.05, common=0.05, seed=7)
    assert reference_share(times, references, counts) == pytest.approx(0.5, abs=0.08)


def test_the_share_is_clamped_and_too_few_repeats_divide_outright():
    times, references, counts = _runs(1.0, own=0.0)
    against = [0.050 * (0.0125 / r) for r in references]  # slower when the loop is faster
    assert reference_share(against, references, counts) == 0.0
    steeper = [t ** 2 / 0.05 for t in times]  # follows the loop twice over: never divided by more than it
    assert reference_share(steeper, references, counts) == 1.0
    few = MIN_SHARE_DOF // 3 - 1  # runs of 4 repeats: 3 degrees of freedom each, one run short
    times, references, counts = _runs(0.0, runs=few, repeats=4)
    assert sum(c - 1 for c in counts) < MIN_SHARE_DOF and reference_share(times, references, counts) == 1.0
    assert reference_share([0.05] * 40, [0.0125] * 40, [8] * 5) == 1.0  # a loop that never varied


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A real sweep's serial and threads runs, respread over 3 commits of 12 repeats each."""
    root = tmp_path_factory.mktemp("share")
    return str(root), make_repo(root / "repo", 3), real_results(root / "sweep")


def _commit_sweep(template, path, commit, seed, loop_spell=1.0, host=1.0, follow=0.0):
    """Threads' 12 repeats at a steady 50 ms x ``host``; its reference loop at 12.5 ms x ``host``
    x ``loop_spell`` with 5% noise that the repeats follow with exponent ``follow``."""
    scaled_results(template, path, commit, seed=seed)
    suite = load_suite(path)
    rng = random.Random(seed)
    runs = []
    for run in suite.runs:
        if run.backend == "threads":
            wobble = [math.exp(rng.gauss(0, 0.05)) for _ in range(12)]
            times = tuple(0.050 * host * w ** follow for w in wobble)
            loop = tuple(0.0125 * host * loop_spell * w for w in wobble)
            median = statistics.median(times)
            run = run.replace(times_s=times, median_s=median, min_s=min(times), max_s=max(times), ci_s=None,
                              ci95_s=None, repeat_passes=None, reference_times_s=loop,
                              reference_mean_times_s=loop, reference_alone_times_s=loop,
                              cpu_utilization=1.0 / run.workers, cpu_time_s=median)  # one core: taking turns
        runs.append(run)
    save_suite(suite.replace(runs=tuple(runs)), path)
    return path


def _threads_time(url, root, shas, template, **per_commit):
    with HistoryStore.open(url, create=True) as store:
        for k, sha in enumerate(shas):
            changes = {name: values[k] for name, values in per_commit.items()}
            store.add(sweep_record(_commit_sweep(template, f"{root}/c{k}-{len(changes)}.json", sha, k + 1, **changes),
                                   f"{root}/repo"))
        threads = next(h for h in store.load() if h.key.config.backend == "threads")
    time = next(m for m in metric_series(threads) if m.metric.name == "time")
    return time, [statistics.median(time.samples.row(i)) for i in range(3)]


def test_a_spell_of_the_loop_alone_is_not_a_step_of_the_series(history, history_url):
    """The e2e benchmark's commit 11: the loop on both workers ran 1.4x slow for a whole commit,
    the repeats did not. Divided outright the commit fell 29%; by its share it stays."""
    root, shas, template = history
    time, levels = _threads_time(history_url, root, shas, template, loop_spell=(1.0, 1.4, 1.0))
    assert time.normalized and time.reference_share.at_once is None
    assert time.reference_share.turns == pytest.approx(0.0, abs=0.1)
    assert levels[1] == pytest.approx(levels[0], rel=0.03) and levels[2] == pytest.approx(levels[0], rel=0.03)


def test_a_machine_that_slowed_the_repeats_and_the_loop_together_still_cancels(history_url, history):
    """When the repeats follow the loop within runs, the share is 1 and a commit measured on a
    machine at half speed is divided back to the others' level."""
    root, shas, template = history
    time, levels = _threads_time(history_url, root, shas, template, host=(1.0, 2.0, 1.0), follow=(1.0, 1.0, 1.0))
    assert time.reference_share.turns == pytest.approx(1.0, abs=0.01)
    assert levels[1] == pytest.approx(levels[0], rel=0.03)
