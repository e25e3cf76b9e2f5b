"""The plan of a sweep: its configurations in run order, and what each run shares (its
chunks, its oracle or its map inputs, its limit)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from harness.chunksizes import STATIC
from harness.config import RunConfig
from harness.environment.pythons import SweepInterpreter
from harness.execution.backends import backend_class
from harness.execution.map_results import MapInputs
from harness.execution.partition import Chunk, chunk_items, expected_copies, make_chunks
from harness.results.key import RunKey
from harness.workloads import Workload

__all__ = ["Configuration", "plan_configurations", "RunContext", "make_context"]


@dataclass(frozen=True, slots=True)
class Configuration:
    """One point of the sweep."""

    backend: str
    workers: int
    n: int
    chunksize: int | str = STATIC

    def key(self, config: RunConfig, python: str | None) -> RunKey:
        """The RunKey of this point's run in the interpreter labelled ``python``."""
        return RunKey.of(self.backend, self.workers, self.n, config.scaling, config.workload, self.chunksize, python)


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


@dataclass(frozen=True, slots=True)
class RunContext:
    """What every measurement of one configuration shares."""

    point: Configuration
    key: RunKey
    interpreter: SweepInterpreter
    base: dict  # the RunResult fields every outcome of this configuration shares
    tasks: list[Chunk]
    expected: int | None
    timeout: float
    inputs: MapInputs | None = None  # a map workload's items of this size and serial's results


def make_context(point: Configuration, config: RunConfig, workload: Workload, interpreter: SweepInterpreter,
                 inputs: MapInputs | None = None) -> RunContext:
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
    return RunContext(point, point.key(config, interpreter.label), interpreter, base, tasks, expected,
                      config.timeout_for(point.n, point.workers), inputs)


@functools.lru_cache(maxsize=256)
def _expected(workload: Workload, n: int, copies: int) -> int | None:
    # An oracle may be as costly as a serial run (hash, or a user's ORACLE that just calls the
    # function): compute it once per size, not once per configuration.
    return workload.expected(n, copies)
