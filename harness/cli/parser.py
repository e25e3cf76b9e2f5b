"""The command line's parser: every command, option and help text, and the RunConfig it makes.

Importing it stays light (no measurement code): ``harness --help`` answers at once. The
commands themselves live in cli.py (dispatch) and cli_run, cli_report, cli_ab.
"""

from __future__ import annotations

import argparse

from harness import exit_codes
from harness._version import __version__
from harness.execution.backends import BACKEND_NAMES, DEFAULT_BACKENDS
from harness.config.repetition import AUTO, AUTO_CI_WIDTH, AUTO_MAX_REPEATS, AUTO_MIN_REPEATS, DEFAULT_MAX_TIME_S
from harness.chunksizes import STATIC
from harness.workloads.maps import DEFAULT_PAYLOAD_BYTES
from harness.config import (
    DEFAULT_REFERENCE_N,
    MIN_REFERENCE_N,
    MIN_SAMPLE_INTERVAL_S,
    SCALING_MODES,
    START_METHODS,
    RunConfig,
    parse_backends,
    parse_chunksizes,
    parse_sizes,
    parse_workers,
)

__all__ = ["build_parser", "config_from_args", "UsageError"]

# harness.execution.capacity.MAX_PROCESSES, repeated so that --help does not import the probe.
_MAX_PROBE_PROCESSES = 1024
# harness.compare.ab.DEFAULT_ROUNDS, repeated so that every command's parser stays light
# (tests/test_ab.py pins it, and the exit code, equal).
_AB_DEFAULT_ROUNDS, _AB_EXIT_UNSTABLE = 5, exit_codes.UNSTABLE
DEFAULT_N = "1000000"
DEFAULT_MAP_N = "1000"


