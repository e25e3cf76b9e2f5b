"""One RunResult from a configuration's timed repeats: statistics, correctness, per-core
load, worker spans and load, the transfer estimate, and the GIL the workers saw.

The warnings here are what the measurement itself knows (a wrong result, dask recomputing
tasks, the GIL switched back on); those about the timings' stability are analysis, which the
orchestrator adds to each finished run (``harness.analysis.stability.timing_warnings``).
"""

from __future__ import annotations

import resource
from typing import Sequence

from harness import stats
from harness.config import RunConfig
from harness.environment.pythons import GIL_REENABLED, SweepInterpreter
from harness.execution.backends import backend_class, workers_used
from harness.execution.map_results import worker_load
from harness.execution.measure import Measured
from harness.execution.plan import RunContext
from harness.results.measures import CpuLoad, LoopLag, WorkerSpan
from harness.results.model import RunResult
from harness.results.repeats import Repeat
from harness.results.samples import mean_per_core, memory_use
from harness.results.timeline import compact_timeline
from harness.workloads import Workload

__all__ = ["summarize", "gil_reenabled_warning"]


def _self_peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def summarize(ctx: RunContext, config: RunConfig, workload: Workload, measured: Measured) -> RunResult:
    """One RunResult from the timed repeats: statistics, correctness, load and spans."""
    if measured.failure is not None:
        return measured.failure
    point, repeats = ctx.point, measured.repeats
    times = [r.wall_s for r in repeats]
    summary = stats.summarize(times)
    result_ok, error = _correctness(ctx, workload, repeats)
    label = ctx.key.short_label
    warnings = []
    references = [r.reference_s for r in repeats]
    reference_times = tuple(references) if references and None not in references else None
    means = [r.reference_mean_s for r in repeats]
    reference_means = tuple(means) if reference_times and None not in means else None
    alone = [r.reference_alone_s for r in repeats]
    reference_alone = tuple(alone) if reference_times and None not in alone else None
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
    in_use = workers_used(point.backend, point.workers)
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
        cpu_utilization=cpu_time / (summary.median * in_use) if summary.median > 0 else None,
        peak_rss_bytes=max(peaks) if peaks else _self_peak_rss(),
        result_ok=result_ok,
        cpu=_cpu_load(repeats, representative, config.sample_interval_s),
        worker_spans=_spans(representative),
        recomputed_tasks=measured.recomputed,
        reference_times_s=reference_times,
        reference_mean_times_s=reference_means,
        reference_alone_times_s=reference_alone,
        repeat_passes=_passes(repeats),
        workers_gil_enabled=workers_gil,
        gil_reenabled=reenabled,
        warnings=tuple(warnings),
        memory=memory_use([r.samples for r in repeats]),
        loop_lag=LoopLag.combine([r.loop_lag for r in repeats]),
        **_load_and_transfer(ctx, representative),
    )


def _passes(repeats: Sequence[Repeat]) -> tuple[int | None, ...] | None:
    """Each repeat's pass, or None for a configuration timed one by one."""
    passes = tuple(r.pass_index for r in repeats)
    return passes if any(p is not None for p in passes) else None


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


def _correctness(ctx: RunContext, workload: Workload, repeats) -> tuple[bool | None, str | None]:
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


def _load_and_transfer(ctx: RunContext, representative: Repeat) -> dict:
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


def _workers_gil(ctx: RunContext, repeats) -> tuple[bool | None, bool | None]:
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
