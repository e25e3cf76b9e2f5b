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

import json
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

import pytest

if TYPE_CHECKING:
    from harness.results.model import RunResult, Suite

from harness.chunksizes import STATIC, chunk_suffix
from harness.report.benchmark_json import benchmark_document, benchmark_entries, benchmark_stats, json_safe, param_id

__all__ = ["Concurrency", "benchmark_stats", "benchmark_entries", "benchmark_document"]


_RECORDER = pytest.StashKey["_Recorder"]()


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
    config.stash[_RECORDER] = _Recorder()


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
            for line in _summary_lines(sweep):
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


# --- the fixture ------------------------------------------------------------------------------


class Concurrency:
    """What a test gets as ``concurrency``: harness.sweep that remembers, and helpers on its runs."""

    def __init__(self, node, *, quick: bool = False, out_root: str | None = None) -> None:
        self._node = node
        self.quick = quick
        self._out_root = out_root
        self._sweeps: list[_SweepRecord] = []

    # Running

    def sweep(self, fn: Callable[[Any], Any], items: Iterable, *, group: str | None = None,
              **kwargs: Any) -> "Suite":
        """``harness.sweep(fn, items, **kwargs)``, kept for this test's entries and summary.

        ``group``: the pytest-benchmark group of its entries (default: a
        ``@pytest.mark.benchmark(group=...)`` marker's, else the test's id). With
        ``--concurrency-quick`` (or ``--benchmark-disable``) repeat=1 and warmup=0 win."""
        import harness

        if self.quick:
            kwargs["repeat"], kwargs["warmup"] = 1, 0
        if self._out_root and kwargs.get("out") is None:
            kwargs["out"] = os.path.join(self._out_root, _slug(self._node.nodeid, len(self._sweeps)))
            kwargs.setdefault("report", True)
        suite = harness.sweep(fn, items, **kwargs)
        if group is None:
            marker = self._node.get_closest_marker("benchmark")
            group = marker.kwargs.get("group") if marker else None
        self._sweeps.append(_SweepRecord(nodeid=self._node.nodeid, suite=suite, label=kwargs.get("name"),
                                         group=group, quick=self.quick))
        return suite

    # Reading

    @property
    def suites(self) -> tuple["Suite", ...]:
        """Every suite this test swept, in order."""
        return tuple(s.suite for s in self._sweeps)

    @property
    def suite(self) -> "Suite":
        """The last suite swept (RuntimeError before the first sweep)."""
        if not self._sweeps:
            raise RuntimeError("concurrency: no sweep yet (call concurrency.sweep(fn, items, ...) first)")
        return self._sweeps[-1].suite

    @property
    def runs(self) -> tuple["RunResult", ...]:
        """The last suite's runs."""
        return self.suite.runs

    def dataframe(self):
        """The last suite as a pandas DataFrame, one row per run."""
        return self.suite.to_dataframe()

    def report(self, folder: str | os.PathLike) -> list[str]:
        """Write the last suite's HTML report (and plots, CSV) into ``folder``; the files, page first."""
        import harness

        return harness.build_report(self.suite, os.fspath(folder))

    def failures(self) -> list["RunResult"]:
        """The last suite's runs that did not finish, or whose results differed from serial's."""
        return [r for r in self.runs if r.status != "ok" or r.result_ok is False]

    def run(self, backend: str, workers: int | None = None, chunksize: int | str | None = None) -> "RunResult":
        """The one run of ``backend`` (with those workers and chunksize, where given)."""
        __tracebackhide__ = True
        found = _select(self.runs, (backend,), workers, chunksize)
        if len(found) != 1:
            wanted = _describe(backend, workers, chunksize)
            there = ", ".join(_config_label(r) for r in self.runs) or "none"
            what = "no run" if not found else f"{len(found)} runs"
            raise LookupError(f"concurrency: {what} of {wanted} (give workers= and chunksize= to pick one); "
                              f"the runs: {there}")
        return found[0]

    def speedup(self, backend: str, workers: int | None = None, chunksize: int | str | None = None) -> float | None:
        """That run's speedup over serial (None without a serial run to compare with)."""
        __tracebackhide__ = True
        return self.run(backend, workers, chunksize).speedup

    def best(self, *backends: str, workers: int | None = None, chunksize: int | str | None = None) -> "RunResult":
        """The fastest run (lowest median) among those that finished with serial's results, of
        ``backends`` (all by default), ``workers`` and ``chunksize`` where given."""
        __tracebackhide__ = True
        candidates = [r for r in _select(self.runs, backends, workers, chunksize)
                      if r.status == "ok" and r.result_ok is not False and r.median_s is not None]
        if not candidates:
            wanted = _describe("/".join(backends) or "any backend", workers, chunksize)
            raise AssertionError(f"concurrency: no run of {wanted} finished with serial's results\n"
                                 + _run_table(self.runs))
        return min(candidates, key=lambda r: r.median_s)

    # Asserting

    def assert_correct(self) -> None:
        """Every run of the last suite finished and matched serial's results."""
        __tracebackhide__ = True
        bad = self.failures()
        if bad:
            raise AssertionError(f"concurrency: {len(bad)} of {len(self.runs)} runs failed or differ from serial:\n"
                                 + _run_table(bad))

    def assert_speedup(self, at_least: float, *backends: str, workers: int | None = None,
                       chunksize: int | str | None = None) -> "RunResult":
        """The best run (see best()) is at least ``at_least`` times as fast as serial; returns it."""
        __tracebackhide__ = True
        best = self.best(*backends, workers=workers, chunksize=chunksize)
        if best.speedup is None:
            raise AssertionError("concurrency: no speedup to check (the sweep needs the serial backend)")
        if best.speedup < at_least:
            considered = _select(self.runs, backends, workers, chunksize)
            considered += [r for r in self.runs if _is_baseline(r) and r not in considered]
            raise AssertionError(f"concurrency: best speedup {best.speedup:.2f}x ({_config_label(best)}) "
                                 f"is below {at_least:g}x\n" + _run_table(considered))
        return best


