"""harness.sweep(fn, items, ...): the one-call Python API, as a script, a test or a notebook calls it.

Small items, one timed repeat and no warm-up everywhere: these check what runs and what comes
back (statuses, result checks, errors, files), never how fast.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import pytest

import harness
from harness import SweepError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROCESS_BACKENDS = ["serial", "processes", "pool", "process-executor"]
QUICK = dict(repeat=1, warmup=0)


def square(x):
    return x * x


def _statuses(suite) -> list[list]:
    return [[r.series, r.status, r.result_ok] for r in suite.runs]


def _all_ok(rows) -> bool:
    return bool(rows) and all(status == "ok" and ok is True for _, status, ok in rows)


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_a_module_level_function_and_a_lambda_run_in_every_process_backend(start_method):
    for fn in (square, lambda x: x * 3 + 1):
        suite = harness.sweep(fn, range(10), backends=PROCESS_BACKENDS, workers=[2], start_method=start_method,
                              **QUICK)
        rows = _statuses(suite)
        assert [series for series, _, _ in rows] == PROCESS_BACKENDS
        assert _all_ok(rows), [(r.series, r.error) for r in suite.runs]
        assert {r.start_method for r in suite.runs if r.backend != "serial"} == {start_method}


SCRIPT = textwrap.dedent('''
    import json
    import sys

    import harness

    def cube(x):
        return x ** 3 - x

    if __name__ == "__main__":
        method = sys.argv[1]
        for fn in (cube, lambda x: (x, -x)):
            suite = harness.sweep(fn, list(range(12)), backends={backends!r}, workers=[2], repeat=1, warmup=0,
                                  start_method=method)
            print(json.dumps([[r.series, r.status, r.result_ok] for r in suite.runs]))
''')


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_functions_defined_in_main_run_under_spawn_and_forkserver(tmp_path, start_method):
    """A script's own function and lambda: workers that re-import __main__ (spawn) or start from
    a server that never imported it (forkserver) still get them, by value (cloudpickle)."""
    script = tmp_path / "user_script.py"
    script.write_text(SCRIPT.format(backends=PROCESS_BACKENDS))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p))
    done = subprocess.run([sys.executable, str(script), start_method], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == 2
    for rows in lines:
        assert [series for series, _, _ in rows] == PROCESS_BACKENDS
        assert _all_ok(rows), rows
    assert done.stderr == ""  # nothing printed by harness, nor by a worker that failed to start


def test_to_dataframe_has_one_row_per_run_and_the_columns_a_notebook_wants():
    suite = harness.sweep(square, range(16), backends=["serial", "threads", "pool"], workers=[1, 2],
                          chunksize=["static", 4], **QUICK)
    frame = suite.to_dataframe()
    assert len(frame) == len(suite.runs) == 1 + 2 * 2 * 2
    first = ["backend", "series", "workers", "n", "chunksize", "median_s", "ci_lo_s", "ci_hi_s", "speedup",
             "efficiency", "busy_cores", "memory_peak_bytes", "status", "result_ok", "error"]
    assert list(frame.columns[: len(first)]) == first
    assert {"chunk_items", "chunks", "repeats", "worker_items", "bytes_in_per_item"} <= set(frame.columns)
    assert set(frame["series"]) == {"serial", "threads", "threads cs=4", "pool", "pool cs=4"}
    assert frame["result_ok"].all() and (frame["status"] == "ok").all() and (frame["n"] == 16).all()
    assert (frame["repeats"] == 1).all()
    assert frame.loc[frame["series"] == "pool cs=4", "chunk_items"].tolist() == [4, 4]


def test_an_empty_suite_still_has_the_columns():
    suite = harness.sweep(square, range(4), backends=["serial"], **QUICK)
    empty = suite.replace(runs=()).to_dataframe()
    assert len(empty) == 0 and "speedup" in empty.columns


def test_a_function_that_cannot_be_pickled_is_refused_in_one_line():
    numbers = (i for i in range(100))  # a generator: neither pickle nor cloudpickle can send it

    def next_number(x):
        return x + next(numbers)

    with pytest.raises(SweepError) as raised:
        harness.sweep(next_number, range(4), backends=["serial", "processes"], **QUICK)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("fn: ") and "next_number" in message and "cannot be serialised" in message
    assert "generator" in message


def test_not_callable_and_a_bad_check_are_refused():
    with pytest.raises(SweepError, match=r"^fn: int is not callable"):
        harness.sweep(3, range(4), backends=["serial"])
    with pytest.raises(SweepError, match=r"^check: str is not callable"):
        harness.sweep(square, range(4), backends=["serial"], check="==")


@pytest.mark.parametrize("kwargs, keyword", [
    (dict(workers=0), "workers"),
    (dict(workers=[1, 0]), "workers"),
    (dict(workers="x"), "workers"),
    (dict(chunksize=0), "chunksize"),
    (dict(chunksize="x"), "chunksize"),
    (dict(chunksize=["static", -2]), "chunksize"),
    (dict(backends=["nope"]), "backends"),
    (dict(backends="serial,nope"), "backends"),
    (dict(repeat=0), "repeat"),
    (dict(start_method="bogus"), "start_method"),
])
def test_bad_arguments_raise_sweeperror_naming_the_keyword(tmp_path, kwargs, keyword):
    out = tmp_path / "out"
    with pytest.raises(SweepError) as raised:
        harness.sweep(square, range(4), out=out, **{"backends": ["serial"], **kwargs})
    message = str(raised.value)
    assert message.startswith(f"{keyword}: "), message
    assert "\n" not in message and "--" not in message  # the keyword, not the CLI's flag
    assert isinstance(raised.value, ValueError)
    assert not out.exists()  # refused before anything was written


def _parent_pid_or_noise(x):
    """x / 3 in the process that started the test; off by 1e-12 in any other."""
    noise = 0.0 if os.getpid() == int(os.environ["HARNESS_TEST_PARENT_PID"]) else 1e-12
    return x / 3 + noise


def test_check_accepts_a_tolerance_for_floats(monkeypatch):
    monkeypatch.setenv("HARNESS_TEST_PARENT_PID", str(os.getpid()))
    items = [float(i + 1) for i in range(8)]
    strict = harness.sweep(_parent_pid_or_noise, items, backends=["serial", "threads", "processes"], workers=[2],
                           **QUICK)
    by_backend = {r.backend: r for r in strict.runs}
    assert by_backend["threads"].result_ok is True  # same process: exactly serial's floats
    assert by_backend["processes"].result_ok is False
    assert "item 0 differs" in by_backend["processes"].error

    close = harness.sweep(_parent_pid_or_noise, items, backends=["serial", "threads", "processes"], workers=[2],
                          check=lambda expected, got: math.isclose(expected, got, rel_tol=1e-9), **QUICK)
    assert [(r.backend, r.status, r.result_ok, r.error) for r in close.runs] == [
        ("serial", "ok", True, None), ("threads", "ok", True, None), ("processes", "ok", True, None)]


def _pid(x):
    return os.getpid()


def test_a_result_that_depends_on_the_process_is_caught_at_its_first_item():
    suite = harness.sweep(_pid, range(6), backends=["serial", "threads", "processes", "pool"], workers=[2], **QUICK)
    by_backend = {r.backend: r for r in suite.runs}
    assert by_backend["serial"].result_ok is True and by_backend["threads"].result_ok is True
    for backend in ("processes", "pool"):
        run = by_backend[backend]
        assert run.status == "ok" and run.result_ok is False
        assert "item 0" in run.error and "differs from serial" in run.error


def _fails_at_three(x):
    return 1 / (x - 3)


def test_an_exception_in_fn_fails_the_runs_and_names_the_item():
    suite = harness.sweep(_fails_at_three, range(6), backends=["serial", "threads"], workers=[2], **QUICK)
    assert [r.status for r in suite.runs] == ["failed"] * 2
    for run in suite.runs:
        assert run.error.startswith("item 3: ZeroDivisionError"), run.error


def test_an_exception_in_fn_fails_process_runs_too():
    # (A bug once: the pickle check computed serial's results in the parent, uncaught.)
    suite = harness.sweep(_fails_at_three, range(6), backends=["serial", "processes"], workers=[2], **QUICK)
    assert [r.status for r in suite.runs] == ["failed"] * 2
    for run in suite.runs:
        assert run.error.startswith("item 3: ZeroDivisionError"), run.error


@pytest.mark.parametrize("kwargs, keyword", [
    (dict(warmup="x"), "warmup"), (dict(timeout="x"), "timeout"), (dict(items=5), "items"),
    (dict(items=[]), "items"), (dict(items="abc"), "items"),
])
def test_bad_types_and_empty_items_are_refused_naming_the_keyword(kwargs, keyword):
    arguments = dict(items=range(3), backends=["serial"], workers=[1])
    arguments.update(kwargs)
    items = arguments.pop("items")
    with pytest.raises(harness.SweepError) as caught:
        harness.sweep(square, items, **arguments)
    text = str(caught.value)
    assert text.startswith(f"{keyword}:") and "\n" not in text, text


def test_out_keeps_results_json_and_build_report_writes_the_page(tmp_path):
    out = tmp_path / "kept"
    suite = harness.sweep(square, range(12), backends=["serial", "threads"], workers=[2], out=out, **QUICK)
    assert (out / "results.json").is_file()
    assert not (out / "report.html").exists()  # report=False by default
    again = harness.load_suite(out / "results.json")
    assert [r.key for r in again.runs] == [r.key for r in suite.runs]
    assert [r.times_s for r in again.runs] == [r.times_s for r in suite.runs]

    files = harness.build_report(suite, tmp_path / "page")
    assert os.path.basename(files[0]) == "report.html"
    assert (tmp_path / "page" / "report.html").is_file()
    assert all(os.path.exists(f) for f in files)


def test_without_out_nothing_is_left_behind(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    harness.sweep(square, range(4), backends=["serial", "threads"], workers=[2], **QUICK)
    assert list(tmp_path.iterdir()) == []


def test_report_true_writes_the_page_into_out(tmp_path):
    harness.sweep(square, range(8), backends=["serial", "threads"], workers=[2], out=tmp_path, report=True, **QUICK)
    assert (tmp_path / "results.json").is_file() and (tmp_path / "report.html").is_file()


def test_items_may_be_any_iterable_and_on_progress_follows():
    seen = []
    suite = harness.sweep(square, (i for i in range(5)), backends=["serial", "threads"], workers=[2],
                          on_progress=lambda done, total, label: seen.append((done, total)), **QUICK)
    assert {r.n for r in suite.runs} == {5}
    assert seen and seen[-1][0] == seen[-1][1]
