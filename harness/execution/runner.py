"""The sweep: sizes x backends x worker counts x chunksizes, each warmed up, then timed
repeat by repeat (``plan``, ``measure``, ``summary`` hold the parts).

Measurement never prints: progress and finished runs go to callbacks, and the CLI decides
what a person sees. A failed or hung configuration becomes a RunResult with status
"failed" or "timeout" and the sweep goes on; an interrupt (KeyboardInterrupt, or the
CLI's SIGTERM exception) kills the running workers and propagates.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

from harness.config import RunConfig
from harness.environment.pythons import GIL_REENABLED, SweepInterpreter
from harness.execution.measure import Measured, measure
from harness.execution.plan import Configuration, MapInputs, make_context, plan_configurations
from harness.execution.repeats import RepeatRecord
from harness.execution.signals import raise_if_interrupted
from harness.execution.summary import gil_reenabled_warning, summarize
from harness.results.model import RunResult
from harness.workloads import Workload

__all__ = ["GIL_REENABLED", "Configuration", "gil_reenabled_warning", "plan_configurations", "run_configuration",
           "run_sweep"]


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
    ctx = make_context(point, config, workload, interpreter or SweepInterpreter(python_label, gil_enabled), inputs)
    measured = Measured()
    policy = config.repeat_policy
    measure(ctx, config, workload, sampler, lambda m: policy.wants_more(m.times, m.timing_s), measured)
    return summarize(ctx, config, workload, measured)


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
    contexts = [make_context(p, config, workload, interpreter, inputs.get(p.n)) for p in plan]
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
        measured = Measured()
        measure(ctx, config, workload, sampler, lambda m: policy.wants_more(m.times, m.timing_s), measured)
        raise_if_interrupted()
        results.append(summarize(ctx, config, workload, measured))
        on_run(results[-1])
    return results


def _interleaved(contexts, config, workload, sampler, resumed, on_run, on_repeat, on_progress) -> list[RunResult]:
    policy = config.repeat_policy
    measured_all = [Measured.resumed(resumed.get(ctx.key, ())) for ctx in contexts]
    pending = [i for i, m in enumerate(measured_all) if policy.wants_more(m.times, m.timing_s)]
    results: dict[int, RunResult] = {}

    def finish_those_done() -> None:  # a configuration leaves the passes once it has its repeats
        still = set(pending)
        for index, measured in enumerate(measured_all):
            if index not in results and index not in still:
                results[index] = summarize(contexts[index], config, workload, measured)
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


def _measure_one_repeat(ctx, config, workload, sampler, measured: Measured, on_repeat) -> None:
    """One interleaved pass of one configuration: one timed repeat, journaled through ``on_repeat``."""
    count, startups, recomputed = len(measured.repeats), len(measured.startups), measured.recomputed or 0
    timing = measured.timing_s
    measure(ctx, config, workload, sampler, lambda m: len(m.repeats) == count, measured)
    if measured.failure is None and len(measured.repeats) > count:
        on_repeat(RepeatRecord(ctx.key, measured.repeats[-1],
                               startup_s=measured.startups[-1] if len(measured.startups) > startups else None,
                               recomputed=(measured.recomputed or 0) - recomputed or None,
                               timing_s=measured.timing_s - timing))
