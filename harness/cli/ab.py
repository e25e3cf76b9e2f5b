"""``harness ab BASE HEAD [sweep options]``: part of the CLI (prints, returns exit codes).

Validates everything before anything is measured, then checks both sides out, runs the
rounds, and judges them (see :mod:`harness.compare.ab` for the protocol and the exit codes).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import sys
from dataclasses import dataclass

from harness import exit_codes
from harness.cli.errors import print_error
from harness.compare.ab import SIDES, AbRunError, GitError, SideRunner, Worktree
from harness.execution.signals import Terminated, terminate_as_exception

__all__ = ["AbUsageError", "command_ab", "gate_sweep"]

# harness run options that make no sense for a round (--out, --quiet are ab's own; --no-report
# and --reference it adds itself).
_REFUSED = {"resume": "--resume (each round is a fresh run into the output folder)",
            "history": "--history (harness history run files each commit's sweep itself)"}
# Unless --repeat is given: a fixed count, so that every round measures alike and a round's
# length does not depend on how noisy the machine was then (--repeat auto would); the gate's
# measured record (README) is for 5 repeats a round.
GATE_REPEAT = 5


class AbUsageError(ValueError):
    """Bad input to harness ab: one line, exit 2."""


@dataclass(frozen=True, slots=True)
class AbPlan:
    """Everything validated before the first worktree is made."""

    repo: str
    prefix: str
    commits: dict[str, tuple[str, str]]  # side -> (ref, commit)
    sweep: tuple[str, ...]
    modules: tuple[str, ...]
    out: str


def _parse_sweep(tokens: list[str]):
    """The sweep options as harness run would parse them; AbUsageError with run's own message."""
    from harness.cli.parser import build_parser

    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured), contextlib.redirect_stdout(io.StringIO()):
            namespace = build_parser().parse_args(["run", *tokens])
    except SystemExit:
        message = captured.getvalue().strip().splitlines()
        text = message[-1] if message else "not accepted by harness run"
        text = text.removeprefix("harness run: error: ").replace("(see harness run --help)", "").strip()
        raise AbUsageError(f"sweep options (passed on to harness run): {text} "
                           "(accepted: the options of harness run --help, after BASE and HEAD)") from None
    for dest, what in _REFUSED.items():
        if getattr(namespace, dest, None):
            raise AbUsageError(f"{what} is not accepted by harness ab")
    from harness.cli.parser import config_from_args as _config_from_args
    from harness.config import ConfigError

    try:
        _config_from_args(namespace)  # the values harness run checks before it measures
    except ConfigError as exc:
        raise AbUsageError(f"sweep options (passed on to harness run): {exc}") from None
    return namespace


def _workload_modules(namespace) -> tuple[str, ...]:
    """Modules the sweep imports from the side's worktree: --workload and --items MODULE:NAME."""
    modules = []
    for dest in ("workload", "items"):
        value = getattr(namespace, dest, None)
        if isinstance(value, str) and ":" in value:
            modules.append(value.partition(":")[0])
    return tuple(modules)


def _default_out() -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join("reports", f"ab-{stamp}")


def _check_out_folder(out: str) -> None:
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise AbUsageError(f"--out {out}: already exists and is not an empty folder; choose a new folder "
                           "(nothing there is overwritten)")


def _check_markdown(path: str | None) -> None:
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise AbUsageError(f"--markdown {path}: the folder {folder} does not exist")


def _given(tokens: list[str], option: str, first: list[str], second: list[str]) -> bool:
    """Whether the sweep tokens set ``option`` themselves, however abbreviated.

    Parsed twice by harness run's own parser behind two different settings of it: the last
    one wins, so the results differ only when the tokens leave the option alone.
    """
    from harness.cli.parser import build_parser

    dest = option.lstrip("-").replace("-", "_")
    one = build_parser().parse_args(["run", *first, *tokens])
    two = build_parser().parse_args(["run", *second, *tokens])
    return getattr(one, dest) == getattr(two, dest)


