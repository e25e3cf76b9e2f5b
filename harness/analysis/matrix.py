"""The build x model matrix: how each concurrency model scales on each interpreter.

Pure functions over RunResults (plus the suite's interpreter list), tested with literal
numbers. They answer the questions a free-threaded build raises: do threads now match
processes for this workload, what does the build cost single-threaded, and how does each
model scale in the terms of CPython's Tools/ftscalingbench.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from harness.execution.backends import backend_trait, is_baseline, is_exact_by_design
from harness.analysis.chunking import chunk_order
from harness.analysis.noise import tie_margin
from harness.analysis.ties import compare_times
from harness.results.facts import Interpreter, interpreters_by_label
from harness.results.model import RunResult

__all__ = [
    "MATCH_TOLERANCE", "MatrixRow", "ScalingRating", "SingleThreadCost", "ThreadsVsProcesses", "backend_kind",
    "interpreter_labels", "matrix_lines", "model_matrix", "scaling_rating", "scaling_ratings",
    "single_thread_costs", "threads_vs_processes",
]

# Threads "match" processes when their speedup is within this fraction of the processes'.
MATCH_TOLERANCE = 0.10
_VERSION = re.compile(r"^(\d+\.\d+\.\d+)")


def backend_kind(name: str) -> str:
    """"thread", "process" or "inline", from the backend's own class attribute."""
    return backend_trait(name, "kind", "inline")


def interpreter_labels(runs: Iterable[RunResult]) -> list[str]:
    """The interpreters' labels in the order their runs first appear (the harness's own first)."""
    return list(dict.fromkeys(r.python for r in runs if r.python))


def _ok(runs: Iterable[RunResult]) -> list[RunResult]:
    # A speedup flagged as above the ideal is machine drift: no figure to build a verdict on.
    return [r for r in runs if r.status == "ok" and r.result_ok is not False and r.speedup is not None
            and not r.speedup_above_ideal]


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One model at one worker count: its speedup on each interpreter (None: not measured).

    ``series`` is the row's name: the backend, with its chunksize when it is not the static
    split (a model swept over chunksizes has a row per chunksize); the backend when not given.
    """

    backend: str
    workers: int
    speedups: tuple[float | None, ...]
    series: str = ""

    def __post_init__(self) -> None:
        if not self.series:
            object.__setattr__(self, "series", self.backend)


def model_matrix(runs: Sequence[RunResult], n: int | None = None,
                 field: str = "speedup") -> tuple[list[str], list[MatrixRow]]:
    """(interpreter labels, rows): speedup per parallel model and worker count, per interpreter.

    At size ``n`` (default: the largest size every interpreter measured, else the largest).
    Models that lose updates by design are left out: their times are for a wrong answer.
    ``field="baseline_speedup"``: every figure against the sweep's one baseline instead of each
    interpreter's own serial; serial itself is then a row too (each build's serial against it).
    """
    good = [r for r in _ok(runs) if (field != "speedup" or not is_baseline(r.backend))
            and is_exact_by_design(r.backend) and getattr(r, field) is not None]
    labels = interpreter_labels(runs)
    if not good:
        return labels, []
    n = n if n is not None else _common_size(good, labels)
    at = [r for r in good if r.n == n]
    # Keyed by series: two chunksizes of one model at one worker count are two rows, not one
    # cell overwritten by whichever came last.
    cells = {(r.series, r.workers, r.python): getattr(r, field) for r in at}
    backend_of = {r.series: r.backend for r in at}
    keys = list(dict.fromkeys((r.series, r.workers) for r in at))
    order = list(dict.fromkeys(backend_of[s] for s, _ in keys))
    chunks = {r.series: chunk_order(r.chunksize) for r in at}
    keys.sort(key=lambda k: (order.index(backend_of[k[0]]), chunks[k[0]], k[1]))
    rows = [MatrixRow(backend_of[s], w, tuple(cells.get((s, w, p)) for p in labels), s) for s, w in keys]
    return labels, rows


def _common_size(runs: Sequence[RunResult], labels: Sequence[str]) -> int:
    per_label = [{r.n for r in runs if r.python == p} for p in labels]
    common = set.intersection(*per_label) if per_label and all(per_label) else set()
    return max(common) if common else max(r.n for r in runs)


@dataclass(frozen=True, slots=True)
class ScalingRating:
    """ftscalingbench's judgement of one model on one interpreter at its largest worker count
    (``series``: the backend, with its chunksize when not static; the backend when not given)."""

    python: str | None
    backend: str
    workers: int
    speedup: float
    rating: str  # "does not scale" (<= 1.1x), "scales poorly" (< workers / 2), "scales"
    series: str = ""

    def __post_init__(self) -> None:
        if not self.series:
            object.__setattr__(self, "series", self.backend)


def scaling_rating(speedup: float, workers: int) -> str:
    """ftscalingbench's colours in words: red at <= 1.1x, yellow below half the workers, else green."""
    if speedup <= 1.1:
        return "does not scale"
    if speedup < workers / 2:
        return "scales poorly"
    return "scales"


def scaling_ratings(runs: Sequence[RunResult]) -> list[ScalingRating]:
    """Per interpreter and parallel model, the rating at its largest worker count and size.

    ftscalingbench times N threads each doing one unit of work against one thread doing one
    (t1·N/tN, weak scaling); at --scaling weak the speedup here is that ratio exactly, and at
    strong scaling it is the same throughput gain measured with a fixed total.
    """
    best: dict[tuple, RunResult] = {}
    for r in _ok(runs):
        if is_baseline(r.backend) or r.workers < 2 or not is_exact_by_design(r.backend):
            continue
        key = (r.python, r.series)
        if key not in best or (r.n, r.workers) > (best[key].n, best[key].workers):
            best[key] = r
    return [ScalingRating(r.python, r.backend, r.workers, r.speedup, scaling_rating(r.speedup, r.workers), r.series)
            for r in best.values()]


