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

import math
from dataclasses import dataclass
from typing import Sequence

from harness.analysis.balance import WorkerBalance, gap_over_ideal, ideal_time, worker_balance
from harness.analysis.baseline import baseline_key, baseline_runs, cores_used, threads_scaled
from harness.analysis.chunking import chunk_order, pick_point
from harness.chunksizes import is_static
from harness.execution.backends import backend_trait, is_baseline, is_thread_based
from harness.results.model import RunResult
from harness.text import format_seconds

__all__ = [
    "IMBALANCE_RATIO", "IMBALANCE_SHARE", "MAX_REASON_LINES", "MEMORY_FLOOR_BYTES", "MEMORY_RATIO",
    "PICKLING_SHARE", "REASONS", "STARTUP_SHARE", "WON_LESS", "Explanation", "Reason", "WorkerBalance",
    "chosen_explanations", "explain_run", "explain_runs", "gap_over_ideal", "ideal_time", "reason_lines", "reasons_note", "worker_balance",
]

REASONS = ("pickling", "imbalance", "start-up", "the GIL", "memory")

# A run within 80% of its ideal needs no excuse: dispatch, the harness's own bookkeeping and
# a shared machine's noise commonly take the rest, and no figure recorded could single out one.
WON_LESS = 0.8
# Pickling is named when the estimate covers at least half the gap ("most of it"). The
# estimate counts every pickle and unpickle once and in series; part of that runs in the
# workers in parallel, so half is already a conservative bar.
PICKLING_SHARE = 0.5
# Imbalance: the busiest worker computed at least 25% longer than the mean, i.e. at least a
# fifth of the workers' time sat idle waiting for it; and the wall time that perfect balance
# would save (busiest minus mean) is at least a fifth of the gap, so it matters to this run.
IMBALANCE_RATIO = 1.25
IMBALANCE_SHARE = 0.2
# Start-up is named when workers begin computing, on average, at least a quarter of the gap
# into each repeat: a cost the repeat pays before any work, which no chunking can recover.
STARTUP_SHARE = 0.25
# Memory is named at 3x the peak of threads at the same worker count, and at least 64 MiB
# more in all: a bare interpreter process holds ~10 MiB of its own, so below that floor the
# ratio only says that processes are processes, not that this model copies the data.
MEMORY_RATIO = 3.0
MEMORY_FLOOR_BYTES = 64 * 2**20
# The verdict names at most this many runs' reasons, so it still reads as a verdict (the figures
# follow it on the page); the report's "Why models lost" table holds them all.
MAX_REASON_LINES = 6


@dataclass(frozen=True, slots=True)
class Reason:
    """One cause: its name (one of REASONS), a clause with its figures, the seconds of the gap
    it accounts for (None where it is not a share of the gap), and the clause cut to its one
    figure for the short answer (``brief``)."""

    kind: str
    text: str
    seconds: float | None = None
    brief: str = ""


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


def _bytes(value: float | None) -> str:
    if value is None:
        return "? B"
    if value >= 2**20:
        return f"{value / 2**20:,.1f} MiB"
    if value >= 10 * 2**10:
        return f"{value / 2**10:,.0f} KiB"
    return f"{value:,.0f} B"