def gate_sweep(tokens: list[str]) -> tuple[object, tuple[str, ...], tuple[str, ...]]:
    """The sweep options as harness run parses them (AbUsageError otherwise), the sweep as every
    round runs it (``--repeat 5``, ``--interleave`` and ``--reference`` added unless given), and
    the modules it imports from the worktree. ``harness history run`` and ``find`` measure alike."""
    namespace = _parse_sweep(tokens)
    sweep = list(tokens)
    if not _given(tokens, "--repeat", ["--repeat", "1"], ["--repeat", "2"]):
        sweep += ["--repeat", str(GATE_REPEAT)]
    if not _given(tokens, "--interleave", ["--interleave"], ["--no-interleave"]):
        # Said outright: a side whose harness predates interleaving by default (harness's own
        # repository, where each side runs its own harness) then measures as the other does.
        sweep.append("--interleave")
    if namespace.reference_n is None:
        sweep.append("--reference")  # the drift reference is what makes rounds comparable
    return namespace, tuple(sweep), _workload_modules(namespace)


def _plan(args, tokens: list[str]) -> AbPlan:
    from harness.compare.ab import repository_root, resolve_commit

    if args.setup_python and not args.setup:
        raise AbUsageError("--setup-python: only with --setup CMD (the command that makes that Python)")
    _, sweep, modules = gate_sweep(tokens)
    repo, prefix = repository_root(args.repo)
    commits = {"base": (args.base, resolve_commit(repo, args.base, "BASE")),
               "head": (args.head, resolve_commit(repo, args.head, "HEAD"))}
    # Absolute: each round's harness run has its worktree as its current folder.
    out = os.path.abspath(args.out or _default_out())
    _check_out_folder(out)
    _check_markdown(args.markdown)
    return AbPlan(repo, prefix, commits, sweep, modules, out)


def _side_python(tree: Worktree, args, plan: AbPlan) -> str:
    """This interpreter, or after --setup the side's own venv Python where the setup made one."""
    from harness.compare.ab.rounds import run_setup

    if not args.setup:
        return sys.executable
    run_setup(args.setup, SideRunner(tree, plan.prefix), os.path.join(plan.out, f"setup-{tree.side}.log"))
    relative = args.setup_python or ".venv/bin/python"
    python = os.path.join(tree.path, plan.prefix, relative)
    if os.path.exists(python):
        return python
    if args.setup_python:
        raise AbUsageError(f"--setup-python {relative}: --setup made no such file in {tree.side} "
                           f"({tree.ref} at {tree.short}); accepted: a Python path relative to the repository folder")
    return sys.executable


def _prepare_side(tree: Worktree, args, plan: AbPlan) -> SideRunner:
    """Set the side up and check that it can run its sweep: harness importable, workload in the commit."""
    from harness.compare.ab.rounds import check_workload_modules, probe_module

    if not os.path.isdir(os.path.join(tree.path, plan.prefix)):
        raise AbUsageError(f"{tree.side} ({tree.ref} at {tree.short}): the folder {plan.prefix.rstrip('/')} is not in "
                           "that commit (accepted: a --repo folder that both refs have)")
    runner = SideRunner(tree, plan.prefix, _side_python(tree, args, plan))
    if runner.python != sys.executable:
        # harness run needs psutil (machine facts, the per-core sampler) wherever it runs.
        missing = [module for module in ("harness.cli.run", "psutil") if probe_module(runner, module) is None]
        if missing:
            raise AbUsageError(f"{runner.describe()}: {runner.python} cannot import {' or '.join(missing)}; "
                               "install harness's dependencies into that environment in --setup (or make it "
                               "with --system-site-packages)")
    check_workload_modules(runner, plan.modules, "at both refs")
    return runner


def _write_sides(plan: AbPlan, runners: dict[str, SideRunner], args) -> None:
    from harness.results.storage import atomic_write_text

    record = {side: {"ref": runner.tree.ref, "commit": runner.tree.commit, "python": runner.python}
              for side, runner in runners.items()}
    record.update(repo=plan.repo, rounds=args.rounds, sweep=list(plan.sweep), threshold_pct=args.threshold,
                  alpha=args.alpha)
    atomic_write_text(os.path.join(plan.out, "sides.json"), json.dumps(record, indent=2) + "\n")


