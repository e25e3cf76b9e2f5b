"""One side's round of ``harness ab``: ``harness run`` inside that side's worktree.

Each side runs with its worktree as the current folder and first on ``PYTHONPATH``, so
``--workload MODULE:FUNCTION`` (and any other module the sweep names) is imported from
that side's commit, while harness is the installation running ``harness ab`` (a
repository that is harness itself is the exception: its own ``harness`` package in the
worktree comes first on the path, so each side measures its own harness).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from harness.compare.ab.processes import run_in_group
from harness.compare.ab.worktrees import Worktree

__all__ = [
    "SIDES", "AbRunError", "SideRunner", "check_workload_modules", "module_in_tree", "probe_module", "read_rounds",
    "round_folder", "round_order", "run_rounds", "run_setup",
]

SIDES = ("base", "head")
# harness run exits 1 when a configuration failed or computed a wrong result: its results
# are still saved, and the comparison shows those configurations as failed.
_RUN_SAVED = (0, 1)
_PROBE = ("import importlib.util, sys\n"
          "try:\n"
          "    spec = importlib.util.find_spec(sys.argv[1])\n"
          "except (ImportError, ValueError):\n"
          "    spec = None\n"
          "where = spec and (spec.origin or next(iter(spec.submodule_search_locations or ()), None))\n"
          "print(where or '')\n")


class AbRunError(RuntimeError):
    """A side's setup or harness run could not run (not a measurement): exit 2, one line."""


def round_order(round_number: int) -> tuple[str, str]:
    """Round 1 runs base then head, round 2 head then base, and so on (ABBA).

    A steady drift over the whole job then lands on both sides alike.
    """
    return SIDES if round_number % 2 == 1 else SIDES[::-1]


def round_folder(out: str, side: str, round_number: int) -> str:
    """Where a side's round keeps its results.json: OUT/base-1, OUT/head-1, ..."""
    return os.path.join(out, f"{side}-{round_number}")


def _last_line(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = [line.strip() for line in handle if line.strip()]
    except OSError:
        lines = []
    return lines[-1] if lines else "no output"


@dataclass(frozen=True, slots=True)
class SideRunner:
    """How one side runs: its worktree, the folder in it (``prefix``, where --repo points), its
    Python and the environment its runs see."""

    tree: Worktree
    prefix: str = ""
    python: str = sys.executable

    @property
    def folder(self) -> str:
        """The side's copy of the folder harness ab was pointed at: cwd and first on the path."""
        return os.path.join(self.tree.path, self.prefix) if self.prefix else self.tree.path

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        paths = [self.folder]
        if self.python != sys.executable:
            # Another interpreter (a side's own venv) gets this harness from its source folder,
            # as harness run --python does: one harness for both sides.
            from harness.environment.pythons import PACKAGE_ROOT

            paths.append(PACKAGE_ROOT)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (*paths, env.get("PYTHONPATH", "")) if p)
        return env

    def describe(self) -> str:
        return f"{self.tree.side} ({self.tree.ref} at {self.tree.short})"

    def run_round(self, sweep: Sequence[str], out: str, round_number: int) -> str:
        """One ``harness run`` of the sweep into OUT/SIDE-K; returns that folder."""
        folder = round_folder(out, self.tree.side, round_number)
        os.makedirs(folder)
        log = os.path.join(folder, "harness-run.log")
        argv = [self.python, "-m", "harness", "run", *sweep, "--out", folder, "--quiet", "--no-report"]
        code = run_in_group(argv, cwd=self.folder, env=self.env, log_path=log)
        if code not in _RUN_SAVED:
            raise AbRunError(f"{self.describe()} round {round_number}: harness run exited with code {code}: "
                             f"{_last_line(log)} (its output: {log})")
        return folder


def probe_module(runner: SideRunner, module: str) -> str | None:
    """Where ``module`` is imported from on that side, or None when it cannot be found."""
    import subprocess

    done = subprocess.run([runner.python, "-c", _PROBE, module], cwd=runner.folder, env=runner.env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def run_setup(command: str, runner: SideRunner, log_path: str) -> None:
    """``--setup CMD`` in the side's folder, through the shell; AbRunError if it fails."""
    code = run_in_group(command, cwd=runner.folder, env=runner.env, log_path=log_path, shell=True)
    if code != 0:
        raise AbRunError(f"--setup failed in {runner.describe()} with exit code {code}: "
                         f"{_last_line(log_path)} (its output: {log_path})")


def module_in_tree(where: str | None, folder: str) -> bool:
    """True when a probed module path lies inside ``folder`` (the side's worktree)."""
    if where is None:
        return False
    root = os.path.realpath(folder)
    return os.path.realpath(where) == root or os.path.realpath(where).startswith(root + os.sep)



def check_workload_modules(runner: SideRunner, modules: Sequence[str], where: str) -> None:
    """AbRunError unless every module the sweep imports (``--workload``, ``--items``) comes from
    the side's own worktree; ``where`` says which commits must have it ('at both refs')."""
    for module in modules:
        found = probe_module(runner, module)
        if not module_in_tree(found, runner.tree.path):
            place = f"it would be imported from {found}" if found else "it is not there"
            raise AbRunError(f"{runner.describe()}: the workload module {module!r} is not in that commit ({place}); "
                             f"accepted: a module importable from {runner.prefix or 'the top folder'} of the "
                             f"repository {where}")


def run_rounds(runners: Mapping[str, SideRunner], sweep: Sequence[str], out: str, rounds: int,
               on_progress: Callable[[int, int, str], None], first: int = 1) -> dict[str, list[str]]:
    """``rounds`` alternated rounds (:func:`round_order`) of both sides, numbered from ``first``
    (more rounds after earlier ones keep the alternation); each side's round folders."""
    folders: dict[str, list[str]] = {side: [] for side in SIDES}
    last = first + rounds - 1
    total, done = 2 * last, 2 * (first - 1)  # rounds added after earlier ones carry the count on
    for number in range(first, last + 1):
        for side in round_order(number):
            on_progress(done, total, f"round {number}/{last}: {side}")
            folders[side].append(runners[side].run_round(sweep, out, number))
            done += 1
    on_progress(done, total, "judging")
    return folders


def read_rounds(folders: Mapping[str, Sequence[str]]):
    """Each side's rounds read back as compare Sides, in round order."""
    from harness.compare import read_side
    from harness.results.storage import RESULTS_NAME

    return {side: [read_side(os.path.join(folder, RESULTS_NAME)) for folder in folders[side]] for side in SIDES}
