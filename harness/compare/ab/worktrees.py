"""The two sides of ``harness ab`` as temporary, detached git worktrees.

Detached (``git worktree add --detach``), so no branch is created, and in a temporary
folder, so the user's working tree and index are never touched. :func:`side_worktrees`
removes them again on every way out, an interrupt included, and prunes git's record of
them, so ``git worktree list`` is as it was before.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from harness.compare.ab.processes import held_signals

__all__ = ["GitError", "Worktree", "git", "repository_root", "resolve_commit", "side_worktrees"]


class GitError(ValueError):
    """A repository or ref that cannot be used; the message is one line naming it."""


@dataclass(frozen=True, slots=True)
class Worktree:
    """One side checked out: its name ('base' or 'head'), the ref asked for, its commit, its folder."""

    side: str
    ref: str
    commit: str
    path: str

    @property
    def short(self) -> str:
        return self.commit[:10]


def git(repo: str, *args: str) -> subprocess.CompletedProcess:
    """``git -C repo ARGS``, its output captured as text; GitError when git is not installed."""
    try:
        return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise GitError("git is not installed (harness ab checks each side out with git worktree)") from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def repository_root(path: str) -> tuple[str, str]:
    """The top folder of the git repository holding ``path``, and ``path`` relative to it
    ('' at the top, else 'sub/dir/'); GitError if there is no repository."""
    if not os.path.isdir(path):
        raise GitError(f"--repo {path}: no such folder (accepted: a folder inside a git repository)")
    done = git(path, "rev-parse", "--show-toplevel", "--show-prefix")
    lines = done.stdout.splitlines()
    if done.returncode != 0 or not lines:
        raise GitError(f"--repo {path}: not a git repository (accepted: a folder inside a git repository)")
    return lines[0].strip(), (lines[1].strip() if len(lines) > 1 else "")


AB_HINT = "BASE and HEAD come before the sweep options"


def resolve_commit(repo: str, ref: str, side: str, hint: str = AB_HINT) -> str:
    """The full commit id ``ref`` names in ``repo``; GitError naming the side (and ``hint``,
    what the caller's command line expects) otherwise."""
    if not ref or ref.startswith("-"):
        raise GitError(f"{side} {ref!r}: not a git ref (accepted: a branch, tag or commit of {repo})")
    done = git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise GitError(f"{side} {ref!r}: unknown ref in {repo} (accepted: a branch, tag or commit there; {hint})")
    return done.stdout.strip()


def _add(repo: str, path: str, commit: str) -> None:
    done = git(repo, "worktree", "add", "--detach", "--quiet", path, commit)
    if done.returncode != 0:
        raise GitError(f"git worktree add {commit[:10]} failed: {_last_line(done.stderr)}")


def _remove(repo: str, paths: list[str], parent: str) -> None:
    for path in paths:
        git(repo, "worktree", "remove", "--force", path)
    shutil.rmtree(parent, ignore_errors=True)
    git(repo, "worktree", "prune")


@contextmanager
def side_worktrees(repo: str, sides: dict[str, tuple[str, str]]) -> Iterator[dict[str, Worktree]]:
    """Check out each side ``{name: (ref, commit)}`` into its own temporary detached worktree.

    Yields ``{name: Worktree}``; on the way out, however it is taken, every worktree is
    removed, its folder deleted and git's worktree list pruned.
    """
    parent = tempfile.mkdtemp(prefix="harness-ab-")
    made: list[str] = []
    try:
        trees = {}
        for name, (ref, commit) in sides.items():
            path = os.path.join(parent, name)
            made.append(path)
            _add(repo, path, commit)
            trees[name] = Worktree(name, ref, commit, path)
        yield trees
    finally:
        with held_signals():
            _remove(repo, made, parent)
