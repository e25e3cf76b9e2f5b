"""The command line: the only module that prints or exits.

Exit codes: 0 success; 1 a run failed or timed out (run) or a regression was found
(compare, ab); 2 bad usage or bad input (one line on stderr, no traceback); 3 (ab only)
no regression found but some configuration "unstable, not judged"; 130 / 143
interrupted by SIGINT / SIGTERM.
"""

from __future__ import annotations

import os
import sys
from typing import Sequence

from harness import exit_codes
from harness.cli.errors import print_error, print_warning
from harness.cli.parser import UsageError, build_parser, config_from_args

__all__ = ["main", "build_parser", "UsageError"]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _dispatch(argv)
    except BrokenPipeError:
        # Output piped into `head` or a closed pager: results are saved; leave quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return exit_codes.OK


def _print_capacity(processes: int, cpus: int | None) -> int:
    from harness.execution.capacity import CapacityError, format_capacity, probe_parallel_capacity

    try:
        print(format_capacity(probe_parallel_capacity(processes), cpus), flush=True)
    except CapacityError as exc:
        print_error(f"--capacity: {exc}")
        return exit_codes.FAILED
    except KeyboardInterrupt:
        sys.stderr.write("harness env: interrupted\n")
        return exit_codes.SIGINT
    return exit_codes.OK


def _passes_sweep_options(args) -> bool:
    """harness ab, history run and history find pass the options they do not know on to harness run."""
    from harness.cli.history_options import SWEEP_COMMANDS

    return args.command == "ab" or (args.command == "history" and args.history_command in SWEEP_COMMANDS)


def _warn_if_threshold_looks_like_a_fraction(args) -> None:
    """--threshold is a percentage; 0.1 is legal (0.1%), but a gate that tight flags every
    run, and it is what a person used to fractions (asv's factor, a 0.1 "10%") would write."""
    threshold = getattr(args, "threshold", None)
    if isinstance(threshold, float) and threshold < 1:
        print_warning(f"--threshold {threshold:g} means {threshold:g}%, not {threshold * 100:g}%: "
                      f"it is a percentage (write {threshold * 100:g} for {threshold * 100:g}%)")


def _dispatch(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    # Known options only: harness ab passes the options it does not know on to harness run.
    args, extra = parser.parse_known_args(argv)
    if extra and not _passes_sweep_options(args):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    _warn_if_threshold_looks_like_a_fraction(args)
    if args.command is None:
        parser.print_help()
        return exit_codes.OK
    if args.command == "run":
        from harness.cli.run import command_run

        return command_run(args, config_from_args)
    if args.command == "report":
        from harness.cli.report import command_report

        return command_report(args)
    if args.command == "compare":
        from harness.cli.report import command_compare

        return command_compare(args)
    if args.command == "ab":
        from harness.cli.ab import command_ab

        return command_ab(args, extra)
    if args.command == "history":
        from harness.cli.history import command_history

        return command_history(args, extra)
    if args.command == "list":
        from harness.cli.report import command_list

        return command_list(args)
    if args.command == "env":
        from harness.environment.metadata import collect_environment, format_environment

        environment = collect_environment()
        print("\n".join(format_environment(environment)))
        if args.capacity is not None:
            cpus = environment["machine"].get("usable_cpus")
            return _print_capacity(args.capacity or cpus or 1, cpus)
        return exit_codes.OK
    parser.error(f"unknown command {args.command!r}")
    return exit_codes.USAGE
