"""The trend page's lines are the levels the detector and the regressions table read.

Before, the figure drew each commit's raw median seconds while the table and the detector
divided by the reference loop: a host slow spell at one commit showed as a spike the table
(rightly) did not list. Real results files of a real tiny sweep, scaled per commit, in a real
SQLite store.
"""

import statistics

import pytest

from harness.history.figures import _line, detail_figure, group_histories
from harness.history.ingest import sweep_record
from harness.history.series import metric_series
from harness.history.store import HistoryStore

from tests._history import host_changed, make_repo, real_results


@pytest.fixture(scope="module")
def histories(tmp_path_factory):
    """Three commits: quiet; the host half as fast while threads ran (its reference loop too);
    a lock that doubles threads' time alone."""
    folder = tmp_path_factory.mktemp("figures")
    shas = make_repo(folder / "repo", 3)
    template = real_results(folder)
    sweeps = [host_changed(template, str(folder / "quiet.json"), shas[0], 1),
              host_changed(template, str(folder / "slow-host.json"), shas[1], 2, threads_time=2.0,
                           threads_reference=2.0),
              host_changed(template, str(folder / "lock.json"), shas[2], 3, threads_time=2.0)]
    with HistoryStore.open(str(folder / "history.sqlite"), create=True) as store:
        for sweep in sweeps:
            store.add(sweep_record(sweep, str(folder / "repo")))
        return {h.key.config.backend: h for h in store.load()}


def test_the_figure_draws_time_and_speedup_per_reference_so_a_slow_host_shows_no_spike(histories):
    threads = histories["threads"]
    xs, times, normalized = _line(threads, "time")
    assert normalized and len(xs) == 3
    quiet, slow_host, lock = times
    assert slow_host == pytest.approx(quiet, rel=0.05)  # divided out, as the table reads it
    assert lock == pytest.approx(2 * quiet, rel=0.05)  # the workload's own change stays
    _, speedups, _ = _line(threads, "speedup")
    assert speedups[1] == pytest.approx(speedups[0], rel=0.05)
    assert speedups[2] == pytest.approx(speedups[0] / 2, rel=0.05)


def test_the_drawn_levels_are_the_medians_of_the_detectors_samples(histories):
    for history in histories.values():
        for series in metric_series(history):
            if series.metric.name not in ("time", "speedup"):
                continue
            xs, levels, _ = _line(history, series.metric.name)
            assert xs == [c.position for c in series.commits]
            assert levels == pytest.approx([statistics.median(series.samples.row(i).tolist())
                                            for i in range(len(series.commits))], rel=1e-9)


def test_the_baseline_has_no_speedup_line_and_a_single_commit_still_draws(histories, tmp_path):
    assert "speedup" not in {m.metric.name for m in metric_series(histories["serial"], least=1)}
    assert _line(histories["serial"], "speedup") == ([], [], False)
    one = tmp_path / "one"
    shas = make_repo(one / "repo", 1)
    sweep = host_changed(real_results(one), str(one / "r.json"), shas[0], 1)
    with HistoryStore.open(str(one / "history.sqlite"), create=True) as store:
        store.add(sweep_record(sweep, str(one / "repo")))
        loaded = store.load()
    threads = next(h for h in loaded if h.key.config.backend == "threads")
    assert len(_line(threads, "time")[0]) == 1  # the detector needs two commits; the figure does not
    (group,) = group_histories(loaded)
    assert detail_figure(group, (), "trend-one").png.startswith(b"\x89PNG")


def _step(position: int, sha: str):
    from harness.history.records import CommitInfo
    from harness.history.regressions import StepReport
    from harness.history.series import METRICS

    return StepReport(series=None, metric=METRICS[0], unit="x reference",
                      commit=CommitInfo(sha, position, "2026-01-01", f"commit {position}"),
                      previous=CommitInfo("0" * 40, position - 1, "2026-01-01"), before=1.0, after=1.3, change=0.3,
                      p_value=0.001, open=True)


def test_step_labels_closer_than_a_label_are_left_out_and_counted():
    from harness.history.figures import _mark_steps
    from harness.report.axes import new_figure

    fig = new_figure(10.5, 6.4, constrained=False)
    ax = fig.add_subplot()
    ax.plot([1, 1000], [1.0, 1.0])
    steps = [_step(400, "a" * 40), _step(401, "b" * 40), _step(403, "c" * 40), _step(700, "d" * 40),
             _step(700, "d" * 40)]  # two properties of one commit: one label
    assert _mark_steps(ax, steps, top=True) == 2
    assert sorted(t.get_text()[:7] for t in ax.texts) == ["aaaaaaa", "ddddddd"]
    assert len(ax.lines) == 1 + len(steps)  # every step keeps its line
    spread = [_step(100 * k, f"{k:040d}") for k in range(1, 10)]
    fresh = new_figure(10.5, 6.4, constrained=False).add_subplot()
    fresh.plot([1, 1000], [1.0, 1.0])
    assert _mark_steps(fresh, spread, top=True) == 0 and len(fresh.texts) == 9
