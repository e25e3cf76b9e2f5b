"""Running one configuration: start its backend, warm up, time repeats (each with the
``--reference`` loop beside it, when asked), check a map workload's results, close; a failure
becomes a RunResult, never the end of the sweep. ``summary`` turns the repeats into its RunResult.

The reference loop measures the machine's speed at each repeat. A shared or virtual machine
changes speed on its own (another guest on the host, a busy hyperthread sibling, frequency
limits), for seconds at a time, invisibly to the guest's CPU-time counters; timing the frozen
loop (``harness.workloads.reference``) just before and just after every repeat, on the same
backend, workers and cores, lets ``harness compare`` divide that out. Its time is the workers'
compute span (the longest task, each timed by its own worker), not the wall time of the
call: starting processes, dispatch and pickling stay out of it, so a regression in a
backend's overhead shows in the repeats undivided.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from harness.config import RunConfig
from harness.execution.backends import BackendError, RunTimeout, backend_class, workers_used
from harness.execution.map_results import CheckError, assemble, describe_mismatch, first_mismatch, merge_by_worker
from harness.execution.partition import make_tasks
from harness.execution.plan import RunContext
from harness.execution.sampler import SamplerError
from harness.results.model import RunResult
from harness.results.repeats import Repeat, RepeatRecord
from harness.workloads import Workload, poly_oracle
from harness.workloads.reference import REFERENCE_REF, reference_loop

__all__ = ["Measured", "ReferenceLoop", "measure"]


@dataclass
class Measured:
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
    def resumed(cls, records: Sequence[RepeatRecord]) -> "Measured":
        """The repeats an interrupted interleaved sweep journaled for one configuration."""
        recomputed = [r.recomputed for r in records if r.recomputed]
        return cls(repeats=[r.repeat for r in records],
                   startups=[r.startup_s for r in records if r.startup_s is not None],
                   recomputed=sum(recomputed) if recomputed else None,
                   timing_s=sum(r.timing_s if r.timing_s is not None else r.repeat.wall_s for r in records))


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
    return Repeat(t1 - t0, cpu, t0, tuple(results), samples, loop_lag=backend.last_loop_lag())


def measure(ctx: RunContext, config: RunConfig, workload: Workload, sampler, wants_more: Callable[[Measured], bool],
             into: Measured) -> None:
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


def _refusal(ctx: RunContext, cls) -> str | None:
    """Why this configuration cannot run at all, found before any worker starts."""
    if ctx.inputs is None:
        return None
    if cls.refuses_maps:
        return cls.refuses_maps
    if cls.pickles_items() and ctx.inputs.unpicklable:
        return f"{ctx.inputs.unpicklable}; {cls.name}'s workers receive items and send results pickled"
    return None


def _failure(ctx: RunContext, exc: Exception, startup_s: float | None) -> RunResult:
    if isinstance(exc, RunTimeout):
        return RunResult(**ctx.base, status="timeout", startup_s=startup_s,
                         error=f"{exc} (limit {ctx.timeout:g} s per repeat)")
    if isinstance(exc, (BackendError, SamplerError, CheckError)):
        return RunResult(**ctx.base, status="failed", error=str(exc), startup_s=startup_s)
    from harness.execution.backends.worker import describe_exception

    return RunResult(**ctx.base, status="failed", error=describe_exception(exc), startup_s=startup_s)


def _time_repeats(backend, ctx: RunContext, config: RunConfig, workload: Workload, fn, sampler, wants_more,
                  into: Measured) -> None:
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
            alone = None if before.alone_s is None or after.alone_s is None else (before.alone_s + after.alone_s) / 2
            timed = dataclasses.replace(timed, reference_s=(before.slowest_s + after.slowest_s) / 2,
                                        reference_mean_s=(before.mean_s + after.mean_s) / 2,
                                        reference_alone_s=alone)
            before = after
        into.repeats.append(timed)
        into.timing_s += time.perf_counter() - began


def _checked(ctx: RunContext, workload: Workload, timed: Repeat) -> Repeat:
    """A repeat settled for keeping: a map workload's results checked against serial's
    (outside the timing) and then dropped, only the verdict kept (``check``); and a repeat of
    more chunks than workers merged into one result per worker. The journal stays small."""
    check = None
    results = timed.task_results
    if ctx.inputs is not None:
        got = assemble(results)
        cls = backend_class(ctx.point.backend)
        if cls.is_baseline:
            ctx.inputs.adopt(got)
        mismatch = first_mismatch(ctx.inputs.expected, got, workload.check)
        check = describe_mismatch(mismatch, cls.exact_by_design) if mismatch else None
        results = tuple(r.with_value(None) for r in results)
    if len(results) > ctx.point.workers:
        results = merge_by_worker(results)
    return dataclasses.replace(timed, task_results=results, check=check)


@dataclass(frozen=True, slots=True)
class ReferenceTime:
    """One timing of the reference loop: its slowest worker's compute time, and the mean of every
    worker's. A run whose workers compute at once lasts as long as its slowest core, one whose
    workers take turns (a lock) as long as the sum of their turns: which of the two a run's time
    follows depends on the run, so both are kept (``harness.history.yardstick`` weighs them).
    ``alone_s`` is the same loop on one worker while the others idle: on a shared VM two threads
    computing at once can each run 1.7x slower for seconds at a time while one alone does not,
    and workers that take turns compute one at a time (None where the backend cannot hand out
    fewer tasks than it has workers)."""

    slowest_s: float
    mean_s: float
    alone_s: float | None = None


@dataclass(frozen=True, slots=True)
class ReferenceLoop:
    """Every worker runs :func:`reference_loop` over [0, n) through a started backend; then,
    where ``alone`` (several workers, a backend that can hand out any number of tasks), one
    worker runs it alone."""

    n: int
    tasks: tuple
    in_process: bool
    expected: int | None  # None: not checked (shared-nolock and threads-nolock lose updates by design)
    alone: bool = False

    @classmethod
    def for_configuration(cls, n: int, backend: str, workers: int, in_process: bool) -> "ReferenceLoop":
        model = backend_class(backend)
        expected = workers * poly_oracle(n) if model.exact_by_design else None
        # Several workers computing (serial at weak scaling times one loop per "worker", one at a
        # time, which is alone already) of a backend that hands out any number of tasks.
        alone = workers_used(backend, workers) > 1 and model.can_chunk
        return cls(n, tuple(make_tasks(n, workers, "weak")), in_process, expected, alone)

    def _spans(self, backend, tasks: list, deadline: float, expected: int | None) -> list[float]:
        try:
            results = backend.run(REFERENCE_REF, tasks, deadline, reference_loop if self.in_process else None)
        except RunTimeout as exc:
            raise RunTimeout(f"the reference loop (--reference {self.n}) ran past its deadline: {exc}") from None
        except BackendError as exc:
            raise type(exc)(f"the reference loop (--reference {self.n}) failed: {exc}") from None
        total = sum(r.value for r in results)
        if expected is not None and total != expected:
            raise BackendError(f"the reference loop (--reference {self.n}) gave {total}, expected {expected}")
        # Each task's own start and end: one clock per worker, so this holds across the hosts
        # of a dask cluster too.
        return [r.end - r.start for r in results]

    def time(self, backend, deadline: float) -> ReferenceTime:
        """The workers' compute times, in seconds; BackendError when the loop fails."""
        spans = self._spans(backend, list(self.tasks), deadline, self.expected)
        if len(spans) == 1:  # one worker is alone
            return ReferenceTime(spans[0], spans[0], spans[0])
        alone = None
        if self.alone:
            (alone,) = self._spans(backend, list(self.tasks[:1]), deadline,
                                   None if self.expected is None else poly_oracle(self.n))
        return ReferenceTime(max(spans), sum(spans) / len(spans), alone)
