"""``harness run``: validate, sweep with progress, journal every run, save, report, summarise.

Part of the CLI: it prints and returns exit codes. Nothing is written until every option
has been validated, and an existing results.json is never overwritten (use --resume).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

from harness.config import ConfigError, RunConfig
from harness.suite import build_suite
from harness.signals import EXIT_SIGINT, EXIT_SIGTERM, Terminated, terminate_as_exception

__all__ = ["command_run", "summary_lines"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _err(message: str) -> None:
    sys.stderr.write(f"harness run: error: {message}\n")


def summary_lines(suite) -> list[str]:
    """Plain-text summary table: backend, workers, n, median, speedup, efficiency, busy cores, status.

    A python column appears when the sweep ran in several interpreters (--python).
    """
    from harness.stability import format_seconds

    several = len({r.python for r in suite.runs}) > 1
    width = max([9] + [len(r.python or "-") for r in suite.runs])
    py = f"{'python':<{width}} " if several else ""
    header = f"{py}{'backend':<17} {'workers':>7} {'n':>10} {'median':>10} {'speedup':>8} {'effic.':>7} {'busy':>5}  status"
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
        lines.append(f"{prefix}{r.backend:<17} {r.workers:>7} {r.n:>10} {median:>10} {speed:>8} {eff:>7} {busy:>5}  {status}")
    return lines


def _resolve_out(args) -> tuple[str, bool]:
    """The output folder and whether to point reports/latest at it."""
    if args.resume:
        return args.resume, os.path.realpath(os.path.dirname(os.path.abspath(args.resume))) == os.path.realpath("reports")
    if args.out:
        return args.out, False
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join("reports", stamp), True


def _point_latest(out: str) -> None:
    """reports/latest -> the newest sweep, swapped atomically (a symlink renamed into place)."""
    reports = os.path.dirname(os.path.abspath(out))
    latest = os.path.join(reports, "latest")
    if os.path.exists(latest) and not os.path.islink(latest):
        return  # a real folder someone made: never replace what a user saved
    tmp = os.path.join(reports, f".latest-{os.getpid()}")
    os.symlink(os.path.basename(os.path.abspath(out)), tmp)
    os.replace(tmp, latest)


def _progress(quiet: bool):
    """A rich progress bar on a terminal; nothing when quiet or when stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        return None, (lambda done, total, label: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task("starting", total=None)

    def update(done: int, total: int, label: str) -> None:
        # Drawn at once: a step shorter than the bar's refresh interval would never show its label.
        progress.update(task, completed=done, total=total, description=label, refresh=True)

    return progress, update


# --capacity in a sweep: 4 blocks of 0.1 s slices, about 2 s with start-up; `harness env
# --capacity` measures longer (10 blocks) for a closer figure.
SWEEP_CAPACITY_BLOCKS = 4


def _probe_capacity(environment: dict, quiet: bool, warnings: list) -> dict | None:
    """The host's parallel throughput at the usable CPUs, as stored in results.json; None if it failed."""
    from harness.capacity import CapacityError, format_capacity, probe_parallel_capacity

    cpus = environment["machine"].get("usable_cpus") or environment["machine"].get("logical_cpus") or 1
    if not quiet and sys.stderr.isatty():
        sys.stderr.write(f"measuring what {cpus} busy processes deliver on this host...\n")
    try:
        probe = probe_parallel_capacity(cpus, blocks=SWEEP_CAPACITY_BLOCKS)
    except CapacityError as exc:
        warnings.append(f"--capacity: the probe could not measure ({exc})")
        return None
    return {"processes": probe.processes, "capacity": round(probe.capacity, 4),
            "efficiency": round(probe.efficiency, 4), "slice_s": probe.slice_s,
            "block_capacities": [round(c, 4) for c in probe.capacities], "summary": format_capacity(probe, cpus)}


def _exit_now_if_threads_abandoned(code: int) -> int:
    """Exit at once when a timed-out worker thread still runs; else return ``code``.

    Threads cannot be killed. A hung thread-executor worker is not a daemon and
    concurrent.futures joins it at interpreter exit, so a normal exit would wait for it,
    maybe forever. Everything is saved and every process backend closed by now, so
    os._exit (after flushing) loses nothing.
    """
    from harness.backends.base import abandoned_threads

    stuck = abandoned_threads()
    if not stuck:
        return code
    sys.stderr.write(f"harness run: {len(stuck)} worker thread(s) still running after a timeout cannot be stopped; "
                     "exiting without waiting for them\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _probe_pythons(texts) -> list[tuple]:
    """(spec, facts) per --python value; ExternalPythonError for an unusable one or a clash of labels."""
    import platform

    from harness.external import check_distinct, probe_interpreter
    from harness.pythons import free_threaded_build, interpreter_label, parse_python_spec

    probed = [(spec, probe_interpreter(spec)) for spec in map(parse_python_spec, texts)]
    main = interpreter_label(platform.python_version(), free_threaded_build(), None)
    check_distinct([("this interpreter", main)] + [(spec.text, facts["label"]) for spec, facts in probed])
    return probed


def _interpreter_entry(facts: dict, label: str, gil_mode: int | None, gil_enabled_by: str | None = None) -> dict:
    """One interpreter as results.json lists it: what ran, its build and its GIL mode and state."""
    keys = ("implementation", "version", "executable", "free_threaded_build", "gil_enabled")
    return {"label": label, **{k: facts.get(k) for k in keys}, "gil_mode": gil_mode,
            "gil_enabled_by": gil_enabled_by}


def command_run(args, config_from_args) -> int:
    from harness.storage import RESULTS_NAME, Journal, ResultsFileError, load_suite, read_journal_entries
    from harness.workloads import WorkloadError

    # 1. Validate everything before anything is written.
    try:
        if args.resume:
            previous = load_suite(os.path.join(args.resume, RESULTS_NAME))
            config = RunConfig.from_dict(previous.config)
            journal = read_journal_entries(args.resume)
            created = previous.created
        else:
            config = config_from_args(args)
            journal, created = Journal(), dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        # Read the GIL before the import: a C extension not marked free-threading safe turns it
        # back on, and the runs must say so (as they do in another --python interpreter).
        from harness.external import resolve_watching_gil

        workload, gil_at_start, gil_enabled_by = resolve_watching_gil(config.workload)
    except (ConfigError, WorkloadError, ResultsFileError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    except (TypeError, KeyError) as exc:
        _err(f"--resume {args.resume}: its saved configuration is not usable ({exc})")
        return EXIT_USAGE
    from harness.backends import availability

    for name in config.backends:
        reason = availability(name)
        if reason:
            _err(f"--backends: {name} is not available here: {reason} (see harness list)")
            return EXIT_USAGE
    other_python_config = None
    if config.pythons:
        from dataclasses import replace

        from harness.backends import STDLIB_BACKENDS
        from harness.external import ExternalPythonError

        stdlib_only = tuple(b for b in config.backends if b in STDLIB_BACKENDS)
        if not stdlib_only:
            _err("--python: none of the chosen backends is stdlib-only (accepted there: "
                 f"{', '.join(STDLIB_BACKENDS)})")
            return EXIT_USAGE
        other_python_config = replace(config, backends=stdlib_only, pythons=())
        try:
            probed = _probe_pythons(config.pythons)
        except ExternalPythonError as exc:
            _err(f"--python {exc}")
            return EXIT_USAGE
    else:
        probed = []
    out, link_latest = _resolve_out(args)
    results_path = os.path.join(out, RESULTS_NAME)
    if not args.resume and os.path.exists(results_path):
        _err(f"--out {out}: already holds {RESULTS_NAME}; choose another folder or continue it with --resume {out}")
        return EXIT_USAGE
    if os.path.exists(out) and not os.path.isdir(out):
        _err(f"--out {out}: exists and is not a folder")
        return EXIT_USAGE

    from harness.metadata import collect_environment, gil_enabled
    from harness.stability import busy_machine_warning

    environment = collect_environment()
    sweep_warnings = []
    try:
        import psutil

        before = psutil.cpu_percent(interval=0.3, percpu=True)
        busy = busy_machine_warning(environment["machine"].get("load_avg", [None])[0] if environment["machine"].get("load_avg") else None,
                                    environment["machine"]["logical_cpus"], before)
        if busy:
            sweep_warnings.append(busy)
    except Exception:  # a missing reading is not worth failing a sweep for
        pass

    from harness.recorder import Recorder

    capacity = previous.capacity if args.resume else None
    if getattr(args, "capacity", False) and capacity is None:
        try:
            with terminate_as_exception():
                capacity = _probe_capacity(environment, args.quiet, sweep_warnings)
        except (KeyboardInterrupt, Terminated) as exc:  # nothing is written yet: nothing to keep
            sys.stderr.write("harness run: interrupted while measuring the host's capacity; nothing was run\n")
            return EXIT_SIGINT if isinstance(exc, KeyboardInterrupt) else EXIT_SIGTERM
    recorder = Recorder(out, results_path, lambda runs, complete: build_suite(
        config, runs, environment, created, sweep_warnings, complete=complete, capacity=capacity), journal.runs)
    try:
        os.makedirs(out, exist_ok=True)
        if args.resume:  # a killed run can leave half-written temporaries beside results.json
            from harness.storage import remove_stale_temporaries

            remove_stale_temporaries(out)
        recorder.save()
        if link_latest:
            _point_latest(out)
    except OSError as exc:
        _err(f"--out {out}: cannot write there ({exc.strerror or exc})")
        return EXIT_USAGE

    from harness.external import ExternalPythonError, run_in_interpreter
    from harness.pythons import SweepInterpreter
    from harness.runner import run_sweep
    from harness.sampler import CpuSampler

    main = SweepInterpreter.current(gil_at_start, gil_enabled_by)
    # Each interpreter as probed; replaced by what its sweep reports once it has started.
    interpreters = [_interpreter_entry(environment["python"], main.label, main.gil_mode)]
    interpreters += [_interpreter_entry(facts, facts["label"], spec.gil) for spec, facts in probed]
    environment["interpreters"] = interpreters

    def on_facts(index: int, facts: dict) -> None:
        interpreters[index] = _interpreter_entry(facts, facts.get("label") or interpreters[index]["label"],
                                                 interpreters[index]["gil_mode"], facts.get("gil_enabled_by"))

    progress, on_progress = _progress(args.quiet)
    exit_code = EXIT_OK
    interrupted = None
    sampler = None
    try:
        with terminate_as_exception():
            try:
                sampler = None if getattr(args, "no_sampling", False) else CpuSampler(config.sample_interval_s)
                if progress:
                    progress.start()
                skip = {r.key for r in journal.runs}
                run_sweep(config, workload, sampler=sampler, skip=skip, resumed=journal.repeats,
                          on_run=recorder.record_run, on_repeat=recorder.record_repeat, on_progress=on_progress,
                          interpreter=main)
                for index, (spec, probed_facts) in enumerate(probed, start=1):
                    # Each interpreter gets only its own repeats back: a key ends with its label.
                    resumed_there = [r for key, records in journal.repeats.items() if key[-1] == probed_facts["label"]
                                     for r in records]
                    run_in_interpreter(spec, other_python_config.to_dict(), skip=[list(k) for k in skip],
                                       sampler_python=None if sampler is None else sys.executable,
                                       on_run=recorder.record_run, on_repeat=recorder.record_repeat,
                                       on_progress=on_progress, resumed=resumed_there,
                                       on_facts=lambda facts, i=index: on_facts(i, facts))
            finally:
                if progress:
                    progress.stop()
                if sampler is not None:
                    sampler.close()
    except ExternalPythonError as exc:
        sys.stderr.write(f"harness run: error: --python {exc}\n")
        exit_code = EXIT_FAILED
    except KeyboardInterrupt:
        interrupted = EXIT_SIGINT
    except Terminated:
        interrupted = EXIT_SIGTERM

    suite = recorder.save(complete=interrupted is None)
    if interrupted is not None:
        repeats = sum(len(v) for v in read_journal_entries(out).repeats.values())  # of runs still unfinished
        kept = f" and {repeats} finished repeat(s) of unfinished runs" if config.interleave and repeats else ""
        sys.stderr.write(f"harness run: interrupted; {len(recorder.runs)} completed run(s){kept} saved in {out}; "
                         f"continue with: harness run --resume {out}\n")
        return _exit_now_if_threads_abandoned(interrupted)

    report_note = ""
    if not args.no_report:
        try:
            from harness.report import build_report

            t0 = time.perf_counter()
            build_report(suite, out)
            report_note = f" and report.html ({time.perf_counter() - t0:.1f} s)"
        except Exception as exc:  # the results are saved; a report failure must say so, not hide them
            from harness.backends.worker import describe_exception

            sys.stderr.write(f"harness run: warning: the report could not be built: {describe_exception(exc)}\n")
    if not args.quiet:
        from harness.analysis import recommendations, verdict_lines

        print("\n".join(summary_lines(suite)))
        print()
        for line in verdict_lines(suite.runs, gil_enabled(), environment["machine"].get("logical_cpus"),
                                  suite.interpreters, suite.capacity):
            print(line)
        recommended = recommendations(suite.runs)
        if len(recommended) > 1:
            print("Recommendation per workload and size:")
            for line in recommended:
                print(f"  {line}")
        for warning in suite.warnings:
            print(f"warning: {warning}")
        print(f"\nresults.json{report_note} in {out}")
    from harness.backends import backend_class

    failed = [r for r in suite.runs if r.status in ("failed", "timeout")
              or (r.result_ok is False and backend_class(r.backend).exact_by_design)]
    if failed:
        exit_code = EXIT_FAILED
    return _exit_now_if_threads_abandoned(exit_code)
