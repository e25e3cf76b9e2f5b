"""The per-core load view: the sampler's arithmetic, and what it shows for real runs."""

import os
import time

import pytest

from harness.config import RunConfig
from harness.environment.metadata import gil_enabled
from harness.execution.passes import SweepJob, run_sweep
from harness.execution.sampler import CpuSampler
from harness.results.samples import CpuSamples, mean_per_core
from harness.workloads import resolve_workload


def test_mean_per_core_is_time_weighted():
    samples = CpuSamples(start=0.0, t=(0.1, 0.4), per_core=((100.0, 0.0), (0.0, 50.0)))
    # core 0: 100% for 0.1 s, 0% for 0.3 s -> 25%; core 1: 0% then 50% for 0.3 s -> 37.5%
    assert mean_per_core(samples) == pytest.approx((25.0, 37.5))
    assert mean_per_core(CpuSamples(0.0, (), ())) == ()


def test_sampler_process_sees_a_busy_core():
    with CpuSampler(0.05) as sampler:
        assert sampler.pid != os.getpid()
        sampler.start()
        cpu0, t0 = time.process_time(), time.perf_counter()
        end = t0 + 0.5
        while time.perf_counter() < end:
            pass
        own = (time.process_time() - cpu0) / (time.perf_counter() - t0)  # less than 1 on a loaded core
        samples = sampler.stop()
    assert len(samples.t) >= 5
    assert len(samples.per_core) == os.cpu_count()
    # Machine-wide, so at least our own share shows, wherever the scheduler ran us.
    assert sum(mean_per_core(samples)) > 70 * own, (mean_per_core(samples), own)


def test_sampler_gives_a_reading_for_a_repeat_shorter_than_the_interval():
    with CpuSampler(5.0) as sampler:  # far beyond the repeat, even on a stalled machine
        sampler.start()
        time.sleep(0.05)
        samples = sampler.stop()
    assert len(samples.t) == 1


def test_no_sampler_thread_lives_in_the_harness():
    import threading

    before = set(threading.enumerate())
    with CpuSampler(0.05) as sampler:
        sampler.start()
        assert set(threading.enumerate()) == before  # sampling happens in another process
        sampler.stop()


def background_cores(seconds: float = 0.5) -> float:
    """How many cores' worth of CPU the rest of the machine is using right now."""
    import psutil

    return sum(psutil.cpu_percent(interval=seconds, percpu=True)) / 100.0


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs at least 2 usable CPUs (this process may use one)")
def test_load_view_shows_one_core_for_serial_two_for_processes_one_for_threads():
    config = RunConfig(backends=("serial", "processes", "threads"), workers=(2,), n=(1_500_000,),
                       repeat=2, warmup=0, sample_interval_s=0.05)
    before = background_cores()
    with CpuSampler(config.sample_interval_s) as sampler:
        runs = {r.backend: r for r in run_sweep(SweepJob(config, resolve_workload("poly"), sampler=sampler))}
    after = background_cores()
    serial, processes, threads = runs["serial"].cpu, runs["processes"].cpu, runs["threads"].cpu
    for cpu in (serial, processes, threads):
        assert len(cpu.mean_per_core) == os.cpu_count()
        assert len(cpu.timeline_t_s) >= 2
        assert all(len(series) == len(cpu.timeline_t_s) for series in cpu.timeline_per_core)
    # The view is machine-wide, so other programs only ever add to it: the lower bounds hold
    # on any machine, loaded or not.
    assert serial.busy_cores >= 0.6, serial.busy_cores
    assert processes.busy_cores >= 1.5, processes.busy_cores
    for run in runs.values():
        own = run.cpu_time_s / run.median_s
        assert run.cpu.busy_cores >= 0.7 * own, (run.backend, run.cpu.busy_cores, own)
    # The upper bounds say "one core, not two": only true where nothing else is running.
    if max(before, after) > 0.3:
        pytest.skip(f"the machine was busy ({max(before, after):.1f} cores used by other programs): "
                    "the lower bounds held; the one-core upper bounds need an idle machine")
    assert serial.busy_cores <= 1.5, serial.busy_cores
    if gil_enabled():
        assert threads.busy_cores <= 1.5, threads.busy_cores


def _sleep_long():
    time.sleep(60)


def test_a_forked_child_does_not_keep_the_sampler_alive_after_its_pipe_closes():
    """The sampler ends on EOF of its command pipe; a child forked while it ran must not hold
    that pipe open (it did: close() then waited its 2 s and killed the sampler)."""
    import multiprocessing
    import subprocess

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    sampler = CpuSampler(0.05, memory=None)
    child = multiprocessing.get_context("fork").Process(target=_sleep_long, daemon=True)
    child.start()
    try:
        sampler.start()
        sampler.stop()
        sampler._proc.stdin.close()
        try:
            code = sampler._proc.wait(timeout=30)  # generous: it exits at once on EOF
        except subprocess.TimeoutExpired:
            code = None
        assert code == 0, "the sampler did not see EOF while a forked child lived"
        assert child.is_alive()
    finally:
        child.kill()
        child.join()
        sampler.close()
