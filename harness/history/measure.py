"""``harness history run A..B``: each commit of a range measured in its own worktree, and stored.

Built from ``harness ab``'s parts (:mod:`harness.compare.ab`): each commit is checked out into a
temporary detached worktree (removed on every way out), its workload module is checked to
come from that commit, and one ``harness run`` of the sweep runs there with the worktree as
its folder and first on ``PYTHONPATH``. Its results.json is added to the store at once, in
its own transaction, so an interrupt loses at most the commit under way, and running the same
command again skips every commit the store already holds for this machine and configuration.

``--passes P`` measures the range P times over, one sweep per commit per pass, in alternate
directions (oldest first, then newest first, ...). A slow spell of a shared machine lands on
whole sweeps: with one pass it moves every sample of a commit, with P passes one P-th of them,
and a commit's level is the median over all its passes' samples (the store pools several
sweeps of one commit). Whether that helps depends on how long the host's spells last (the
README has a side-by-side on a 2-vCPU VM, where it did not). Alternating the direction keeps a
drift over the whole run from posing as a slope over the commits (fully for an even P; for
P=3 a linear drift leaves a third of its slope); the newest commit ends pass 1 and begins
pass 2, so a spell at that turn can land on two of its sweeps. A commit is done for pass p
when the store holds p sweeps of each planned configuration of it (sweeps that each hold a
part add up), so an interrupted run resumes in the pass it was in.

Then each step's two neighbouring commits are measured ``confirm.sweeps`` more times
(:mod:`harness.history.confirm`), so that one slow sweep beside a step does not move it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Callable

from harness.compare.ab.rounds import SideRunner, check_workload_modules, round_folder
from harness.compare.ab.worktrees import side_worktrees
from harness.history.confirm import MAX_ROUNDS, ConfirmSettings, confirm_tasks, step_neighbours
from harness.history.ingest import sweep_record
from harness.history.records import CommitInfo, MachineKey
from harness.history.store import HistoryStore
from harness.results.key import RunKey
from harness.results.storage import RESULTS_NAME

__all__ = ["PendingSweeps", "RangeOutcome", "RangeRequest", "SweepTask", "measure_range", "pending_sweeps"]


@dataclass(frozen=True, slots=True)
class RangeRequest:
    """A validated ``history run``: the repository (and folder in it), the commits, the sweep."""

    repo: str
    prefix: str
    commits: tuple[CommitInfo, ...]
    sweep: tuple[str, ...]
    modules: tuple[str, ...]
    out: str
    machine: MachineKey
    planned: frozenset[RunKey]  # the sweep's configurations; python None: any interpreter
    branch: str | None = None
    passes: int = 1  # sweeps per commit, one per pass over the range
    confirm: ConfirmSettings = ConfirmSettings(sweeps=0)  # more sweeps of each step's neighbours

    def __post_init__(self) -> None:
        if self.passes < 1:
            raise ValueError(f"passes must be >= 1, got {self.passes!r}")


@dataclass(frozen=True, slots=True)
class SweepTask:
    """One sweep still to measure: a commit in one pass (1-based) over the range."""

    commit: CommitInfo
    pass_number: int


def _distinct_commits(tasks: tuple[SweepTask, ...]) -> int:
    return len({task.commit.sha for task in tasks})


@dataclass(frozen=True, slots=True)
class PendingSweeps:
    """What a ``history run`` still has to do: its sweeps in measuring order, and the commits whose
    every pass the store holds already."""

    tasks: tuple[SweepTask, ...]
    skipped: tuple[CommitInfo, ...]

    @property
    def commits(self) -> int:
        """How many distinct commits the pending sweeps measure."""
        return _distinct_commits(self.tasks)


@dataclass(frozen=True, slots=True)
class RangeOutcome:
    """The sweeps measured now (the range's passes, then the steps' neighbours: ``confirmed``),
    and the commits skipped because the store held all their passes."""

    measured: tuple[SweepTask, ...]
    skipped: tuple[CommitInfo, ...]
    confirmed: tuple[SweepTask, ...] = ()

    @property
    def commits_measured(self) -> int:
        return _distinct_commits(self.measured)


def _sweeps_done(store: HistoryStore, request: RangeRequest, commit: CommitInfo) -> int:
    """How many passes the store holds of this commit: the fewest sweeps holding any one planned
    configuration (python None: under any interpreter), so sweeps that each hold a part count."""
    sweeps = store.measured_sweeps(request.machine, commit.sha)
    loose = [{key.without_python() for key in configs} for configs in sweeps]
    return min((sum(key in configs for configs in (sweeps if key.python is not None else loose))
                for key in request.planned), default=request.passes)  # nothing planned: nothing to measure


def pending_sweeps(store: HistoryStore, request: RangeRequest) -> PendingSweeps:
    """The sweeps still to measure, in measuring order, and the commits whose every pass is stored."""
    done = {commit.sha: _sweeps_done(store, request, commit) for commit in request.commits}
    tasks = []
    for number in range(1, request.passes + 1):
        order = request.commits if number % 2 else tuple(reversed(request.commits))
        tasks += [SweepTask(commit, number) for commit in order if done[commit.sha] < number]
    return PendingSweeps(tuple(tasks), tuple(commit for commit in request.commits if done[commit.sha] >= request.passes))


def _measure_one(store: HistoryStore, request: RangeRequest, task: SweepTask) -> None:
    commit = task.commit
    name = commit.short
    folder = round_folder(request.out, name, task.pass_number)
    if os.path.isdir(folder):
        shutil.rmtree(folder)  # this command's own leftover from an interrupted run of this commit
    with side_worktrees(request.repo, {name: (commit.sha, commit.sha)}) as trees:
        runner = SideRunner(trees[name], request.prefix)
        check_workload_modules(runner, request.modules, "at every commit of the range")
        folder = runner.run_round(request.sweep, request.out, task.pass_number)
    store.add(sweep_record(os.path.join(folder, RESULTS_NAME), request.repo, commit.sha, request.branch))


def measure_range(store: HistoryStore, request: RangeRequest,
                  on_progress: Callable[[int, int, str], None] = lambda done, total, label: None,
                  pending: PendingSweeps | None = None) -> RangeOutcome:
    """Measure and store every pending sweep, pass by pass (``pending``: pending_sweeps's answer
    when the caller already asked it). AbRunError (a run that could not run), GitError or
    HistoryError stop it; what was stored before stays stored."""
    pending = pending if pending is not None else pending_sweeps(store, request)
    tasks = pending.tasks
    os.makedirs(request.out, exist_ok=True)
    measured = []
    for number, task in enumerate(tasks):
        subject = (task.commit.subject or "")[:40]
        within = f"pass {task.pass_number}/{request.passes} " if request.passes > 1 else ""
        on_progress(number, len(tasks), f"{within}{task.commit.short} {subject}")
        _measure_one(store, request, task)
        measured.append(task)
    confirmed = _confirm_steps(store, request, on_progress) if request.confirm.sweeps else []
    on_progress(len(tasks), len(tasks), "done")
    return RangeOutcome(tuple(measured), pending.skipped, tuple(confirmed))


def _confirm_steps(store: HistoryStore, request: RangeRequest,
                   on_progress: Callable[[int, int, str], None]) -> list[SweepTask]:
    """Up to MAX_ROUNDS rounds: find the steps, measure their neighbours up to their count."""
    confirmed: list[SweepTask] = []
    for round_number in range(1, MAX_ROUNDS + 1):
        neighbours = step_neighbours(store, request, request.confirm)
        tasks = confirm_tasks(store, request, neighbours, request.confirm, _sweeps_done)
        if not tasks:
            break
        for number, task in enumerate(tasks):
            subject = (task.commit.subject or "")[:40]
            on_progress(number, len(tasks), f"confirming steps ({round_number}) {task.commit.short} {subject}")
            _measure_one(store, request, task)
            confirmed.append(task)
    return confirmed
