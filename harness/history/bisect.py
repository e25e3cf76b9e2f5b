"""``harness history find GOOD BAD``: the first commit that made the sweep slower, by bisection.

Every comparison is ``harness ab``'s: GOOD and the commit under test checked out into
temporary worktrees and measured in alternated rounds (base, head, head, base, ...), each
side's rounds pooled and judged by ``harness compare``'s rule (significant AND beyond the
threshold). First GOOD against BAD: the configurations that regressed there are the ones
bisected. Then, over the first-parent commits after GOOD up to BAD, each midpoint is measured
against GOOD: regressed in any of those configurations means the first bad commit is at or
before it. For m commits that is ceil(log2(m)) midpoints (5 for 29).

The pooled verdict decides even where ab would call a configuration "unstable": bisection
needs an answer at every step, and the pooled median is the best estimate there is. A probe
whose rounds cannot tell (:func:`undecided`: no configuration regressed, yet one's interval of
the ratio reaches past the threshold) measures as many rounds again, once, and is judged on all
of them: on a noisy host, 5 rounds of a commit 15% slower than GOOD measured +8.4% (interval
0.99 to 1.19), and bisection would have stopped at "not slower". That second look at the data
raises the chance of a false "slower" a little (each look is judged at ``alpha``); a probe still
needs a significant change beyond the threshold on the pooled rounds to count as slower.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from harness.compare import Comparison, compare_sides, pool_sides
from harness.compare.ab.rounds import SideRunner, check_workload_modules, read_rounds, run_rounds
from harness.compare.ab.worktrees import side_worktrees
from harness.compare.rule import TOO_NOISY, RegressionCheck
from harness.history.records import CommitInfo

__all__ = ["FindOutcome", "FindRequest", "Probe", "find_first_bad", "undecided"]


@dataclass(frozen=True, slots=True)
class FindRequest:
    """A validated ``history find``: GOOD, the commits after it up to BAD (BAD last), the sweep."""

    repo: str
    prefix: str
    good: CommitInfo
    commits: tuple[CommitInfo, ...]
    sweep: tuple[str, ...]
    modules: tuple[str, ...]
    out: str
    rounds: int = 5
    threshold_pct: float = 10.0
    alpha: float = 0.05

    @property
    def bad(self) -> CommitInfo:
        return self.commits[-1]


@dataclass(frozen=True, slots=True)
class Probe:
    """One commit measured against GOOD: the regressed configurations' changes (percent)."""

    commit: CommitInfo
    regressed: tuple[str, ...]
    changes: tuple[tuple[str, float], ...]
    rounds: int  # per side, the rounds added where the first could not tell included

    @property
    def slower(self) -> bool:
        return bool(self.regressed)


@dataclass(frozen=True, slots=True)
class FindOutcome:
    """The first bad commit (None: BAD is not slower than GOOD), the configurations bisected, every probe."""

    first_bad: CommitInfo | None
    targets: tuple[str, ...]
    probes: tuple[Probe, ...]

    @property
    def midpoints(self) -> int:
        """Commits measured besides GOOD and BAD."""
        return max(len(self.probes) - 1, 0)


# Verdicts that leave a slowdown open (an improvement does not: find looks for slower).
_OPEN = ("no change", TOO_NOISY)


def _bisected(comparison: Comparison, targets: tuple[str, ...] | None) -> list:
    """The rows of the configurations being bisected (None: every configuration)."""
    return [row for row in comparison.rows if targets is None or row.label in targets]


def undecided(comparison: Comparison, targets: tuple[str, ...] | None, threshold_pct: float) -> tuple[str, ...]:
    """The configurations (of ``targets``; None: all) that a probe cannot tell: no regression,
    yet the ratio's interval reaches past the threshold, so the data allow a slowdown of the
    size bisection looks for as well as a smaller one. None when one of them regressed: that
    probe is decided ("slower"), and more rounds could only unsettle it."""
    rows = _bisected(comparison, targets)
    if any(row.verdict == "regression" for row in rows):
        return ()
    slower = RegressionCheck(threshold_pct).slower_than
    return tuple(row.label for row in rows
                 if row.verdict in _OPEN and row.ratio_ci is not None and row.ratio_ci[1] > slower)


def _judge(folders: dict[str, list[str]], request: FindRequest) -> Comparison:
    rounds = read_rounds(folders)
    return compare_sides(pool_sides(rounds["base"]), pool_sides(rounds["head"]),
                         threshold_pct=request.threshold_pct, alpha=request.alpha)


def _probe(request: FindRequest, head: CommitInfo, targets: tuple[str, ...] | None, on_progress) -> Probe:
    """GOOD against ``head`` in alternated rounds, more of them where the first cannot tell."""
    out = os.path.join(request.out, f"{len(os.listdir(request.out)) + 1:02d}-{head.short}")
    os.makedirs(out)
    sides = {"base": (request.good.sha, request.good.sha), "head": (head.sha, head.sha)}
    with side_worktrees(request.repo, sides) as trees:
        runners = {side: SideRunner(tree, request.prefix) for side, tree in trees.items()}
        for runner in runners.values():
            check_workload_modules(runner, request.modules, "at GOOD, BAD and every commit between")
        folders = run_rounds(runners, request.sweep, out, request.rounds, on_progress)
        comparison, rounds = _judge(folders, request), request.rounds
        if undecided(comparison, targets, request.threshold_pct):
            added = run_rounds(runners, request.sweep, out, rounds, on_progress, first=rounds + 1)
            folders = {side: folders[side] + added[side] for side in folders}
            comparison, rounds = _judge(folders, request), 2 * rounds
    rows = _bisected(comparison, targets)
    regressed = tuple(row.label for row in rows if row.verdict == "regression")
    changes = tuple((row.label, row.change_pct) for row in rows if row.change_pct is not None)
    return Probe(head, regressed, changes, rounds)


def find_first_bad(request: FindRequest, on_progress: Callable[[int, int, str], None] = lambda d, t, l: None,
                   on_probe: Callable[[Probe], None] = lambda probe: None) -> FindOutcome:
    """Bisect (see the module docstring); AbRunError, GitError or CompareError for what cannot run."""
    os.makedirs(request.out, exist_ok=True)

    def measure(commit: CommitInfo, targets: tuple[str, ...] | None) -> Probe:
        def progress(done: int, total: int, label: str) -> None:
            on_progress(done, total, f"{commit.short}: {label}")

        probe = _probe(request, commit, targets, progress)
        on_probe(probe)
        return probe

    first = measure(request.bad, None)
    probes = [first]
    if not first.slower:
        return FindOutcome(None, (), tuple(probes))
    low, high = -1, len(request.commits) - 1  # GOOD is not slower; BAD is
    while high - low > 1:
        middle = (low + high) // 2
        probe = measure(request.commits[middle], first.regressed)
        probes.append(probe)
        if probe.slower:
            high = middle
        else:
            low = middle
    return FindOutcome(request.commits[high], first.regressed, tuple(probes))
