"""Commits as the history orders them: first-parent position, author date, subject; ranges.

The position of a commit is ``git rev-list --first-parent --count SHA``: how many commits its
first-parent chain holds, itself included. It is a property of the commit alone, so sweeps
added from different clones or in any order line up. git itself is run through
:func:`harness.compare.ab.worktrees.git`, ``harness ab``'s own.
"""

from __future__ import annotations

from harness.compare.ab.worktrees import GitError, git, repository_root, resolve_commit
from harness.history.database import HistoryError
from harness.history.records import CommitInfo

__all__ = ["commit_info", "commit_range", "current_branch", "repository"]

_FORMAT = "%H%x00%aI%x00%s"


def repository(path: str) -> str:
    """The top folder of the git repository holding ``path``; HistoryError otherwise."""
    try:
        return repository_root(path)[0]
    except GitError as exc:
        raise HistoryError(str(exc)) from None


def commit_info(repo: str, ref: str, what: str = "commit") -> CommitInfo:
    """The commit ``ref`` names in ``repo``; HistoryError naming ``what`` when there is none."""
    try:
        sha = resolve_commit(repo, ref, what, hint="a commit of this repository")
    except GitError as exc:
        raise HistoryError(str(exc)) from None
    shown = git(repo, "show", "-s", f"--format={_FORMAT}", sha)
    count = git(repo, "rev-list", "--first-parent", "--count", sha)
    if shown.returncode != 0 or count.returncode != 0:
        raise HistoryError(f"{what} {ref!r}: git cannot read it in {repo}")
    full, date, subject = shown.stdout.rstrip("\n").split("\x00", 2)
    return CommitInfo(full, int(count.stdout.strip()), date, subject)


def commit_range(repo: str, spec: str, step: int = 1) -> list[CommitInfo]:
    """The first-parent commits ``spec`` names, oldest first: ``A..B`` (after A, up to and with
    B), or one ref (it and all its first-parent ancestors). ``step`` K keeps every K-th,
    counted back from the newest, so the range's last commit is always in. HistoryError for a
    bad ref or a range with no commits."""
    if step < 1:
        raise HistoryError(f"--step {step}: accepted: an integer >= 1")
    start, dots, end = spec.partition("..")
    if dots and (not start or not end or end.startswith(".")):
        raise HistoryError(f"{spec!r}: accepted: A..B (the commits after A up to B) or one commit")
    head = commit_info(repo, end if dots else spec, "range end" if dots else "commit")
    args = ["rev-list", "--first-parent", "--reverse", f"--format={_FORMAT}", head.sha]
    if dots:
        args.append(f"^{commit_info(repo, start, 'range start').sha}")
    listed = git(repo, *args)
    if listed.returncode != 0:
        raise HistoryError(f"{spec!r}: git rev-list failed in {repo}")
    lines = [line for line in listed.stdout.splitlines() if line and not line.startswith("commit ")]
    if not lines:
        raise HistoryError(f"{spec!r}: no commits in this range (accepted: A..B with B a first-parent descendant of A)")
    first = head.position - len(lines) + 1
    commits = []
    for offset, line in enumerate(lines):
        sha, date, subject = line.split("\x00", 2)
        commits.append(CommitInfo(sha, first + offset, date, subject))
    return commits[::-1][::step][::-1]


def current_branch(repo: str) -> str | None:
    """The branch checked out in ``repo``; None when HEAD is detached (a CI checkout)."""
    done = git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    return done.stdout.strip() or None if done.returncode == 0 else None
