"""history find's decisions, apart from measuring: when a probe cannot tell, how more rounds
continue the alternation, and that a probe measures more rounds once, judged on all of them.

The worktrees and the sweeps are left out here (each round only makes its folder); the
bisection itself runs for real, on real commits and sweeps, in test_history_cli.py.
"""

from __future__ import annotations

import contextlib
import os

from harness.compare import Comparison, Row
from harness.compare.ab.rounds import round_folder, run_rounds
from harness.history import bisect
from harness.history.bisect import FindRequest, find_first_bad, undecided
from harness.history.records import CommitInfo

LABEL = "serial w1 n=100"


def _row(verdict: str, ratio_ci, label: str = LABEL) -> Row:
    ratio = None if ratio_ci is None else sum(ratio_ci) / 2
    return Row(label, ("serial", 1, 100), 1.0, ratio, ratio, ratio_ci, 0.02, "mann-whitney", verdict)


def _comparison(*rows: Row) -> Comparison:
    return Comparison(tuple(rows), (), 10.0, 0.05, "GOOD", "BAD")


def test_a_probe_whose_interval_reaches_past_the_threshold_without_a_regression_cannot_tell():
    comparison = _comparison(
        _row("no change", (0.988, 1.185), "measured +8.4%"),  # 5 rounds of a commit 15% slower, on a noisy hour
        _row("no change", (0.95, 1.06), "tight"),
        _row("too noisy to tell", (0.9, 1.3), "noisy"),
        _row("improvement", (0.5, 1.11), "faster, wide"),  # find looks for slower only
        _row("no change", None, "no interval"))
    assert undecided(comparison, None, 10.0) == ("measured +8.4%", "noisy")
    assert undecided(comparison, ("tight", "noisy"), 10.0) == ("noisy",)  # only what is bisected
    assert undecided(comparison, None, 20.0) == ("noisy",)  # 1.185 is within a 20% threshold
    assert undecided(comparison, ("tight", "faster, wide"), 10.0) == ()
    # A probe where one bisected configuration regressed is decided, however noisy the others.
    slower = _comparison(_row("regression", (1.2, 1.4), "slower"), _row("no change", (0.9, 1.3), "noisy"))
    assert undecided(slower, None, 10.0) == () and undecided(slower, ("noisy",), 10.0) == ("noisy",)


class _FolderRound:
    """A side whose round only makes its folder (a name used twice fails), recording the order."""

    def __init__(self, side: str, calls: list) -> None:
        self.side, self.calls = side, calls

    def run_round(self, sweep, out, number):
        self.calls.append((number, self.side))
        folder = round_folder(out, self.side, number)
        os.makedirs(folder)
        return folder


def test_more_rounds_continue_the_numbering_the_alternation_and_the_progress(tmp_path):
    calls: list = []
    runners = {side: _FolderRound(side, calls) for side in ("base", "head")}
    progress: list = []
    out = str(tmp_path)
    first = run_rounds(runners, [], out, 3, lambda done, total, label: progress.append((done, total, label)))
    more = run_rounds(runners, [], out, 3, lambda done, total, label: progress.append((done, total, label)), first=4)
    assert [n for n, _ in calls] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    assert [s for _, s in calls] == ["base", "head", "head", "base", "base", "head",
                                     "head", "base", "base", "head", "head", "base"]  # ABBA throughout
    assert first["base"] == [os.path.join(out, f"base-{k}") for k in (1, 2, 3)]
    assert more["head"] == [os.path.join(out, f"head-{k}") for k in (4, 5, 6)]
    assert progress[6] == (6, 6, "judging") and progress[7] == (6, 12, "round 4/6: head")
    assert progress[-1] == (12, 12, "judging")


def _fake_sides(monkeypatch, verdicts: list[Comparison]) -> list[dict]:
    """Worktrees and sweeps left out; each judgement answers the next of ``verdicts`` and
    records how many rounds a side it pooled."""

    @contextlib.contextmanager
    def worktrees(repo, sides):
        yield {side: side for side in sides}

    judged: list[dict] = []
    answers = iter(verdicts)

    def judge(folders, request):
        judged.append({side: len(f) for side, f in folders.items()})
        return next(answers)

    calls: list = []
    monkeypatch.setattr(bisect, "side_worktrees", worktrees)
    monkeypatch.setattr(bisect, "SideRunner", lambda tree, prefix: _FolderRound(tree, calls))
    monkeypatch.setattr(bisect, "check_workload_modules", lambda *args: None)
    monkeypatch.setattr(bisect, "_judge", judge)
    return judged


def _request(tmp_path, commits: int = 3) -> FindRequest:
    shas = [CommitInfo(f"{k:040x}", k + 1, "2026-12-03T00:00:00+00:00", f"commit {k + 1}") for k in range(commits + 1)]
    return FindRequest("repo", "", shas[0], tuple(shas[1:]), ("--n", "100"), ("work",), str(tmp_path / "find"), rounds=5)


def test_a_probe_that_cannot_tell_measures_its_rounds_again_once_and_is_judged_on_all_of_them(tmp_path, monkeypatch):
    cannot_tell = _comparison(_row("no change", (0.988, 1.185)))
    # GOOD is #1, BAD #5: BAD (twice), then #3 (slower at once), then #2 (twice, then not slower).
    judged = _fake_sides(monkeypatch, [cannot_tell, _comparison(_row("regression", (1.1, 1.2))),
                                       _comparison(_row("regression", (1.2, 1.4))),
                                       cannot_tell, _comparison(_row("no change", (0.97, 1.04)))])
    outcome = find_first_bad(_request(tmp_path, commits=4))
    assert judged == [{"base": 5, "head": 5}, {"base": 10, "head": 10}, {"base": 5, "head": 5},
                      {"base": 5, "head": 5}, {"base": 10, "head": 10}]
    assert [p.rounds for p in outcome.probes] == [10, 5, 10]
    assert outcome.first_bad.position == 3 and outcome.targets == (LABEL,)
    bad_rounds = sorted(os.listdir(tmp_path / "find" / os.listdir(tmp_path / "find")[0]))
    assert len(bad_rounds) == 20  # base-1..10 and head-1..10 in the probe's own folder


def test_a_probe_that_still_cannot_tell_is_not_slower_after_its_one_second_look(tmp_path, monkeypatch):
    cannot_tell = _comparison(_row("no change", (0.988, 1.185)))
    judged = _fake_sides(monkeypatch, [cannot_tell, cannot_tell])
    outcome = find_first_bad(_request(tmp_path))
    assert outcome.first_bad is None and len(judged) == 2 and outcome.probes[0].rounds == 10
