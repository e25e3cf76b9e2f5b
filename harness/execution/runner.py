"""The sweep: sizes x backends x worker counts, each warmed up, then timed repeat by repeat.

Measurement never prints: progress and finished runs go to callbacks, and the CLI decides
what a person sees. A failed or hung configuration becomes a RunResult with status
"failed" or "timeout" and the sweep goes on; an interrupt (KeyboardInterrupt, or the
CLI's SIGTERM exception) kills the running workers and propagates.
"""

from __future__ import annotations

import dataclasses
import functools
import resource
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from harness.analysis import stats
from harness.execution.backends import BackendError, RunTimeout, backend_class
from harness.config import RunConfig
from harness.results.model import CpuLoad, RunResult, WorkerSpan
from harness.execution.map_results import (CheckError, assemble, describe_mismatch, estimate_transfer,
                                           first_mismatch, first_unpicklable, worker_load)
from harness.execution.partition import STATIC, chunk_items, expected_copies, make_chunks
from harness.environment.pythons import GIL_REENABLED, SweepInterpreter
from harness.execution.reference import ReferenceLoop
from harness.execution.repeats import Repeat, RepeatRecord
from harness.execution.signals import raise_if_interrupted
from harness.execution.sampler import SamplerError, mean_per_core
from harness.analysis.stability import reference_warning, sample_warnings
from harness.results.timeline import compact_timeline
from harness.workloads import Workload

__all__ = ["GIL_REENABLED", "Configuration", "gil_reenabled_warning", "plan_configurations", "run_configuration",
           "run_sweep"]


@dataclass(frozen=True, slots=True)
class Configuration:
    """One point of the sweep."""

    backend: str
    workers: int
    n: int
    chunksize: int | str = STATIC

    def key(self, config: RunConfig, python: str | None) -> tuple:
        """As RunResult.key: a non-static chunksize is part of it."""
        key = (self.backend, self.workers, self.n, config.scaling, config.workload, python)
        return key if self.chunksize == STATIC else key + (self.chunksize,)


def plan_configurations(config: RunConfig) -> list[Configuration]:
    """Every configuration in run order: per size, serial first, so speedups have a baseline.

    At strong scaling serial does the same work at any worker count, so it runs once (w1);
    at weak scaling its work grows with the worker count, so it runs at each.
    """
    plan: list[Configuration] = []
    # A backend on an existing cluster (dask with --dask-scheduler) has as many workers as
    # that cluster has; it says so through an optional classmethod fixed_workers(config).
    fixed = {}
    for backend in config.backends:
        ask = getattr(backend_class(backend), "fixed_workers", None)
        fixed[backend] = ask(config) if ask is not None else None
    for n in config.n:
        for backend in config.backends:
            cls = backend_class(backend)
            counts = (1,) if cls.is_baseline and config.scaling == "strong" else config.workers
            if fixed[backend] is not None:
                counts = (fixed[backend],)
            # The baseline, and a backend that can only split statically, run the static split.
            sizes = config.chunksize if cls.can_chunk and not cls.is_baseline else (STATIC,)
            sizes = tuple(dict.fromkeys(sizes))
            plan.extend(Configuration(backend, w, n, size) for w in counts for size in sizes)
    plan.sort(key=lambda c: (c.n, not backend_class(c.backend).is_baseline))
    return plan


def _self_peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _timed_repeat(backend, ref, tasks, deadline, fn, sampler, in_process: bool) -> Repeat:
    if sampler is not None:
        sampler.start()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    try:
        results = backend.run(ref, tasks, deadline, fn)
    finally:
        t1 = time.perf_counter()
        cpu1 = time.process_time()
        samples = sampler.stop() if sampler is not None else None
    cpu = cpu1 - cpu0
    if not in_process:  # worker processes report their own CPU time
        cpu += sum(r.cpu_s or 0.0 for r in results)
    return Repeat(t1 - t0, cpu, t0, tuple(results), samples)


