"""The ``concurrency`` fixture's object: harness.sweep that remembers its suites, and helpers
that read them (see harness.pytest_plugin for what a test can call)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from harness.chunksizes import STATIC, chunk_suffix

if TYPE_CHECKING:
    from harness.results.model import RunResult, Suite

__all__ = ["Concurrency", "SweepRecord", "config_label", "fmt_s", "is_baseline_run"]


class Concurrency:
    """What a test gets as ``concurrency``: harness.sweep that remembers, and helpers on its runs."""

    def __init__(self, node, *, quick: bool = False, out_root: str | None = None) -> None:
        self._node = node
        self.quick = quick
        self._out_root = out_root
        self._sweeps: list[SweepRecord] = []

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
        self._sweeps.append(SweepRecord(nodeid=self._node.nodeid, suite=suite, label=kwargs.get("name"),
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
            there = ", ".join(config_label(r) for r in self.runs) or "none"
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
            considered += [r for r in self.runs if is_baseline_run(r) and r not in considered]
            raise AssertionError(f"concurrency: best speedup {best.speedup:.2f}x ({config_label(best)}) "
                                 f"is below {at_least:g}x\n" + _run_table(considered))
        return best


def is_baseline_run(run) -> bool:
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


def config_label(run) -> str:
    return f"{run.backend} w{run.workers}{chunk_suffix(run.chunksize)}"


def _run_table(runs) -> str:
    lines = []
    for r in runs:
        if r.status != "ok":
            lines.append(f"  {config_label(r):<24} {r.status}: {r.error or ''}".rstrip())
            continue
        speedup = "" if r.speedup is None else f"{r.speedup:.2f}x"
        busy = "" if r.cpu is None else f"busy {r.cpu.busy_cores:.1f} cores"
        wrong = "" if r.result_ok is not False else f"WRONG: {r.error or 'results differ from serial'}"
        lines.append(f"  {config_label(r):<24} median {fmt_s(r.median_s):>9}  {speedup:>7}  {busy}  {wrong}".rstrip())
    return "\n".join(lines)


def fmt_s(seconds: float | None) -> str:
    """A median as the rest of harness writes it (analysis.stability.format_seconds); "-" for none."""
    from harness.text import format_seconds

    return "-" if seconds is None else format_seconds(seconds)


def _slug(nodeid: str, index: int) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.=-]+", "_", nodeid).strip("_.") or "test"
    return slug if index == 0 else f"{slug}-{index + 1}"


@dataclass
class SweepRecord:
    nodeid: str
    suite: "Suite"
    label: str | None
    group: str | None
    quick: bool
    prefix: str | None = None  # "sweep2" or its name=, when the test swept more than once
