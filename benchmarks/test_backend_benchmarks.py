"""The pytest-benchmark suite: the poly workload on each stdlib backend x workers x scaling.

    pytest benchmarks --benchmark-only                      realistic n, 5 timed rounds
    pytest benchmarks --benchmark-only --benchmark-autosave save a run (.benchmarks/)
    pytest benchmarks --benchmark-only --benchmark-compare --benchmark-compare-fail=median:15%
    pytest benchmarks --benchmark-only --benchmark-json=out.json   then: harness compare a.json b.json

Plain ``pytest`` runs each case once at a tiny n (smoke mode, see the root conftest.py).

Each test starts its backend once, outside the measurement (pool and process start-up is
``startup_s`` in the harness, not part of a repeat), and times only ``Backend.run``, the
same call the harness runner times. Ids and groups are fixed, not derived from this
machine's CPU count, so saved runs from different machines still line up by name.
"""

from __future__ import annotations

import time

import pytest

from harness.execution.backends import backend_class
from harness.config import default_timeout
from harness.execution.partition import expected_copies, make_tasks
from harness.workloads import resolve_workload

# The default sweep's backends; shared-nolock is left out on purpose: its wrong total is
# the lesson it teaches, and a benchmark must not time a wrong answer.
BACKENDS = ("serial", "threads", "processes", "pool", "pool-async", "thread-executor", "process-executor", "shared")
# 4 oversubscribes a 2-CPU runner, which is a result worth seeing, not an error.
WORKERS = (1, 2, 4)
SCALINGS = ("strong", "weak")


def _cases() -> list:
    cases = []
    for scaling in SCALINGS:
        for workers in WORKERS:
            for backend in BACKENDS:
                # Serial at strong scaling does the same work at any worker count: one case.
                if backend == "serial" and scaling == "strong" and workers != 1:
                    continue
                # Grouped by workers and scaling, so each table ranks the backends at equal footing.
                group = f"{scaling}-w{workers}"
                cases.append(pytest.param(backend, workers, scaling, id=f"{backend}-w{workers}-{scaling}",
                                          marks=pytest.mark.benchmark(group=group)))
    return cases


def _mean_load_since_last_call() -> list[float] | None:
    try:
        import psutil
    except ImportError:
        return None
    return [round(v, 1) for v in psutil.cpu_percent(percpu=True)]


@pytest.mark.parametrize(("backend", "workers", "scaling"), _cases())
def test_backend(benchmark, bench_mode, backend, workers, scaling):
    cls = backend_class(backend)
    reason = cls.availability()
    if reason:
        pytest.skip(f"{backend}: {reason}")
    workload = resolve_workload("poly")
    n = bench_mode.n
    tasks = make_tasks(n, workers, scaling)
    expected = workload.expected(n, expected_copies(workers, scaling))
    # In-process backends call the function object; process backends look it up by name.
    fn = workload.function if cls.kind != "process" else None
    timeout = default_timeout(n, workers, scaling)

    def fresh_deadline():
        # pedantic's setup runs before each round, untimed: every round gets its own deadline.
        return (workload.ref, tasks, time.perf_counter() + timeout, fn), {}

    instance = cls(workers, None)
    instance.start()
    try:
        _mean_load_since_last_call()  # psutil's first reading covers an arbitrary past; discard it
        results = benchmark.pedantic(instance.run, setup=fresh_deadline, rounds=bench_mode.rounds,
                                     warmup_rounds=bench_mode.warmup_rounds, iterations=1)
        per_core = _mean_load_since_last_call()
    except BaseException:
        instance.close(kill=True)  # a failed or interrupted round must leave no worker behind
        raise
    instance.close()

    total = sum(r.value for r in results)
    benchmark.extra_info.update(
        backend=backend, workers=workers, n=n, scaling=scaling, workload=workload.name,
        start_method=instance.context.get_start_method() if cls.uses_start_method else None,
        mode=bench_mode.name, result_ok=total == expected,
        cpu_mean_per_core=per_core,
        busy_cores=round(sum(per_core) / 100.0, 2) if per_core else None,
    )
    assert total == expected, f"{backend} w{workers} {scaling}: expected {expected}, got {total}"
