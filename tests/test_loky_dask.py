"""loky and dask against real worker processes: exact results, start-up kept apart, faults bounded.

Nothing is mocked: loky pools, dask LocalClusters and, for --dask-scheduler, a scheduler and
two workers started with dask's own command-line tools.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import psutil
import pytest

from tests._pace import scaled
from harness.execution.backends import BACKEND_NAMES, availability, backend_class
from harness.config import RunConfig
from harness.execution.passes import Configuration, plan_configurations, run_configuration
from harness.workloads import resolve_workload

pytestmark = pytest.mark.skipif(availability("loky") or availability("dask"),
                                reason="loky and dask.distributed are needed")

BIN = os.path.dirname(sys.executable)
DASK = os.path.join(BIN, "dask")
POLY = resolve_workload("poly")

# A user workload module, as a user would write one; each function misbehaves its own way.
USER_MODULE = textwrap.dedent('''
    import os
    import time

    def poly(lo, hi):
        return sum(i + i**2 + i**3 for i in range(lo, hi))

    def boom(lo, hi):
        raise ValueError(f"chunk {lo}-{hi} is cursed")

    def bye(lo, hi):
        raise SystemExit(3)

    def die(lo, hi):
        os.kill(os.getpid(), 9)

    def hang(lo, hi):
        while True:
            time.sleep(0.05)

    def die_once(lo, hi):
        """Kills its worker the first time chunk 0 runs anywhere, then behaves."""
        if lo == 0:
            try:
                os.close(os.open(os.environ["HARNESS_TEST_DIE_ONCE"], os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                pass
            else:
                os.kill(os.getpid(), 9)
        return poly(lo, hi)
''')


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """``faulty_<id>`` importable here and in every worker (via sys.path and PYTHONPATH)."""
    name = f"faulty_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p))
    return name


def _children() -> dict[int, str]:
    """Our live child processes, leaving out the per-process resource trackers (singletons
    that loky and multiprocessing start once and that end with this process)."""
    found = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(proc.cmdline())
            if "resource_tracker" not in cmd and proc.status() != psutil.STATUS_ZOMBIE:
                found[proc.pid] = cmd[:100]
        except psutil.Error:
            pass
    return found


@pytest.fixture
def leaves_no_workers():
    """Fails the test if a child process it started outlives it by more than 3 s
    (children that other tests left, such as a fork server, do not count)."""
    before = set(_children())
    yield
    deadline = time.monotonic() + 3.0
    while (left := {pid: cmd for pid, cmd in _children().items() if pid not in before}) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left


def _run(backend, workers, n, workload=POLY, **config):
    config = RunConfig(backends=(backend,), workers=(workers,), n=(n,), repeat=config.pop("repeat", 2),
                       warmup=config.pop("warmup", 0), **config)
    return run_configuration(Configuration(backend, workers, n), config, workload)


def _cli(*args, env=None, timeout=120):
    full_env = dict(os.environ, **(env or {}))
    t0 = time.monotonic()
    result = subprocess.run([os.path.join(BIN, "harness"), *map(str, args)], env=full_env,
                            capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - t0


def _marked(mark: str, command: str = "") -> list[int]:
    """Live processes whose environment carries ``mark`` (and whose command line holds
    ``command``): what a harness run started, or left behind."""
    found = []
    for proc in psutil.process_iter():
        try:
            if (proc.environ().get("HARNESS_TEST_MARK") == mark and proc.status() != psutil.STATUS_ZOMBIE
                    and command in " ".join(proc.cmdline())):
                found.append(proc.pid)
        except psutil.Error:
            pass
    return found


# -- exact results, start-up apart ---------------------------------------------------------

@pytest.mark.parametrize("backend", ["loky", "dask"])
@pytest.mark.parametrize("workers", [1, 2])
def test_exact_at_every_size_with_startup_recorded(backend, workers, leaves_no_workers):
    for n in (0, 3, 20_000):
        run = _run(backend, workers, n)
        assert run.status == "ok", run.error
        assert run.result_ok is True, run.error
        assert run.startup_s is not None and run.startup_s > 0
        assert len(run.times_s) == 2
        assert [s.worker for s in run.worker_spans] == list(range(workers))


def test_cli_serial_loky_dask_exact_and_startup_outside_the_repeats(tmp_path):
    out = tmp_path / "out"
    result, _ = _cli("run", "--backends", "serial,loky,dask", "--workers", "2", "--n", "200000",
                     "--repeat", "3", "--no-report", "--quiet", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # dask's logging and warnings stay off the terminal
    runs = {r["backend"]: r for r in json.loads((out / "results.json").read_text())["runs"]}
    assert set(runs) == {"serial", "loky", "dask"}
    for run in runs.values():
        assert run["status"] == "ok" and run["result_ok"] is True, run
        assert len(run["times_s"]) == 3
    assert runs["serial"]["startup_s"] is None
    for name in ("loky", "dask"):
        # A LocalCluster takes about a second to start; no repeat may contain that.
        assert runs[name]["startup_s"] > 0
        assert runs[name]["workers"] == 2
    assert runs["dask"]["startup_s"] > max(runs["dask"]["times_s"])


# -- an external cluster, started with dask's own tools --------------------------------------

def _kill_tree(procs):
    """SIGKILL each Popen'd process and everything it started, then reap them."""
    doomed = []
    for proc in procs:
        try:
            parent = psutil.Process(proc.pid)
            doomed += parent.children(recursive=True) + [parent]
        except psutil.Error:
            pass
    for p in doomed:
        try:
            p.kill()
        except psutil.Error:
            pass
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def test_dask_scheduler_option_runs_on_an_existing_cluster(tmp_path):
    from distributed import Client

    scheduler_file = tmp_path / "scheduler.json"
    logs = open(tmp_path / "cluster.log", "w")
    procs = []
    try:
        procs.append(subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                       "--scheduler-file", scheduler_file], stdout=logs, stderr=logs))
        deadline = time.monotonic() + 30
        address = None
        while address is None and time.monotonic() < deadline:
            try:
                address = json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        assert address, (tmp_path / "cluster.log").read_text()
        for _ in range(2):
            procs.append(subprocess.Popen([DASK, "worker", "--scheduler-file", scheduler_file, "--nthreads", "1",
                                           "--no-dashboard", "--host", "127.0.0.1"], stdout=logs, stderr=logs))
        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)

        # The worker count comes from the cluster, whatever --workers says.
        config = RunConfig(backends=("serial", "dask"), workers=(1, 4), n=(100_000,), dask_scheduler=address)
        assert [(p.backend, p.workers) for p in plan_configurations(config)] == [("serial", 1), ("dask", 2)]

        out = tmp_path / "out"
        result, _ = _cli("run", "--backends", "serial,dask", "--dask-scheduler", address, "--n", "100000",
                         "--repeat", "2", "--no-report", "--quiet", "--out", out)
        assert result.returncode == 0, result.stderr
        runs = {r["backend"]: r for r in json.loads((out / "results.json").read_text())["runs"]}
        assert runs["dask"]["workers"] == 2
        assert runs["dask"]["status"] == "ok" and runs["dask"]["result_ok"] is True
        assert runs["serial"]["result_ok"] is True
        assert runs["dask"]["startup_s"] is not None

        # The harness closed only its client: the cluster is still there, whole.
        with Client(address, timeout=30, set_as_default=False) as client:
            assert len(client.scheduler_info(n_workers=-1)["workers"]) == 2
    finally:
        _kill_tree(procs)
        logs.close()


