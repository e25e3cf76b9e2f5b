"""Map workloads as a user meets them: ``harness run --workload MODULE:FUNCTION --items MODULE:PROVIDER``.

Every backend that runs maps, under every start method, computes a user's function exactly, with
the static split and with chunks from a shared queue, and keeps its chunk bookkeeping straight;
results that differ from serial's are caught, naming the item; bad input is refused with one line
and exit 2 before anything is written; the built-in map workloads run exactly; a module's CHECK
replaces equality; an interrupted map sweep resumes.

The user's functions live in tests/map_user_module.py, imported as ``tests.map_user_module`` (the
repository root is on PYTHONPATH, and worker processes inherit it under spawn and forkserver too);
modules whose CHECK applies to all their functions are written to a temporary folder, as
tests/test_user_workload.py does. Tiny n, one repeat, no warm-up, no sampler: no assertion here
depends on the machine's speed.

Four of these tests found bugs, since fixed: the transfer estimate crashed a sweep whose items
or results do not pickle (serial, threads); a result that does not pickle under processes
failed silently in the Queue's feeder thread; a SIGINT inside a journal append saved a run the
journal lacked; static threads could take each other's chunks.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections import Counter

import pytest

from harness.execution.backends import availability
from harness.results.journal import read_journal
from harness.results.storage import RESULTS_NAME, load_suite
from tests._processes import REPO, cli_env, signal_at_pause

M = "tests.map_user_module"
START_METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]
# Every stdlib backend that runs map workloads (the shared-total ones refuse them).
MAP_BACKENDS = ("serial", "threads", "processes", "pool", "pool-async", "thread-executor", "process-executor")
PROCESS_BACKENDS = ("processes", "pool", "pool-async", "process-executor")
IN_PROCESS_BACKENDS = ("serial", "threads", "thread-executor")
SHARED_BACKENDS = ("shared", "shared-nolock", "threads-shared", "threads-nolock")
QUICK = ("--repeat", "1", "--warmup", "0", "--no-sampling", "--no-report", "--workers", "2")

# Modules whose CHECK covers every function in them, so each gets a file of its own.
TOLERANT_MODULE = textwrap.dedent('''
    """Results within 0.5 of serial's count as the same."""
    import multiprocessing

    def CHECK(expected, got):
        return abs(expected - got) < 0.5

    def numbers(n):
        return list(range(n))

    def nudged(x):
        # 0.1 more in a worker process multiprocessing started than in the harness itself.
        return x + (0.1 if multiprocessing.parent_process() is not None else 0.0)
''')
CHECK_RAISES_MODULE = textwrap.dedent('''
    """A CHECK that raises (its message spans two lines)."""

    def CHECK(expected, got):
        raise RuntimeError("tolerance  unknown\\nhere")

    def numbers(n):
        return list(range(n))

    def double(x):
        return 2 * x
