"""Free-threaded CPython: --python PATH[:gil=0|1], the GIL the workers saw, the build x model matrix.

The real sweeps need the interpreters `make python-ft` and `make python-gil` build (.ci/run
builds them when missing); without them those tests skip and say why. The rest (parsing,
bad input, the matrix's arithmetic, lost updates forced by a hook) run everywhere.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time

import pytest

from harness.analysis.speedup import attach_speedups, thread_explanation, verdict_lines
from harness.execution.backends.threads_shared import SharedTotal, ThreadsNoLockBackend, ThreadsSharedBackend
from harness.analysis.matrix import scaling_rating, single_thread_costs, threads_vs_processes
from harness.results.model import RunResult
from harness.config import PythonSpec, parse_python_spec
from harness.environment.pythons import find_built_python, interpreter_label
from harness.execution.partition import Chunk
from harness.workloads import poly_oracle

FT, FT_WHY = find_built_python("ft")
GIL, GIL_WHY = find_built_python("gil")
needs_ft = pytest.mark.skipif(FT is None, reason=f"no free-threaded CPython: {FT_WHY}")


def test_python_spec_parsing_and_labels():
    assert parse_python_spec("/x/python3") == PythonSpec("/x/python3")
    assert parse_python_spec("/x/python3:gil=1") == PythonSpec("/x/python3", 1)
    assert parse_python_spec("C:/odd:path/python:gil=0").gil == 0
    for bad in ("/x/python3:gil=2", "/x/python3:gil=", "/x/python3:gill=1"):
        with pytest.raises(ValueError, match="accepted"):
            parse_python_spec(bad)
    assert interpreter_label("3.13.15", True, None) == "3.13.15t"
    assert interpreter_label("3.13.15", True, 0) == "3.13.15t"
    assert interpreter_label("3.13.15", True, 1) == "3.13.15t:gil=1"
    assert interpreter_label("3.13.15", False, 1) == "3.13.15"


def _one_line_exit_2(result, *needles):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_bad_python_values_exit_2_with_one_line(cli, tmp_path):
    out = tmp_path / "o"
    _one_line_exit_2(cli("run", "--python", f"{sys.executable}:gil=yes", "--out", out, "--quiet"),
                     "--python", "gil=0 or gil=1")
    # This interpreter (3.11) has the GIL built in: gil=0 cannot be honoured.
    _one_line_exit_2(cli("run", "--python", f"{sys.executable}:gil=0", "--out", out, "--quiet"),
                     "gil=0 needs a free-threaded build")
    # The same interpreter again would run under the same label as the harness's own.
    _one_line_exit_2(cli("run", "--python", sys.executable, "--out", out, "--quiet"), "each interpreter")
    old = tmp_path / "python3.9"
    facts = {"version": "3.9.18", "version_info": [3, 9, 18, "final", 0], "free_threaded_build": False}
    old.write_text(f"#!/bin/sh\necho '{json.dumps(facts)}'\n")
    old.chmod(0o755)
    _one_line_exit_2(cli("run", "--python", old, "--out", out, "--quiet"), "older than 3.10")
    text = tmp_path / "notes.txt"
    text.write_text("not an interpreter\n")
    text.chmod(0o755)
    _one_line_exit_2(cli("run", "--python", text, "--out", out, "--quiet"), "--python")
    assert not out.exists()


def _run(backend, workers, median, cpu=None, python="3.13.15t", free=True, gil=False, **kw):
    return RunResult(backend=backend, workers=workers, n=1000, scaling="strong", workload="poly",
                     start_method="fork", status="ok", times_s=(median,), median_s=median,
                     cpu_time_s=cpu if cpu is not None else median * (1 if backend == "serial" else workers),
                     result_ok=True, python=python, free_threaded_build=free, gil_enabled=gil, **kw)


def test_matrix_arithmetic_and_the_verdicts_reason():
    runs = attach_speedups([
        _run("serial", 1, 1.2), _run("threads", 2, 0.62), _run("processes", 2, 0.61),
        _run("serial", 1, 1.0, python="3.13.15", free=False, gil=True),
        _run("threads", 2, 1.1, cpu=1.0, python="3.13.15", free=False, gil=True),
        _run("processes", 2, 0.52, python="3.13.15", free=False, gil=True),
    ])
    (cost,) = single_thread_costs(runs)
    assert cost.free_threaded == "3.13.15t" and cost.gil_build == "3.13.15" and cost.ratio == pytest.approx(1.2)
    matches = {c.python: c.match for c in threads_vs_processes(runs)}
    assert matches == {"3.13.15t": True, "3.13.15": False}
    assert (scaling_rating(1.1, 2), scaling_rating(1.5, 4), scaling_rating(1.9, 2)) == (
        "does not scale", "scales poorly", "scales")
    text = "\n".join(verdict_lines(runs, True, 2))
    ft_line = next(line for line in text.splitlines() if line.startswith("On Python 3.13.15t: Threads scaled"))
    assert "free-threaded build" in ft_line and "not the workload releasing" in ft_line
    assert "the workload releases the GIL while it computes" not in ft_line
    assert "threads now match processes" in text and "Single-thread cost" in text and "1.20x" in text
    flagged = attach_speedups([_run("serial", 1, 1.0), _run("threads", 2, 1.0, cpu=1.0, gil_reenabled=True)])
    assert "GIL re-enabled by an import" in thread_explanation(flagged, False, reenabled_by="gilprobe")
    assert any("GIL re-enabled by an import" in line for line in verdict_lines(flagged, True, 2))


def test_threads_nolock_loses_an_update_when_two_threads_interleave():
    """A barrier between the read and the write forces the race on any build: both threads
    read the same total, both write, one update is lost; with the Lock nothing is."""
    tasks = [Chunk(0, 0, 50), Chunk(1, 50, 100)]
    barrier = threading.Barrier(2, timeout=10)
    SharedTotal.between_read_and_write = barrier.wait
    try:
        results = ThreadsNoLockBackend(2, flush_every=50).run("harness.workloads:poly", tasks, time.perf_counter() + 60)
    finally:
        SharedTotal.between_read_and_write = None
    total = sum(r.value for r in results)
    assert total != poly_oracle(100) and total in (poly_oracle(50), poly_oracle(100) - poly_oracle(50))
    results = ThreadsSharedBackend(2).run("harness.workloads:poly", tasks, time.perf_counter() + 60)
    assert sum(r.value for r in results) == poly_oracle(100)


@needs_ft
def test_free_threaded_sweep_is_exact_and_records_the_gil_off(cli, tmp_path):
    pythons = ["--python", FT, "--python", f"{FT}:gil=1"] + (["--python", GIL] if GIL else [])
    out = tmp_path / "o"
    result = cli("run", "--backends", "serial,threads,processes,threads-shared,threads-nolock", "--workers", "2",
                 "--n", "60000", "--repeat", "2", "--warmup", "0", *pythons, "--out", out, "--no-report", "--verbose")
    # threads-nolock may lose updates (its lesson); that alone does not fail the run.
    assert result.returncode == 0, result.stderr
    data = json.loads((out / "results.json").read_text())
    runs = {(r["python"], r["backend"]): r for r in data["runs"]}
    labels = [i["label"] for i in data["interpreters"]]
    ft = next(label for label in labels if label.endswith("t"))
    assert f"{ft}:gil=1" in labels
    for backend in ("serial", "threads", "processes", "threads-shared"):
        run = runs[(ft, backend)]
        assert run["status"] == "ok" and run["result_ok"] is True, run
        assert run["free_threaded_build"] is True and run["gil_enabled"] is False
        assert run["workers_gil_enabled"] is False and not run["gil_reenabled"]
        forced = runs[(f"{ft}:gil=1", backend)]
        assert forced["result_ok"] is True and forced["gil_enabled"] is True and forced["gil_mode"] == 1
        assert forced["workers_gil_enabled"] is True
    assert "Python 3.11" not in next(line for line in result.stdout.splitlines()
                                     if line.startswith(f"On Python {ft}: Threads"))
    if GIL:
        assert "Single-thread cost of the free-threaded build" in result.stdout
    nolock = runs[(ft, "threads-nolock")]
    if nolock["result_ok"] is not False:
        busy = nolock["cpu_time_s"] / nolock["median_s"]
        if busy < 1.3:
            pytest.skip(f"the machine ran the two threads one at a time ({busy:.1f} cores): no race to lose")
        pytest.fail(f"threads-nolock kept every update on the free-threaded build with {busy:.1f} cores busy")
    assert "lost updates" in nolock["error"]


_EXTENSION = r"""
#include <Python.h>
/* Single-phase init and no Py_mod_gil slot: not marked free-threading safe, so importing it
   makes a free-threaded CPython switch the GIL back on. */
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "gilprobe", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_gilprobe(void) { return PyModule_Create(&def); }
"""

_WORKLOAD = """
import sys
# Built for the free-threaded interpreter only; the harness's own 3.11 imports this module too.
if getattr(sys, "_is_gil_enabled", None) is not None:
    import gilprobe  # noqa: F401
