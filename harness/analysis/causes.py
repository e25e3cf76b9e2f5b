"""The five causes the verdict names when a model lost or won less, each with the figures that
convict it (see harness.analysis.explain for the yardstick, the gap over ideal). Pure
functions over RunResults, tested with constructed runs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from harness.analysis.balance import worker_balance
from harness.analysis.baseline import cores_used, threads_scaled
from harness.chunksizes import is_static
from harness.execution.backends import backend_trait, is_thread_based
from harness.results.model import RunResult
from harness.text import format_seconds

__all__ = ["IMBALANCE_RATIO", "IMBALANCE_SHARE", "MEMORY_FLOOR_BYTES", "MEMORY_RATIO", "PICKLING_SHARE", "REASONS",
           "STARTUP_SHARE", "WON_LESS", "Reason", "find_causes"]

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

@dataclass(frozen=True, slots=True)
class Reason:
    """One cause: its name (one of REASONS), a clause with its figures, the seconds of the gap
    it accounts for (None where it is not a share of the gap), and the clause cut to its one
    figure for the short answer (``brief``)."""

    kind: str
    text: str
    seconds: float | None = None
    brief: str = ""


def find_causes(run: RunResult, serial: RunResult, runs: Sequence[RunResult], gil_enabled: bool | None,
                gap: float, outcome: str) -> list[Reason]:
    """The causes a run's figures show, the biggest share of the gap first (memory, no share of it, last)."""
    found = [reason for reason in (_pickling(run, gap), _imbalance(run, gap), _startup(run, serial, gap, outcome),
                                   _gil(run, serial, gil_enabled, gap), _memory(run, runs)) if reason is not None]
    found.sort(key=lambda r: -1.0 if r.seconds is None else r.seconds, reverse=True)
    return found


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