''')


def run_harness(*args, path=None, timeout=120):
    """``python -m harness ARGS`` with this worktree (and ``path``, a folder of user modules) first
    on PYTHONPATH, so the harness and every worker process import the same code."""
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], cwd=REPO,
                          env=cli_env(str(path) if path else None), capture_output=True, text=True,
                          timeout=timeout)


def runs_of(out) -> list[dict]:
    return json.loads((out / RESULTS_NAME).read_text())["runs"]


def snapshot(folder) -> dict:
    """Every file under ``folder``, by relative path, with its bytes."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            full = os.path.join(root, name)
            with open(full, "rb") as handle:
                files[os.path.relpath(full, folder)] = handle.read()
    return files


def assert_no_traceback(result):
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr


def assert_chunk_bookkeeping(run: dict) -> None:
    """chunks and chunk_items follow from n, the workers and the chunksize; every item is counted
    once, by at most ``workers`` workers."""
    n, workers, size = run["n"], run["workers"], run["chunksize"]
    where = f"{run['backend']} cs={size} n={n}: {run}"
    assert run["workload_kind"] == "map", where
    if size == "static":
        assert run["chunk_items"] == max(1, math.ceil(n / workers)), where
        assert run["chunks"] == workers, where  # one block per worker, empty ones included
    else:
        expected_items = size if size != "auto" else max(1, math.ceil(n / (4 * workers)))
        assert run["chunk_items"] == expected_items, where
        assert run["chunks"] == math.ceil(n / run["chunk_items"]), where
    assert sum(run["worker_items"]) == n, where
    assert 1 <= len(run["worker_items"]) <= workers, where


def planned(backends, chunksizes) -> set:
    """(backend, chunksize) of every configuration: serial runs the static split only."""
    return {(b, "static") if b == "serial" else (b, c) for b in backends for c in chunksizes}


# -- 1. every backend x start method, static and chunked ---------------------------------------

@pytest.mark.parametrize("start_method", START_METHODS)
def test_a_users_map_function_runs_exactly_under_every_backend_and_start_method(tmp_path, start_method):
    # n=7 over 2 workers: static blocks of 4 and 3; chunks of 2 are 4 chunks from the shared queue.
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--workload", f"{M}:describe", "--items", f"{M}:records", "--n", 7,
                     "--backends", ",".join(MAP_BACKENDS), "--chunksize", "static,2",
                     "--start-method", start_method, "--out", out)
    assert result.returncode == 0, result.stderr
    assert_no_traceback(result)
    assert "pool cs=2" in result.stdout and "process-executor cs=2" in result.stdout  # the series in the table
    runs = runs_of(out)
    assert len(runs) == len(planned(MAP_BACKENDS, ("static", 2)))
    assert {(r["backend"], r["chunksize"]) for r in runs} == planned(MAP_BACKENDS, ("static", 2))
    for run in runs:
        assert run["status"] == "ok" and run["result_ok"] is True and run["error"] is None, run
        assert run["workload"] == f"{M}:describe"
        assert run["start_method"] == (start_method if run["backend"] in PROCESS_BACKENDS else None), run
        assert_chunk_bookkeeping(run)
    static_processes = next(r for r in runs if r["backend"] == "processes" and r["chunksize"] == "static")
    assert sorted(static_processes["worker_items"]) == [3, 4]  # a process per block, each its own


@pytest.mark.parametrize("backend", ["loky", "dask"])
def test_a_users_map_function_runs_exactly_under_loky_and_dask(tmp_path, backend):
    reason = availability(backend)
    if reason:
        pytest.skip(f"{backend}: {reason}")
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--quiet", "--workload", f"{M}:describe", "--items", f"{M}:records",
                     "--n", 7, "--backends", f"serial,{backend}", "--chunksize", "static,2", "--out", out)
    assert result.returncode == 0, result.stderr
    assert_no_traceback(result)
    runs = runs_of(out)
    assert {(r["backend"], r["chunksize"]) for r in runs} == planned(("serial", backend), ("static", 2))
    for run in runs:
        assert run["status"] == "ok" and run["result_ok"] is True and run["error"] is None, run
        assert_chunk_bookkeeping(run)


# -- 2. wrong results are caught ---------------------------------------------------------------

def test_a_result_that_depends_on_the_process_is_caught_naming_item_0(tmp_path):
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--workload", f"{M}:pid_of", "--items", f"{M}:records", "--n", 5,
                     "--backends", ",".join(MAP_BACKENDS), "--chunksize", "static,2", "--out", out)
    assert result.returncode == 1, result.stderr
    assert_no_traceback(result)
    assert "WRONG RESULT" in result.stdout
    runs = runs_of(out)
    assert {(r["backend"], r["chunksize"]) for r in runs} == planned(MAP_BACKENDS, ("static", 2))
    serial_pids = set()
    for run in runs:
        assert run["status"] == "ok", run  # it ran; its results are wrong
        if run["backend"] in IN_PROCESS_BACKENDS:  # the harness's own pid, as serial's
            assert run["result_ok"] is True and run["error"] is None, run
            continue
        assert run["result_ok"] is False, run
        found = re.fullmatch(r"wrong result: item 0 differs from serial's \(expected (\d+), got (\d+)\)",
                             run["error"] or "")
        assert found, run["error"]
        assert found.group(1) != found.group(2)
        serial_pids.add(found.group(1))
        assert any(run["error"] in warning for warning in run["warnings"]), run["warnings"]
    assert len(serial_pids) == 1  # every run compared with the same serial results


def test_equality_is_the_default_check_so_a_float_off_by_0_1_in_workers_is_wrong(tmp_path):
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--quiet", "--workload", f"{M}:in_child", "--items", f"{M}:records",
                     "--n", 4, "--backends", "serial,threads,processes,pool", "--out", out)
    assert result.returncode == 1, result.stderr
    by_backend = {r["backend"]: r for r in runs_of(out)}
    assert by_backend["serial"]["result_ok"] is True and by_backend["threads"]["result_ok"] is True
    for backend in ("processes", "pool"):
        assert by_backend[backend]["result_ok"] is False
        assert by_backend[backend]["error"] == "wrong result: item 0 differs from serial's (expected 0.0, got 0.1)"


# -- 5. a module's CHECK replaces equality -----------------------------------------------------

def test_a_modules_check_accepts_results_within_its_tolerance(tmp_path):
    folder = tmp_path / "mods"
    folder.mkdir()
    (folder / "map_tolerant.py").write_text(TOLERANT_MODULE)
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--quiet", "--workload", "map_tolerant:nudged", "--items",
                     "map_tolerant:numbers", "--n", 5, "--backends", "serial,threads,processes,pool,process-executor",
                     "--chunksize", "static,2", "--out", out, path=folder)
    assert result.returncode == 0, result.stderr
    runs = runs_of(out)
    assert len(runs) == 9
    assert all(r["status"] == "ok" and r["result_ok"] is True and r["error"] is None for r in runs), runs


# -- 3. bad input ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def previous_run(tmp_path_factory):
    """A folder holding a finished map run (results.json, runs.jsonl) and a note of the user's."""
    out = tmp_path_factory.mktemp("previous") / "out"
    done = run_harness("run", *QUICK, "--quiet", "--workload", f"{M}:describe", "--items", f"{M}:records",
                   "--n", 3, "--backends", "serial", "--out", out)
    assert done.returncode == 0, done.stderr
    (out / "notes.txt").write_text("the user's own file\n")
    return out


BAD_INPUT = [
    pytest.param(["--workload", "poly", "--items", f"{M}:records"],
                 "--items: poly is a range workload", id="items-with-a-range-workload"),
    pytest.param(["--workload", "imbalanced", "--items", f"{M}:records"], "--items: imbalanced",
                 id="items-with-a-builtin-map-workload"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:raising"],
                 "raised for n=5: ValueError: no items today for 5", id="provider-raises"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:generator"], "returned generator",
                 id="provider-returns-a-generator"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:an_int"], "returned int",
                 id="provider-returns-an-int"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:one_short"], "returned 4 items for n=5",
                 id="provider-returns-the-wrong-length"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:no_such_provider"], "no_such_provider",
                 id="provider-missing"),
    pytest.param(["--workload", f"{M}:describe", "--items", "records"], "MODULE:PROVIDER",
                 id="provider-not-module-colon-name"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:records", "--chunksize", "0"], "--chunksize",
                 id="chunksize-0"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:records", "--chunksize", "-1"], "--chunksize",
                 id="chunksize-negative"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:records", "--chunksize", "x"], "--chunksize",
                 id="chunksize-x"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:records", "--chunksize", "2,,auto"],
                 "--chunksize", id="chunksize-empty-item"),
    *[pytest.param(["--workload", "imbalanced", "--backends", backend], "additive range workloads",
                   id=f"{backend}-alone") for backend in SHARED_BACKENDS],
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:records", "--backends", "serial,pool,shared"],
                 "additive range workloads", id="shared-beside-others"),
    pytest.param(["--workload", "imbalanced", "--scaling", "weak"], "--scaling", id="weak-builtin-map"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:records", "--scaling", "weak"], "--scaling",
                 id="weak-user-map"),
    pytest.param(["--workload", "imbalanced", "--payload-bytes", "1000"], "--payload-bytes",
                 id="payload-bytes-with-imbalanced"),
    pytest.param(["--workload", "poly", "--payload-bytes", "1000"], "--payload-bytes", id="payload-bytes-with-poly"),
    pytest.param(["--workload", f"{M}:describe", "--items", f"{M}:records", "--payload-bytes", "1000"],
                 "--payload-bytes", id="payload-bytes-with-a-user-map"),
    pytest.param(["--workload", "payload", "--payload-bytes", "0"], "--payload-bytes", id="payload-bytes-0"),
]


@pytest.mark.parametrize("args, fragment", BAD_INPUT)
def test_bad_map_input_exits_2_with_one_line_and_leaves_the_out_folder_alone(tmp_path, previous_run, args,
                                                                            fragment):
    out = tmp_path / "out"
    shutil.copytree(previous_run, out)
    before = snapshot(out)
    result = run_harness("run", "--n", 5, "--backends", "serial,threads", *QUICK, "--quiet", *args, "--out", out)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0], lines[0]
    assert "already holds" not in lines[0]  # refused for the bad input itself, before the folder is looked at
    assert_no_traceback(result)
    assert snapshot(out) == before


def test_bad_map_input_creates_no_out_folder(tmp_path):
    out = tmp_path / "new"
    result = run_harness("run", *QUICK, "--quiet", "--workload", f"{M}:describe", "--items", f"{M}:one_short",
                     "--n", 5, "--out", out)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not out.exists()


def test_the_default_backend_list_leaves_the_shared_totals_out_of_a_map_sweep(tmp_path):
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--quiet", "--workload", "poly-items", "--n", 6, "--out", out)
    assert result.returncode == 0, result.stderr
    backends = {r["backend"] for r in runs_of(out)}
    assert "shared" not in backends and {"serial", "pool"} <= backends
    assert all(r["status"] == "ok" and r["result_ok"] is True for r in runs_of(out))


def test_unpicklable_items_fail_the_process_backends_naming_the_item(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("kept\n")
    result = run_harness("run", *QUICK, "--quiet", "--workload", f"{M}:under_lock", "--items", f"{M}:locked",
                     "--n", 4, "--backends", ",".join(PROCESS_BACKENDS), "--chunksize", "static,2", "--out", out)
    assert result.returncode == 1, result.stderr
    assert_no_traceback(result)
    runs = runs_of(out)
    assert len(runs) == 8
    for run in runs:
        assert run["status"] == "failed", run
        assert run["error"].startswith("item 0 cannot be pickled: TypeError:"), run["error"]
        assert "lock" in run["error"] and "pickled" in run["error"]
    assert (out / "notes.txt").read_text() == "kept\n"


def test_unpicklable_items_run_fine_under_threads_beside_failing_process_backends(tmp_path):
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--quiet", "--workload", f"{M}:under_lock", "--items", f"{M}:locked",
                     "--n", 4, "--backends", "serial,threads,thread-executor,processes,pool", "--out", out)
    assert_no_traceback(result)
    assert result.returncode == 1, result.stderr
    by_backend = {r["backend"]: r for r in runs_of(out)}
    for backend in IN_PROCESS_BACKENDS:
        assert by_backend[backend]["status"] == "ok" and by_backend[backend]["result_ok"] is True
        assert by_backend[backend]["serialisation_s"] is None
    for backend in ("processes", "pool"):
        assert by_backend[backend]["status"] == "failed"
        assert "item 0 cannot be pickled" in by_backend[backend]["error"]


def test_unpicklable_results_run_fine_in_process(tmp_path):
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--quiet", "--workload", f"{M}:unpicklable_result", "--items",
                     f"{M}:records", "--n", 4, "--backends", "serial,threads", "--out", out)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert all(r["status"] == "ok" and r["result_ok"] is True for r in runs_of(out))


def test_unpicklable_results_fail_the_processes_backend_naming_pickling(tmp_path):
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--quiet", "--workload", f"{M}:unpicklable_result", "--items",
                     f"{M}:records", "--n", 4, "--backends", "processes", "--out", out)
    assert result.returncode == 1, result.stderr
    (run,) = runs_of(out)
    assert run["status"] == "failed"
    assert "pickle" in run["error"], run["error"]
    assert_no_traceback(result)


def test_a_check_that_raises_fails_the_run_naming_the_item(tmp_path):
    folder = tmp_path / "mods"
    folder.mkdir()
    (folder / "map_check_raises.py").write_text(CHECK_RAISES_MODULE)
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--quiet", "--workload", "map_check_raises:double", "--items",
                     "map_check_raises:numbers", "--n", 4, "--backends", "serial,threads,pool", "--out", out,
                     path=folder)
    assert result.returncode == 1, result.stderr
    assert_no_traceback(result)
    runs = runs_of(out)
    assert len(runs) == 3
    for run in runs:
        assert run["status"] == "failed", run
        assert run["error"] == "CHECK raised on item 0: RuntimeError: tolerance unknown here", run["error"]


# -- 4. the built-in map workloads ---------------------------------------------------------------

@pytest.mark.parametrize("workload, extra", [("imbalanced", []), ("payload", ["--payload-bytes", "1000"]),
                                             ("poly-items", [])])
def test_builtin_map_workloads_run_exactly(tmp_path, workload, extra):
    out = tmp_path / "out"
    result = run_harness("run", *QUICK, "--quiet", "--workload", workload, *extra, "--n", 9,
                     "--backends", "serial,threads,pool", "--chunksize", "static,2", "--out", out)
    assert result.returncode == 0, result.stderr
    runs = runs_of(out)
    assert {(r["backend"], r["chunksize"]) for r in runs} == planned(("serial", "threads", "pool"), ("static", 2))
    for run in runs:
        assert run["workload"] == workload
        assert run["status"] == "ok" and run["result_ok"] is True and run["error"] is None, run
        assert_chunk_bookkeeping(run)
        if workload == "payload":
            # 1000 bytes in and out, plus the pickle's framing of (i, bytes) and bytes.
            assert 1000 <= run["bytes_in_per_item"] <= 1064, run
            assert 1000 <= run["bytes_out_per_item"] <= 1064, run
        else:
            assert 0 < run["bytes_in_per_item"] < 100
        if run["backend"] == "pool":
            assert run["serialisation_s"] is not None and run["serialisation_s"] >= 0
        else:
            assert run["serialisation_s"] is None, run
    if workload == "payload":
        assert json.loads((out / RESULTS_NAME).read_text())["config"]["payload_bytes"] == 1000


# -- 6. resume ---------------------------------------------------------------------------------

RESUME_SWEEP = ["run", *QUICK, "--quiet", "--no-interleave", "--workload", f"{M}:describe", "--items",
                f"{M}:records", "--n", 10, "--backends", "serial,threads,pool", "--chunksize", "1,auto"]
RESUME_PLANNED = planned(("serial", "threads", "pool"), (1, "auto"))


@pytest.fixture(scope="module")
def interrupted_and_resumed(tmp_path_factory):
    """A map sweep SIGINTed just before its second run is journaled (the first, serial, is), then
    resumed: what was on disk after the interrupt, and after the resume."""
    base = tmp_path_factory.mktemp("resume")
    out, marker = base / "out", base / "paused"
    code, stderr = signal_at_pause([*RESUME_SWEEP, "--out", out], "journal-before:2", marker)
    state = dict(out=out, code=code, stderr=stderr, journal=read_journal(str(out)),
                 saved=load_suite(str(out / RESULTS_NAME)))
    state["resumed"] = run_harness("run", "--resume", out, "--quiet", "--no-report")
    state["final"] = load_suite(str(out / RESULTS_NAME))
    state["final_journal"] = read_journal(str(out))
    return state


def test_an_interrupted_map_sweep_resumes_with_every_configuration_once(interrupted_and_resumed):
    state = interrupted_and_resumed
    assert state["code"] == 130, state["stderr"]
    assert "Traceback" not in state["stderr"] and "--resume" in state["stderr"], state["stderr"]
    assert [r.backend for r in state["journal"]] == ["serial"]
    assert state["saved"].complete is False

    resumed = state["resumed"]
    assert resumed.returncode == 0, resumed.stderr
    assert_no_traceback(resumed)
    final = state["final"]
    assert final.complete is True
    assert final.config["items"] == f"{M}:records" and final.config["chunksize"] == [1, "auto"]
    keys = [r.key for r in final.runs]
    assert len(keys) == len(set(keys)) == len(RESUME_PLANNED)
    assert {(r.backend, r.chunksize) for r in final.runs} == RESUME_PLANNED
    for run in final.runs:
        assert run.status == "ok" and run.result_ok is True, run
        if run.backend != "serial":
            assert run.key.chunksize == run.chunksize  # the chunksize is part of the key
            assert run.chunks == (10 if run.chunksize == 1 else 5)  # auto: ceil(10 / 8) = 2 items a chunk
    # The journaled serial run was not measured again, and the journal holds each run once.
    serial = next(r for r in final.runs if r.backend == "serial")
    assert serial.times_s == state["journal"][0].times_s
    assert Counter(r.key for r in state["final_journal"]) == Counter(keys)


def test_an_interrupted_sweep_saves_only_journaled_runs(interrupted_and_resumed):
    state = interrupted_and_resumed
    saved = {r.key: r.times_s for r in state["saved"].runs}
    journaled = {r.key for r in state["journal"]}
    assert set(saved) <= journaled, f"results.json holds runs the journal lacks: {set(saved) - journaled}"
    final = {r.key: r.times_s for r in state["final"].runs}
    assert all(final[key] == times for key, times in saved.items()), "a saved run was measured again"
