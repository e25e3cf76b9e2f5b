"""``history run --passes``: which sweeps are still to measure, from a real store of real results.

The CLI test (tests/test_history_cli.py) measures for real and interrupts; this one pins the
counting rule on stored sweeps, without measuring: a commit has as many passes as the fewest
sweeps holding any one planned configuration, so sweeps that each hold a part add up.
"""

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
