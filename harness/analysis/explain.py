"""Why a model lost to serial, or won less than it could: the verdict's reasons, with figures.

Pure functions over RunResults, tested with constructed runs; nothing prints. For each
parallel run the yardstick is its **gap over ideal**: its median minus the ideal time, serial's
median at the same size divided by the ideal speedup (the workers, capped at the logical CPUs
for a computing workload; see ``speedup.ideal_speedup``). A run slower than serial *lost*; one
faster than serial but short of ``WON_LESS`` of its ideal *won less*. Each such run is checked
for five causes, and each one named comes with the figures that convict it:

* **pickling**: the estimated seconds to pickle and unpickle every item and result once
  (``serialisation_s``) are most of the gap;
* **imbalance**: the busiest worker computed much longer than the mean (``worker_busy_s``), so
  the others sat idle waiting for it;
* **start-up**: workers began computing late into every repeat (``worker_spans``: a backend
  that starts its processes in each repeat), or a pool's one-off start-up (``startup_s``) is
  more than a call saves over serial;
* **the GIL**: threads of an interpreter with its GIL on that did not scale (judged as
  ``speedup.thread_explanation`` judges them);
* **memory**: the model held several times the memory threads need at the same worker count.

Only runs that recorded schema 4 (``workload_kind`` set) are explained: older files carry no
busy times, memory or serialisation estimate to convict with, and their verdict stays exactly
as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from harness.analysis.balance import WorkerBalance, gap_over_ideal, ideal_time, worker_balance  # noqa: F401
from harness.analysis.baseline import baseline_key, baseline_runs
from harness.analysis.causes import (  # noqa: F401 (the thresholds, re-exported for their readers)
    IMBALANCE_RATIO, IMBALANCE_SHARE, MEMORY_FLOOR_BYTES, MEMORY_RATIO, PICKLING_SHARE, REASONS, STARTUP_SHARE,
    WON_LESS, Reason, find_causes,
)
from harness.analysis.chunking import chunk_order, pick_point
from harness.chunksizes import is_static
from harness.execution.backends import is_baseline
from harness.results.model import RunResult
from harness.text import format_seconds

__all__ = [
    "IMBALANCE_RATIO", "IMBALANCE_SHARE", "MAX_REASON_LINES", "MEMORY_FLOOR_BYTES", "MEMORY_RATIO",
    "PICKLING_SHARE", "REASONS", "STARTUP_SHARE", "WON_LESS", "Explanation", "Reason", "WorkerBalance",
    "chosen_explanations", "explain_run", "explain_runs", "gap_over_ideal", "ideal_time", "reason_lines", "reasons_note", "worker_balance",
]

# The verdict names at most this many runs' reasons, so it still reads as a verdict (the figures
# follow it on the page); the report's "Why models lost" table holds them all.
MAX_REASON_LINES = 6


@dataclass(frozen=True, slots=True)
class Explanation:
    """A run that lost or won less, the yardsticks, and the reasons found (maybe none)."""

    run: RunResult
    serial: RunResult
    ideal_s: float
    outcome: str  # "lost" or "won less"
    reasons: tuple[Reason, ...]

    @property
    def gap_s(self) -> float:
        return self.run.median_s - self.ideal_s

    @property
    def ideal_speedup(self) -> float:
        return self.serial.median_s / self.ideal_s

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(r.kind for r in self.reasons)

    @property
    def unexplained(self) -> str:
        """What to say when no reason was found: the figure to look at next, not a verdict."""
        run = self.run
        if run.chunks and not is_static(run.chunksize) and self.gap_s > 0:
            # Arithmetic, not a measurement: what each chunk would have cost if the gap were all dispatch.
            return (f"no recorded figure accounts for it; it dispatched {run.chunks:,} chunks, "
                    f"{format_seconds(self.gap_s / run.chunks)} of the gap per chunk, so a larger chunksize may help")
        return "no recorded figure accounts for it (see the CPU load and worker timelines)"

    @property
    def name(self) -> str:
        """"pool cs=1 w2": the series and the worker count."""
        return f"{self.run.series} w{self.run.workers}"

    def brief_line(self, where: str = "", width: int = 120) -> str:
        """The short answer's one line: "threads w2 lost to the GIL: 0.94x serial at 2 threads, ...";
        within ``width`` characters it names every cause, else the biggest one alone."""
        head = (f"{self.name}{where} lost to" if self.outcome == "lost" else
                f"{self.name}{where} won less ({self.serial.median_s / self.run.median_s:.2f}x of "
                f"{self.ideal_speedup:.3g}x):")
        line = f"{head} {_join(self.kinds)}: " + "; ".join(r.brief or r.text for r in self.reasons)
        if len(line) > width:
            first = self.reasons[0]
            line = f"{head} {first.kind}: {first.brief or first.text}"
        return line if len(line) <= width else line[:width - 1] + "…"

    def line(self, *, with_size: bool = False, where: str = "") -> str:
        """The verdict's sentence: "pool cs=1 w2 lost to pickling: 1.8 s of its 2.1 s gap ..."."""
        size = f" at n={self.run.n:,}" if with_size else ""
        if self.outcome == "lost":
            head = f"{self.name}{size}{where} lost to"
        else:
            head = (f"{self.name}{size}{where} won less ({self.serial.median_s / self.run.median_s:.2f}x of an "
                    f"ideal {self.ideal_speedup:.3g}x) because of")
        if not self.reasons:
            return (f"{self.name}{size}{where} {self.outcome}, {format_seconds(max(self.gap_s, 0))} over ideal: "
                    f"{self.unexplained}.")
        return f"{head} {_join(self.kinds)}: " + "; ".join(r.text for r in self.reasons) + "."


