"""Speedups, the verdict and the Lock lesson, on literal runs and on real ones."""

import os

import pytest

from harness.analysis.speedup import (above_ideal, attach_speedups, best_run, capacity_line, drift_warnings, ideal_speedup,
                              lock_cost_lines, recommendations, thread_explanation, verdict_lines)
from harness.config import RunConfig
from harness.results.model import RunResult
from harness.execution.passes import SweepJob, run_sweep
from harness.workloads import resolve_workload


def _run(backend, workers, median, cpu_time=None, n=100, scaling="strong", result_ok=True, status="ok"):
    return RunResult(backend=backend, workers=workers, n=n, scaling=scaling, workload="poly", start_method=None,
                     status=status, times_s=(median,) if status == "ok" else (), median_s=median if status == "ok" else None,
                     ci95_s=(median * 0.9, median * 1.1) if status == "ok" else None,
                     cpu_time_s=cpu_time, result_ok=result_ok if status == "ok" else None)


def test_speedup_efficiency_and_karp_flatt_from_literal_medians():
    runs = attach_speedups([_run("serial", 1, 2.0), _run("pool", 2, 1.25), _run("pool", 4, 0.8)])
    serial, pool2, pool4 = runs
    assert serial.speedup == 1.0 and serial.efficiency == 1.0 and serial.karp_flatt is None
    assert pool2.speedup == pytest.approx(1.6)
    assert pool2.efficiency == pytest.approx(0.8)
    assert pool2.karp_flatt == pytest.approx(0.25)
    assert pool4.speedup == pytest.approx(2.5)
    assert pool2.speedup_ci95 == pytest.approx((1.8 / 1.375, 2.2 / 1.125))
    assert best_run(runs) is pool4


def test_weak_scaling_compares_with_serial_at_the_same_worker_count():
    runs = attach_speedups([_run("serial", 1, 1.0, scaling="weak"), _run("serial", 2, 2.0, scaling="weak"),
                            _run("processes", 2, 1.0, scaling="weak")])
    assert runs[2].speedup == pytest.approx(2.0)


def test_no_serial_means_no_speedup_and_failed_runs_have_none():
    runs = attach_speedups([_run("pool", 2, 1.0), _run("serial", 1, 2.0, status="failed")])
    assert runs[0].speedup is None and runs[0].efficiency is None
    assert "No speedup could be computed" in verdict_lines(runs, True, 2)[0]


def test_thread_explanation_gil_vs_released():
    gil = attach_speedups([_run("serial", 1, 1.0, 1.0), _run("threads", 2, 1.02, 1.02)])
    assert "did not scale" in thread_explanation(gil, True) and "GIL" in thread_explanation(gil, True)
    released = attach_speedups([_run("serial", 1, 1.0, 1.0), _run("threads", 2, 0.55, 1.1)])
    assert "releases the GIL" in thread_explanation(released, True)
    free = attach_speedups([_run("serial", 1, 1.0, 1.0), _run("threads", 2, 0.55, 1.1)])
    assert "GIL is disabled" in thread_explanation(free, False)
    waiting = attach_speedups([_run("serial", 1, 1.0, 0.01), _run("threads", 4, 0.26, 0.02)])
    assert "wait" in thread_explanation(waiting, True)


def test_a_speedup_above_the_ideal_beyond_its_interval_is_drift_not_the_headline():
    # pool@2 "2.5x" on 2 CPUs, with an interval wholly above 2: impossible.
    runs = attach_speedups([_run("serial", 1, 2.0, 2.0), _run("pool", 2, 0.8, 1.6), _run("processes", 2, 1.1, 2.2)],
                           logical_cpus=2)
    serial, pool, processes = runs
    assert pool.speedup == pytest.approx(2.5) and pool.speedup_ci95[0] > 2
    assert pool.speedup_above_ideal is True and processes.speedup_above_ideal is False
    assert best_run(runs) is processes
    (warning,) = drift_warnings(runs, 2)
    assert warning.startswith("pool w2 n=100 strong: speedup 2.50x is above the ideal 2x")
    assert "drifted" in warning and "not used as the headline" in warning
    lines = verdict_lines(runs, True, 2)
    assert lines[0].startswith("Fastest: processes with 2 workers")
    assert any(line.startswith("Machine drift: 1 speedup(s) above the ideal") and "pool@2 2.50x" in line
               for line in lines)


