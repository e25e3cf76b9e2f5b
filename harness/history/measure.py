"""``harness history run A..B``: each commit of a range measured in its own worktree, and stored.

Built from ``harness ab``'s parts (:mod:`harness.compare.ab`): each commit is checked out into a
temporary detached worktree (removed on every way out), its workload module is checked to
come from that commit, and one ``harness run`` of the sweep runs there with the worktree as
its folder and first on ``PYTHONPATH``. Its results.json is added to the store at once, in
its own transaction, so an interrupt loses at most the commit under way, and running the same
command again skips every commit the store already holds for this machine and configuration.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Callable

from harness.compare.ab.rounds import SideRunner, check_workload_modules, round_folder
from harness.compare.ab.worktrees import side_worktrees
from harness.history.ingest import sweep_record
from harness.history.records import CommitInfo, MachineKey
from harness.history.store import HistoryStore
from harness.results.key import RunKey
from harness.results.storage import RESULTS_NAME

__all__ = ["RangeOutcome", "RangeRequest", "measure_range", "pending_commits"]


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


@dataclass(frozen=True, slots=True)
class RangeOutcome:
    """The commits measured now and those skipped because the store held them already."""

    measured: tuple[CommitInfo, ...]
    skipped: tuple[CommitInfo, ...]


def _covered(planned: frozenset[RunKey], stored: set[RunKey]) -> bool:
    loose = {key.without_python() for key in stored}
    return all((key in stored) if key.python is not None else (key in loose) for key in planned)


def pending_commits(store: HistoryStore, request: RangeRequest) -> tuple[list[CommitInfo], list[CommitInfo]]:
    """The commits still to measure, and those the store holds every planned configuration of."""
    todo, skipped = [], []
    for commit in request.commits:
        done = _covered(request.planned, store.measured_configs(request.machine, commit.sha))
        (skipped if done else todo).append(commit)
    return todo, skipped


def _measure_one(store: HistoryStore, request: RangeRequest, commit: CommitInfo) -> None:
    name = commit.short
    folder = round_folder(request.out, name, 1)
    if os.path.isdir(folder):
        shutil.rmtree(folder)  # this command's own leftover from an interrupted run of this commit
    with side_worktrees(request.repo, {name: (commit.sha, commit.sha)}) as trees:
        runner = SideRunner(trees[name], request.prefix)
        check_workload_modules(runner, request.modules, "at every commit of the range")
        folder = runner.run_round(request.sweep, request.out, 1)
    store.add(sweep_record(os.path.join(folder, RESULTS_NAME), request.repo, commit.sha, request.branch))


def measure_range(store: HistoryStore, request: RangeRequest,
                  on_progress: Callable[[int, int, str], None] = lambda done, total, label: None,
                  pending=None) -> RangeOutcome:
    """Measure and store every pending commit, oldest first (``pending``: pending_commits's
    answer when the caller already asked it). AbRunError (a run that could not run), GitError
    or HistoryError stop it; what was stored before stays stored."""
    todo, skipped = pending if pending is not None else pending_commits(store, request)
    os.makedirs(request.out, exist_ok=True)
    measured = []
    for number, commit in enumerate(todo):
        subject = (commit.subject or "")[:40]
        on_progress(number, len(todo), f"{commit.short} {subject}")
        _measure_one(store, request, commit)
        measured.append(commit)
    on_progress(len(todo), len(todo), "done")
    return RangeOutcome(tuple(measured), tuple(skipped))
