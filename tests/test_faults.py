"""Faulty workloads: a worker that raises, exits, segfaults, is SIGKILLed or hangs.

Real processes throughout (no mocks of multiprocessing): the faults come from a user
workload module written to a temporary folder, loaded as MODULE:FUNCTION. Each fault
strikes only in worker 1 (lo > 0), so worker 0 and the serial baseline succeed. Every
cell checks the status, the reason, an upper bound on the time taken and that no child
process is left. Most run in-process through run_configuration (about 0.1-2 s a cell);
the sweep-level and exit-code checks run the real CLI.

"No child left" compares this process's descendants before and after each cell.
multiprocessing's resource tracker and fork server are excepted: they are per-process
singletons, started on first use (spawn/forkserver) and kept on purpose for later pools,
and they end with their parent; test_interrupts checks they go when a harness dies. No
CPU sampler is used in-process; the CLI tests' sampler is the harness's child, covered by
the same before/after comparison.
"""

import json
import multiprocessing
import subprocess
import sys
import time

import pytest

from tests._pace import scaled
from harness.config import RunConfig
from harness.execution.passes import Configuration, run_configuration
from harness.workloads import resolve_workload

from tests._processes import FAULTY_MODULE, children, cli_env, leftover_children, write_faulty_module

PROCESS_BACKENDS = ["processes", "pool", "pool-async", "process-executor", "shared"]
TIMEOUT_S = 2.0
# What the error must say for each fault. Processes report their exit code or signal;
# a raise carries the exception text back.
REASONS = {
    "raises": "ValueError: boom in the faulty worker",
    "exits": "exit code 3",
    "segfaults": "signal 11",
    "killed": "signal 9",
    "hangs": "timed out",
    "stubborn": "timed out",
}
# Generous bounds for a loaded 2-core machine: a fault is seen within a few polls (20 ms)
# and cleanup is bounded (pool terminate: 0.5 s grace, then SIGKILL).
FAULT_BOUND_S = 6.0
HANG_BOUND_S = TIMEOUT_S + 5.0


@pytest.fixture(scope="module")
def faulty_path(tmp_path_factory):
    folder = write_faulty_module(tmp_path_factory.mktemp("workloads"))
    sys.path.insert(0, folder)
    yield folder
    sys.path.remove(folder)
    sys.modules.pop(FAULTY_MODULE, None)


def run_one(backend, fault, *, workers=2, start_method=None, timeout=TIMEOUT_S):
    """One configuration in-process; returns (RunResult, seconds taken, leftover children)."""
    config = RunConfig(backends=(backend,), workers=(workers,), n=(2000,), repeat=1, warmup=0,
                       timeout_s=timeout, start_method=start_method)
    workload = resolve_workload(f"{FAULTY_MODULE}:{fault}")
    before = children()
    t0 = time.perf_counter()
    result = run_configuration(Configuration(backend, workers, 2000), config, workload)
    elapsed = time.perf_counter() - t0
    return result, elapsed, leftover_children(before)


def check(result, elapsed, left, fault):
    expected_status = "timeout" if fault in ("hangs", "stubborn") else "failed"
    assert result.status == expected_status, (result.status, result.error)
    # Under forkserver a killed worker can come back as 255 (CPython issue 140867); the line says so.
    lost = "exit code 255 (under forkserver also what a worker killed by a signal reports"
    assert REASONS[fault] in result.error or (fault == "killed" and lost in result.error), result.error
    assert "\n" not in result.error
    bound = HANG_BOUND_S if expected_status == "timeout" else FAULT_BOUND_S
    assert elapsed < bound or elapsed < scaled(bound), elapsed
    assert not left, f"processes left behind: {left}"


@pytest.mark.parametrize("fault", ["raises", "exits", "segfaults", "killed", "hangs"])
@pytest.mark.parametrize("backend", PROCESS_BACKENDS)
def test_fault_matrix(faulty_path, backend, fault):
    result, elapsed, left = run_one(backend, fault)
    check(result, elapsed, left, fault)
    if fault in ("raises", "exits"):
        assert "worker 1" in result.error or "pool worker" in result.error, result.error


@pytest.mark.parametrize("backend", PROCESS_BACKENDS)
def test_a_hung_worker_that_ignores_sigterm_is_still_killed(faulty_path, backend):
    # Pool.terminate() SIGTERMs its workers and then joins them without a limit; this
    # worker ignores SIGTERM, so only the SIGKILL that follows the grace period ends it.
    result, elapsed, left = run_one(backend, "stubborn")
    check(result, elapsed, left, "stubborn")


START_METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.mark.parametrize("fault", ["killed", "raises"])
@pytest.mark.parametrize("start_method", START_METHODS)
@pytest.mark.parametrize("backend", PROCESS_BACKENDS)
def test_faults_under_each_start_method(faulty_path, backend, start_method, fault):
    result, elapsed, left = run_one(backend, fault, start_method=start_method)
    check(result, elapsed, left, fault)
    assert result.start_method == start_method


@pytest.mark.parametrize("backend", ["serial", "threads", "thread-executor"])
@pytest.mark.parametrize("fault", ["raises", "exits"])
def test_in_process_backends_report_a_failing_worker(faulty_path, backend, fault):
    # sys.exit() inside a thread or the calling thread must not end the sweep either.
    result, elapsed, left = run_one(backend, fault)
    check(result, elapsed, left, fault)
    assert "worker 1" in result.error