@dataclass(frozen=True, slots=True)
class ThreadsVsProcesses:
    """On one interpreter at one worker count: the best thread model against the best process model."""

    python: str | None
    workers: int
    n: int
    threads: str
    threads_speedup: float
    processes: str
    processes_speedup: float
    # The tie rule's decision on their times (harness.analysis.ties): None without the runs.
    tied: bool | None = None

    @property
    def match(self) -> bool:
        """Threads match processes: tied within noise, or faster; without the runs, within MATCH_TOLERANCE."""
        if self.tied is not None:
            return self.tied or self.threads_speedup >= self.processes_speedup
        return self.threads_speedup >= (1 - MATCH_TOLERANCE) * self.processes_speedup


def threads_vs_processes(runs: Sequence[RunResult]) -> list[ThreadsVsProcesses]:
    """Per interpreter, at its largest size and worker count where both kinds ran; tied by the
    verdict's rule, with the host's spread at that size in that interpreter as its margin."""
    out = []
    good = [r for r in _ok(runs) if r.workers > 1 and is_exact_by_design(r.backend)]
    for label in interpreter_labels(runs):
        mine = [r for r in good if r.python == label]
        points = sorted({(r.n, r.workers) for r in mine}, reverse=True)
        for n, workers in points:
            at = [r for r in mine if (r.n, r.workers) == (n, workers)]
            threads = [r for r in at if backend_kind(r.backend) == "thread"]
            procs = [r for r in at if backend_kind(r.backend) == "process"]
            if threads and procs:
                t, p = max(threads, key=lambda r: r.speedup), max(procs, key=lambda r: r.speedup)
                margin = tie_margin([r for r in runs if r.python == label], n)  # serial's included
                tied = compare_times(p, t, margin=margin).tied if t.times_s and p.times_s else None
                out.append(ThreadsVsProcesses(label, workers, n, t.series, t.speedup, p.series, p.speedup, tied))
                break
    return out


@dataclass(frozen=True, slots=True)
class SingleThreadCost:
    """Serial on the free-threaded build over serial on the GIL build of the same version."""

    version: str
    free_threaded: str
    gil_build: str
    n: int
    ratio: float


def _facts_by_label(runs: Sequence[RunResult], interpreters: Sequence[Interpreter | dict]) -> dict[str, Interpreter]:
    facts = interpreters_by_label(interpreters)
    for r in runs:  # files without an interpreter list: what the runs themselves recorded
        if r.python and r.python not in facts:
            version = _VERSION.match(r.python)
            facts[r.python] = Interpreter(label=r.python, version=version.group(1) if version else r.python,
                                          free_threaded_build=r.free_threaded_build, gil_mode=r.gil_mode)
    return facts


def single_thread_costs(runs: Sequence[RunResult],
                        interpreters: Sequence[Interpreter | dict] = ()) -> list[SingleThreadCost]:
    """Each free-threaded build (in its default mode) against a GIL build of the same version.

    Measured on serial at the largest size both ran, side by side in one sweep; a different
    version would confound the build's cost with the version's.
    """
    facts = _facts_by_label(runs, interpreters)
    serial = {(r.python, r.n): r.median_s for r in runs
              if is_baseline(r.backend) and r.status == "ok" and r.result_ok is not False and r.median_s}
    out = []
    for ft, f in facts.items():
        if not f.free_threaded_build or f.gil_mode not in (None, 0):
            continue
        for gil, g in facts.items():
            if g.free_threaded_build is not False or g.version != f.version:
                continue
            sizes = sorted({n for (p, n) in serial if p == ft} & {n for (p, n) in serial if p == gil})
            if sizes:
                n = sizes[-1]
                out.append(SingleThreadCost(str(f.version), ft, gil, n, serial[(ft, n)] / serial[(gil, n)]))
    return out


def matrix_lines(runs: Sequence[RunResult], interpreters: Sequence[Interpreter | dict] = ()) -> list[str]:
    """The matrix's conclusions in words: threads against processes per interpreter, and the
    free-threaded build's single-thread cost. Empty for a sweep of one GIL interpreter."""
    facts = _facts_by_label(runs, interpreters)
    several = len(interpreter_labels(runs)) > 1
    lines = []
    for cmp in threads_vs_processes(runs):
        free = bool(facts[cmp.python].free_threaded_build) if cmp.python in facts else False
        if not (several or free):
            continue
        figures = (f"{cmp.threads}@{cmp.workers} {cmp.threads_speedup:.2f}x vs {cmp.processes}@{cmp.workers} "
                   f"{cmp.processes_speedup:.2f}x at n={cmp.n:,}")
        if cmp.processes_speedup <= 1.1:
            # ftscalingbench's "does not scale": with processes flat (too small a size, or a
            # machine already busy) threads keeping up with them proves nothing.
            verdict = ("processes did not scale here, so a match with threads would say nothing about this "
                       "workload (try a larger n or a quieter machine)")
        else:
            verdict = ("threads now match processes for this workload" if cmp.match
                       else "threads do not match processes for this workload")
        rule = ("a match is a tie within noise or better" if cmp.tied is not None
                else f"a match is within {MATCH_TOLERANCE:.0%}")
        lines.append(f"On Python {cmp.python}, {verdict} ({figures}; {rule}).")
    for cost in single_thread_costs(runs, interpreters):
        lines.append(f"Single-thread cost of the free-threaded build: serial on {cost.free_threaded} takes "
                     f"{cost.ratio:.2f}x the time of serial on {cost.gil_build} (same version, n={cost.n:,}).")
    return lines
