"""pytest plugin: the ``concurrency`` fixture, for a test that asks "does this pay off in parallel?".

Installed with harness (entry point ``pytest11: harness``), so any test can write::

    def test_render(concurrency):
        concurrency.sweep(render_row, rows, backends=["serial", "threads", "pool"], workers=[1, 2],
                          chunksize=["static", 8])
        concurrency.assert_correct()              # every run agreed with serial's results
        concurrency.assert_speedup(1.2, "pool")   # the best pool run beat serial by 1.2x
        assert concurrency.best().backend != "serial"

``concurrency.sweep(fn, items, **kwargs)`` takes :func:`harness.sweep`'s arguments (plus
``group=``: the pytest-benchmark group of its entries), runs it and returns the Suite; the
fixture remembers every suite of the test. The other helpers read the last one:

- ``suite``, ``suites``, ``runs``; ``dataframe()``; ``report(folder)`` (the HTML report);
- ``best(*backends, workers=None, chunksize=None)``: the fastest run that finished and whose
  results matched serial's (AssertionError when there is none);
- ``run(backend, workers=None, chunksize=None)``: the one run of that configuration
  (LookupError, naming the configurations there are, when it is not exactly one);
- ``speedup(backend, workers=None, chunksize=None)``: that run's speedup over serial;
- ``failures()``: the runs that did not finish or whose results differed from serial's;
- ``assert_correct()``, ``assert_speedup(at_least, *backends, workers=None, chunksize=None)``:
  assertions whose message lists every run considered, so a failure explains itself.

Command-line options:

``--concurrency-json=PATH``
    Write every run of every sweep as one entry of a pytest-benchmark JSON file (the schema
    ``pytest --benchmark-json`` writes; ``pytest-benchmark compare PATH`` reads it). **No file
    is written unless this is given**, as with ``--benchmark-json``: a test run should not
    leave files in the user's tree that nobody asked for, nor overwrite a file a previous run
    kept, and a CI job that wants the numbers names where it keeps them. Entries are named
    ``test_render[pool-w2-cs8]`` (backend, workers, chunksize when not the static split; the
    test's own parameters first; ``sweepN-`` or the sweep's ``name=`` first when a test sweeps
    more than once), grouped per test, with stats from the run's timed repeats and
    ``extra_info`` holding backend, workers, chunksize, speedup, efficiency, busy_cores,
    result_ok, memory and the rest.
``--concurrency-quick``
    One timed repeat and no warm-up in every sweep (overriding the test's ``repeat=`` and
    ``warmup=``): the sweep still runs every configuration and checks every result, fast. Also
    on with pytest-benchmark's ``--benchmark-disable``.
``--concurrency-out=DIR``
    Keep each sweep's results.json and HTML report in ``DIR/<test id>`` (a sweep given its own
    ``out=`` keeps that), to look at after a failing speedup assertion.

With pytest-benchmark active, the sweeps behave as its benchmarks do: ``--benchmark-only``
runs them (it would skip them as non-benchmarks otherwise), ``--benchmark-skip`` skips them,
and the files ``--benchmark-json`` / ``--benchmark-save`` write hold their entries too (with
``--benchmark-json`` and no ``benchmark`` test at all, this plugin writes that file itself).
Under pytest-xdist no file is written by a worker (each would overwrite the others').

The plugin prints nothing itself: a "harness concurrency" section of pytest's terminal
summary gives each sweep's best configuration and its speedup.
"""

from __future__ import annotations

import os

import pytest

from harness.pytest_plugin.fixture import Concurrency
from harness.pytest_plugin.fixture import SweepRecord as _SweepRecord  # noqa: F401 (its tests build one)
from harness.pytest_plugin.recorder import Recorder, summary_lines
from harness.report.benchmark_json import benchmark_document, benchmark_entries, benchmark_stats

__all__ = ["Concurrency", "benchmark_stats", "benchmark_entries", "benchmark_document"]


_RECORDER = pytest.StashKey[Recorder]()


# --- pytest hooks -----------------------------------------------------------------------------


def pytest_addoption(parser) -> None:
    group = parser.getgroup("harness concurrency", "harness concurrency (the concurrency fixture)")
    group.addoption("--concurrency-json", metavar="PATH", default=None,
                    help="write every sweep's runs to PATH as pytest-benchmark JSON (pytest-benchmark "
                         "compare reads it); default: no file")
    group.addoption("--concurrency-quick", action="store_true", default=False,
                    help="one timed repeat and no warm-up per configuration (also on with "
                         "--benchmark-disable)")
    group.addoption("--concurrency-out", metavar="DIR", default=None,
                    help="keep each sweep's results.json and HTML report in DIR/<test id>")