def test_serial_hang_times_out(faulty_path):
    # The alarm interrupts pure Python in the main thread; nothing is abandoned.
    result, elapsed, left = run_one("serial", "hangs")
    check(result, elapsed, left, "hangs")


def test_a_failed_pool_does_not_poison_the_next_configuration(faulty_path):
    # The pool is rebuilt per configuration: after a worker was killed the next one is clean.
    bad, _, _ = run_one("pool", "killed")
    assert bad.status == "failed"
    good, elapsed, left = run_one("pool", "killed", workers=1)  # lo = 0 only: no fault
    assert good.status == "ok" and good.result_ok is True, good.error
    assert not left


def run_cli(args, faulty_path, timeout=120):
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "harness", *map(str, args)], env=cli_env(faulty_path),
                          capture_output=True, text=True, timeout=timeout)
    return done, time.perf_counter() - t0


def test_the_sweep_goes_on_after_a_failure_and_exits_1(faulty_path, tmp_path):
    out = tmp_path / "out"
    before = children()
    done, _ = run_cli(["run", "--backends", "serial,processes,pool,process-executor", "--workers", "1,2",
                       "--n", "2000", "--repeat", "1", "--warmup", "0", "--timeout", "10",
                       "--workload", f"{FAULTY_MODULE}:raises", "--out", out, "--quiet", "--no-report"],
                      faulty_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    data = json.loads((out / "results.json").read_text())
    assert data["complete"] is True
    status = {(r["backend"], r["workers"]): (r["status"], r["error"]) for r in data["runs"]}
    # Every configuration ran, in order: each w2 fails, and the one after it still succeeds.
    assert [(r["backend"], r["workers"]) for r in data["runs"]] == [
        ("serial", 1), ("processes", 1), ("processes", 2), ("pool", 1), ("pool", 2),
        ("process-executor", 1), ("process-executor", 2)]
    for (backend, workers), (state, error) in status.items():
        if workers == 1:
            assert state == "ok", (backend, error)
        else:
            assert state == "failed" and "ValueError: boom in the faulty worker" in error, (backend, error)
    assert all(r["result_ok"] for r in data["runs"] if r["status"] == "ok")
    assert not leftover_children(before)


def test_a_hung_thread_executor_does_not_keep_the_harness_alive(faulty_path, tmp_path):
    # A hung thread cannot be killed, and concurrent.futures joins its (non-daemon) threads
    # at exit: without the CLI's os._exit after saving, this would wait 1000 s.
    out = tmp_path / "out"
    done, elapsed = run_cli(["run", "--backends", "serial,thread-executor,threads,processes", "--workers", "2",
                             "--n", "2000", "--repeat", "1", "--warmup", "0", "--timeout", str(TIMEOUT_S),
                             "--workload", f"{FAULTY_MODULE}:hangs", "--out", out, "--quiet", "--no-report"],
                            faulty_path, timeout=60)
    assert done.returncode == 1, done.stderr
    # Three timeouts of 2 s each, plus interpreter start-up and the serial run.
    assert elapsed < 3 * TIMEOUT_S + 8 or elapsed < 3 * TIMEOUT_S + scaled(8), elapsed
    data = json.loads((out / "results.json").read_text())
    status = {r["backend"]: r["status"] for r in data["runs"]}
    assert status == {"serial": "ok", "thread-executor": "timeout", "threads": "timeout", "processes": "timeout"}
    assert data["complete"] is True
    assert "cannot be stopped" in done.stderr


def test_64_workers_on_a_small_machine_complete_for_every_stdlib_backend():
    # Oversubscription (64 workers on 2 cores here) must be slow at worst, never stuck or wrong.
    from harness.execution.backends import DEFAULT_BACKENDS
    from harness.execution.passes import SweepJob, run_sweep

    config = RunConfig(backends=DEFAULT_BACKENDS, workers=(64,), n=(5000,), repeat=1, warmup=0, timeout_s=60)
    before = children()
    t0 = time.perf_counter()
    runs = run_sweep(SweepJob(config, resolve_workload("poly")))
    elapsed = time.perf_counter() - t0
    assert {r.backend for r in runs} == set(DEFAULT_BACKENDS)
    bad = [(r.label, r.status, r.error) for r in runs if r.status != "ok" or r.result_ok is not True]
    assert not bad
    assert all(len(r.worker_spans) == (1 if r.backend == "serial" else 64) for r in runs)
    assert elapsed < 60 or elapsed < scaled(60), elapsed
    assert not leftover_children(before, within_s=5)


def test_an_exit_status_forkserver_lost_says_it_may_be_a_kill():
    from harness.execution.backends.base import describe_exitcode

    assert describe_exitcode(-9) == "killed by signal 9 (SIGKILL)"
    assert describe_exitcode(255) == "exit code 255"
    assert describe_exitcode(255, "fork") == "exit code 255"
    assert "killed by a signal" in describe_exitcode(255, "forkserver")
    assert describe_exitcode(3, "forkserver") == "exit code 3"
