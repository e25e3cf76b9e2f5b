"""From results.json files to sweeps ready to add, every one checked before any is added.

The commit of a sweep is ``--commit`` when given, else the results' own ``git_commit``. A
result that names no commit, or a "-dirty" one (it measured uncommitted changes, which no
commit holds), is refused unless ``--commit`` says which commit it stands for. The commit must
be known to the repository (``--repo``), which gives its first-parent position, date and subject.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from harness.history.commits import commit_info
from harness.history.database import HistoryError
from harness.history.records import MachineKey, SweepRecord, points_of
from harness.results.storage import ResultsFileError, load_suite

__all__ = ["IngestRequest", "prepare_sweeps", "sweep_record"]


@dataclass(frozen=True, slots=True)
class IngestRequest:
    """What ``harness history add`` was given: the files, and the commit, branch and repository."""

    paths: tuple[str, ...]
    repo: str
    commit: str | None = None
    branch: str | None = None


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sweep_record(path: str, repo: str, commit: str | None = None, branch: str | None = None) -> SweepRecord:
    """One results.json as a SweepRecord; HistoryError (one line) for anything that cannot be added."""
    try:
        suite = load_suite(path)
    except ResultsFileError as exc:
        raise HistoryError(str(exc)) from None
    ref = commit
    if ref is None:
        recorded = suite.git_commit
        if not recorded:
            raise HistoryError(f"{path}: the results name no git commit; say which commit they measured with --commit SHA")
        if recorded.endswith("-dirty"):
            raise HistoryError(f"{path}: measured uncommitted changes ({recorded}); no commit holds them: commit "
                               "first and measure again, or say which commit they stand for with --commit SHA")
        ref = recorded
    info = commit_info(repo, ref, "--commit" if commit is not None else f"{path}: git_commit")
    points = points_of(suite)
    if not points:
        raise HistoryError(f"{path}: holds no run to add")
    return SweepRecord(info, MachineKey.of(suite.machine), suite.harness_version, suite.created,
                       os.path.abspath(path), _sha256(path), points, branch)


def prepare_sweeps(request: IngestRequest) -> list[SweepRecord]:
    """Every file checked first: one bad file adds none of them."""
    return [sweep_record(path, request.repo, request.commit, request.branch) for path in request.paths]
