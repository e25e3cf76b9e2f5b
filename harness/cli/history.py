"""``harness history ...``: part of the CLI (prints, returns exit codes).

Library code (:mod:`harness.history`) raises :class:`~harness.history.database.HistoryError` for
bad input; here it becomes one line on stderr and exit 2, before anything is written. ``run``
and ``find`` measure, and live in :mod:`harness.cli.history_measure`.
"""

from __future__ import annotations

import json
import sys

from harness import exit_codes
from harness.cli.errors import print_error

__all__ = ["add_sweeps", "command_history", "format_steps", "format_value"]


def format_value(value: float, unit: str) -> str:
    """A metric's value as a person reads it: seconds, x, cores, MiB."""
    from harness.text import format_seconds

    if unit == "s":
        return format_seconds(value)
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "bytes":
        return f"{value / 2**20:.1f} MiB"
    if unit == "cores":
        return f"{value:.2f}"
    return f"{value:.4g}"


def format_steps(steps) -> list[str]:
    """The regressions table: one line per step."""
    if not steps:
        return ["no open steps"]
    lines = []
    for step in steps:
        p = "-" if step.p_value is None else f"{step.p_value:.2g}"
        lines.append(f"{step.series.label}\n    {step.metric.title} {step.kind} at {step.where} "
                     f"(#{step.commit.position} "
                     f"{(step.commit.subject or '')[:50]}): {format_value(step.before, step.unit)} -> "
                     f"{format_value(step.after, step.unit)} ({step.change * 100:+.1f}%, p={p})")
    return lines


def add_sweeps(db: str, paths, *, repo: str = ".", commit: str | None = None, branch: str | None = None,
               quiet: bool = False) -> int:
    """Check every file, then add each in its own transaction, printing each once it is committed."""
    from harness.history.commits import current_branch, repository
    from harness.history.database import HistoryError
    from harness.history.ingest import IngestRequest, prepare_sweeps
    from harness.history.store import HistoryStore

    try:
        top = repository(repo)
        records = prepare_sweeps(IngestRequest(tuple(paths), top, commit, branch or current_branch(top)))
        store = HistoryStore.open(db, create=True)
    except HistoryError as exc:
        print_error(str(exc), "history add")
        return exit_codes.USAGE
    with store:
        for record in records:
            result = store.add(record)
            if not quiet:  # acknowledged only now that it is committed
                said = "already in the store" if result.already else f"added {result.points} run(s)"
                print(f"{record.results_path}: {said} at {record.commit.short} ({store.where})", flush=True)
    return exit_codes.OK


def _open(db: str, command: str):
    from harness.history.database import HistoryError
    from harness.history.store import HistoryStore

    try:
        return HistoryStore.open(db)
    except HistoryError as exc:
        print_error(str(exc), f"history {command}")
        return None


def _regressions(args) -> int:
    from harness.history.regressions import find_steps

    store = _open(args.db, "regressions")
    if store is None:
        return exit_codes.USAGE
    with store:
        steps = find_steps(store.load(args.branch), args.threshold / 100.0, args.alpha, only_open=not args.all)
    if args.json:
        print(json.dumps([step.to_json() for step in steps], indent=2))
    else:
        print("\n".join(format_steps(steps)))
    return exit_codes.OK


def _check(args) -> int:
    from harness.history.commits import commit_info, repository
    from harness.history.database import HistoryError
    from harness.history.regressions import check_commit

    try:
        commit = commit_info(repository(args.repo), args.commit, "--commit")
    except HistoryError as exc:
        print_error(str(exc), "history check")
        return exit_codes.USAGE
    store = _open(args.db, "check")
    if store is None:
        return exit_codes.USAGE
    with store:
        if store.commit(commit.sha) is None:
            print_error(f"--commit {args.commit}: {commit.short} is not in the store {store.where} "
                        "(add its sweep first: harness history add)", "history check")
            return exit_codes.USAGE
        found = check_commit(store.load(args.branch), commit.sha, args.threshold / 100.0, args.alpha)
    if found:
        print("\n".join(format_steps(found)))
        print(f"{commit.short} opens {len(found)} regression(s) beyond {args.threshold:g}%")
        return exit_codes.FAILED
    print(f"{commit.short} opens no regression beyond {args.threshold:g}%")
    return exit_codes.OK


def _report(args) -> int:
    from harness.history.report import build_history_report

    store = _open(args.db, "report")
    if store is None:
        return exit_codes.USAGE
    with store:
        page = build_history_report(store, args.out, args.threshold / 100.0, args.alpha, args.branch)
    print(f"trend page: {page}")
    return exit_codes.OK


def command_history(args, extra: list[str]) -> int:
    """Dispatch ``harness history SUBCOMMAND``; ``extra`` are run's and find's sweep options."""
    command = args.history_command
    if command == "add":
        return add_sweeps(args.db, args.results, repo=args.repo, commit=args.commit, branch=args.branch,
                          quiet=args.quiet)
    if command in ("run", "find"):
        from harness.cli.history_measure import command_find, command_run

        return (command_run if command == "run" else command_find)(args, extra)
    handlers = {"regressions": _regressions, "check": _check, "report": _report}
    try:
        return handlers[command](args)
    except KeyboardInterrupt:
        sys.stderr.write(f"harness history {command}: interrupted\n")
        return exit_codes.SIGINT