def pytest_configure(config) -> None:
    config.stash[_RECORDER] = Recorder()


def _benchmark_plugin(config) -> bool:
    """Whether pytest-benchmark is loaded (not -p no:benchmark) in this session."""
    return config.pluginmanager.hasplugin("benchmark")


def _option(config, name: str, default=None):
    try:
        return config.getoption(name)
    except ValueError:  # an option of a plugin that is not loaded
        return default


@pytest.hookimpl(trylast=True)  # after pytest-benchmark has marked its skips
def pytest_collection_modifyitems(config, items) -> None:
    """With pytest-benchmark, a sweep is a benchmark: --benchmark-only runs it, --benchmark-skip
    skips it."""
    if not _benchmark_plugin(config):
        return
    only = _option(config, "benchmark_only", False)
    skip = _option(config, "benchmark_skip", False) and not only
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "concurrency" not in names or "benchmark" in names:
            continue  # pytest-benchmark decided for a test using its own fixture already
        if only:  # take back the "non-benchmark" skip pytest-benchmark gave it
            item.own_markers[:] = [m for m in item.own_markers
                                   if not (m.name == "skip" and "--benchmark-only" in str(m.kwargs.get("reason")))]
        elif skip:
            item.add_marker(pytest.mark.skip(reason="Skipping benchmark (--benchmark-skip active)."))


@pytest.fixture
def concurrency(request) -> "Concurrency":
    """Run harness.sweep from a test and keep its runs (see harness.pytest_plugin)."""
    config = request.config
    recorder = config.stash[_RECORDER]
    quick = bool(config.getoption("concurrency_quick") or _option(config, "benchmark_disable", False))
    fixture = Concurrency(request.node, quick=quick, out_root=config.getoption("concurrency_out"))
    yield fixture
    recorder.add(fixture)  # also when the test failed after its sweeps: their numbers are real


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_json(config, benchmarks, output_json) -> None:
    """pytest-benchmark writes its JSON (--benchmark-json, --benchmark-save): add the sweeps."""
    recorder = config.stash[_RECORDER]
    if recorder.entries:
        output_json.setdefault("benchmarks", []).extend(recorder.entries)
        recorder.merged.append(len(recorder.entries))
    recorder.merged_into_benchmark_json = True


def pytest_sessionfinish(session) -> None:
    """Write --concurrency-json (and --benchmark-json when pytest-benchmark had nothing to write)."""
    config = session.config
    recorder = config.stash.get(_RECORDER, None)
    if recorder is None or hasattr(config, "workerinput"):  # an xdist worker: the files are not its to write
        return
    path = config.getoption("concurrency_json")
    if path:  # none ran (-k, a skip): keep the file a previous run left, as pytest-benchmark does
        if recorder.entries:
            recorder.write(config, path)
        else:
            recorder.not_written.append(os.path.abspath(path))
    bench_json = _option(config, "benchmark_json") if _benchmark_plugin(config) else None
    if (bench_json and recorder.entries and not recorder.merged_into_benchmark_json
            and not _option(config, "benchmark_disable", False)):
        recorder.write(config, os.fspath(bench_json))


def pytest_terminal_summary(terminalreporter, config) -> None:
    recorder = config.stash.get(_RECORDER, None)
    if recorder is None or not (recorder.sweeps or recorder.written or recorder.not_written):
        return
    tr = terminalreporter
    tr.write_sep("=", "harness concurrency")
    if config.getoption("verbose") >= -1:  # -q still shows them; -qq only counts
        for sweep in recorder.sweeps:
            for line in summary_lines(sweep):
                tr.write_line(line)
    else:
        runs = sum(len(s.suite.runs) for s in recorder.sweeps)
        tr.write_line(f"{len(recorder.sweeps)} sweeps, {runs} runs")
    for path, count in recorder.written:
        tr.write_line(f"wrote {count} benchmark entries (pytest-benchmark JSON) to {path}")
    for count in recorder.merged:
        tr.write_line(f"added {count} benchmark entries to pytest-benchmark's JSON")
    for path in recorder.not_written:
        what = "no run of the sweeps finished" if recorder.sweeps else "no sweep ran"
        tr.write_line(f"{what}: {path} not written")