class UsageError(Exception):
    """Bad input found by the CLI; printed as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage dump) and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(exit_codes.USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_float(option: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number (accepted: seconds > 0)") from None
        if not value > 0 or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number > 0 (accepted: seconds > 0)")
        return value

    return parse


def _int_at_least(minimum: int, maximum: int | None = None):
    accepted = f"integers >= {minimum}" if maximum is None else f"integers {minimum} to {maximum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer (accepted: {accepted})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum} (accepted: {accepted})")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{value} is above {maximum} (accepted: {accepted})")
        return value

    return parse


def _repeat_count(text: str) -> int | str:
    if text.strip() == AUTO:
        return AUTO
    try:
        return _int_at_least(1)(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("(accepted: integers >= 1)",
                                                          "(accepted: integers >= 1, or auto)")) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harness",
        description="Do threads, processes, pools or a cluster pay off for this CPU-bound function, "
                    "on this machine, by how much, and why?",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_run_parser(sub)
    _add_report_and_compare_parsers(sub)
    _add_ab_parser(sub)
    _add_list_and_env_parsers(sub)
    return parser


def _add_run_parser(sub) -> None:
    run = sub.add_parser(
        "run", help="run a sweep and write results.json (and the report)",
        description="Run the workload with every backend across worker counts and sizes. "
                    "Pool, executor, loky and dask backends start their pool once per configuration and "
                    "record that as startup_s, outside the timed repeats; 'processes' and 'shared' start "
                    "fresh processes every repeat, as the tutorial does, so their times include that start-up.",
    )
    run.add_argument("--backends", default=",".join(DEFAULT_BACKENDS), metavar="LIST",
                     help=f"comma list of backends, or 'all' (default: {','.join(DEFAULT_BACKENDS)}; "
                          f"known: {', '.join(BACKEND_NAMES)})")
    run.add_argument("--workers", default="auto", metavar="LIST|auto",
                     help="comma list of worker counts >= 1, or 'auto': powers of two below the logical "
                          "CPUs, the logical CPUs, and twice them (default: auto; 1,2,4 on 2 CPUs)")
    run.add_argument("--n", default=None, metavar="INT|LIST",
                     help="work size: items in [0, n) (a map workload: n items); one size or a comma list to find "
                          f"where parallelism starts to pay; 1e6 notation accepted (default: {DEFAULT_N}; "
                          f"imbalanced 2000, payload 64, poly-items 100000; {DEFAULT_MAP_N} for your own map workload)")
    run.add_argument("--scaling", default="strong", choices=SCALING_MODES, metavar="strong|weak",
                     help="strong: [0, n) split across the workers; weak: every worker computes all of "
                          "[0, n), and serial does it once per worker (default: strong)")
    run.add_argument("--repeat", type=_repeat_count, default=AUTO, metavar="INT|auto",
                     help=f"timed repeats per configuration, or 'auto': repeat until the median's 95%% interval "
                          f"spans at most {AUTO_CI_WIDTH * 100:g}%% of it or --max-time is spent, but at least "
                          f"{AUTO_MIN_REPEATS} (the fewest that give a real 95%% interval) and at most "
                          f"{AUTO_MAX_REPEATS} (default: auto)")
    run.add_argument("--max-time", type=_positive_float("--max-time"), default=DEFAULT_MAX_TIME_S,
                     metavar="SECONDS", dest="max_time_s",
                     help="--repeat auto: time budget per configuration for its timed repeats, after the minimum "
                          f"repeats (default: {DEFAULT_MAX_TIME_S:g})")
    run.add_argument("--warmup", type=_int_at_least(0), default=1, metavar="INT",
                     help="untimed repeats before the timed ones (default: 1)")
    run.add_argument("--start-method", choices=START_METHODS, default=None, metavar="fork|spawn|forkserver",
                     help="multiprocessing start method for process backends (default: the platform's)")
    run.add_argument("--sample-interval", type=_positive_float("--sample-interval"), default=0.1, metavar="SECONDS",
                     help=f"per-core CPU sampling interval, >= {MIN_SAMPLE_INTERVAL_S} (default: 0.1)")
    run.add_argument("--no-sampling", action="store_true",
                     help="do not sample per-core CPU load (the cpu field is null); for measuring the sampler's cost")
    run.add_argument("--workload", default="poly", metavar="NAME|MODULE:FUNCTION",
                     help="range workloads: poly (default), poly-numpy, hash, sleep, or your own MODULE:FUNCTION taking "
                          "(lo, hi) and returning an int (an ORACLE attribute in that module names its exact oracle "
                          "(n) -> int). Map workloads: imbalanced, payload, poly-items, or your own MODULE:FUNCTION "
                          "taking one item, with --items")
    run.add_argument("--items", default=None, metavar="MODULE:PROVIDER",
                     help="makes --workload MODULE:FUNCTION a map workload: fn(item) over PROVIDER(n), a sequence of "
                          "n picklable items; each run's results, in item order, are checked against serial's, by "
                          "equality or by the module's CHECK(expected, got) -> bool")
    run.add_argument("--chunksize", default=STATIC, metavar="LIST",
                     help="comma list of chunk sizes to sweep: integers (items per chunk), auto (Pool.map's rule: "
                          "ceil(n / (4 x workers))) and static (one contiguous block per worker); chunks other than "
                          "static go to whichever worker is free, through each backend's own dispatcher "
                          "(default: static)")
    run.add_argument("--payload-bytes", type=_int_at_least(1), default=None, metavar="BYTES",
                     help=f"the payload workload: bytes each item carries in, and each result out (default: "
                          f"{DEFAULT_PAYLOAD_BYTES}, 1 MiB)")
    _add_run_measurement_options(run)


def _add_run_measurement_options(run) -> None:
    """How each configuration is measured, and where: the run parser's second half."""
    run.add_argument("--interleave", action=argparse.BooleanOptionalAction, default=True,
                     help="time one repeat of every configuration per pass, pass after pass, so a machine whose "
                          "speed drifts slows all configurations alike; every finished repeat is journaled. "
                          "Costs a warm-up and a pool start per pass; --no-interleave times each configuration's "
                          "repeats back to back (default: interleave)")
    run.add_argument("--reference", nargs="?", const=DEFAULT_REFERENCE_N, default=None,
                     type=_int_at_least(MIN_REFERENCE_N), metavar="ITEMS", dest="reference_n",
                     help="before and after every timed repeat, also time a fixed reference loop (the tutorial's sum "
                          f"over [0, ITEMS) in every worker, default {DEFAULT_REFERENCE_N}; its compute time, without "
                          "start-up or dispatch) on the same backend; harness compare then divides each repeat by "
                          "it, cancelling changes in the machine's speed. For CI gates on shared machines; costs one "
                          "reference loop per repeat, plus one per run")
    run.add_argument("--capacity", action="store_true",
                     help="before the sweep, measure the parallel CPU throughput this host delivers (the harness env "
                          "--capacity probe, shortened to about 2 s) and store it in results.json; the verdict then "
                          "sets the best speedup against it (make bench does this)")
    run.add_argument("--timeout", type=_positive_float("--timeout"), default=None, metavar="SECONDS",
                     help="limit for each repeat; past it the run is marked timeout and its workers killed "
                          "(default: 60 s plus 10 us per item)")
    run.add_argument("--flush-every", type=_int_at_least(1), default=None, metavar="K",
                     help="shared/shared-nolock: add each worker's running sum into shared memory every K items "
                          "(default: once per worker); threads-shared/threads-nolock: into one shared total "
                          "(default: every item); to show the cost of the Lock and the lost updates without it")
    run.add_argument("--dask-scheduler", default=None, metavar="tcp://HOST:PORT",
                     help="dask backend: run on this existing cluster instead of an embedded LocalCluster "
                          "(the worker count then comes from the cluster)")
    run.add_argument("--python", action="append", default=[], metavar="PATH[:gil=0|1]", dest="pythons",
                     help="also run the stdlib backends inside this interpreter (repeatable; nothing needs to be "
                          "installed there), e.g. a free-threaded 3.13t (make python-ft builds one), to compare "
                          "interpreters side by side. :gil=0 or :gil=1 runs it with PYTHON_GIL=0 or 1, so one "
                          "free-threaded binary can be swept without and with the GIL; without it the build's "
                          "default runs (PYTHON_GIL is cleared)")
    run.add_argument("--out", default=None, metavar="DIR",
                     help="output folder (default: reports/<UTC timestamp>/, mirrored to reports/latest/)")
    run.add_argument("--no-report", action="store_true", help="write results.json only, no HTML/PNG report")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    run.add_argument("--resume", default=None, metavar="DIR",
                     help="continue an interrupted sweep in DIR with its saved configuration, "
                          "skipping the runs already completed")