def _cpu_load(repeats: Sequence[Repeat], representative: Repeat, interval: float) -> CpuLoad | None:
    with_samples = [r for r in repeats if r.samples is not None and r.samples.t]
    if not with_samples:
        return None
    # Mean over all timed repeats, weighted by their length; the timeline of one typical repeat.
    weights = [r.wall_s for r in with_samples]
    means = [mean_per_core(r.samples) for r in with_samples]
    cores = len(means[0])
    total = sum(weights) or 1.0
    mean = tuple(min(100.0, sum(w * m[c] for w, m in zip(weights, means)) / total) for c in range(cores))
    chosen = representative.samples if representative.samples and representative.samples.t else with_samples[0].samples
    start = representative.start if chosen is representative.samples else with_samples[0].start
    timeline_t, timeline_per_core = compact_timeline(start, chosen.t, chosen.per_core)
    return CpuLoad(
        interval_s=interval,
        mean_per_core=tuple(round(v, 2) for v in mean),
        busy_cores=round(sum(mean) / 100.0, 3),
        timeline_t_s=timeline_t,
        timeline_per_core=timeline_per_core,
    )


def _spans(repeat: Repeat) -> tuple[WorkerSpan, ...]:
    return tuple(
        WorkerSpan(worker=r.worker, start_s=round(max(r.start - repeat.start, 0.0), 6),
                   end_s=round(max(r.end - repeat.start, r.start - repeat.start, 0.0), 6),
                   cpu_s=None if r.cpu_s is None else round(r.cpu_s, 6), pid=r.pid)
        for r in sorted(repeat.task_results, key=lambda r: r.worker)
    )


@dataclass(frozen=True, slots=True)
class _Context:
    """What every measurement of one configuration shares."""

    point: Configuration
    key: tuple
    interpreter: SweepInterpreter
    base: dict
    tasks: list
    expected: int | None
    timeout: float
    inputs: "MapInputs | None" = None  # a map workload's items of this size and serial's results


class MapInputs:
    """A map workload's items for one size, and what every run of that size is checked
    against: serial's results, computed once, in this process, untimed (the first run that
    needs them pays). Also the items' transfer estimate and whether they pickle."""

    def __init__(self, workload: Workload, items) -> None:
        self.workload, self.items = workload, items

    @functools.cached_property
    def expected(self) -> list:
        fn = self.workload.function
        return [fn(item) for item in self.items]

    @functools.cached_property
    def transfer(self):
        return estimate_transfer(self.items, self.expected)

    @functools.cached_property
    def unpicklable(self) -> str | None:
        return first_unpicklable(self.items)


def _context(point: Configuration, config: RunConfig, workload: Workload, interpreter: SweepInterpreter,
             inputs: MapInputs | None = None) -> _Context:
    cls = backend_class(point.backend)
    start_method = config.start_method if cls.uses_start_method else None
    # loky and dask choose their own start method; record what they really use.
    recorded = getattr(cls, "recorded_start_method", None)
    base = dict(backend=point.backend, workers=point.workers, n=point.n, scaling=config.scaling,
                workload=workload.name, start_method=start_method or (recorded(config) if recorded else None),
                python=interpreter.label, gil_enabled=interpreter.gil_enabled,
                free_threaded_build=interpreter.free_threaded_build, gil_mode=interpreter.gil_mode,
                workload_kind=workload.kind, chunksize=point.chunksize)
    tasks = make_chunks(point.n, point.workers, config.scaling, point.chunksize,
                        inputs.items if inputs is not None else None)
    base.update(chunk_items=chunk_items(point.chunksize, point.n, point.workers), chunks=len(tasks))
    expected = None if workload.is_map else _expected(workload, point.n, expected_copies(point.workers, config.scaling))
    return _Context(point, point.key(config, interpreter.label), interpreter, base, tasks, expected,
                    config.timeout_for(point.n, point.workers), inputs)


@functools.lru_cache(maxsize=256)
def _expected(workload: Workload, n: int, copies: int) -> int | None:
    # An oracle may be as costly as a serial run (hash, or a user's ORACLE that just calls the
    # function): compute it once per size, not once per configuration.
    return workload.expected(n, copies)


