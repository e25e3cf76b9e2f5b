"""``harness run``: parse, show progress, print the summary, choose the exit code.

Part of the CLI: it prints and returns exit codes. The sweep itself (validation before
anything is written, the output folder, journal and saves, the sampler, signals, the other
interpreters and the report) is ``harness.api.Sweep``'s.
"""

from __future__ import annotations

import os
import sys

from harness.config import ConfigError
from harness import exit_codes
from harness.cli.errors import print_error, print_warning
from harness.cli.progress import progress_bar
from harness.execution.signals import Terminated

__all__ = ["command_run", "summary_lines"]



def summary_lines(suite) -> list[str]:
    """Plain-text summary table: backend (and chunksize), workers, n, median, speedup, efficiency, busy cores,
    status.

    A python column appears when the sweep ran in several interpreters (--python).
    """
    from harness.text import format_seconds

    several = len({r.python for r in suite.runs}) > 1
    width = max([9] + [len(r.python or "-") for r in suite.runs])
    name_width = max([17] + [len(r.series) for r in suite.runs])
    py = f"{'python':<{width}} " if several else ""
    header = f"{py}{'backend':<{name_width}} {'workers':>7} {'n':>10} {'median':>10} {'speedup':>8} {'effic.':>7} {'busy':>5}  status"
    lines = [header, "-" * len(header)]
    for r in suite.runs:
        median = format_seconds(r.median_s) if r.median_s is not None else "-"
        speed = f"{r.speedup:.2f}x" if r.speedup is not None else "-"
        eff = f"{r.efficiency:.0%}" if r.efficiency is not None else "-"
        busy = f"{r.cpu.busy_cores:.1f}" if r.cpu else "-"
        status = r.status if r.result_ok is not False else "WRONG RESULT"
        if r.error:
            status += f": {r.error}"
        prefix = f"{(r.python or '-'):<{width}} " if several else ""
        lines.append(f"{prefix}{r.series:<{name_width}} {r.workers:>7} {r.n:>10} {median:>10} {speed:>8} {eff:>7} {busy:>5}  {status}")
    return lines


def _exit_now_if_threads_abandoned(code: int) -> int:
    """Exit at once when a timed-out worker thread still runs; else return ``code``.

    Threads cannot be killed. A hung thread-executor worker is not a daemon and
    concurrent.futures joins it at interpreter exit, so a normal exit would wait for it,
    maybe forever. Everything is saved and every process backend closed by now, so
    os._exit (after flushing) loses nothing.
    """
    from harness.execution.backends.base import abandoned_threads

    stuck = abandoned_threads()
    if not stuck:
        return code
    sys.stderr.write(f"harness run: {len(stuck)} worker thread(s) still running after a timeout cannot be stopped; "
                     "exiting without waiting for them\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def command_run(args, config_from_args) -> int:
    from harness.api import Sweep, SweepError, SweepRequest

    progress, on_progress = progress_bar(args.quiet)
    try:
        config = None if args.resume else config_from_args(args)
        request = SweepRequest(config=config, out=args.out, resume=args.resume, capacity=args.capacity,
                               sampling=not args.no_sampling, report=not args.no_report)
        sweep = Sweep(request, on_progress=on_progress, on_notice=None if args.quiet else _notice)
    except (ConfigError, SweepError) as exc:
        print_error(str(exc), "run")
        return exit_codes.USAGE
    if progress:
        progress.start()
    try:
        outcome = sweep.run()
    except (KeyboardInterrupt, Terminated) as exc:  # in the capacity probe: nothing written yet
        sys.stderr.write("harness run: interrupted while measuring the host's capacity; nothing was run\n")
        return exit_codes.SIGINT if isinstance(exc, KeyboardInterrupt) else exit_codes.SIGTERM
    except SweepError as exc:
        print_error(str(exc), "run")
        return exit_codes.USAGE
    finally:
        if progress:
            progress.stop()
    code = _finish(outcome, args.quiet, args.verbose)
    if args.history and outcome.interrupted_by is None:
        code = _add_to_history(args, outcome, code)
    return _exit_now_if_threads_abandoned(code)


def _add_to_history(args, outcome, code: int) -> int:
    """--history: the finished sweep into the store; its bad input (a dirty tree) is exit 2."""
    from harness.cli.history import add_sweeps
    from harness.results.storage import RESULTS_NAME

    added = add_sweeps(args.history, [os.path.join(outcome.out, RESULTS_NAME)], quiet=args.quiet)
    return added if added != exit_codes.OK else code


def _notice(text: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(text + "\n")


def _finish(outcome, quiet: bool, verbose: bool = False) -> int:
    """Print how the sweep ended; its exit code."""
    suite, out = outcome.suite, outcome.out
    if outcome.error:
        sys.stderr.write(f"harness run: error: {outcome.error}\n")
    if outcome.interrupted_by is not None:
        kept = f" and {outcome.unfinished_repeats} finished repeat(s) of unfinished runs" \
            if outcome.unfinished_repeats else ""
        sys.stderr.write(f"harness run: interrupted; {len(suite.runs)} completed run(s){kept} saved in {out}; "
                         f"continue with: harness run --resume {out}\n")
        return exit_codes.SIGINT if outcome.interrupted_by is KeyboardInterrupt else exit_codes.SIGTERM
    if outcome.report_error:
        print_warning(f"the report could not be built: {outcome.report_error}", "run")
    if not quiet:
        print("\n".join(summary_lines(suite) + [""] + (_conclusions(suite) if verbose else _short_answer(suite))))
        report = f" and report.html ({outcome.report_seconds:.1f} s)" if outcome.report_seconds is not None else ""
        print(f"\nresults.json{report} in {out}")
    return exit_codes.FAILED if outcome.error or outcome.failed_runs else exit_codes.OK


def _short_answer(suite) -> list[str]:
    """The answer in at most six lines, every failed or wrong run in one line each, and the
    warnings in one."""
    from harness.analysis.answer import warning_summary

    lines = list(suite.verdict.lines) if suite.verdict is not None else []
    for run in suite.runs:
        if run.status in ("failed", "timeout"):
            lines.append(f"{run.label}: {run.status}: {run.error}")
        elif run.status == "ok" and run.result_ok is False:
            lines.append(f"{run.label}: {run.error or 'wrong result'}")
    summary = warning_summary(suite.warnings)
    return lines + ([f"warning: {summary}"] if summary else [])


def _conclusions(suite) -> list[str]:
    """The verdict, the recommendations and the warnings, as the summary prints them."""
    from harness.analysis.speedup import recommendations, verdict_lines

    lines = verdict_lines(suite.runs, suite.python.gil_enabled, suite.machine.cpus,
                          suite.interpreters, suite.capacity)
    recommended = recommendations(suite.runs)
    if len(recommended) > 1:
        lines += ["Recommendation per workload and size:"] + [f"  {line}" for line in recommended]
    return lines + [f"warning: {warning}" for warning in suite.warnings]