def _measure(plan: AbPlan, args, on_progress) -> tuple[dict[str, list[str]], dict[str, SideRunner]]:
    from harness.compare.ab import side_worktrees
    from harness.compare.ab.rounds import run_rounds

    with side_worktrees(plan.repo, plan.commits) as trees:
        runners = {side: _prepare_side(trees[side], args, plan) for side in SIDES}
        _write_sides(plan, runners, args)
        return run_rounds(runners, plan.sweep, plan.out, args.rounds, on_progress), runners


def _judge(plan: AbPlan, args, folders: dict[str, list[str]], runners: dict[str, SideRunner]):
    from harness.compare.ab import judge_rounds
    from harness.compare.ab.rounds import read_rounds

    rounds = read_rounds(folders)
    names = {}
    for side in SIDES:
        tree = runners[side].tree
        # A ref given as a full commit id is not repeated: 'base 1a2b3c4d5e (5 rounds)'.
        ref = f"{tree.ref} ({tree.short}, " if tree.ref != tree.commit else f"{tree.short} ("
        names[side] = f"{side} {ref}{args.rounds} round{'s' if args.rounds > 1 else ''})"
    return judge_rounds(rounds["base"], rounds["head"], threshold_pct=args.threshold, alpha=args.alpha,
                        base_name=names["base"], head_name=names["head"])


def _report(plan: AbPlan, args, comparison) -> int:
    from harness.compare import format_markdown, format_table

    print("\n".join(format_table(comparison)))
    base_glob, head_glob = (os.path.join(plan.out, f"{side}-*", "results.json") for side in SIDES)
    print(f"results kept: harness compare '{base_glob}' '{head_glob}' reads them again")
    if args.markdown:
        from harness.results.storage import atomic_write_text

        try:
            atomic_write_text(args.markdown, format_markdown(comparison))
        except OSError as exc:
            print_error(f"--markdown {args.markdown}: {exc.strerror or exc}", "ab")
            return exit_codes.USAGE
    # A configuration that failed (timed out, crashed, a wrong result) fails the gate too, as it
    # fails harness run: a head that breaks the workload must not pass as "no regression".
    if comparison.has_regression or any(row.verdict == "failed" for row in comparison.rows):
        return exit_codes.FAILED
    return exit_codes.UNSTABLE if comparison.has_unstable else exit_codes.OK


def _measure_and_judge(plan: AbPlan, args):
    """The rounds, with progress, then the comparison; exceptions go to :func:`command_ab`."""
    from harness.cli.progress import showing_progress

    with terminate_as_exception():
        with showing_progress(args.quiet) as on_progress:
            folders, runners = _measure(plan, args, on_progress)
        return _judge(plan, args, folders, runners)


def _remove_if_empty(folder: str) -> None:
    """After bad input found late (a side without the workload), leave no empty output folder behind."""
    try:
        os.rmdir(folder)
    except OSError:
        pass  # not empty: keep what is there


def command_ab(args, tokens: list[str]) -> int:
    """Run ``harness ab``; ``tokens`` are the sweep options, passed on to every ``harness run``."""
    from harness.compare import CompareError

    try:
        plan = _plan(args, tokens)
        os.makedirs(plan.out, exist_ok=True)
    except (AbUsageError, GitError) as exc:
        print_error(str(exc), "ab")
        return exit_codes.USAGE
    except OSError as exc:
        print_error(f"--out {args.out}: cannot write there ({exc.strerror or exc})", "ab")
        return exit_codes.USAGE
    try:
        comparison = _measure_and_judge(plan, args)
    except (KeyboardInterrupt, Terminated) as exc:
        sys.stderr.write(f"harness ab: interrupted; the worktrees are removed and the rounds finished so far "
                         f"are in {plan.out}\n")
        return exit_codes.SIGINT if isinstance(exc, KeyboardInterrupt) else exit_codes.SIGTERM
    except (AbUsageError, AbRunError, GitError, CompareError) as exc:
        _remove_if_empty(plan.out)
        print_error(str(exc), "ab")
        return exit_codes.USAGE
    return _report(plan, args, comparison)
