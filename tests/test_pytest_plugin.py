"""The pytest plugin (harness.pytest_plugin): a user's test file run by a real pytest in a subprocess.

Each inner session runs a real, tiny sweep (a few small items, repeat 1 or 2, workers 1 and 2),
so these tests check what the plugin writes and says, never how fast anything was.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap

import pytest

from harness.pytest_plugin import Concurrency, _SweepRecord, benchmark_stats
from harness.results.model import CpuLoad, RunResult, Suite

pytest_plugins = ["pytester"]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TOP_LEVEL = {"machine_info", "commit_info", "benchmarks", "datetime", "version"}
ENTRY_KEYS = {"group", "name", "fullname", "params", "param", "extra_info", "options", "stats"}
STATS_KEYS = {"min", "max", "mean", "stddev", "rounds", "median", "iqr", "q1", "q3", "iqr_outliers",
              "stddev_outliers", "outliers", "ld15iqr", "hd15iqr", "ops", "total", "data", "iterations"}
EXTRA_KEYS = {"backend", "workers", "chunksize", "speedup", "busy_cores", "efficiency", "result_ok"}

USER_TESTS = textwrap.dedent('''
    import json
    import os

    def render_row(n):
        return sum(i * i for i in range(n))

    ROWS = [200 + i for i in range(24)]

    def test_render(concurrency):
        suite = concurrency.sweep(render_row, ROWS, backends=["serial", "threads", "pool"], workers=[1, 2],
                                  chunksize=["static", 8], repeat=2, warmup=0)
        concurrency.assert_correct()
        assert len(suite.runs) == 9  # serial once; threads and pool at w1, w2 x static, 8
        assert concurrency.best().status == "ok"
        assert concurrency.run("pool", 2, 8).chunk_items == 8
        assert concurrency.speedup("serial") == 1.0
        assert set(concurrency.dataframe()["backend"]) == {"serial", "threads", "pool"}
''')


def _plugin_args() -> list[str]:
    """``-p harness.pytest_plugin`` unless pytest loads it by its entry point already (harness
    installed from a pyproject that declares it); both would register the module twice."""
    from importlib.metadata import entry_points

    autoload = not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    declared = any(ep.value == "harness.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if autoload and declared else ["-p", "harness.pytest_plugin"]


@pytest.fixture
def inner(pytester, monkeypatch):
    """Run pytest in a subprocess over the user's files, importing this checkout's harness."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p))

    def run(*args):
        return pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider", *map(str, args),
                                             timeout=240)

    return run


