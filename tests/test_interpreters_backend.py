"""interpreters: isolated subinterpreters (own GIL each) on 3.12+, hosted in a child process.

This suite runs on the project's venv (3.11 here), which has no subinterpreters: the real ones
run in every 3.12+ interpreter the machine has (pyenv's, make python-gil's and make python-ft's),
started as subprocesses with this source on their path, as `harness run --python` does. A test
whose interpreter is missing skips and says which.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from harness.execution.backends import DEFAULT_BACKENDS, STDLIB_BACKENDS, availability, backend_class
from harness.execution.backends import interpreters
from harness.execution.backends.interpreters import InterpretersBackend
from harness.execution.backends.subinterp_serve import refusal_line
from tests._pace import scaled
from tests._pythons import OLDER, PYTHONS, version_of

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAS_312 = sys.version_info >= (3, 12)
FAULTS = ("def boom(lo, hi):\n    raise KeyError('no such chunk')\n"
          "def forever(lo, hi):\n    while True:\n        pass\n")
REFUSES = ("import _curses  # single-phase init: an isolated interpreter refuses it\n"
           "def work(lo, hi):\n    return hi - lo\n")


needs_312 = pytest.mark.skipif(not PYTHONS, reason="no Python 3.12+ on this machine (pyenv, make python-gil/ft)")


def _env(*paths) -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, *map(str, paths)]))


def test_registration_and_traits():
    assert interpreters.__all__ == ["InterpretersBackend", "subinterpreters_unavailable"]
    assert backend_class("interpreters") is InterpretersBackend
    # Issue 21: it needs nothing installed, so --python runs it (it was left out before 3.12 support).
    assert "interpreters" in STDLIB_BACKENDS and "interpreters" not in DEFAULT_BACKENDS
    assert InterpretersBackend.kind == "process" and InterpretersBackend.has_startup
    assert InterpretersBackend.interpreter_per_worker and not InterpretersBackend.thread_based
    assert InterpretersBackend.pickles_items()


@pytest.mark.skipif(HAS_312, reason="this interpreter has subinterpreters")
def test_availability_names_the_python_needed(cli, tmp_path):
    expected = ("needs CPython 3.12+ (a GIL per interpreter, PEP 684); "
                f"this is Python {sys.version.split()[0]}")
    assert InterpretersBackend.availability() == expected == availability("interpreters")
    out = tmp_path / "out"
    result = cli("run", "--backends", "serial,interpreters", "--out", out, "--quiet")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"harness run: error: --backends: interpreters is not available here: {expected} (see harness list)"]
    assert not out.exists()
    listed = cli("list")
    assert f"interpreters        unavailable: {expected}" in listed.stdout


def test_importing_it_imports_no_private_module():
    code = ("import sys, harness.execution.backends.interpreters as m; "
            "print(sorted(n for n in ('_xxsubinterpreters', '_interpreters', 'concurrent.interpreters') "
            "if n in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(not OLDER + PYTHONS, reason="no other Python 3.10+ under pyenv")
@pytest.mark.parametrize("python", OLDER + PYTHONS)
def test_each_interpreter_says_whether_it_can(python):
    code = "from harness.execution.backends.interpreters import InterpretersBackend as B; print(B.availability())"
    result = subprocess.run([python, "-c", code], env=_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    if python in PYTHONS:
        assert result.stdout.strip() == "None"
    else:
        assert result.stdout.startswith("needs CPython 3.12+ (a GIL per interpreter, PEP 684); this is Python 3.1")


def test_refusal_line_names_the_extension():
    text = "worker 0: ImportError: module _curses does not support loading in subinterpreters (at job.py:1)"
    line = refusal_line(text)
    assert line.startswith("worker 0: the module _curses cannot be imported in a subinterpreter: it is a "
                           "single-phase-init C extension")
    assert line.endswith("(at job.py:1)") and "\n" not in line
    assert refusal_line("worker 1: KeyError: 'x'") == "worker 1: KeyError: 'x'"


@needs_312
@pytest.mark.parametrize("python", PYTHONS)
def test_real_subinterpreters_exact_and_their_faults(python, tmp_path):
    """Range and map workloads exact; a raise, a hang past the deadline and a refused extension
    each end their run with one line, the host process gone every time (the faults on the
    oldest and the newest build found, to keep the suite short)."""
    (tmp_path / "interp_faults.py").write_text(FAULTS)
    (tmp_path / "interp_refuses.py").write_text(REFUSES)
    script = os.path.join(REPO, "tests", "_subinterp_check.py")
    faults = python in (PYTHONS[0], PYTHONS[-1])
    result = subprocess.run([python, script, str(tmp_path)] + (["--faults"] if faults else []), env=_env(),
                            capture_output=True, text=True, timeout=scaled(120))
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout)
    assert seen["availability"] is None
    assert seen["range_exact"] == [True, True, True]
    assert seen["map_static"] and seen["map_auto"] and seen["map_7"]
    assert seen["pids"] == [seen["host"]] and seen["threads"] == 2  # two threads of one host process
    assert seen["host_gone_after_close"]
    if not faults:
        return
    error, waited, alive = seen["raises"]
    assert error.startswith("WorkerFailure: worker ") and "KeyError: 'no such chunk' (at interp_faults.py:2)" in error
    assert not alive
    error, waited, alive = seen["forever"]
    assert error == "RunTimeout: timed out; the interpreter pool's process was killed"
    assert 0.9 <= waited < scaled(10) and not alive  # at the 1 s deadline, not after the loop (never)
    error, waited, alive = seen["refused"]
    assert error.startswith("WorkerFailure: interpreter 0: ") and not alive
    assert "the module _curses cannot be imported in a subinterpreter: it is a single-phase-init C extension" in error


def _pick(*wanted_versions) -> str | None:
    for python in PYTHONS:
        if version_of(python) in wanted_versions:
            return python
    return None


@needs_312
def test_cli_under_python_range_and_uneven_map_at_auto_and_static(cli, tmp_path):
    """As a new user would: --python a 3.12+ interpreter, the tutorial's loop, then a pure-Python
    function over uneven items at chunksize auto and static; every run exact."""
    python = _pick((3, 13), (3, 12)) or PYTHONS[0]
    out = tmp_path / "range"
    result = cli("run", "--python", python, "--backends", "serial,interpreters", "--workers", "2", "--n", "40000",
                 "--repeat", "2", "--no-interleave", "--out", out, "--quiet", "--no-report")
    assert result.returncode == 0, result.stderr
    runs = json.loads((out / "results.json").read_text())["runs"]
    mine = [r for r in runs if r["backend"] == "interpreters"]
    assert len(mine) == 1 and mine[0]["python"] != runs[0]["python"]  # only under --python (not on 3.11)
    run = mine[0]
    assert run["status"] == "ok" and run["result_ok"] is True and run["startup_s"] > 0
    assert run["memory"]["processes"] >= 2  # the harness there, and the one host of both interpreters
    (tmp_path / "uneven.py").write_text(
        "def items(n):\n    return [(i, 50 + (i * 37) % 400) for i in range(n)]\n"
        "def work(item):\n    seed, size = item\n    return sum((seed + j) ** 2 % 97 for j in range(size))\n")
    out = tmp_path / "map"
    result = cli("run", "--python", python, "--workload", "uneven:work", "--items", "uneven:items", "--n", "600",
                 "--backends", "serial,interpreters", "--workers", "2", "--chunksize", "auto,static",
                 "--repeat", "2", "--no-interleave", "--out", out, "--quiet", "--no-report",
                 env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    runs = [r for r in json.loads((out / "results.json").read_text())["runs"] if r["backend"] == "interpreters"]
    assert sorted(r["chunksize"] for r in runs) == ["auto", "static"]
    assert all(r["status"] == "ok" and r["result_ok"] is True for r in runs), runs


def _hosts_of_this_checkout() -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                args = handle.read().split(b"\0")
        except OSError:
            continue
        if any(b"subinterp_host import main" in a for a in args) and REPO.encode() in args:
            found.append(entry)
    return found


@needs_312
def test_cli_refused_module_and_timeout_fail_the_run_and_leave_nothing(cli, tmp_path):
    python = _pick((3, 13), (3, 12)) or PYTHONS[0]
    (tmp_path / "interp_refuses.py").write_text(REFUSES)
    (tmp_path / "interp_faults.py").write_text(FAULTS)
    out = tmp_path / "refused"
    t0 = time.perf_counter()
    result = cli("run", "--python", python, "--workload", "interp_refuses:work", "--backends", "interpreters",
                 "--workers", "2", "--n", "1000", "--repeat", "1", "--out", out, "--quiet", "--no-report",
                 env={"PYTHONPATH": str(tmp_path)}, timeout=scaled(120))
    assert result.returncode == 1, result.stderr
    run = [r for r in json.loads((out / "results.json").read_text())["runs"] if r["backend"] == "interpreters"][0]
    assert run["status"] == "failed" and "the module _curses cannot be imported in a subinterpreter" in run["error"]
    out = tmp_path / "forever"
    t0 = time.perf_counter()
    result = cli("run", "--python", python, "--workload", "interp_faults:forever", "--backends", "interpreters",
                 "--workers", "2", "--n", "10", "--repeat", "1", "--warmup", "0", "--timeout", "2", "--out", out,
                 "--quiet", "--no-report", env={"PYTHONPATH": str(tmp_path)}, timeout=scaled(120))
    waited = time.perf_counter() - t0
    assert result.returncode == 1, result.stderr
    run = json.loads((out / "results.json").read_text())["runs"][0]
    assert run["status"] == "timeout" and "the interpreter pool's process was killed" in run["error"]
    assert waited < scaled(30)  # the 2 s limit plus starting three interpreters' worth of processes
    assert _hosts_of_this_checkout() == []  # no host (and so no interpreter) outlived the harness
