"""Where a step is, confirmed: the commits either side of each step measured again.

A step is placed by its two neighbouring commits: the last before it and the first after it.
On a shared machine a slow spell lands on whole sweeps, and one sweep of a neighbour that
measured at the other side's level moves the step by a commit. This was measured: in the
end-to-end benchmark the locked pool's own repeats at commit 25 ran 0.085-0.134 s (0.086 s
at every commit after it), while both reference loops stayed put, and the step at 25 was
placed at 26. No reference can cancel that, and no detector can tell from one sweep which
side the commit belongs to.

So after the range is measured, ``history run`` finds the steps of the series it measured
(every property, the detector of :mod:`harness.history.steps`), and measures each step's
two neighbouring commits ``confirm`` more times, in alternate order, as extra passes; the
store pools a commit's sweeps, so one slow sweep of three moves a commit's median no
more. A step the new sweeps move has new neighbours, so it is done again, up to
``MAX_ROUNDS`` rounds, each commit measured at most ``passes + confirm`` times in all. A
step the new sweeps remove needs nothing more. An interrupted run resumes here: the
steps are found again from the store, and each neighbour is measured up to its count.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.history.records import CommitInfo
from harness.history.store import HistoryStore

__all__ = ["MAX_ROUNDS", "ConfirmSettings", "confirm_tasks", "step_neighbours"]

MAX_ROUNDS = 3  # a step that moved twice is where the data put it: more sweeps would chase noise


@dataclass(frozen=True, slots=True)
class ConfirmSettings:
    """How many more sweeps each step's neighbours get, and what counts as a step."""

    sweeps: int = 2
    threshold: float = 0.10
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.sweeps < 0 or not self.threshold >= 0 or not 0 < self.alpha < 1:
            raise ValueError(f"confirm settings out of range: {self!r}")


def _measured_here(history, request) -> bool:
    """A series of this machine and of one of the range's planned configurations."""
    if history.key.machine != request.machine:
        return False
    config = history.key.config
    loose = {key.without_python() for key in request.planned if key.python is None}
    return config in request.planned or config.without_python() in loose


def step_neighbours(store: HistoryStore, request, settings: ConfirmSettings) -> tuple[CommitInfo, ...]:
    """The range's commits either side of a step of a series it measured, oldest first."""
    from harness.history.regressions import find_steps

    histories = [h for h in store.load() if _measured_here(h, request)]
    steps = find_steps(histories, settings.threshold, settings.alpha, only_open=False)
    in_range = {commit.sha: commit for commit in request.commits}
    shas = {commit.sha for step in steps for commit in (step.previous, step.commit)}
    return tuple(commit for sha, commit in in_range.items() if sha in shas)


def confirm_tasks(store: HistoryStore, request, neighbours: tuple[CommitInfo, ...], settings: ConfirmSettings,
                  sweeps_done) -> list:
    """The sweeps that bring each neighbour to ``passes + sweeps`` sweeps, in alternate order
    (oldest first, then newest first), as passes after the range's own."""
    from harness.history.measure import SweepTask

    target = request.passes + settings.sweeps
    done = {commit.sha: sweeps_done(store, request, commit) for commit in neighbours}
    tasks = []
    for number in range(request.passes + 1, target + 1):
        order = neighbours if (number - request.passes) % 2 else tuple(reversed(neighbours))
        tasks += [SweepTask(commit, number) for commit in order if done[commit.sha] < number]
    return tasks