def _mib(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB" if value >= 10 * 2**20 else f"{value / 2**20:,.1f} MiB"


def _items(run: RunResult) -> int:
    return sum(run.worker_items) if run.worker_items else run.n


def _pickling(run: RunResult, gap: float) -> Reason | None:
    cost = run.serialisation_s
    if cost is None or gap <= 0 or cost < PICKLING_SHARE * gap:
        return None
    what = (f"the estimated serialisation of {_items(run):,} items in and out "
            f"({_bytes(run.bytes_in_per_item)} + {_bytes(run.bytes_out_per_item)} each)")
    brief = f"serialising {_items(run):,} items ~{format_seconds(cost)} of a {format_seconds(gap)} gap"
    if cost >= gap:
        return Reason("pickling", f"{what} takes {format_seconds(cost)}, more than its whole "
                                  f"{format_seconds(gap)} gap over ideal", gap, brief)
    return Reason("pickling", f"{format_seconds(cost)} of its {format_seconds(gap)} gap over ideal is {what}", cost,
                  brief)


def _chunking(run: RunResult) -> str:
    if is_static(run.chunksize):
        return "static chunking (one block per worker)"
    size = f"{run.chunk_items:,}" if run.chunk_items is not None else str(run.chunksize)
    return f"chunks of {size} items ({run.chunksize})" if run.chunksize == "auto" else f"chunks of {size} items"


def _imbalance(run: RunResult, gap: float) -> Reason | None:
    balance = worker_balance(run)
    if balance is None or gap <= 0 or balance.ratio < IMBALANCE_RATIO or balance.saving_s < IMBALANCE_SHARE * gap:
        return None
    return Reason("imbalance",
                  f"with {_chunking(run)} the busiest worker computed {format_seconds(balance.busiest_s)} against a "
                  f"mean of {format_seconds(balance.mean_s)} ({balance.ratio:.2f}x), so worker {balance.idlest} sat "
                  f"idle {format_seconds(balance.longest_idle_s)} ({balance.longest_idle_share:.0%} of the "
                  f"{format_seconds(balance.wall_s)} wall time)", min(balance.saving_s, gap),
                  f"busiest worker {format_seconds(balance.busiest_s)} vs mean {format_seconds(balance.mean_s)}")


def _startup(run: RunResult, serial: RunResult, gap: float, outcome: str) -> Reason | None:
    spans = run.worker_spans
    if spans and gap > 0:
        launch = sum(s.start_s for s in spans) / len(spans)
        if launch >= STARTUP_SHARE * gap:
            every = ("" if backend_trait(run.backend, "has_startup", False)
                     else ", as it starts its workers in every repeat")
            return Reason("start-up", f"its workers began computing {format_seconds(launch)} into each repeat on "
                                      f"average (the last after {format_seconds(max(s.start_s for s in spans))})"
                                      f"{every}, against a {format_seconds(gap)} gap over ideal", min(launch, gap),
                          f"workers began {format_seconds(launch)} into each repeat")
    saving = serial.median_s - run.median_s
    if outcome == "won less" and run.startup_s and saving > 0 and run.startup_s > saving:
        calls = math.floor(run.startup_s / saving) + 1
        return Reason("start-up", f"its start-up ({format_seconds(run.startup_s)}, paid once, outside the timed "
                                  f"repeats) is more than a call saves over serial ({format_seconds(saving)}): one "
                                  f"call would lose to serial; it pays off from {calls} calls", None,
                          f"start-up {format_seconds(run.startup_s)}, paid off after {calls} calls")
    return None


def _gil_state(run: RunResult, gil_enabled: bool | None) -> bool | None:
    """What the workers saw, else the run's interpreter at its start, else the harness's own."""
    for state in (run.workers_gil_enabled, run.gil_enabled, gil_enabled):
        if state is not None:
            return state
    return None


def _gil(run: RunResult, serial: RunResult, gil_enabled: bool | None, gap: float) -> Reason | None:
    if not is_thread_based(run.backend) or run.workers < 2 or _gil_state(run, gil_enabled) is not True:
        return None
    speedup = serial.median_s / run.median_s
    used = cores_used(run)
    if threads_scaled(speedup, used):
        return None  # it released the GIL (or waited): see thread_explanation
    cores = f"{used:.1f} cores used" if used is not None else "no CPU time recorded"
    return Reason("the GIL", f"{speedup:.2f}x serial at {run.workers} threads with {cores}: with the GIL on, one "
                             "thread runs Python bytecode at a time and this workload does not release it",
                  max(gap, 0.0), f"{speedup:.2f}x serial at {run.workers} threads, {cores}")


def _memory(run: RunResult, runs: Sequence[RunResult]) -> Reason | None:
    mem = run.memory
    if mem is None or is_thread_based(run.backend):
        return None
    point = (run.workers, run.n, run.scaling, run.workload, run.python)
    threads = [r for r in runs if is_thread_based(r.backend) and r.status == "ok" and r.memory is not None
               and r.memory.metric == mem.metric and (r.workers, r.n, r.scaling, r.workload, r.python) == point]
    if not threads:
        return None
    ref = min(threads, key=lambda r: r.memory.peak_bytes)
    base = ref.memory.peak_bytes
    extra = mem.peak_bytes - base
    if base <= 0 or mem.peak_bytes < MEMORY_RATIO * base or extra < MEMORY_FLOOR_BYTES:
        return None
    return Reason("memory", f"{_mib(mem.peak_bytes)} {mem.metric.upper()} at peak, {mem.peak_bytes / base:.1f}x the "
                            f"{_mib(base)} of {ref.series} at the same {run.workers} workers "
                            f"({_mib(extra / run.workers)} more per worker)", None,
                  f"{_mib(mem.peak_bytes)} at peak, {mem.peak_bytes / base:.1f}x {ref.series}'s")


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
    found = [reason for reason in (_pickling(run, gap), _imbalance(run, gap), _startup(run, serial, gap, outcome),
                                   _gil(run, serial, gil_enabled, gap), _memory(run, runs)) if reason is not None]
    # The biggest share of the gap first; memory, which is no share of it, last.
    found.sort(key=lambda r: -1.0 if r.seconds is None else r.seconds, reverse=True)
    return Explanation(run, serial, ideal, outcome, tuple(found))


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
