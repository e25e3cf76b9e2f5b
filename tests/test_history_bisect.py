"""history find's decisions that need no measurement: when a probe cannot tell, and how more
rounds continue the alternation (the bisection itself runs for real in test_history_cli.py)."""

from __future__ import annotations

from harness.compare import Comparison, Row
from harness.compare.ab.rounds import run_rounds
from harness.history.bisect import undecided


def _row(label: str, verdict: str, ratio_ci) -> Row:
    ratio = None if ratio_ci is None else sum(ratio_ci) / 2
    return Row(label, ("serial", 1, 100), 1.0, ratio, ratio, ratio_ci, 0.02, "mann-whitney", verdict)


def test_a_probe_whose_interval_reaches_past_the_threshold_without_a_regression_cannot_tell():
    comparison = Comparison((
        _row("measured +8.4%", "no change", (0.988, 1.185)),  # 5 rounds of a commit 15% slower, on a noisy hour
        _row("tight", "no change", (0.95, 1.06)),
        _row("slower", "regression", (1.2, 1.4)),
        _row("noisy", "too noisy to tell", (0.9, 1.3)),
        _row("faster, wide", "improvement", (0.5, 1.11)),
        _row("no interval", "no change", None),
    ), (), 10.0, 0.05, "GOOD", "BAD")
    assert undecided(comparison, None, 10.0) == ("measured +8.4%", "noisy", "faster, wide")
    assert undecided(comparison, ("tight", "noisy"), 10.0) == ("noisy",)  # only what is bisected
    assert undecided(comparison, None, 20.0) == ("noisy",)  # 1.185 is within a 20% threshold
    assert undecided(comparison, ("slower", "tight"), 10.0) == ()


class _Recorder:
    """A side that only records which round it was asked for (the rounds' order is under test)."""

    def __init__(self, side: str, calls: list) -> None:
        self.side, self.calls = side, calls

    def run_round(self, sweep, out, number):
        self.calls.append((number, self.side))
        return f"{out}/{self.side}-{number}"


def test_more_rounds_continue_the_numbering_and_the_alternation():
    calls: list = []
    runners = {side: _Recorder(side, calls) for side in ("base", "head")}
    progress: list = []
    first = run_rounds(runners, [], "out", 3, lambda d, t, label: progress.append(label))
    more = run_rounds(runners, [], "out", 3, lambda d, t, label: progress.append(label), first=4)
    assert [n for n, _ in calls] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    assert [s for _, s in calls] == ["base", "head", "head", "base", "base", "head",
                                     "head", "base", "base", "head", "head", "base"]  # ABBA throughout
    assert more == {"base": ["out/base-4", "out/base-5", "out/base-6"], "head": ["out/head-4", "out/head-5", "out/head-6"]}
    assert first["base"] == ["out/base-1", "out/base-2", "out/base-3"]
    assert progress[6] == "judging" and progress[7] == "round 4/6: head" and progress[-1] == "judging"
