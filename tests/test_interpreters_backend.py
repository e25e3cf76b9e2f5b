"""interpreters: says why it cannot run before Python 3.14, imports anywhere, runs exactly on 3.14+.

This machine has no 3.14, so the real InterpreterPoolExecutor tests skip here; the backend's
own logic (collecting, failures, deadline) is also driven through a ThreadPoolExecutor with the
same interface, so it is exercised on every interpreter.
"""

from __future__ import annotations

import concurrent.futures as cf
import glob
import os
import subprocess
import sys
import time

import pytest

from tests._pace import scaled
from harness.execution.backends import BACKEND_NAMES, STDLIB_BACKENDS, availability, backend_class
from harness.execution.backends import interpreters
from harness.execution.backends.base import RunTimeout, WorkerFailure, abandoned_threads
from harness.execution.backends.interpreters import InterpretersBackend
from harness.config import RunConfig
from harness.execution.partition import make_tasks
from harness.execution.passes import Configuration, run_configuration
from harness.workloads import poly_oracle, resolve_workload

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAS_314 = sys.version_info >= (3, 14)


def test_exported_names_and_registration():
    assert interpreters.__all__ == ["InterpretersBackend"]
    assert "interpreters" in BACKEND_NAMES and "interpreters" not in STDLIB_BACKENDS
    assert backend_class("interpreters") is InterpretersBackend
    assert InterpretersBackend.name == "interpreters"
    assert InterpretersBackend.kind == "thread" and InterpretersBackend.has_startup
    assert "InterpreterPoolExecutor" in InterpretersBackend.description


@pytest.mark.skipif(HAS_314, reason="this interpreter has InterpreterPoolExecutor")
def test_availability_says_why_on_this_interpreter():
    version = sys.version.split()[0]
    expected = f"needs Python 3.14+ (concurrent.futures.InterpreterPoolExecutor); this is Python {version}"
    assert InterpretersBackend.availability() == expected
    assert availability("interpreters") == expected


@pytest.mark.skipif(HAS_314, reason="this interpreter has InterpreterPoolExecutor")
def test_cli_refuses_it_with_the_reason(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--backends", "serial,interpreters",
                             "--out", str(out), "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "interpreters is not available here: needs Python 3.14+" in result.stderr
    assert not out.exists()


@pytest.mark.skipif(HAS_314, reason="this interpreter has InterpreterPoolExecutor")
def test_start_refuses_too():
    with pytest.raises(WorkerFailure, match="needs Python 3.14"):
        InterpretersBackend(2).start()


def test_importing_stays_stdlib_and_needs_nothing_from_314():
    code = ("import sys, harness.execution.backends.interpreters as m; "
            "print(m.InterpretersBackend.availability() is None, 'concurrent.futures.interpreter' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(HAS_314), "False"]


OTHER_PYTHONS = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[0-3]*/bin/python3")))


@pytest.mark.skipif(not OTHER_PYTHONS, reason="no other Python 3.10-3.13 installed under pyenv")
@pytest.mark.parametrize("python", OTHER_PYTHONS)
def test_other_interpreters_import_it_and_say_why(python):
    code = "from harness.execution.backends.interpreters import InterpretersBackend as B; print(B.availability())"
    env = dict(os.environ, PYTHONPATH=REPO)
    result = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    expected = "needs Python 3.14+ (concurrent.futures.InterpreterPoolExecutor); this is Python 3.1"
    assert result.stdout.startswith(expected)


def test_path_script_puts_the_parents_entries_first_once():
    namespace = {}
    existing = sys.path[0]
    count_before = sys.path.count(existing)  # pytest itself may have put an entry there twice
    exec(interpreters._path_script(["/nowhere/a", existing]), namespace)
    try:
        assert sys.path[0] == "/nowhere/a"
        assert sys.path.count("/nowhere/a") == 1
        assert sys.path.count(existing) == count_before  # an entry already there is not added again
    finally:
        sys.path.remove("/nowhere/a")


# -- the backend's own logic, through an executor with the same interface -----------------

class _ThreadStandIn(InterpretersBackend):
    """The same backend over a ThreadPoolExecutor, built with the same initializer."""

    @classmethod
    def availability(cls):
        return None

    def _make_executor(self):
        return cf.ThreadPoolExecutor(self.workers, initializer=exec,
                                     initargs=(interpreters._path_script(list(sys.path)), {}))


def test_logic_exact_results_one_per_task():
    backend = _ThreadStandIn(3)
    backend.start()
    try:
        results = backend.run("harness.workloads:poly", make_tasks(30_001, 3, "strong"), time.perf_counter() + 30)
    finally:
        backend.close()
    assert [r.worker for r in results] == [0, 1, 2]
    assert sum(r.value for r in results) == poly_oracle(30_001)
    assert all(r.cpu_s is not None and r.start <= r.end for r in results)  # CPU time and a span


def test_logic_failure_and_timeout(tmp_path, monkeypatch):
    (tmp_path / "interp_faults.py").write_text(
        "import time\n"
        "def boom(lo, hi):\n    raise KeyError('no such chunk')\n"
        "def bye(lo, hi):\n    raise SystemExit(4)\n"
        "def slow(lo, hi):\n    time.sleep(1)\n    return 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    backend = _ThreadStandIn(2)
    backend.start()
    with pytest.raises(WorkerFailure, match=r"worker \d: KeyError: 'no such chunk'"):
        backend.run("interp_faults:boom", make_tasks(10, 2, "strong"), time.perf_counter() + 30)
    with pytest.raises(WorkerFailure, match="not running"):
        backend.run("interp_faults:boom", make_tasks(10, 2, "strong"), time.perf_counter() + 30)
    backend = _ThreadStandIn(2)
    backend.start()
    with pytest.raises(WorkerFailure, match=r"worker \d: exit code 4 \(sys.exit\)"):
        backend.run("interp_faults:bye", make_tasks(10, 2, "strong"), time.perf_counter() + 30)
    backend = _ThreadStandIn(2)
    backend.start()
    t0 = time.perf_counter()
    with pytest.raises(RunTimeout, match="cannot be killed"):
        backend.run("interp_faults:slow", make_tasks(10, 2, "strong"), time.perf_counter() + 0.2)
    waited = time.perf_counter() - t0
    assert waited < 0.9 or waited < scaled(0.9), waited
    assert len([t for t in abandoned_threads() if t.is_alive()]) >= 1  # recorded, so harness run can exit


# -- the real thing, where it exists --------------------------------------------------------

@pytest.mark.skipif(not HAS_314, reason="needs Python 3.14+ (InterpreterPoolExecutor)")
@pytest.mark.parametrize("workers", [1, 2])
def test_exact_on_python_314(workers):
    for n in (0, 3, 20_000):
        config = RunConfig(backends=("interpreters",), workers=(workers,), n=(n,), repeat=2, warmup=0)
        run = run_configuration(Configuration("interpreters", workers, n), config, resolve_workload("poly"))
        assert run.status == "ok" and run.result_ok is True, run.error
        assert run.startup_s is not None