def _load(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _compare(path, tmp_path) -> list[dict]:
    """``pytest-benchmark compare PATH --csv``: it must load the file; the CSV's rows."""
    out = tmp_path / "compare.csv"
    done = subprocess.run([sys.executable, "-m", "pytest_benchmark", "compare", str(path), f"--csv={out}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Failed to load" not in done.stdout + done.stderr  # compare only warns on a bad file
    with open(out, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_sweep_writes_pytest_benchmark_json_that_compare_reads(pytester, inner, tmp_path):
    pytester.makepyfile(test_user=USER_TESTS)
    result = inner("--concurrency-json=results/concurrency.json")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*= harness concurrency =*",
                                 "test_user.py::test_render: best *[[]9 runs[]]",
                                 "wrote 9 benchmark entries (pytest-benchmark JSON) to *concurrency.json"])

    document = _load(pytester.path / "results" / "concurrency.json")
    assert TOP_LEVEL <= set(document)
    assert {"node", "machine", "python_version", "python_implementation", "system", "cpu"} <= set(
        document["machine_info"])
    assert {"id", "dirty", "project", "branch"} <= set(document["commit_info"])
    entries = document["benchmarks"]
    expected = {"serial-w1"} | {f"{b}-w{w}{cs}" for b in ("threads", "pool") for w in (1, 2) for cs in ("", "-cs8")}
    assert sorted(e["param"] for e in entries) == sorted(expected)
    for entry in entries:
        assert ENTRY_KEYS <= set(entry)
        assert entry["name"] == f"test_render[{entry['param']}]"
        assert entry["fullname"] == f"test_user.py::test_render[{entry['param']}]"
        assert entry["group"] == "test_user.py::test_render"
        assert STATS_KEYS <= set(entry["stats"])
        assert entry["stats"]["rounds"] == len(entry["stats"]["data"]) == 2
        assert entry["stats"]["iterations"] == 1
        assert entry["stats"]["min"] <= entry["stats"]["median"] <= entry["stats"]["max"]
        extra = entry["extra_info"]
        assert EXTRA_KEYS <= set(extra)
        assert extra["result_ok"] is True and extra["status"] == "ok"
        assert entry["params"] == {"backend": extra["backend"], "workers": extra["workers"],
                                   "chunksize": extra["chunksize"]}
        assert extra["chunksize"] in ("static", 8)
        assert extra["speedup"] > 0
        if sys.platform == "linux":  # the sampler reads PSS/USS there; elsewhere memory may be missing
            assert extra["memory_peak_bytes"] > 0 and extra["memory_metric"] in ("uss", "pss", "rss")
    serial = next(e for e in entries if e["param"] == "serial-w1")
    assert serial["extra_info"]["speedup"] == 1.0

    rows = _compare(pytester.path / "results" / "concurrency.json", tmp_path)
    assert sorted(row["name"] for row in rows) == sorted(e["fullname"] for e in entries)


def test_no_file_unless_asked(pytester, inner):
    pytester.makepyfile(test_user=textwrap.dedent('''
        def test_small(concurrency):
            concurrency.sweep(abs, [-3, -2, -1, 0, 1], backends=["serial", "threads"], workers=[2], repeat=1,
                              warmup=0)
    '''))
    result = inner()
    result.assert_outcomes(passed=1)
    assert not list(pytester.path.rglob("*.json"))
    result.stdout.fnmatch_lines(["test_user.py::test_small: best *[[]2 runs[]]"])
    assert "wrote" not in result.stdout.str()


def test_a_session_without_sweeps_keeps_the_previous_file(pytester, inner):
    pytester.makepyfile(test_user="def test_plain():\n    pass\n")
    (pytester.path / "kept.json").write_text('{"benchmarks": ["from before"]}')
    result = inner("--concurrency-json=kept.json")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["no sweep ran: *kept.json not written"])
    assert _load(pytester.path / "kept.json") == {"benchmarks": ["from before"]}


def test_quick_mode_and_several_sweeps_in_a_parametrized_test(pytester, inner, tmp_path):
    """--concurrency-quick overrides repeat=; two sweeps in one test keep apart by name; without
    pytest-benchmark loaded the plugin makes machine_info and commit_info itself."""
    pytester.makepyfile(test_user=textwrap.dedent('''
        import pytest

        def square(x):
            return x * x

        @pytest.mark.parametrize("size", [4, 6])
        def test_twice(concurrency, size):
            concurrency.sweep(square, range(size), backends=["serial", "threads"], workers=[1, 2], repeat=3)
            concurrency.sweep(square, range(size), backends=["serial", "threads"], workers=[2], repeat=3,
                              name="again")
            assert concurrency.quick
            assert len(concurrency.suites) == 2
            assert all(len(r.times_s) == 1 for s in concurrency.suites for r in s.runs)
    '''))
    result = inner("-p", "no:benchmark", "--concurrency-quick", "--concurrency-json=q.json")
    result.assert_outcomes(passed=2)
    document = _load(pytester.path / "q.json")
    assert TOP_LEVEL <= set(document)
    assert {"node", "machine", "python_version", "cpu"} <= set(document["machine_info"])
    names = [e["name"] for e in document["benchmarks"]]
    assert len(names) == len(set(names)) == 2 * (3 + 2)
    assert "test_twice[4-sweep1-threads-w2]" in names
    assert "test_twice[6-again-threads-w2]" in names
    groups = {e["group"] for e in document["benchmarks"]}
    assert groups == {f"test_user.py::test_twice[{s}] {label}" for s in (4, 6) for label in ("sweep1", "again")}
    for entry in document["benchmarks"]:
        assert entry["options"]["quick"] is True
        assert entry["options"]["repeat"] == 1 and entry["options"]["warmup"] == 0
        assert entry["stats"]["rounds"] == 1
        assert entry["params"]["size"] in (4, 6)
    result.stdout.fnmatch_lines(["test_user.py::test_twice[[]4[]] (again): best *quick[]]"])
    assert len(_compare(pytester.path / "q.json", tmp_path)) == len(names)


def test_benchmark_json_gets_the_sweeps_with_and_without_native_benchmarks(pytester, inner):
    pytester.makepyfile(
        test_user=textwrap.dedent('''
            def test_small(concurrency):
                concurrency.sweep(abs, [-2, -1, 0, 1], backends=["serial", "threads"], workers=[2], repeat=1,
                                  warmup=0)
        '''),
        test_native=textwrap.dedent('''
            def test_native(benchmark):
                benchmark.pedantic(sum, args=(range(10),), rounds=2)
        '''),
    )
    result = inner("--benchmark-json=both.json")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["added 2 benchmark entries to pytest-benchmark's JSON"])
    both = _load(pytester.path / "both.json")
    assert sorted(e["name"] for e in both["benchmarks"]) == ["test_native", "test_small[serial-w1]",
                                                            "test_small[threads-w2]"]

    result = inner("--benchmark-json=alone.json", "test_user.py")  # pytest-benchmark has nothing to write
    result.assert_outcomes(passed=1)
    alone = _load(pytester.path / "alone.json")
    assert TOP_LEVEL <= set(alone)
    assert sorted(e["name"] for e in alone["benchmarks"]) == ["test_small[serial-w1]", "test_small[threads-w2]"]


