"""``history run --passes``: which sweeps are still to measure, from a real store of real results.

The CLI test (tests/test_history_cli.py) measures for real and interrupts; this one pins the
counting rule on stored sweeps, without measuring: a commit has as many passes as the fewest
sweeps holding any one planned configuration, so sweeps that each hold a part add up.
"""

import dataclasses

import pytest

from harness.history.commits import commit_range
from harness.history.ingest import sweep_record
from harness.history.measure import RangeRequest, pending_sweeps
from harness.history.store import HistoryStore
from harness.results.storage import load_suite, save_suite

from tests._history import make_repo, real_results, scaled_results


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return real_results(tmp_path_factory.mktemp("passes-sweep"))


def _part(template: str, path: str, commit: str, runs: slice) -> str:
    suite = load_suite(template)
    save_suite(suite.replace(runs=suite.runs[runs], git_commit=commit), path)
    return path


def test_passes_count_per_configuration_and_later_passes_run_newest_first(results, tmp_path):
    repo = tmp_path / "repo"
    shas = make_repo(repo, 3)
    commits = commit_range(str(repo), "HEAD")
    whole = scaled_results(results, str(tmp_path / "whole.json"), shas[0])
    with HistoryStore.open(str(tmp_path / "h.sqlite"), create=True) as store:
        store.add(sweep_record(whole, str(repo), shas[0]))  # commit 1: one whole sweep
        for name, runs in (("first", slice(0, 1)), ("rest", slice(1, None))):  # commit 2: two halves
            store.add(sweep_record(_part(whole, str(tmp_path / f"{name}.json"), shas[1], runs), str(repo), shas[1]))
        store.add(sweep_record(_part(whole, str(tmp_path / "half.json"), shas[2], slice(0, 1)), str(repo), shas[2]))
        (machine,) = {history.key.machine for history in store.load()}
        planned = frozenset().union(*store.measured_sweeps(machine, shas[0]))
        assert len(planned) == 2

        def pending(passes: int):
            request = RangeRequest(str(repo), "", tuple(commits), (), (), str(tmp_path / "out"), machine, planned,
                                   passes=passes)
            pending_now = pending_sweeps(store, request)
            number = {sha: k + 1 for k, sha in enumerate(shas)}
            return ([(number[t.commit.sha], t.pass_number) for t in pending_now.tasks],
                    [number[c.sha] for c in pending_now.skipped])

        # Commit 3 holds half the configurations: not one pass. Commits 1 and 2 hold one each.
        assert pending(1) == ([(3, 1)], [1, 2])
        assert pending(3) == ([(3, 1), (3, 2), (2, 2), (1, 2), (1, 3), (2, 3), (3, 3)], [])
        assert pending_sweeps(store, RangeRequest(str(repo), "", tuple(commits), (), (), "", machine, planned,
                                                  passes=3)).commits == 3
        assert store.measured_sweeps(machine, "0" * 40) == []


def test_a_request_needs_at_least_one_pass(tmp_path):
    with pytest.raises(ValueError, match="passes must be >= 1"):
        RangeRequest(str(tmp_path), "", (), (), (), str(tmp_path), None, frozenset(), passes=0)


def test_the_commits_either_side_of_a_step_are_measured_again_in_alternate_order(results, tmp_path):
    """history run --confirm: a 30% step between commits 4 and 5 of 8 (stored, not measured) has
    neighbours 4 and 5; two more sweeps each, oldest first then newest first, as passes 2 and 3,
    and none for a neighbour that holds them already."""
    from harness.history.confirm import ConfirmSettings, confirm_tasks, step_neighbours
    from harness.history.measure import _sweeps_done

    repo = tmp_path / "repo"
    shas = make_repo(repo, 8)
    commits = commit_range(str(repo), "HEAD")
    with HistoryStore.open(str(tmp_path / "h.sqlite"), create=True) as store:
        for k, sha in enumerate(shas):
            sweep = scaled_results(results, str(tmp_path / f"c{k}.json"), sha, level=1.3 if k >= 4 else 1.0, seed=k)
            store.add(sweep_record(sweep, str(repo), sha))
        (machine,) = {history.key.machine for history in store.load()}
        planned = frozenset().union(*store.measured_sweeps(machine, shas[0]))
        settings = ConfirmSettings(sweeps=2)
        request = RangeRequest(str(repo), "", tuple(commits), (), (), str(tmp_path / "out"), machine, planned,
                               confirm=settings)
        neighbours = step_neighbours(store, request, settings)
        assert [c.sha for c in neighbours] == [shas[3], shas[4]]
        tasks = confirm_tasks(store, request, neighbours, settings, _sweeps_done)
        assert [(shas.index(t.commit.sha) + 1, t.pass_number) for t in tasks] == [(4, 2), (5, 2), (5, 3), (4, 3)]
        for extra in (2, 3):  # commit 5 measured twice more already
            sweep = scaled_results(results, str(tmp_path / f"again{extra}.json"), shas[4], level=1.3, seed=extra)
            store.add(sweep_record(sweep, str(repo), shas[4]))
        tasks = confirm_tasks(store, request, neighbours, settings, _sweeps_done)
        assert [(shas.index(t.commit.sha) + 1, t.pass_number) for t in tasks] == [(4, 2), (4, 3)]
        other = RangeRequest(str(repo), "", tuple(commits), (), (), "", machine,
                             frozenset(dataclasses.replace(k, n=k.n + 1) for k in planned), confirm=settings)
        assert step_neighbours(store, other, settings) == ()  # a series the range does not measure
    with pytest.raises(ValueError, match="confirm settings out of range"):
        ConfirmSettings(sweeps=-1)