def reasons_note() -> str:
    """The thresholds in words, for the report's "Why models lost" section."""
    return (f"Each configuration slower than serial (lost) or short of {WON_LESS:.0%} of its ideal speedup (won "
            "less), with the causes its figures show. The gap over ideal is its median minus serial's median ÷ "
            "the ideal speedup (the workers, at most the logical CPUs). Pickling: the estimated serialisation of "
            f"every item and result is at least {PICKLING_SHARE:.0%} of the gap. Imbalance: the busiest worker "
            f"computed at least {IMBALANCE_RATIO:g}× the mean, and the wait costs at least {IMBALANCE_SHARE:.0%} "
            f"of the gap. Start-up: workers began computing, on average, at least {STARTUP_SHARE:.0%} of the gap "
            "into each repeat, or a one-off start-up is more than a call saves over serial. The GIL: threads "
            f"that did not scale with the GIL on. Memory: at least {MEMORY_RATIO:g}× the peak of threads at the "
            f"same workers, and {MEMORY_FLOOR_BYTES // 2**20} MiB more.")


def _join(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def explain_run(run: RunResult, serial: RunResult, runs: Sequence[RunResult] = (), *,
                gil_enabled: bool | None = None, logical_cpus: int | None = None) -> Explanation | None:
    """The explanation of one parallel run against its serial run, or None when it won (or
    cannot be judged: not a schema-4 run, failed, wrong, drifted, or the baseline itself).

    ``runs`` is the whole sweep (for memory, threads' peak at the same point); ``gil_enabled``
    the harness's own GIL, for runs that did not record theirs.
    """
    if (is_baseline(run.backend) or run.workload_kind is None or run.status != "ok" or run.result_ok is False
            or not run.median_s or run.speedup_above_ideal or not serial.median_s):
        return None
    ideal = ideal_time(run, serial, logical_cpus)
    if run.median_s > serial.median_s:
        outcome = "lost"
    elif ideal / run.median_s < WON_LESS:
        outcome = "won less"
    else:
        return None
    gap = run.median_s - ideal
    return Explanation(run, serial, ideal, outcome, tuple(find_causes(run, serial, runs, gil_enabled, gap, outcome)))


def explain_runs(runs: Sequence[RunResult], gil_enabled: bool | None = None,
                 logical_cpus: int | None = None) -> list[Explanation]:
    """``explain_run`` for every run that lost or won less, in the order of ``runs``."""
    serial = baseline_runs(runs)
    out = []
    for run in runs:
        base = serial.get(baseline_key(run))
        if base is None:
            continue
        explained = explain_run(run, base, runs, gil_enabled=gil_enabled, logical_cpus=logical_cpus)
        if explained is not None:
            out.append(explained)
    return out


def chosen_explanations(runs: Sequence[RunResult], gil_enabled: bool | None = None,
                        logical_cpus: int | None = None) -> list[Explanation]:
    """One explained run (with reasons) per series (and workload, scaling, interpreter): at the
    largest size, at the most workers not above the logical CPUs; in the sweep's order."""
    explained = [e for e in explain_runs(runs, gil_enabled, logical_cpus) if e.reasons]
    if not explained:
        return []
    largest: dict[tuple, int] = {}
    for e in explained:
        group = (e.run.workload, e.run.scaling, e.run.python)
        largest[group] = max(largest.get(group, 0), e.run.n)
    by_series: dict[tuple, list[Explanation]] = {}
    for e in explained:
        group = (e.run.workload, e.run.scaling, e.run.python)
        if e.run.n == largest[group]:
            by_series.setdefault(group + (e.run.backend, chunk_order(e.run.chunksize)), []).append(e)
    # In the sweep's order: its (workload, scaling, interpreter) groups and backends as they first
    # appear, a backend's chunksizes static first.
    groups = {key: i for i, key in enumerate(dict.fromkeys((r.workload, r.scaling, r.python) for r in runs))}
    backends = {name: i for i, name in enumerate(dict.fromkeys(r.backend for r in runs))}
    ordered = sorted(by_series.items(), key=lambda item: (groups[item[0][:3]], backends[item[0][3]], item[0][4]))
    return [pick_point(group, logical_cpus, workers=lambda e: e.run.workers) for _, group in ordered]


def reason_lines(runs: Sequence[RunResult], gil_enabled: bool | None = None,
                 logical_cpus: int | None = None) -> list[str]:
    """The verdict's reasons (``chosen_explanations``): at most MAX_REASON_LINES of them, then
    how many more the report lists."""
    chosen = chosen_explanations(runs, gil_enabled, logical_cpus)
    several_pythons = len({r.python for r in runs}) > 1
    sizes = {(r.workload, r.scaling, r.python): set() for r in runs}
    for r in runs:
        sizes[(r.workload, r.scaling, r.python)].add(r.n)
    lines = []
    for e in chosen[:MAX_REASON_LINES]:
        group = (e.run.workload, e.run.scaling, e.run.python)
        where = f" on Python {e.run.python}" if several_pythons and e.run.python else ""
        lines.append(e.line(with_size=len(sizes[group]) > 1, where=where))
    if len(chosen) > MAX_REASON_LINES:
        lines.append(f"…and {len(chosen) - MAX_REASON_LINES} more model(s) with reasons: see the report's "
                     "\"Why models lost\" table.")
    return lines
