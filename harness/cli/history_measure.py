"""``harness history run`` and ``harness history find``: the measuring subcommands (CLI: prints, exits).

Both validate everything before the first worktree is made (a bad range, a non-git ``--repo``, a
bad sweep option: exit 2, one line), take their sweep from ``harness ab``'s own parsing
(:func:`harness.cli.ab.gate_sweep`), show progress over commits on a terminal, and exit 130 /
143 on an interrupt with the worktrees removed.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

from harness import exit_codes
from harness.cli.errors import print_error

__all__ = ["command_find", "command_run"]


def _stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _planned_keys(namespace) -> frozenset:
    """The configurations the sweep will run, keyed with this interpreter's label (any, with --python)."""
    import platform

    from harness.cli.run_options import config_from_args
    from harness.environment.pythons import free_threaded_build, gil_mode_from_environment, interpreter_label
    from harness.execution.plan import plan_configurations

    config = config_from_args(namespace)
    label = None if config.pythons else interpreter_label(platform.python_version(), free_threaded_build(),
                                                          gil_mode_from_environment())
    return frozenset(point.key(config, label) for point in plan_configurations(config))


def _sweep(tokens: list[str]):
    from harness.cli.ab import gate_sweep

    return gate_sweep(tokens)


def _range_request(args, tokens: list[str]):
    from harness.compare.ab import repository_root
    from harness.environment.metadata import machine_facts
    from harness.history.commits import commit_range, current_branch
    from harness.history.confirm import ConfirmSettings
    from harness.history.measure import RangeRequest
    from harness.history.records import MachineKey
    from harness.results.facts import Machine

    namespace, sweep, modules = _sweep(tokens)
    repo, prefix = repository_root(args.repo)
    commits = commit_range(repo, args.range, args.step)
    out = os.path.abspath(args.out or os.path.join("reports", f"history-{_stamp()}"))
    return RangeRequest(repo=repo, prefix=prefix, commits=tuple(commits), sweep=sweep, modules=modules, out=out,
                        machine=MachineKey.of(Machine.from_dict(machine_facts())), planned=_planned_keys(namespace),
                        branch=args.branch or current_branch(repo), passes=args.passes,
                        confirm=ConfirmSettings(args.confirm, args.threshold / 100.0, args.alpha))


def _with_progress(quiet: bool, work):
    """Run ``work(on_progress)`` under the rich bar (on a terminal), SIGTERM as an exception."""
    from harness.cli.progress import showing_progress
    from harness.execution.signals import terminate_as_exception

    with terminate_as_exception(), showing_progress(quiet) as on_progress:
        return work(on_progress)


def _bad_input() -> tuple[type, ...]:
    from harness.cli.ab import AbUsageError
    from harness.compare import CompareError
    from harness.compare.ab import AbRunError, GitError
    from harness.config import ConfigError
    from harness.history.database import HistoryError

    return (AbUsageError, AbRunError, GitError, CompareError, ConfigError, HistoryError)


def command_run(args, tokens: list[str]) -> int:
    from harness.execution.signals import Terminated
    from harness.history.measure import measure_range, pending_sweeps
    from harness.history.store import HistoryStore

    try:
        request = _range_request(args, tokens)
        store = HistoryStore.open(args.db, create=True)
    except _bad_input() as exc:
        print_error(str(exc), "history run")
        return exit_codes.USAGE
    with store:
        pending = pending_sweeps(store, request)
        if not args.quiet and sys.stderr.isatty():
            sys.stderr.write(f"{len(pending.tasks)} sweep(s) of {pending.commits} commit(s) to measure, "
                             f"{len(pending.skipped)} commit(s) already in {store.where}\n")
        try:
            outcome = _with_progress(args.quiet, lambda on_progress: measure_range(store, request, on_progress,
                                                                                   pending))
        except (KeyboardInterrupt, Terminated) as exc:
            left = pending_sweeps(store, request).commits
            what = f"{left} commit(s) still to measure" if left else "the commits beside its steps still to measure again"
            sys.stderr.write(f"harness history run: interrupted; the worktrees are removed, {what}: run the same "
                             "command again to go on\n")
            return exit_codes.SIGINT if isinstance(exc, KeyboardInterrupt) else exit_codes.SIGTERM
        except _bad_input() as exc:
            print_error(str(exc), "history run")
            return exit_codes.USAGE
    passes = f" in {len(outcome.measured)} sweep(s) (--passes {args.passes})" if args.passes > 1 else ""
    confirmed = len({task.commit.sha for task in outcome.confirmed})
    steps = f", then {confirmed} commit(s) beside steps again in {len(outcome.confirmed)} sweep(s)" if confirmed else ""
    print(f"measured {outcome.commits_measured} commit(s){passes}{steps}, skipped {len(outcome.skipped)} already "
          f"stored; results in {request.out}; store {args.db}")
    return exit_codes.OK


def _find_request(args, tokens: list[str]):
    from harness.compare.ab import repository_root
    from harness.history.bisect import FindRequest
    from harness.history.commits import commit_info, commit_range

    _, sweep, modules = _sweep(tokens)
    repo, prefix = repository_root(args.repo)
    good = commit_info(repo, args.good, "GOOD")
    bad = commit_info(repo, args.bad, "BAD")
    commits = commit_range(repo, f"{good.sha}..{bad.sha}")
    out = os.path.abspath(args.out or os.path.join("reports", f"find-{_stamp()}"))
    return FindRequest(repo, prefix, good, tuple(commits), sweep, modules, out, args.rounds, args.threshold, args.alpha)


def _say_probe(probe) -> None:
    changes = ", ".join(f"{label} {change:+.1f}%" for label, change in probe.changes) or "no configuration compared"
    verdict = "slower" if probe.slower else "not slower"
    print(f"{probe.commit.short} (#{probe.commit.position} {(probe.commit.subject or '')[:50]}): {verdict} than "
          f"GOOD: {changes} ({probe.rounds} round(s) a side)", flush=True)


def command_find(args, tokens: list[str]) -> int:
    from harness.execution.signals import Terminated
    from harness.history.bisect import find_first_bad

    try:
        request = _find_request(args, tokens)
    except _bad_input() as exc:
        print_error(str(exc), "history find")
        return exit_codes.USAGE
    try:
        outcome = _with_progress(args.quiet, lambda on_progress: find_first_bad(request, on_progress, _say_probe))
    except (KeyboardInterrupt, Terminated) as exc:
        sys.stderr.write(f"harness history find: interrupted; the worktrees are removed; rounds so far in {request.out}\n")
        return exit_codes.SIGINT if isinstance(exc, KeyboardInterrupt) else exit_codes.SIGTERM
    except _bad_input() as exc:
        print_error(str(exc), "history find")
        return exit_codes.USAGE
    if outcome.first_bad is None:
        print(f"BAD {request.bad.short} is not slower than GOOD {request.good.short} beyond {args.threshold:g}% "
              f"in any configuration: nothing to bisect")
        return exit_codes.FAILED
    first = outcome.first_bad
    print(f"first bad commit: {first.short} (#{first.position} {first.subject or ''}), for "
          f"{', '.join(outcome.targets)}; {outcome.midpoints} commit(s) measured besides GOOD and BAD; "
          f"rounds in {request.out}")
    print(first.sha)
    return exit_codes.OK