@dataclass
class _Measured:
    """Repeats of one configuration so far (one call, or several interleaved passes)."""

    repeats: list = field(default_factory=list)
    startups: list = field(default_factory=list)
    recomputed: int | None = None
    failure: RunResult | None = None
    timing_s: float = 0.0  # spent in timed repeats and their reference loops: --max-time's budget
    warmed: bool = False  # warmed up in this process (repeats resumed from a journal were not)

    @property
    def times(self) -> list[float]:
        return [r.wall_s for r in self.repeats]

    @classmethod
    def resumed(cls, records: Sequence[RepeatRecord]) -> "_Measured":
        """The repeats an interrupted interleaved sweep journaled for one configuration."""
        recomputed = [r.recomputed for r in records if r.recomputed]
        return cls(repeats=[r.repeat for r in records],
                   startups=[r.startup_s for r in records if r.startup_s is not None],
                   recomputed=sum(recomputed) if recomputed else None,
                   timing_s=sum(r.timing_s if r.timing_s is not None else r.repeat.wall_s for r in records))


def _measure(ctx: _Context, config: RunConfig, workload: Workload, sampler, wants_more: Callable[[_Measured], bool],
             into: _Measured) -> None:
    """Start the backend, warm up, time repeats while ``wants_more(into)``, close; failures land in ``into.failure``."""
    point = ctx.point
    cls = backend_class(point.backend)
    refused = _refusal(ctx, cls)
    if refused:
        into.failure = RunResult(**ctx.base, status="failed", error=refused)
        return
    # In-process backends can call the function object directly; processes look it up by name.
    in_process = cls.kind != "process"
    fn = workload.function if in_process else None
    backend = cls(point.workers, config.start_method if cls.uses_start_method else None, **cls.options_from(config))
    startup = []
    try:
        try:
            t0 = time.perf_counter()
            backend.start()
            if cls.has_startup:
                startup.append(time.perf_counter() - t0)
            # A backend with start-up (a pool) has fresh workers on every pass to warm; serial,
            # threads and fresh-process backends gain nothing from warming again after the first.
            warmups = config.warmup if cls.has_startup or not into.warmed else 0
            for _ in range(warmups):
                backend.run(workload.ref, ctx.tasks, time.perf_counter() + ctx.timeout, fn)
            into.warmed = True
            _time_repeats(backend, ctx, config, workload, fn, sampler, wants_more, into)
        except Exception as exc:  # a failed or hung run, or a backend bug: it must not end the sweep
            backend.close(kill=True)
            into.failure = _failure(ctx, exc, startup[0] if startup else None)
            return
        backend.close()
    except BaseException:
        backend.close(kill=True)  # interrupted: no worker may outlive this
        raise
    into.startups.extend(startup)
    # Dask silently recomputes a task whose worker died: such a timing is not clean.
    recomputed = getattr(backend, "recomputed_by_run", None)
    if recomputed:
        into.recomputed = (into.recomputed or 0) + sum(recomputed[config.warmup:])


def _refusal(ctx: _Context, cls) -> str | None:
    """Why this configuration cannot run at all, found before any worker starts."""
    if ctx.inputs is None:
        return None
    if cls.refuses_maps:
        return cls.refuses_maps
    if cls.pickles_items() and ctx.inputs.unpicklable:
        return f"{ctx.inputs.unpicklable}; {cls.name}'s workers receive their items pickled"
    return None


def _failure(ctx: _Context, exc: Exception, startup_s: float | None) -> RunResult:
    if isinstance(exc, RunTimeout):
        return RunResult(**ctx.base, status="timeout", startup_s=startup_s,
                         error=f"{exc} (limit {ctx.timeout:g} s per repeat)")
    if isinstance(exc, (BackendError, SamplerError, CheckError)):
        return RunResult(**ctx.base, status="failed", error=str(exc), startup_s=startup_s)
    from harness.execution.backends.worker import describe_exception

    return RunResult(**ctx.base, status="failed", error=describe_exception(exc), startup_s=startup_s)


def _time_repeats(backend, ctx: _Context, config: RunConfig, workload: Workload, fn, sampler, wants_more,
                  into: _Measured) -> None:
    in_process = backend.kind != "process"
    reference = None
    if config.reference_n:
        reference = ReferenceLoop.for_configuration(config.reference_n, ctx.point.backend, ctx.point.workers,
                                                    in_process)
        before = reference.time(backend, time.perf_counter() + ctx.timeout)
    while wants_more(into):
        began = time.perf_counter()
        timed = _timed_repeat(backend, workload.ref, ctx.tasks, time.perf_counter() + ctx.timeout,
                              fn, sampler, in_process)
        timed = _checked(ctx, workload, timed)
        if reference is not None:
            # Before and after: the machine's speed can change within a repeat, and the
            # mean of the two neighbours tracks it better than either alone. Neighbouring
            # repeats share a reference; that halves its cost.
            after = reference.time(backend, time.perf_counter() + ctx.timeout)
            timed = dataclasses.replace(timed, reference_s=(before + after) / 2)
            before = after
        into.repeats.append(timed)
        into.timing_s += time.perf_counter() - began