def test_the_ideal_is_the_smaller_of_workers_and_cpus_and_the_interval_decides():
    assert ideal_speedup(4, 2) == 2.0 and ideal_speedup(1, 2) == 1.0 and ideal_speedup(8, None) == 8.0
    assert not above_ideal(2.1, (1.9, 2.3), 2.0)      # the interval reaches the ideal: not proven
    assert above_ideal(2.1, (2.01, 2.3), 2.0)
    assert not above_ideal(2.08, None, 2.0) and above_ideal(2.11, None, 2.0)  # no interval: 5% margin
    # Without the CPU count, 4 workers on 2 CPUs cannot be judged against 2.
    (_, pool) = attach_speedups([_run("serial", 1, 2.0, 2.0), _run("pool", 4, 0.8, 1.6)])
    assert pool.speedup_above_ideal is False


def test_waiting_workers_are_not_capped_by_the_cpus():
    # sleep: 4 threads wait 4x as fast as serial on 2 CPUs, using almost no CPU: real, not drift.
    serial, threads = attach_speedups([_run("serial", 1, 1.0, 0.01), _run("threads", 4, 0.255, 0.02)], logical_cpus=2)
    assert threads.speedup == pytest.approx(3.92, abs=0.01) and threads.speedup_above_ideal is False
    assert best_run([serial, threads]) is threads
    assert capacity_line(threads, {"processes": 2, "capacity": 1.9}) is None
    # The same speedup from workers that computed all the while is impossible on 2 CPUs.
    _, computing = attach_speedups([_run("serial", 1, 1.0, 1.0), _run("pool", 4, 0.255, 1.0)], logical_cpus=2)
    assert computing.speedup_above_ideal is True


def test_the_best_speedup_is_set_against_the_hosts_capacity():
    runs = attach_speedups([_run("serial", 1, 2.0, 2.0), _run("pool", 2, 1.0638, 2.0)], logical_cpus=2)
    capacity = {"processes": 2, "capacity": 1.95}
    line = capacity_line(runs[1], capacity)
    assert line == "pool@2 reached 1.88x of the 1.95x this host delivered to 2 busy processes (96%)."
    assert line in verdict_lines(runs, True, 2, capacity=capacity)
    assert capacity_line(runs[1], None) is None


def test_lock_cost_and_recommendations():
    runs = attach_speedups([_run("serial", 1, 1.0), _run("shared", 2, 1.2),
                            _run("shared-nolock", 2, 1.0, result_ok=False)])
    (line,) = lock_cost_lines(runs)
    assert "lost updates" in line and "+20%" in line
    assert recommendations(runs) == ["poly n=100 (strong): serial w1, speedup 1.00x, efficiency 100%"]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2,
                    reason="lost updates need two workers running at once: this process may use one CPU")
def test_shared_nolock_loses_updates_and_shared_stays_exact():
    config = RunConfig(backends=("shared", "shared-nolock"), workers=(2,), n=(200_000,), repeat=1, warmup=0,
                       flush_every=10)
    runs = {r.backend: r for r in run_sweep(SweepJob(config, resolve_workload("poly")))}
    assert runs["shared"].status == "ok" and runs["shared"].result_ok is True
    nolock = runs["shared-nolock"]
    assert nolock.status == "ok"  # never a crash
    assert nolock.result_ok is False and "lost updates" in nolock.error


def test_slower_cores_are_named_when_the_work_itself_costs_more_cpu():
    from harness.analysis.speedup import slower_cores_line

    runs = attach_speedups([_run("serial", 1, 1.0, 1.0), _run("pool", 2, 0.8, 1.5), _run("processes", 2, 0.52, 1.02)])
    serial, pool, processes = runs
    assert pool.cpu_time_ratio == pytest.approx(1.5)
    line = slower_cores_line(pool)
    assert "1.50x the CPU time" in line and "caps the speedup near 1.33x" in line
    assert slower_cores_line(processes) is None  # efficient: nothing to explain
    assert slower_cores_line(serial) is None
    assert any("each core ran slower" in l for l in verdict_lines(runs, True, 2)) is False  # best is processes
