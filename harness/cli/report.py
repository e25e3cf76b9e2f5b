"""``harness report``, ``harness compare`` and ``harness list``: part of the CLI (prints, returns exit codes)."""

from __future__ import annotations

import os

from harness import exit_codes
from harness.cli.errors import print_error

__all__ = ["command_report", "command_compare", "command_list"]



def command_report(args) -> int:
    from harness.results.storage import ResultsFileError, load_suite

    try:
        suite = load_suite(args.results)
        baseline = load_suite(args.baseline) if args.baseline else None
    except ResultsFileError as exc:
        print_error(str(exc), "report")
        return exit_codes.USAGE
    out = args.out or os.path.dirname(os.path.abspath(args.results))
    from harness.report import build_report

    try:
        paths = build_report(suite, out, baseline=baseline)
    except OSError as exc:
        print_error(f"--out {out}: cannot write there ({exc.strerror or exc})", "report")
        return exit_codes.USAGE
    for path in paths:
        print(path)
    return exit_codes.OK


def command_compare(args) -> int:
    from harness.compare import CompareError, compare_files, format_markdown, format_table

    try:
        comparison = compare_files(args.baseline, args.current, threshold_pct=args.threshold,
                                   alpha=args.alpha, strict=args.strict, use_reference=not args.raw)
    except CompareError as exc:
        print_error(str(exc), "compare")
        return exit_codes.USAGE
    print("\n".join(format_table(comparison)))
    if args.markdown:
        from harness.results.storage import atomic_write_text

        try:
            atomic_write_text(args.markdown, format_markdown(comparison))
        except OSError as exc:
            print_error(f"--markdown {args.markdown}: {exc.strerror or exc}", "compare")
            return exit_codes.USAGE
    return exit_codes.FAILED if comparison.has_regression else exit_codes.OK


def command_list(args) -> int:
    from harness.execution.backends import BACKEND_NAMES, availability, backend_class
    from harness.workloads import BUILTIN_WORKLOADS, MAP_WORKLOADS

    print("Backends:")
    for name in BACKEND_NAMES:
        reason = availability(name)
        try:
            description = backend_class(name).description
        except ImportError:
            description = ""
        state = "available" if reason is None else f"unavailable: {reason}"
        width = max([17] + [len(n) for n in BACKEND_NAMES])
        print(f"  {name:<{width}} {state:<12} {description}" if reason is None else f"  {name:<{width}} {state}")
    print("\nRange workloads (fn(lo, hi) -> int, additive, with an exact oracle):")
    for name, workload in BUILTIN_WORKLOADS.items():
        reason = workload.unavailable()
        state = "available" if reason is None else f"unavailable: {reason}"
        print(f"  {name:<17} {state:<12} {workload.description}")
    print("  MODULE:FUNCTION   available    your own function (lo, hi) -> int on the import path")
    print("\nMap workloads (fn(item) -> result over n items, checked against serial's; --chunksize):")
    for name, workload in MAP_WORKLOADS.items():
        print(f"  {name:<17} {'available':<12} {workload.description} (default n {workload.default_n})")
    print("  MODULE:FUNCTION   available    your own function (item) -> result, with --items MODULE:PROVIDER")
    return exit_codes.OK
