"""Repeat and interleave: the sweep's passes over its configurations, in one interpreter.

A sweep is sizes x backends x worker counts x chunksizes (``plan``). Each configuration is
started, warmed up and timed repeat by repeat (``measure``), then summed up into a RunResult
(``summary``). With ``config.interleave`` the sweep makes passes over the plan, timing one
repeat of each configuration per pass, until each has the repeats ``config.repeat`` asks
for; without it each configuration's repeats run back to back. Each pass times its
configurations in its own shuffled order (``pass_order``), so whatever depends on a slot in
the pass (the configuration before, the teardown it leaves) varies from pass to pass and
shows in the repeats' spread, instead of biasing one configuration the same way all run long.

Measurement never prints: progress and finished runs go to callbacks, and the CLI decides
what a person sees. A failed or hung configuration becomes a RunResult with status
"failed" or "timeout" and the sweep goes on; an interrupt (KeyboardInterrupt, or the
CLI's SIGTERM exception) kills the running workers and propagates.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Callable, Collection, Mapping, Sequence

from harness.config import RunConfig
from harness.environment.pythons import SweepInterpreter
from harness.execution.map_results import MapInputs
from harness.execution.measure import Measured, measure
from harness.execution.plan import Configuration, make_context, plan_configurations
from harness.execution.signals import raise_if_interrupted
from harness.execution.summary import summarize
from harness.results.key import RunKey
from harness.results.model import RunResult
from harness.results.repeats import RepeatRecord
from harness.workloads import Workload

__all__ = ["Configuration", "SweepEvents", "SweepJob", "pass_order", "plan_configurations", "run_configuration",
           "run_sweep"]

# The shuffle of each pass is seeded by this and the pass's index alone: a rerun, and a
# resumed sweep (which numbers its passes on), time pass p in the same order, and a
# repeat's recorded pass (repeat_passes) says where in the order it ran.
PASS_ORDER_SEED = "harness pass order"


def _ignore(*_args) -> None:
    return None


@dataclass(frozen=True, slots=True)
class SweepEvents:
    """Where a sweep reports as it goes: each finished run and (interleaved) each finished
    repeat, to be journaled, and progress as (done, total, label)."""

    on_run: Callable[[RunResult], None] = _ignore
    on_repeat: Callable[[RepeatRecord], None] = _ignore
    on_progress: Callable[[int, int, str], None] = _ignore


@dataclass(frozen=True, slots=True)
class SweepJob:
    """One interpreter's part of a sweep: what to run, in what, and what is already done.

    ``items`` holds a map workload's items for each size (``harness.workloads.sweep_items``).
    ``skip`` holds the keys of runs a journal already has (--resume), ``resumed`` the repeats
    an interrupted interleaved sweep journaled, per key. ``interpreter`` is what the runs
    record about the interpreter they run in (its label, build, GIL mode and state).
    """

    config: RunConfig
    workload: Workload
    items: Mapping[int, Sequence] | None = None
    interpreter: SweepInterpreter = field(default_factory=SweepInterpreter)
    sampler: object | None = None
    skip: Collection[RunKey] = ()
    resumed: Mapping[RunKey, Sequence[RepeatRecord]] = field(default_factory=dict)
    events: SweepEvents = field(default_factory=SweepEvents)


def run_configuration(point: Configuration, config: RunConfig, workload: Workload, *, sampler=None,
                      interpreter: SweepInterpreter | None = None, items: Sequence | None = None) -> RunResult:
    """Warm up, then time the repeats ``config.repeat`` asks for, of one configuration
    (``items``: a map workload's items of size ``point.n``)."""
    inputs = MapInputs(workload, items) if workload.is_map else None
    ctx = make_context(point, config, workload, interpreter or SweepInterpreter(), inputs)
    measured = Measured()
    policy = config.repeat_policy
    measure(ctx, config, workload, sampler, lambda m: policy.wants_more(m.times, m.timing_s), measured)
    return summarize(ctx, config, workload, measured)


def run_sweep(job: SweepJob) -> list[RunResult]:
    """Run every configuration of ``job`` not in ``job.skip``, by passes or one by one, and
    return their RunResults in plan order (see the module's docstring)."""
    config, workload, interpreter = job.config, job.workload, job.interpreter
    skip = set(job.skip)
    plan = [p for p in plan_configurations(config) if p.key(config, interpreter.label) not in skip]
    if workload.is_map and (job.items is None or set(job.items) < set(config.n)):
        raise ValueError("a map workload's sweep needs its items for every size")
    inputs = {n: MapInputs(workload, job.items[n]) for n in config.n} if workload.is_map else {}
    contexts = [make_context(p, config, workload, interpreter, inputs.get(p.n)) for p in plan]
    sweep = _interleaved if config.interleave else _one_by_one
    results = sweep(contexts, job)
    job.events.on_progress(len(plan), len(plan), "done")
    return results


def pass_order(pending: Sequence[int], pass_index: int) -> list[int]:
    """The order in which pass ``pass_index`` times ``pending`` (indices into the plan): a
    shuffle seeded by the pass index alone (PASS_ORDER_SEED). The first pass keeps plan order,
    serial first at each size, so serial's results are there to check the others against
    before they run (a map workload), and a one-pass sweep runs as planned."""
    order = sorted(pending)
    if pass_index > 1:
        random.Random(f"{PASS_ORDER_SEED}:{pass_index}").shuffle(order)
    return order


def _one_by_one(contexts, job: SweepJob) -> list[RunResult]:
    config, workload, events = job.config, job.workload, job.events
    policy = config.repeat_policy
    results = []
    for index, ctx in enumerate(contexts):
        events.on_progress(index, len(contexts), f"{ctx.point.backend} w{ctx.point.workers} n={ctx.point.n}")
        measured = Measured()
        measure(ctx, config, workload, job.sampler, lambda m: policy.wants_more(m.times, m.timing_s), measured)
        raise_if_interrupted()
        results.append(summarize(ctx, config, workload, measured))
        events.on_run(results[-1])
    return results


def _interleaved(contexts, job: SweepJob) -> list[RunResult]:
    config, workload, events = job.config, job.workload, job.events
    policy = config.repeat_policy
    measured_all = [Measured.resumed(job.resumed.get(ctx.key, ())) for ctx in contexts]
    pending = [i for i, m in enumerate(measured_all) if policy.wants_more(m.times, m.timing_s)]
    results: dict[int, RunResult] = {}

    def finish_those_done() -> None:  # a configuration leaves the passes once it has its repeats
        still = set(pending)
        for index, measured in enumerate(measured_all):
            if index not in results and index not in still:
                results[index] = summarize(contexts[index], config, workload, measured)
                events.on_run(results[index])

    finish_those_done()
    # A resumed sweep numbers its passes on from the last one journaled, so repeats of one pass
    # stay the ones timed side by side.
    pass_index = max((r.pass_index or 0 for m in measured_all for r in m.repeats), default=0)
    while pending:
        pass_index += 1
        # Progress in repeats: those done, and those still planned (at least one more for each
        # configuration in this pass), counted once per pass: the sweep may hold thousands.
        in_pass = set(pending)
        done = sum(len(m.repeats) for m in measured_all)
        total = sum(max(policy.planned, len(m.repeats) + (i in in_pass)) for i, m in enumerate(measured_all))
        of = f"/{policy.fixed}" if policy.fixed is not None else ""
        for step, index in enumerate(pass_order(pending, pass_index)):
            ctx, measured = contexts[index], measured_all[index]
            events.on_progress(done + step, total, f"pass {pass_index}{of} {ctx.point.backend} w{ctx.point.workers}")
            _measure_one_repeat(ctx, job, measured, pass_index)
            raise_if_interrupted()
            if measured.failure is not None:  # a configuration that failed is not retried
                results[index] = measured.failure
                events.on_run(measured.failure)
        pending = [i for i in pending if i not in results
                   and policy.wants_more(measured_all[i].times, measured_all[i].timing_s)]
        finish_those_done()
    return [results[i] for i in sorted(results)]


def _measure_one_repeat(ctx, job: SweepJob, measured: Measured, pass_index: int) -> None:
    """One interleaved pass of one configuration: one timed repeat, journaled through ``on_repeat``."""
    count, startups, recomputed = len(measured.repeats), len(measured.startups), measured.recomputed or 0
    timing = measured.timing_s
    measure(ctx, job.config, job.workload, job.sampler, lambda m: len(m.repeats) == count, measured)
    if measured.failure is None and len(measured.repeats) > count:
        measured.repeats[-1] = dataclasses.replace(measured.repeats[-1], pass_index=pass_index)
        job.events.on_repeat(RepeatRecord(ctx.key, measured.repeats[-1],
                                          startup_s=measured.startups[-1] if len(measured.startups) > startups
                                          else None,
                                          recomputed=(measured.recomputed or 0) - recomputed or None,
                                          timing_s=measured.timing_s - timing))