def _is_baseline(run) -> bool:
    """The run every speedup is measured against (serial), as the backend says of itself."""
    from harness.execution.backends import is_baseline

    return is_baseline(run.backend)


def _select(runs, backends, workers, chunksize) -> list:
    return [r for r in runs
            if (not backends or r.backend in backends)
            and (workers is None or r.workers == workers)
            and (chunksize is None or str(STATIC if r.chunksize is None else r.chunksize) == str(chunksize))]


def _describe(backend, workers, chunksize) -> str:
    return (" ".join([backend] + ([f"w{workers}"] if workers is not None else []))
            + ("" if chunksize is None else f" cs={chunksize}"))


def _config_label(run) -> str:
    return f"{run.backend} w{run.workers}{chunk_suffix(run.chunksize)}"


def _run_table(runs) -> str:
    lines = []
    for r in runs:
        if r.status != "ok":
            lines.append(f"  {_config_label(r):<24} {r.status}: {r.error or ''}".rstrip())
            continue
        speedup = "" if r.speedup is None else f"{r.speedup:.2f}x"
        busy = "" if r.cpu is None else f"busy {r.cpu.busy_cores:.1f} cores"
        wrong = "" if r.result_ok is not False else f"WRONG: {r.error or 'results differ from serial'}"
        lines.append(f"  {_config_label(r):<24} median {_fmt_s(r.median_s):>9}  {speedup:>7}  {busy}  {wrong}".rstrip())
    return "\n".join(lines)


def _fmt_s(seconds: float | None) -> str:
    """A median as the rest of harness writes it (analysis.stability.format_seconds); "-" for none."""
    from harness.text import format_seconds

    return "-" if seconds is None else format_seconds(seconds)


def _slug(nodeid: str, index: int) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.=-]+", "_", nodeid).strip("_.") or "test"
    return slug if index == 0 else f"{slug}-{index + 1}"


# --- what the session keeps -------------------------------------------------------------------


@dataclass
class _SweepRecord:
    nodeid: str
    suite: "Suite"
    label: str | None
    group: str | None
    quick: bool
    prefix: str | None = None  # "sweep2" or its name=, when the test swept more than once


@dataclass
class _Recorder:
    sweeps: list[_SweepRecord] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    written: list[tuple[str, int]] = field(default_factory=list)
    not_written: list[str] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)  # entries added to each file pytest-benchmark wrote
    merged_into_benchmark_json: bool = False

    def add(self, fixture: Concurrency) -> None:
        records = fixture._sweeps
        for index, record in enumerate(records):
            if len(records) > 1:
                record.prefix = param_id(record.label) if record.label else f"sweep{index + 1}"
            self.sweeps.append(record)
            taken = {e["fullname"] for e in self.entries}
            for entry in benchmark_entries(record.suite, fixture._node, prefix=record.prefix, group=record.group,
                                           quick=record.quick):
                suffix = 2
                while entry["fullname"] in taken:  # two sweeps of one name: keep every entry apart
                    entry = _renamed(entry, f"{suffix}")
                    suffix += 1
                taken.add(entry["fullname"])
                self.entries.append(entry)

    def write(self, config, path: str) -> None:
        document = benchmark_document(self.entries, config, [s.suite for s in self.sweeps])
        path = os.path.abspath(path)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        partial = f"{path}.partial"
        with open(partial, "w", encoding="utf-8") as fh:
            json.dump(json_safe(document), fh, indent=4, allow_nan=False)
            fh.write("\n")
        os.replace(partial, path)
        self.written.append((path, len(self.entries)))


def _renamed(entry: dict[str, Any], suffix: str) -> dict[str, Any]:
    entry = dict(entry)
    param = f"{entry['param']}-{suffix}"
    func = entry["name"].split("[", 1)[0]
    entry["name"] = f"{func}[{param}]"
    entry["fullname"] = f"{entry['fullname'].rsplit('[', 1)[0]}[{param}]"
    entry["param"] = param
    return entry


def _summary_lines(sweep: _SweepRecord) -> list[str]:
    runs = sweep.suite.runs
    title = sweep.nodeid + (f" ({sweep.prefix})" if sweep.prefix else "")
    good = [r for r in runs if r.status == "ok" and r.result_ok is not False and r.median_s is not None]
    bad = [r for r in runs if r not in good]
    if good:
        best = min(good, key=lambda r: r.median_s)
        serial = next((r for r in good if _is_baseline(r)), None)
        parts = [f"best {_config_label(best)}"]
        if _is_baseline(best):
            parts[0] += " (nothing beat serial)"
        elif best.speedup is not None:
            parts.append(f"{best.speedup:.2f}x serial")
        parts.append(f"median {_fmt_s(best.median_s)}" + (f" vs serial {_fmt_s(serial.median_s)}"
                                                           if serial and serial is not best else ""))
        if best.cpu is not None:
            parts.append(f"busy {best.cpu.busy_cores:.1f} cores")
        headline = f"{title}: " + ", ".join(parts)
    else:
        headline = f"{title}: no run finished with serial's results"
    tail = f"{len(runs)} runs" + (", quick" if sweep.quick else "")
    lines = [f"{headline} [{tail}]"]
    for r in bad:
        why = r.error or ("results differ from serial's" if r.result_ok is False else r.status)
        lines.append(f"  ! {_config_label(r)}: {why}")
    return lines


# --- pytest-benchmark's JSON ------------------------------------------------------------------