def test_dask_scheduler_that_cannot_be_reached_fails_that_run_with_the_reason():
    with socket.socket() as sock:  # a port nobody listens on once this closes
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    config = RunConfig(backends=("dask",), workers=(2,), n=(1000,), repeat=1, warmup=0, dask_scheduler=address)
    assert backend_class("dask").fixed_workers(config) is None  # the plan keeps --workers
    t0 = time.monotonic()
    run = run_configuration(Configuration("dask", 2, 1000), config, POLY)
    assert run.status == "failed"
    assert run.error == f"cannot connect to the dask scheduler at {address}: connection refused"
    waited = time.monotonic() - t0
    assert waited < 5 or waited < scaled(5), waited  # no waiting out distributed's connect timeout


# -- faults ---------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["loky", "dask"])
def test_worker_exception_or_exit_fails_the_run_with_its_text(backend, user_module, leaves_no_workers):
    run = _run(backend, 2, 1000, resolve_workload(f"{user_module}:boom"), repeat=1)
    assert run.status == "failed"
    assert "ValueError: chunk" in run.error and "is cursed" in run.error
    assert "\n" not in run.error
    run = _run(backend, 2, 1000, resolve_workload(f"{user_module}:bye"), repeat=1)
    assert run.status == "failed"
    assert run.error in ("worker 0: exit code 3 (sys.exit)", "worker 1: exit code 3 (sys.exit)")


