"""What ``harness compare`` reads: harness results.json or pytest-benchmark JSON, as one shape.

Both formats become a :class:`Side`: the configurations measured (an :class:`Entry` each,
with raw samples where the file has them) and the facts that decide whether two sides are
comparable at all (CPU model and count, Python, GIL mode). Every problem with a file is a
:class:`CompareError` whose message is one line naming the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from harness.results.key import RunKey
from harness.results.model import RunResult, Suite
from harness.results.storage import ResultsFileError, read_json_file, suite_from_data
from harness.text import one_line

__all__ = ["BenchmarkKey", "CompareError", "Entry", "Side", "FACTS", "read_side", "side_from", "looks_like_pytest_benchmark"]

KIND_HARNESS = "harness"
KIND_PYTEST_BENCHMARK = "pytest-benchmark"

# (fact, what a person calls it, what a difference means): the facts a comparison needs
# to agree on; a difference in any of them can move timings by more than a threshold.
FACTS = (
    ("cpu_model", "CPU model", "different machines"),
    ("logical_cpus", "logical CPUs", "different machines"),
    ("python_implementation", "Python implementation", "different Pythons"),
    ("python_version", "Python version", "different Pythons"),
    ("gil_enabled", "GIL enabled", "different GIL modes"),
)


class CompareError(ValueError):
    """Two results that cannot be compared; the message is one line naming what is wrong."""


@dataclass(frozen=True, slots=True)
class BenchmarkKey:
    """A pytest-benchmark entry's identity: its full test name (it names no interpreter)."""

    fullname: str

    def without_python(self) -> "BenchmarkKey":
        return self


@dataclass(frozen=True, slots=True)
class Entry:
    """One configuration on one side: its samples (seconds) or, failing those, a summary.

    ``key`` is what the two sides are matched on: a harness run's RunKey, or a
    pytest-benchmark entry's BenchmarkKey.
    """

    key: RunKey | BenchmarkKey
    label: str
    status: str = "ok"
    error: str | None = None
    times_s: tuple[float, ...] = ()
    median_s: float | None = None
    iqr_s: float | None = None
    count: int = 0
    n: int | None = None
    python: str | None = None  # harness's interpreter label ('3.12.1', '3.13.0t'), part of the key
    # harness run --reference: the reference loop's time beside each of times_s, else empty,
    # and the loop's size (references of different sizes cannot be compared).
    reference_s: tuple[float, ...] = ()
    reference_n: int | None = None

    @property
    def has_samples(self) -> bool:
        return bool(self.times_s)

    @property
    def has_reference(self) -> bool:
        """True when every sample has its reference time, so it can be normalized."""
        return bool(self.times_s) and len(self.reference_s) == len(self.times_s) and min(self.reference_s) > 0

    @property
    def normalized_s(self) -> tuple[float, ...]:
        """Each sample divided by its reference time: the machine's speed at that moment divided out."""
        return tuple(t / r for t, r in zip(self.times_s, self.reference_s))

    @property
    def title(self) -> str:
        """The label with the interpreter, for sides that ran more than one."""
        return f"{self.label} [{self.python}]" if self.python else self.label