def _add_report_and_compare_parsers(sub) -> None:
    report = sub.add_parser("report", help="build the HTML/PNG/CSV/markdown report from a results.json",
                            description="Build report.html, the PNG plots, results.csv and summary.md.")
    report.add_argument("results", metavar="RESULTS.json", help="a results.json written by harness run")
    report.add_argument("--out", default=None, metavar="DIR", help="output folder (default: beside RESULTS.json)")
    report.add_argument("--baseline", default=None, metavar="BASELINE.json",
                        help="add a comparison section against this earlier results file")

    compare = sub.add_parser(
        "compare", help="compare two results files; exit 1 on a significant regression",
        description="Per configuration: ratio of medians with its interval and a Mann-Whitney U test. "
                    "A regression is significant AND slower by more than --threshold. "
                    "Accepts harness results.json and pytest-benchmark JSON files.")
    compare.add_argument("baseline", metavar="BASELINE",
                         help="the earlier results (harness or pytest-benchmark JSON); several runs may be pooled: "
                              "FILE,FILE,... or a quoted glob such as 'base-*/results.json'")
    compare.add_argument("current", metavar="CURRENT",
                         help="the new results, spelled like BASELINE. Runs of base and head made in alternation "
                              "(base, head, base, head, ...) and pooled per side cancel drift between runs")
    compare.add_argument("--threshold", type=_positive_float("--threshold"), default=10.0, metavar="PCT",
                         help="slowdown in percent that counts as a regression when significant (default: 10)")
    compare.add_argument("--alpha", type=_positive_float("--alpha"), default=0.05, metavar="P",
                         help="significance level of the test, 0 < P < 1 (default: 0.05)")
    compare.add_argument("--markdown", default=None, metavar="FILE", help="also write the table as markdown to FILE")
    compare.add_argument("--strict", action="store_true",
                         help="refuse to compare runs from different machines, Pythons or GIL modes")
    compare.add_argument("--raw", action="store_true",
                         help="judge the raw times even where both sides timed the reference loop (harness run "
                              "--reference); by default each repeat is divided by its reference time")


def _add_list_and_env_parsers(sub) -> None:
    sub.add_parser("list", help="backends and workloads available here, and why any is not",
                   description="List every backend and workload, with availability here.")
    env = sub.add_parser("env", help="machine and interpreter facts, as recorded in results",
                         description="Print the machine and interpreter facts recorded in results.json.")
    env.add_argument("--capacity", nargs="?", const=0, default=None, type=_int_at_least(1, _MAX_PROBE_PROCESSES),
                     metavar="PROCESSES",
                     help="also measure how much parallel CPU throughput the machine delivers: the poly loop in "
                          "process 0 alone vs PROCESSES at once (default: the usable CPUs), alternating in 0.1 s "
                          "slices for about 4 s. Ideal: PROCESSES; a shared or hyperthreaded machine gives less, "
                          "and no backend's speedup can beat it")


def _paragraphs(*texts: str) -> str:
    """Paragraphs filled to the terminal's width, for help text that has more than one."""
    import shutil
    import textwrap

    width = max(min(shutil.get_terminal_size().columns, 100) - 2, 40)
    return "\n\n".join(textwrap.fill(text, width) for text in texts)