def _checked(ctx: _Context, workload: Workload, timed: Repeat) -> Repeat:
    """A map workload's repeat, its results checked against serial's (outside the timing) and
    then dropped: only the verdict is kept (``check``), so the journal stays small."""
    if ctx.inputs is None:
        return timed
    mismatch = first_mismatch(ctx.inputs.expected, assemble(timed.task_results), workload.check)
    exact = backend_class(ctx.point.backend).exact_by_design
    return dataclasses.replace(timed, task_results=tuple(r.with_value(None) for r in timed.task_results),
                               check=describe_mismatch(mismatch, exact) if mismatch else None)


def _summarize(ctx: _Context, config: RunConfig, workload: Workload, measured: _Measured) -> RunResult:
    """One RunResult from the timed repeats: statistics, correctness, load and spans."""
    if measured.failure is not None:
        return measured.failure
    point, repeats = ctx.point, measured.repeats
    times = [r.wall_s for r in repeats]
    summary = stats.summarize(times)
    result_ok, error = _correctness(ctx, workload, repeats)
    label = f"{point.backend} w{point.workers} n={point.n}"
    warnings = sample_warnings(times, label=label, check_repeats=False)
    references = [r.reference_s for r in repeats]
    reference_times = tuple(references) if references and None not in references else None
    drift = reference_warning(reference_times or (), label=label)
    if drift:
        warnings.append(drift)
    if measured.recomputed:
        during = "the timed repeats" + (" and the reference loops beside them" if config.reference_n else "")
        warnings.append(f"{label}: dask recomputed {measured.recomputed} task(s) during {during} "
                        "(a worker died or lost its results); those times include it")
    if error:
        warnings.append(f"{label}: {error}")
    workers_gil, reenabled = _workers_gil(ctx, repeats)
    if reenabled:
        warnings.append(gil_reenabled_warning(label, ctx.interpreter))
    representative = sorted(repeats, key=lambda r: r.wall_s)[len(repeats) // 2]
    workers_used = 1 if backend_class(point.backend).is_baseline else point.workers
    cpu_time = stats.median([r.cpu_s for r in repeats])
    peaks = [r.peak_rss for r in representative.task_results if r.peak_rss is not None]
    return RunResult(
        **ctx.base,
        status="ok",
        error=error,
        times_s=tuple(times),
        median_s=summary.median,
        mean_s=summary.mean,
        stdev_s=summary.stdev,
        iqr_s=summary.iqr,
        min_s=summary.min,
        max_s=summary.max,
        ci_s=(summary.ci_lo, summary.ci_hi),
        ci95_s=(summary.ci_lo, summary.ci_hi) if summary.ci_confidence >= 0.95 else None,
        ci_confidence=summary.ci_confidence,
        startup_s=stats.median(measured.startups) if measured.startups else None,
        cpu_time_s=cpu_time,
        cpu_utilization=cpu_time / (summary.median * workers_used) if summary.median > 0 else None,
        peak_rss_bytes=max(peaks) if peaks else _self_peak_rss(),
        result_ok=result_ok,
        cpu=_cpu_load(repeats, representative, config.sample_interval_s),
        worker_spans=_spans(representative),
        recomputed_tasks=measured.recomputed,
        reference_times_s=reference_times,
        workers_gil_enabled=workers_gil,
        gil_reenabled=reenabled,
        warnings=tuple(warnings),
        **_load_and_transfer(ctx, representative),
    )


def _correctness(ctx: _Context, workload: Workload, repeats) -> tuple[bool | None, str | None]:
    """(result_ok, error): a map workload's per-repeat checks, or a range total against its oracle."""
    if ctx.inputs is not None:
        wrong = [r.check for r in repeats if r.check]
        return not wrong, (wrong[0] if wrong else None)
    if ctx.expected is None:
        return None, None
    totals = {workload.reduce(r.total) for r in repeats}
    if totals == {ctx.expected}:
        return True, None
    got = next(iter(totals - {ctx.expected}))
    lost = " (lost updates)" if not backend_class(ctx.point.backend).exact_by_design else ""
    return False, f"wrong result{lost}: expected {ctx.expected}, got {got}"


def _load_and_transfer(ctx: _Context, representative: Repeat) -> dict:
    """Per-worker items and busy time (the median repeat) and, for a map workload, the items'
    sizes and the serialisation estimate (for backends whose workers receive items pickled)."""
    items, busy = worker_load(representative.task_results)
    fields = dict(worker_items=items, worker_busy_s=busy)
    transfer = ctx.inputs.transfer if ctx.inputs is not None else None
    if transfer is not None:
        pickles = backend_class(ctx.point.backend).pickles_items()
        fields.update(bytes_in_per_item=round(transfer.bytes_in_per_item, 1),
                      bytes_out_per_item=round(transfer.bytes_out_per_item, 1),
                      serialisation_s=round(transfer.serialisation_s(ctx.point.n), 6) if pickles else None)
    return fields


def _workers_gil(ctx: _Context, repeats) -> tuple[bool | None, bool | None]:
    """(whether any worker saw the GIL on, whether an import switched it on).

    Each worker reports ``sys._is_gil_enabled()`` after importing the workload (None before
    3.13, where the GIL is always on). The sweep started with it off and a worker saw it on:
    a C extension not marked free-threading safe made CPython turn it back on.
    """
    states = {r.gil_enabled for rep in repeats for r in rep.task_results if r.gil_enabled is not None}
    workers_gil = (True in states) if states else None
    if ctx.interpreter.gil_enabled is not False or workers_gil is None:
        return workers_gil, None
    return workers_gil, workers_gil


def gil_reenabled_warning(label: str, interpreter: SweepInterpreter) -> str:
    """The warning a run gets when its workers ran with the GIL an import switched back on."""
    by = interpreter.gil_enabled_by or "a C extension the workload imports"
    return (f"{label} on Python {interpreter.label}: {GIL_REENABLED}: the free-threaded build started without "
            f"the GIL, but importing {by} (not marked free-threading safe) switched it on, so its threads "
            "did not run Python in parallel; PYTHON_GIL=0 (--python PATH:gil=0) keeps it off at your own risk")


def run_configuration(
    point: Configuration,
    config: RunConfig,
    workload: Workload,
    *,
    sampler=None,
    python_label: str | None = None,
    gil_enabled: bool | None = None,
    interpreter: SweepInterpreter | None = None,
    items: Sequence | None = None,
) -> RunResult:
    """Warm up, then time the repeats ``config.repeat`` asks for, of one configuration
    (``items``: a map workload's items of size ``point.n``)."""
    inputs = MapInputs(workload, items) if workload.is_map else None
    ctx = _context(point, config, workload, interpreter or SweepInterpreter(python_label, gil_enabled), inputs)
    measured = _Measured()
    policy = config.repeat_policy
    _measure(ctx, config, workload, sampler, lambda m: policy.wants_more(m.times, m.timing_s), measured)
    return _summarize(ctx, config, workload, measured)


def run_sweep(
    config: RunConfig,
    workload: Workload,
    *,
    sampler=None,
    skip: Iterable[tuple] = (),
    resumed: Mapping[tuple, Sequence[RepeatRecord]] | None = None,
    on_run: Callable[[RunResult], None] | None = None,
    on_repeat: Callable[[RepeatRecord], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    python_label: str | None = None,
    gil_enabled: bool | None = None,
    interpreter: SweepInterpreter | None = None,
    items: Mapping[int, Sequence] | None = None,
) -> list[RunResult]:
    """Run every configuration not in ``skip`` (keys of completed runs, for --resume).

    ``items`` holds a map workload's items for each size (``harness.workloads.make_items``).

    With ``config.interleave`` the sweep makes passes over the plan, timing one repeat of
    each configuration per pass (each pass starts, warms and closes its backend), until
    every configuration has the repeats ``config.repeat`` asks for. A machine whose speed
    drifts over seconds then slows every configuration alike, instead of whichever one
    happened to run during the slow spell; it costs a warm-up and a start-up per pass.
    Each finished repeat goes to ``on_repeat`` as it is timed (to be journaled), and
    ``resumed`` holds the repeats an interrupted interleaved sweep already has.

    ``interpreter`` is what the runs record about the interpreter they ran in (its label,
    build, GIL mode and state); ``python_label`` and ``gil_enabled`` are its older spelling.
    """
    interpreter = interpreter or SweepInterpreter(python_label, gil_enabled)
    skip = set(skip)
    plan = [p for p in plan_configurations(config) if p.key(config, interpreter.label) not in skip]
    inputs = {n: MapInputs(workload, items[n]) for n in config.n} if workload.is_map else {}
    if workload.is_map and (items is None or set(items) < set(config.n)):
        raise ValueError("a map workload's sweep needs its items for every size")
    contexts = [_context(p, config, workload, interpreter, inputs.get(p.n)) for p in plan]
    sweep = _interleaved if config.interleave else _one_by_one
    results = sweep(contexts, config, workload, sampler, dict(resumed or {}), on_run or (lambda run: None),
                    on_repeat or (lambda record: None), on_progress or (lambda done, total, label: None))
    if on_progress:
        on_progress(len(plan), len(plan), "done")
    return results


def _one_by_one(contexts, config, workload, sampler, resumed, on_run, on_repeat, on_progress) -> list[RunResult]:
    policy = config.repeat_policy
    results = []
    for index, ctx in enumerate(contexts):
        on_progress(index, len(contexts), f"{ctx.point.backend} w{ctx.point.workers} n={ctx.point.n}")
        measured = _Measured()
        _measure(ctx, config, workload, sampler, lambda m: policy.wants_more(m.times, m.timing_s), measured)
        raise_if_interrupted()
        results.append(_summarize(ctx, config, workload, measured))
        on_run(results[-1])
    return results


def _interleaved(contexts, config, workload, sampler, resumed, on_run, on_repeat, on_progress) -> list[RunResult]:
    policy = config.repeat_policy
    measured_all = [_Measured.resumed(resumed.get(ctx.key, ())) for ctx in contexts]
    pending = [i for i, m in enumerate(measured_all) if policy.wants_more(m.times, m.timing_s)]
    results: dict[int, RunResult] = {}

    def finish_those_done() -> None:  # a configuration leaves the passes once it has its repeats
        still = set(pending)
        for index, measured in enumerate(measured_all):
            if index not in results and index not in still:
                results[index] = _summarize(contexts[index], config, workload, measured)
                on_run(results[index])

    finish_those_done()
    pass_index = 0
    while pending:
        pass_index += 1
        # Progress in repeats: those done, and those still planned (at least one more for each
        # configuration in this pass), counted once per pass: the sweep may hold thousands.
        in_pass = set(pending)
        done = sum(len(m.repeats) for m in measured_all)
        total = sum(max(policy.planned, len(m.repeats) + (i in in_pass)) for i, m in enumerate(measured_all))
        of = f"/{policy.fixed}" if policy.fixed is not None else ""
        for step, index in enumerate(pending):
            ctx, measured = contexts[index], measured_all[index]
            on_progress(done + step, total, f"pass {pass_index}{of} {ctx.point.backend} w{ctx.point.workers}")
            _measure_one_repeat(ctx, config, workload, sampler, measured, on_repeat)
            raise_if_interrupted()
            if measured.failure is not None:  # a configuration that failed is not retried
                results[index] = measured.failure
                on_run(measured.failure)
        pending = [i for i in pending if i not in results
                   and policy.wants_more(measured_all[i].times, measured_all[i].timing_s)]
        finish_those_done()
    return [results[i] for i in sorted(results)]


def _measure_one_repeat(ctx, config, workload, sampler, measured: _Measured, on_repeat) -> None:
    """One interleaved pass of one configuration: one timed repeat, journaled through ``on_repeat``."""
    count, startups, recomputed = len(measured.repeats), len(measured.startups), measured.recomputed or 0
    timing = measured.timing_s
    _measure(ctx, config, workload, sampler, lambda m: len(m.repeats) == count, measured)
    if measured.failure is None and len(measured.repeats) > count:
        on_repeat(RepeatRecord(ctx.key, measured.repeats[-1],
                               startup_s=measured.startups[-1] if len(measured.startups) > startups else None,
                               recomputed=(measured.recomputed or 0) - recomputed or None,
                               timing_s=measured.timing_s - timing))