@dataclass(frozen=True, slots=True)
class Side:
    """One results file (or Suite), reduced to what a comparison uses."""

    name: str
    kind: str
    entries: tuple[Entry, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def looks_like_pytest_benchmark(data: Any) -> bool:
    """pytest-benchmark's --benchmark-json / --benchmark-save files carry both of these."""
    return isinstance(data, dict) and "benchmarks" in data and "machine_info" in data


def read_side(path: str) -> Side:
    """Read either format from ``path``; CompareError says what is wrong with the file."""
    try:
        data = read_json_file(path, "a results.json or pytest-benchmark JSON file")
    except ResultsFileError as exc:
        raise CompareError(str(exc)) from None
    return side_from(data, path)


def side_from(source: Any, name: str) -> Side:
    """A Side from a Suite, a loaded JSON dict of either format, or a Side (returned as is)."""
    if isinstance(source, Side):
        return source
    if isinstance(source, Suite):
        return _side_from_suite(source, name)
    if looks_like_pytest_benchmark(source):
        return _side_from_pytest_benchmark(source, name)
    if isinstance(source, dict) and "schema_version" not in source:
        raise CompareError(f"{name}: neither a harness results file (no schema_version) "
                           "nor a pytest-benchmark file (no benchmarks and machine_info)")
    try:
        suite = suite_from_data(source, name)
    except ResultsFileError as exc:
        raise CompareError(one_line(exc)) from None
    return _side_from_suite(suite, name)


def _run_label(run: RunResult) -> str:
    return run.label if run.workload == "poly" else f"{run.label} {run.workload}"


def _entry_from_run(run: RunResult, reference_n: int | None) -> Entry:
    status, error = run.status, run.error
    # A wrong total is not a timing of the workload: it cannot be compared as one.
    if status == "ok" and run.result_ok is False:
        status, error = "failed", run.error or "wrong result"
    return Entry(key=run.key, label=_run_label(run), status=status, error=error, times_s=tuple(run.times_s),
                 median_s=run.median_s, iqr_s=run.iqr_s, count=len(run.times_s), n=run.n, python=run.python,
                 reference_s=tuple(run.reference_times_s or ()),
                 reference_n=reference_n if run.reference_times_s else None)


def _dedupe(entries: list[Entry], name: str) -> tuple[tuple[Entry, ...], list[str]]:
    by_key: dict[RunKey | BenchmarkKey, Entry] = {}
    warnings = []
    for entry in entries:
        if entry.key in by_key:
            warnings.append(f"{name}: {entry.title} appears more than once; the last is compared")
        by_key[entry.key] = entry
    return tuple(by_key.values()), warnings


def _side_from_suite(suite: Suite, name: str) -> Side:
    machine, python = suite.machine, suite.python
    facts = {
        "cpu_model": machine.cpu_model,
        "logical_cpus": machine.logical_cpus,
        "python_implementation": python.implementation,
        "python_version": python.version,
        "gil_enabled": python.gil_enabled,
    }
    reference_n = (suite.config or {}).get("reference_n")
    entries, warnings = _dedupe([_entry_from_run(run, reference_n) for run in suite.runs], name)
    if not suite.complete:
        warnings.append(f"{name}: an interrupted sweep (complete: false); configurations it did not reach "
                        "show as present on one side only")
    return Side(name, KIND_HARNESS, entries, facts, tuple(warnings))


def _number(value: Any, where: str, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise CompareError(f"{where}: expected a finite number >= 0, got {value!r}")
    return float(value)


def _entry_from_benchmark(index: int, bench: Any, name: str) -> Entry:
    where = f"{name}: benchmarks[{index}]"
    if not isinstance(bench, dict):
        raise CompareError(f"{where}: expected an object, got {type(bench).__name__}")
    fullname = bench.get("fullname") or bench.get("name")
    if not isinstance(fullname, str) or not fullname:
        raise CompareError(f"{where}: missing fullname")
    stats = bench.get("stats")
    if not isinstance(stats, dict):
        raise CompareError(f"{where} ({fullname}): missing stats")
    median = _number(stats.get("median"), f"{where} ({fullname}): stats.median")
    iqr = _number(stats.get("iqr"), f"{where} ({fullname}): stats.iqr", allow_none=True)
    data = stats.get("data")
    if data is not None and not isinstance(data, list):
        raise CompareError(f"{where} ({fullname}): stats.data must be a list of seconds")
    times = tuple(_number(t, f"{where} ({fullname}): stats.data") for t in data or ())
    rounds = stats.get("rounds")
    count = len(times) or (rounds if isinstance(rounds, int) and not isinstance(rounds, bool) and rounds > 0 else 1)
    extra = bench.get("extra_info") if isinstance(bench.get("extra_info"), dict) else {}
    status, error = "ok", None
    if extra.get("result_ok") is False:
        status, error = "failed", "wrong result (extra_info.result_ok is false)"
    n = extra.get("n") if isinstance(extra.get("n"), int) else None
    label = bench.get("name") if isinstance(bench.get("name"), str) and bench.get("name") else fullname
    return Entry(key=BenchmarkKey(fullname), label=label, status=status, error=error,
                 times_s=times, median_s=median, iqr_s=iqr, count=count, n=n)


def _side_from_pytest_benchmark(data: dict, name: str) -> Side:
    benchmarks = data["benchmarks"]
    if not isinstance(benchmarks, list):
        raise CompareError(f"{name}: benchmarks must be a list")
    info = data["machine_info"] if isinstance(data["machine_info"], dict) else {}
    cpu = info.get("cpu") if isinstance(info.get("cpu"), dict) else {}
    facts = {
        # The root conftest.py adds harness's own facts; plain pytest-benchmark files have py-cpuinfo's.
        "cpu_model": info.get("cpu_model") or cpu.get("brand_raw") or info.get("processor") or None,
        "logical_cpus": info.get("logical_cpus") or cpu.get("count"),
        "python_implementation": info.get("python_implementation"),
        "python_version": info.get("python_version"),
        "gil_enabled": info.get("gil_enabled"),
    }
    entries, warnings = _dedupe([_entry_from_benchmark(i, b, name) for i, b in enumerate(benchmarks)], name)
    # Labels are test names; two files' tests with one name would be ambiguous, so use full names.
    labels = [e.label for e in entries]
    if len(set(labels)) != len(labels):
        entries = tuple(Entry(**{**_fields(e), "label": e.key.fullname}) for e in entries)
    without = [e.label for e in entries if not e.has_samples]
    if without:
        warnings.append(f"{name}: no raw samples for {len(without)} benchmark(s) (the significance test needs "
                        "them: save with --benchmark-json, or --benchmark-save-data with --benchmark-save/"
                        "--benchmark-autosave); those are compared by their summary statistics only")
    if info.get("bench_mode") == "smoke":
        warnings.append(f"{name}: recorded in smoke mode (a tiny n, one round): not a measurement; "
                        "run with --benchmark-only")
    return Side(name, KIND_PYTEST_BENCHMARK, entries, facts, tuple(warnings))


def _fields(entry: Entry) -> dict:
    return {name: getattr(entry, name) for name in Entry.__dataclass_fields__}