@pytest.mark.parametrize("backend", ["loky", "dask"])
def test_hung_worker_times_out_and_is_killed(backend, user_module, leaves_no_workers):
    t0 = time.monotonic()
    run = _run(backend, 2, 1000, resolve_workload(f"{user_module}:hang"), repeat=1, timeout_s=1.0)
    assert run.status == "timeout"
    assert "killed" in run.error
    waited = time.monotonic() - t0
    assert waited < 20 or waited < scaled(20), waited


def test_killed_workers_fail_loky_and_dask_in_bounded_time_leaving_nothing(tmp_path, user_module):
    mark = uuid.uuid4().hex
    out = tmp_path / "out"
    result, elapsed = _cli("run", "--backends", "loky,dask", "--workers", "2", "--n", "1000", "--repeat", "1",
                           "--warmup", "0", "--workload", f"{user_module}:die", "--no-report", "--quiet",
                           "--out", out, env={"HARNESS_TEST_MARK": mark})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "distributed" not in result.stderr
    assert elapsed < 60 or elapsed < scaled(60), elapsed
    runs = {r["backend"]: r for r in json.loads((out / "results.json").read_text())["runs"]}
    assert runs["loky"]["status"] == "failed"
    assert "killed by signal 9 (SIGKILL)" in runs["loky"]["error"]
    assert runs["dask"]["status"] == "failed"
    assert "KilledWorker" in runs["dask"]["error"] and "signal 9" in runs["dask"]["error"]
    deadline = time.monotonic() + 3
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _marked(mark)


def test_ctrl_c_at_the_terminal_while_dask_runs_leaves_nothing_and_prints_one_line(tmp_path):
    """SIGINT to the whole process group, as a terminal sends it, workers included."""
    mark = uuid.uuid4().hex
    proc = subprocess.Popen([os.path.join(BIN, "harness"), "run", "--backends", "dask", "--workers", "2",
                             "--n", "50000000", "--repeat", "3", "--no-report", "--quiet", "--out", tmp_path / "out"],
                            env=dict(os.environ, HARNESS_TEST_MARK=mark), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        # Interrupt once the workers exist: after start-up began, before the run can end.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(_marked(mark, "spawn_main")) < 2:
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], err  # no worker's KeyboardInterrupt, no dask log
    deadline = time.monotonic() + 3
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _marked(mark)


def test_dask_recomputation_after_a_worker_death_is_counted(tmp_path, user_module, monkeypatch,
                                                            leaves_no_workers):
    monkeypatch.setenv("HARNESS_TEST_DIE_ONCE", str(tmp_path / "died"))
    from harness.execution.backends.dask_backend import DaskBackend
    from harness.execution.partition import make_tasks

    backend = DaskBackend(2)
    backend.start()
    try:
        tasks = make_tasks(20_000, 2, "strong")
        for _ in range(2):
            results = backend.run(f"{user_module}:die_once", tasks, time.perf_counter() + 60)
            assert sum(r.value for r in results) == POLY.expected(20_000)
    finally:
        backend.close()
    assert (tmp_path / "died").exists()
    # The first run lost its worker 0 task once and dask ran it again; the second did not.
    assert backend.recomputed_by_run == [1, 0]


# -- the classes themselves ----------------------------------------------------------------

def test_registered_described_and_importing_stays_light():
    for name in ("loky", "dask"):
        assert name in BACKEND_NAMES
        cls = backend_class(name)
        assert cls.name == name and cls.description and cls.has_startup and cls.kind == "process"
    code = ("import sys, harness.execution.backends.loky_backend, harness.execution.backends.dask_backend; "
            "print(any(m.split('.')[0] in ('loky', 'dask', 'distributed') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_exported_names():
    from harness.execution.backends import dask_backend, loky_backend

    assert loky_backend.__all__ == ["LokyBackend"]
    assert dask_backend.__all__ == ["DaskBackend"]


def test_recorded_start_methods():
    config = RunConfig(backends=("loky", "dask"), workers=(2,), n=(10,))
    assert backend_class("loky").recorded_start_method(config) == "loky"
    assert backend_class("dask").recorded_start_method(config) == "spawn"
    external = RunConfig(backends=("dask",), workers=(2,), n=(10,), dask_scheduler="tcp://127.0.0.1:8786")
    assert backend_class("dask").recorded_start_method(external) is None