def test_benchmark_only_runs_sweeps_and_benchmark_skip_skips_them(pytester, inner):
    pytester.makepyfile(test_user=textwrap.dedent('''
        def test_small(concurrency):
            concurrency.sweep(abs, [-1, 0, 1], backends=["serial"], repeat=1, warmup=0)

        def test_plain():
            pass
    '''))
    inner("--benchmark-only").assert_outcomes(passed=1, skipped=1)
    skipped = inner("--benchmark-skip", "-rs")
    skipped.assert_outcomes(passed=1, skipped=1)
    skipped.stdout.fnmatch_lines(["*--benchmark-skip*"])


def test_benchmark_disable_means_quick(pytester, inner):
    pytester.makepyfile(test_user=textwrap.dedent('''
        def test_small(concurrency):
            suite = concurrency.sweep(abs, [-1, 0, 1], backends=["serial", "threads"], workers=[2], repeat=4)
            assert concurrency.quick and all(len(r.times_s) == 1 for r in suite.runs)
    '''))
    inner("--benchmark-disable", "--concurrency-json=d.json").assert_outcomes(passed=1)
    assert all(e["options"]["quick"] for e in _load(pytester.path / "d.json")["benchmarks"])


def test_failing_checks_explain_themselves_and_keep_their_entries(pytester, inner):
    pytester.makepyfile(test_user=textwrap.dedent('''
        import os

        def pid(x):
            return os.getpid()

        def test_wrong(concurrency):
            concurrency.sweep(pid, range(4), backends=["serial", "threads", "processes"], workers=[2],
                              repeat=1, warmup=0)
            assert [r.backend for r in concurrency.failures()] == ["processes"]
            assert concurrency.best("processes") is None  # raises: no processes run was right

        def test_lookup(concurrency):
            concurrency.sweep(abs, [-1, 0, 1], backends=["serial", "threads"], workers=[1, 2], repeat=1, warmup=0)
            concurrency.run("threads")

        def test_too_slow(concurrency):
            concurrency.sweep(abs, [-1, 0, 1], backends=["serial", "threads"], workers=[2], repeat=1, warmup=0)
            concurrency.assert_speedup(1e9, "threads")

        def test_before_any_sweep(concurrency):
            concurrency.best()
    '''))
    result = inner("--concurrency-json=f.json")
    result.assert_outcomes(failed=4)
    out = result.stdout.str()
    assert "no run of processes finished with serial's results" in out
    assert "WRONG: wrong result: item 0 differs from serial's" in out
    assert "2 runs of threads (give workers= and chunksize= to pick one); the runs: serial w1, threads w1, threads w2" in out
    assert "best speedup" in out and "is below 1e+09x" in out
    assert "no sweep yet" in out
    result.stdout.fnmatch_lines(["  ! processes w2: wrong result: item 0 differs from serial's*"])
    entries = _load(pytester.path / "f.json")["benchmarks"]  # failed tests' sweeps are still recorded
    wrong = [e for e in entries if e["name"] == "test_wrong[processes-w2]"]
    assert len(wrong) == 1 and wrong[0]["extra_info"]["result_ok"] is False
    assert "item 0" in wrong[0]["extra_info"]["error"]
    assert len(entries) == 3 + 3 + 2


def test_concurrency_out_keeps_results_and_report(pytester, inner):
    pytester.makepyfile(test_user=textwrap.dedent('''
        def test_small(concurrency):
            concurrency.sweep(abs, [-1, 0, 1, 2], backends=["serial", "threads"], workers=[2], repeat=1, warmup=0)
    '''))
    inner("--concurrency-out=kept").assert_outcomes(passed=1)
    kept = pytester.path / "kept" / "test_user.py_test_small"
    assert (kept / "results.json").is_file()
    assert (kept / "report.html").is_file()