from harness.workloads import poly, poly_oracle as ORACLE

def work(lo, hi):
    return poly(lo, hi)
"""


def _build_extension(folder):
    info = json.loads(subprocess.run(
        [FT, "-c", "import json, sysconfig; print(json.dumps([sysconfig.get_path('include'), "
                   "sysconfig.get_config_var('EXT_SUFFIX')]))"], capture_output=True, text=True, check=True).stdout)
    include, suffix = info
    compiler = shutil.which(sysconfig.get_config_var("CC").split()[0] if sysconfig.get_config_var("CC") else "cc")
    if compiler is None or not os.path.isfile(os.path.join(include, "Python.h")):
        pytest.skip(f"cannot build a C extension: compiler {compiler}, headers in {include}")
    (folder / "gilprobe.c").write_text(_EXTENSION)
    subprocess.run([compiler, "-shared", "-fPIC", f"-I{include}", str(folder / "gilprobe.c"),
                    "-o", str(folder / f"gilprobe{suffix}")], check=True, capture_output=True)


@needs_ft
def test_an_import_that_re_enables_the_gil_is_flagged(cli, tmp_path):
    folder = tmp_path / "mods"
    folder.mkdir()
    _build_extension(folder)
    (folder / "gilwork.py").write_text(_WORKLOAD)
    out = tmp_path / "o"
    result = cli("run", "--backends", "serial,threads,processes", "--workers", "2", "--n", "20000",
                 "--workload", "gilwork:work", "--repeat", "1", "--warmup", "0", "--python", FT,
                 "--out", out, "--no-report", env={"PYTHONPATH": str(folder)})
    assert result.returncode == 0, result.stderr
    data = json.loads((out / "results.json").read_text())
    ft_runs = [r for r in data["runs"] if r["free_threaded_build"]]
    assert {r["backend"] for r in ft_runs} == {"serial", "threads", "processes"}
    for run in ft_runs:
        assert run["result_ok"] is True and run["gil_enabled"] is False
        assert run["workers_gil_enabled"] is True and run["gil_reenabled"] is True, run
        assert any("GIL re-enabled by an import" in w and "gilprobe" in w for w in run["warnings"])
    assert any(i.get("gil_enabled_by") == "gilprobe" for i in data["interpreters"])
    assert "GIL re-enabled by an import" in result.stdout
    assert not [r for r in data["runs"] if not r["free_threaded_build"] and r["gil_reenabled"]]


def test_report_keeps_interpreters_apart(tmp_path):
    from harness.results.model import Suite
    from harness.report import build_report

    runs = attach_speedups([
        _run("serial", 1, 1.2), _run("threads", 1, 1.2), _run("threads", 2, 0.62), _run("processes", 2, 0.61),
        _run("serial", 1, 1.0, python="3.13.15", free=False, gil=True),
        _run("threads", 1, 1.0, python="3.13.15", free=False, gil=True),
        _run("threads", 2, 1.1, cpu=1.0, python="3.13.15", free=False, gil=True),
        _run("processes", 2, 0.52, python="3.13.15", free=False, gil=True),
    ])
    interpreters = ({"label": "3.13.15t", "version": "3.13.15", "free_threaded_build": True, "gil_enabled": False},
                    {"label": "3.13.15", "version": "3.13.15", "free_threaded_build": False, "gil_enabled": True})
    suite = Suite(schema_version=3, harness_version="t", created="now", machine={"logical_cpus": 2},
                  python={"version": "3.11.7", "gil_enabled": True}, config={"repeat": 1}, runs=tuple(runs),
                  interpreters=interpreters)
    build_report(suite, str(tmp_path))
    names = {p.name for p in tmp_path.iterdir()}
    assert {"build-model.png", "speedup-py3.13.15t.png", "speedup-py3.13.15.png"} <= names
    assert "speedup.png" not in names  # a figure mixing both interpreters would be wrong
    page = (tmp_path / "report.html").read_text()
    assert "3.13.15t (free-threaded, GIL off)" in page and "3.13.15 (GIL build)" in page
    assert "Build × model" in page and "Single-thread cost" in page
    summary = (tmp_path / "summary.md").read_text()
    assert "| model | workers | Python 3.13.15t | Python 3.13.15 |" in summary
    assert "| threads | 2 | 1.94× | 0.91× |" in summary


def test_build_model_on_one_baseline_shows_every_panels_lines():
    """Every panel of the common-baseline figure reaches the sweep's highest point: a limit set
    panel by panel once froze the shared axis at the first panel's top (serial: 1.0x)."""
    from types import SimpleNamespace

    from harness.report.plots_matrix import matrix_baseline_figure

    runs = attach_speedups([_run("serial", 1, 1.0, python="3.11.7", free=False, gil=True),
                            _run("threads", 2, 1.1, cpu=1.0, python="3.11.7", free=False, gil=True),
                            _run("processes", 2, 0.52, python="3.11.7", free=False, gil=True),
                            _run("serial", 1, 1.2), _run("threads", 2, 0.62), _run("processes", 2, 0.61)])
    runs = [r.replace(baseline_speedup=1.0 / r.median_s) for r in runs]
    fig, _caption = matrix_baseline_figure(SimpleNamespace(runs=tuple(runs)))
    tops = [ax.get_ylim()[1] for ax in fig.axes if ax.get_visible() and ax.lines]
    assert tops and all(top >= 1.0 / 0.52 for top in tops), tops
