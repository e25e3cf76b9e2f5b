"""``harness run``'s options (also the sweep options ``harness ab`` passes on), with their help,
and the RunConfig they describe."""

from __future__ import annotations

import argparse

from harness.chunksizes import STATIC
from harness.cli.arguments import int_at_least, positive_float, repeat_count
from harness.cli.history_options import DEFAULT_DB
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
from harness.config.repetition import AUTO, AUTO_CI_WIDTH, AUTO_MAX_REPEATS, AUTO_MIN_REPEATS, DEFAULT_MAX_TIME_S
from harness.execution.backends import BACKEND_NAMES, DEFAULT_BACKENDS
from harness.workloads.maps import DEFAULT_PAYLOAD_BYTES

__all__ = ["DEFAULT_MAP_N", "DEFAULT_N", "add_run_parser", "config_from_args", "default_n"]

DEFAULT_N = "1000000"
DEFAULT_MAP_N = "1000"


def add_run_parser(sub) -> None:
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
    run.add_argument("--repeat", type=repeat_count, default=AUTO, metavar="INT|auto",
                     help=f"timed repeats per configuration, or 'auto': repeat until the median's 95%% interval "
                          f"spans at most {AUTO_CI_WIDTH * 100:g}%% of it or --max-time is spent, but at least "
                          f"{AUTO_MIN_REPEATS} (the fewest whose range holds a rerun's median 95%% of the time) "
                          f"and at most "
                          f"{AUTO_MAX_REPEATS} (default: auto)")
    run.add_argument("--max-time", type=positive_float(), default=DEFAULT_MAX_TIME_S,
                     metavar="SECONDS", dest="max_time_s",
                     help="--repeat auto: time budget per configuration for its timed repeats, after the minimum "
                          f"repeats (default: {DEFAULT_MAX_TIME_S:g})")
    run.add_argument("--warmup", type=int_at_least(0), default=1, metavar="INT",
                     help="untimed repeats before the timed ones (default: 1)")
    run.add_argument("--start-method", choices=START_METHODS, default=None, metavar="fork|spawn|forkserver",
                     help="multiprocessing start method for process backends (default: the platform's)")
    run.add_argument("--sample-interval", type=positive_float(), default=0.1, metavar="SECONDS",
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
    run.add_argument("--payload-bytes", type=int_at_least(1), default=None, metavar="BYTES",
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
                     type=int_at_least(MIN_REFERENCE_N), metavar="ITEMS", dest="reference_n",
                     help="before and after every timed repeat, also time a fixed reference loop (the tutorial's sum "
                          f"over [0, ITEMS) in every worker, default {DEFAULT_REFERENCE_N}; its compute time, without "
                          "start-up or dispatch) on the same backend; harness compare then divides each repeat by "
                          "it, cancelling changes in the machine's speed. For CI gates on shared machines; costs one "
                          "reference loop per repeat, plus one per run")
    run.add_argument("--capacity", action="store_true",
                     help="before the sweep, measure the parallel CPU throughput this host delivers (the harness env "
                          "--capacity probe, shortened to about 2 s) and store it in results.json; the verdict then "
                          "sets the best speedup against it (make bench does this)")
    run.add_argument("--timeout", type=positive_float(), default=None, metavar="SECONDS",
                     help="limit for each repeat; past it the run is marked timeout and its workers killed "
                          "(default: 60 s plus 10 us per item)")
    run.add_argument("--flush-every", type=int_at_least(1), default=None, metavar="K",
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
    run.add_argument("--history", nargs="?", const=DEFAULT_DB, default=None, metavar="DB",
                     help="when the sweep ends, add its results.json to this history store under the checked-out "
                          f"commit, as harness history add does (default DB: {DEFAULT_DB}); a dirty working tree is "
                          "refused (exit 2): commit first")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    run.add_argument("--verbose", action="store_true",
                     help="after the table, every line of the verdict (each model's reasons, lock costs, chunksize "
                          "per backend, recommendations per size) and every warning, instead of the short answer")
    run.add_argument("--baseline-python", default=None, metavar="LABEL|PATH",
                     help="the interpreter whose serial run every speedup of the verdict is against: its label "
                          "(3.13.15t) or a --python value (default: the interpreter running harness)")
    run.add_argument("--resume", default=None, metavar="DIR",
                     help="continue an interrupted sweep in DIR with its saved configuration, "
                          "skipping the runs already completed")



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
        baseline_python=args.baseline_python,
    )


def default_n(workload: str, items: str | None) -> str:
    """--n when none is given: the built-in map workload's own size, DEFAULT_MAP_N for a user's
    map workload (--items), else DEFAULT_N."""
    from harness.workloads.maps import MAP_WORKLOADS

    if workload in MAP_WORKLOADS:
        return str(MAP_WORKLOADS[workload].default_n)
    return DEFAULT_MAP_N if items is not None else DEFAULT_N
