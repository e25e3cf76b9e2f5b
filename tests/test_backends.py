"""Every stdlib backend computes the exact result: real threads and processes, each start method."""

import multiprocessing

import pytest

from harness.execution.backends import STDLIB_BACKENDS, availability, backend_class
from harness.config import RunConfig
from harness.execution.passes import SweepEvents, SweepJob, plan_configurations, run_sweep
from harness.workloads import resolve_workload

# Those that can run on this interpreter (interpreters needs 3.12+, asyncio-interpreter 3.14+).
AVAILABLE = tuple(b for b in STDLIB_BACKENDS if availability(b) is None)
# asyncio-process's pool is process-executor's ProcessPoolExecutor, which these sweeps run
# under every start method already (tests/test_asyncio_models.py runs asyncio-process itself).
PROCESS_BACKENDS = [b for b in AVAILABLE if backend_class(b).kind == "process" and backend_class(b).uses_start_method
                    and b != "asyncio-process"]


@pytest.mark.parametrize("scaling", ["strong", "weak"])
def test_every_backend_is_exact_under_the_default_start_method(scaling):
    # n=0 (nothing to do), 3 (fewer items than 4 workers: empty chunks) and one real size.
    config = RunConfig(backends=AVAILABLE, workers=(1, 2, 4), n=(0, 3, 60_000), scaling=scaling,
                       repeat=1, warmup=0)
    runs = run_sweep(SweepJob(config, resolve_workload("poly")))
    assert len(runs) == len(plan_configurations(config))
    bad = [(r.label, r.status, r.error) for r in runs
           if r.status != "ok" or (r.result_ok is not True and r.backend != "shared-nolock")]
    assert not bad
    # shared-nolock flushes once per worker here, so it is exact too unless two flushes collide
    assert all(r.result_ok is not None for r in runs)


@pytest.mark.parametrize("start_method", [m for m in ("spawn", "forkserver") if m in multiprocessing.get_all_start_methods()])
def test_process_backends_are_exact_under_other_start_methods(start_method):
    config = RunConfig(backends=tuple(b for b in PROCESS_BACKENDS if b != "shared-nolock"),
                       workers=(1, 4), n=(0, 3, 60_000), scaling="strong",
                       repeat=1, warmup=0, start_method=start_method)
    runs = run_sweep(SweepJob(config, resolve_workload("poly")))
    bad = [(r.label, r.status, r.error) for r in runs if r.status != "ok" or r.result_ok is not True]
    assert not bad
    assert {r.start_method for r in runs} == {start_method}


@pytest.mark.parametrize("start_method", [m for m in ("spawn", "forkserver") if m in multiprocessing.get_all_start_methods()])
def test_weak_scaling_under_other_start_methods(start_method):
    config = RunConfig(backends=("serial", "processes", "pool", "shared"), workers=(2,), n=(3, 20_000),
                       scaling="weak", repeat=1, warmup=0, start_method=start_method)
    runs = run_sweep(SweepJob(config, resolve_workload("poly")))
    assert all(r.status == "ok" and r.result_ok for r in runs), [(r.label, r.error) for r in runs]


def test_pool_startup_is_recorded_apart_and_fresh_processes_have_none():
    config = RunConfig(backends=("serial", "pool", "process-executor", "processes", "shared"), workers=(2,),
                       n=(50_000,), repeat=2, warmup=0)
    runs = {r.backend: r for r in run_sweep(SweepJob(config, resolve_workload("poly")))}
    assert runs["pool"].startup_s is not None and runs["pool"].startup_s > 0
    assert runs["process-executor"].startup_s is not None
    assert runs["processes"].startup_s is None and runs["shared"].startup_s is None
    assert runs["serial"].startup_s is None


def test_worker_spans_and_cpu_time_are_recorded():
    config = RunConfig(backends=("pool", "threads"), workers=(2,), n=(200_000,), repeat=2, warmup=0)
    for run in run_sweep(SweepJob(config, resolve_workload("poly"))):
        assert [s.worker for s in run.worker_spans] == [0, 1]
        for span in run.worker_spans:
            assert 0 <= span.start_s <= span.end_s <= run.max_s + 0.05
        assert run.cpu_time_s > 0
        assert run.peak_rss_bytes > 1_000_000


def test_shared_memory_stays_exact_past_64_bits():
    # n = 10^6 gives ~2.5e23 > 2**64: a C integer accumulator would overflow here.
    config = RunConfig(backends=("shared",), workers=(2,), n=(1_000_000,), repeat=1, warmup=0, flush_every=50_000)
    (run,) = run_sweep(SweepJob(config, resolve_workload("poly")))
    assert run.result_ok is True


def test_every_stdlib_backend_is_described_and_says_why_when_it_cannot_run():
    for name in STDLIB_BACKENDS:
        assert backend_class(name).description
        reason = availability(name)
        assert reason is None or reason.startswith("needs "), (name, reason)


def test_interleaved_sweep_spreads_repeats_across_passes():
    config = RunConfig(backends=("serial", "threads", "pool", "processes"), workers=(2,), n=(20_000,), repeat=3,
                       warmup=0, interleave=True)
    seen = []
    runs = run_sweep(SweepJob(config, resolve_workload("poly"),
                               events=SweepEvents(on_progress=lambda done, total, label: seen.append(label))))
    assert len(runs) == 4
    for run in runs:
        assert run.status == "ok" and run.result_ok is True
        assert len(run.times_s) == 3
    assert runs[2].startup_s is not None  # the pool's start-up, a median over the passes
    assert [label.split()[1] for label in seen[:-1]] == ["1/3"] * 4 + ["2/3"] * 4 + ["3/3"] * 4
    assert runs[1].speedup is None  # attached later, from serial, as without interleaving