def _add_ab_parser(sub) -> None:
    ab = sub.add_parser(
        "ab", help="CI gate: measure two git refs in one job, alternated, and compare; exit 1 on a regression",
        allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_paragraphs("Check BASE and HEAD out into temporary git worktrees (your working tree is never touched), "
                    "run the same sweep on each side in alternation (base, head, head, base, ...) for --rounds "
                    "rounds, always with --reference, and judge the pooled rounds by harness compare's rule. "
                    "Each side's workload (--workload MODULE:FUNCTION) is imported from its own worktree; "
                    "harness is this installation. The worktrees are removed on every way out."),
        epilog=_paragraphs("sweep options: every option of 'harness run' (see harness run --help: --backends, --workers, --n, "
               "--workload, --repeat, ...), written after BASE and HEAD, is passed on to each side's run "
               "(--reference is added unless given, and --repeat 5 unless --repeat is given, so that every round "
               "measures alike; --resume is refused).",
               "exit codes: 0 no regression; 1 a regression, or a configuration failed; 2 bad input (unknown ref, not a git repository, "
               "a ref without the workload module, a bad option) or a side could not run; "
               f"{_AB_EXIT_UNSTABLE} no regression found, but a configuration is 'unstable, not judged' (one side's own "
               "rounds disagree by more than --threshold, significantly); 130/143 interrupted.",
               "example: harness ab main HEAD --workload mywork:crunch --backends serial,pool --workers 2"))
    ab.add_argument("base", metavar="BASE", help="the git ref to compare against (branch, tag or commit)")
    ab.add_argument("head", metavar="HEAD", help="the git ref under test")
    ab.add_argument("--repo", default=".", metavar="DIR",
                    help="a folder in the git repository that holds the workload; each side's copy of this folder "
                         "is its current folder and first on PYTHONPATH (default: the current folder)")
    ab.add_argument("--rounds", type=_int_at_least(1), default=_AB_DEFAULT_ROUNDS, metavar="K",
                    help=f"rounds of one run per side, alternated and pooled per side (default: {_AB_DEFAULT_ROUNDS})")
    ab.add_argument("--threshold", type=_positive_float("--threshold"), default=10.0, metavar="PCT",
                    help="slowdown in percent that counts as a regression when significant; also how far one "
                         "side's rounds may disagree before a configuration is unstable (default: 10)")
    ab.add_argument("--alpha", type=_positive_float("--alpha"), default=0.05, metavar="P",
                    help="significance level of the test, 0 < P < 1 (default: 0.05)")
    ab.add_argument("--markdown", default=None, metavar="FILE", help="also write the table as markdown to FILE")
    ab.add_argument("--out", default=None, metavar="DIR",
                    help="a new or empty folder for each side's rounds (DIR/base-K/results.json, "
                         "DIR/head-K/results.json) and sides.json (default: reports/ab-<UTC timestamp>/)")
    ab.add_argument("--setup", default=None, metavar="CMD",
                    help="a shell command run in each side's folder before its first round, e.g. to install that "
                         "side's dependencies into its own venv; that side's runs then use the venv's Python "
                         "(--setup-python), with this harness on its path")
    ab.add_argument("--setup-python", default=None, metavar="PATH",
                    help="with --setup: the side's Python, relative to its folder (default: .venv/bin/python "
                         "where --setup made it, else this interpreter)")
    ab.add_argument("--quiet", action="store_true", help="no progress bar")


def config_from_args(args) -> RunConfig:
    """The RunConfig that harness run's parsed options describe; ConfigError names a bad one."""
    from harness.environment.metadata import python_facts

    return RunConfig(
        backends=parse_backends(args.backends, BACKEND_NAMES),
        workers=parse_workers(args.workers),
        n=parse_sizes(args.n if args.n is not None else default_n(args.workload, args.items)),
        scaling=args.scaling,
        repeat=args.repeat,
        max_time_s=args.max_time_s,
        warmup=args.warmup,
        # Record the method actually used, not 'default': the default differs across platforms and versions.
        start_method=args.start_method or python_facts()["default_start_method"],
        sample_interval_s=args.sample_interval,
        workload=args.workload,
        timeout_s=args.timeout,
        flush_every=args.flush_every,
        dask_scheduler=args.dask_scheduler,
        pythons=tuple(args.pythons),
        interleave=args.interleave,
        reference_n=args.reference_n,
        chunksize=parse_chunksizes(args.chunksize),
        items=args.items,
        payload_bytes=args.payload_bytes,
    )


def default_n(workload: str, items: str | None) -> str:
    """--n when none is given: the built-in map workload's own size, DEFAULT_MAP_N for a user's
    map workload (--items), else DEFAULT_N."""
    from harness.workloads.maps import MAP_WORKLOADS

    if workload in MAP_WORKLOADS:
        return str(MAP_WORKLOADS[workload].default_n)
    return DEFAULT_MAP_N if items is not None else DEFAULT_N