def test_the_entry_point_loads_the_plugin(pytester, monkeypatch):
    """pyproject's pytest11 entry point, as an installed harness declares it, loads the plugin
    with no -p (a dist-info on PYTHONPATH stands in for the installed package's)."""
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        pytest.skip("PYTEST_DISABLE_PLUGIN_AUTOLOAD is set: no entry point loads")
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as fh:
        declared = tomllib.load(fh)["project"]["entry-points"]["pytest11"]
    assert declared == {"harness": "harness.pytest_plugin"}
    site = pytester.path / "site"
    info = site / "harness_entry_point_probe-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: harness-entry-point-probe\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\n" + "".join(f"{k} = {v}\n" for k, v in declared.items()))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(site), REPO, os.environ.get("PYTHONPATH")) if p))
    result = pytester.runpytest_subprocess("--help", timeout=120)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*--concurrency-json=PATH*"])


# --- without a subprocess ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [[0.5], [0.2, 0.1], [0.3, 0.1, 0.2], [0.4, 0.1, 0.3, 0.2],
                                  [0.5, 0.1, 0.4, 0.2, 0.3], [1.0, 0.1, 0.11, 0.12, 0.13, 0.14, 0.15],
                                  [0.2, 0.21, 0.22, 0.23, 0.24, 0.25, 0.26, 0.27, 3.0]])
def test_stats_are_pytest_benchmarks_own(data):
    from pytest_benchmark.stats import Stats

    theirs = Stats()
    for value in data:
        theirs.update(value)
    ours = benchmark_stats(data)
    assert {k: v for k, v in ours.items() if k not in ("data", "iterations")} == pytest.approx(theirs.as_dict())
    assert ours["outliers"] == theirs.outliers
    assert ours["data"] == data and ours["iterations"] == 1


def _run(backend, workers, median, *, chunksize="static", speedup=None, result_ok=True, status="ok", error=None):
    times = (median,) if status == "ok" else ()
    return RunResult(backend=backend, workers=workers, n=10, scaling="strong", workload="w", start_method="fork",
                     status=status, error=error, times_s=times, median_s=median if times else None,
                     speedup=speedup, result_ok=result_ok if status == "ok" else None, chunksize=chunksize,
                     cpu=CpuLoad(interval_s=0.1, mean_per_core=(50.0, 50.0), busy_cores=1.0))


def _fixture_with(*runs) -> Concurrency:
    suite = Suite(schema_version=4, harness_version="0", created="now", machine={}, python={}, config={},
                  runs=tuple(runs))
    fixture = Concurrency(node=None)
    fixture._sweeps.append(_SweepRecord(nodeid="t", suite=suite, label=None, group=None, quick=False))
    return fixture


def test_helpers_pick_and_explain():
    fixture = _fixture_with(
        _run("serial", 1, 1.0, speedup=1.0),
        _run("threads", 2, 0.9, speedup=1.1),
        _run("pool", 2, 0.4, speedup=2.5, chunksize=8),
        _run("pool", 2, 0.2, speedup=5.0, chunksize="auto", result_ok=False, error="wrong result: item 3 differs"),
        _run("processes", 2, 0.0, status="failed", error="boom"),
    )
    assert fixture.best() is fixture.runs[2]  # the faster pool cs=auto was wrong
    assert fixture.best("threads", "serial") is fixture.runs[1]
    assert fixture.best(workers=1).backend == "serial"
    assert fixture.run("pool", chunksize=8).speedup == 2.5
    assert fixture.speedup("pool", 2, "auto") == 5.0
    assert fixture.run("threads").workers == 2
    assert [r.backend for r in fixture.failures()] == ["pool", "processes"]
    assert fixture.assert_speedup(2.0) is fixture.runs[2]
    with pytest.raises(AssertionError, match=r"best speedup 1\.10x \(threads w2\) is below 2x") as raised:
        fixture.assert_speedup(2, "threads")
    assert "threads w2" in str(raised.value) and "pool" not in str(raised.value)
    with pytest.raises(AssertionError, match="2 of 5 runs failed or differ from serial") as raised:
        fixture.assert_correct()
    assert "WRONG: wrong result: item 3 differs" in str(raised.value) and "failed: boom" in str(raised.value)
    with pytest.raises(LookupError, match="no run of dask"):
        fixture.run("dask")
    with pytest.raises(LookupError, match="2 runs of pool w2"):
        fixture.run("pool", 2)
    with pytest.raises(AssertionError, match="no run of processes finished"):
        fixture.best("processes")


def test_assert_speedup_needs_serial():
    fixture = _fixture_with(_run("threads", 2, 0.5))
    with pytest.raises(AssertionError, match="needs the serial backend"):
        fixture.assert_speedup(1.0)
