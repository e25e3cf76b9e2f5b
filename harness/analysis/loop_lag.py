"""The event loop's side of offloading CPU work: how late the loop ran, model against model.

Pure functions over RunResults (their ``loop_lag``, schema 6), tested with literal numbers.
A service offloads CPU work from its event loop to get two things: the work done, and the
loop free to answer everything else meanwhile. ``loop_lag_lines`` sets the second beside
the first for every model that ran from a loop; ``switch_interval_lines`` says why a thread
offload under the GIL keeps the loop only as free as the switch interval lets it.
"""

from __future__ import annotations

from typing import Sequence

from harness.execution.backends import backend_trait, is_thread_based
from harness.results.model import RunResult
from harness.text import format_seconds

__all__ = ["BLOCKED_SHARE", "DEFAULT_SWITCH_INTERVAL_S", "blocked", "items_per_second", "lag_runs",
           "loop_lag_lines", "loop_lag_summary", "switch_interval_lines"]

# A loop whose p99 delay is at least this share of the repeat was blocked by the work itself.
BLOCKED_SHARE = 0.5
# CPython's default sys.getswitchinterval(): how long a thread keeps the GIL while others wait.
DEFAULT_SWITCH_INTERVAL_S = 0.005


def lag_runs(runs: Sequence[RunResult]) -> list[RunResult]:
    """The successful, correct runs that measured their event loop's lag."""
    return [r for r in runs if r.status == "ok" and r.result_ok is not False and r.loop_lag is not None
            and r.median_s]


def blocked(run: RunResult) -> bool:
    """The work ran in the loop's own thread: the backend says it computes inline (in the
    calling thread, the loop's). Only for a backend this harness cannot describe (a results
    file of another version, a plug-in not installed here) does the figure decide: a p99 delay
    of at least ``BLOCKED_SHARE`` of the repeat. A thread offload under the GIL can starve the
    loop nearly as long, but for another reason (see :func:`switch_interval_lines`)."""
    if run.loop_lag is None:
        return False
    kind = backend_trait(run.backend, "kind", None)
    if kind is not None:
        return kind == "inline"
    return bool(run.median_s) and run.loop_lag.p99_s >= BLOCKED_SHARE * run.median_s


def items_per_second(run: RunResult) -> float | None:
    """Throughput: items (a range workload's integers) computed per second of wall time."""
    return run.n / run.median_s if run.median_s else None


def _rate(per_s: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {unit} items/s"
    return f"{per_s:.3g} items/s"


def _model_text(run: RunResult, first: bool) -> str:
    lag = run.loop_lag
    speed = f", {run.speedup:.2f}x serial's throughput" if run.speedup is not None else ""
    rate = f" ({_rate(items_per_second(run))}{speed})"
    name = f"{run.series}@{run.workers}"
    if blocked(run):
        return (f"{name}{rate} blocked it: p99 {format_seconds(lag.p99_s)} (max {format_seconds(lag.max_s)}), "
                f"{lag.p99_s / run.median_s:.0%} of its {format_seconds(run.median_s)}, the whole computation, as "
                "CPU work called straight from a coroutine does")
    pickling = (f", at {format_seconds(run.serialisation_s)} of pickling per repeat"
                if run.serialisation_s else "")
    kept = "kept the loop within" if first else "within"
    return (f"{name}{rate} {kept} p99 {format_seconds(lag.p99_s)} (max {format_seconds(lag.max_s)}, "
            f"p50 {format_seconds(lag.p50_s)}){pickling}")


def _fastest_per_model(runs: Sequence[RunResult]) -> dict[tuple, dict[str, RunResult]]:
    """Per (interpreter, workload, n, scaling): each model that measured its loop, at its fastest run."""
    groups: dict[tuple, dict[str, RunResult]] = {}
    for run in lag_runs(runs):
        group = groups.setdefault((run.python, run.workload, run.n, run.scaling), {})
        best = group.get(run.series)
        if best is None or run.median_s < best.median_s:
            group[run.series] = run
    return groups


def loop_lag_summary(runs: Sequence[RunResult], python: str | None = None) -> str | None:
    """The short answer's line on the event loop: each model's p99 lag, least first, for the
    largest size measured on ``python`` (else the first interpreter that measured one):
    "Event-loop lag p99: asyncio-process@2 3.00 ms, asyncio-thread@2 52.0 ms, asyncio-inline@1 1.01 s
    (blocked)". None when no model ran from a loop."""
    groups = _fastest_per_model(runs)
    if not groups:
        return None
    mine = [key for key in groups if key[0] == python] or [key for key in groups if key[0] == next(iter(groups))[0]]
    key = max(mine, key=lambda k: k[2])
    ordered = sorted(groups[key].values(), key=lambda r: (blocked(r), r.loop_lag.p99_s))
    texts = [f"{r.series}@{r.workers} {format_seconds(r.loop_lag.p99_s)}" + (" (blocked)" if blocked(r) else "")
             for r in ordered]
    return "Event-loop lag p99: " + ", ".join(texts) + "."


def loop_lag_lines(runs: Sequence[RunResult]) -> list[str]:
    """Per interpreter and size, every model that ran from an event loop, least lag first:
    "Event-loop lag at n=...: asyncio-process@2 (...) kept the loop within p99 3.00 ms ...;
    asyncio-thread@2 (...) within p99 52.0 ms ...; asyncio-inline@1 (...) blocked it: ...".

    Each model at its fastest worker count; a blocked loop's line says it was the whole
    computation. Lines only where some model measured its loop.
    """
    several = len({r.python for r in runs}) > 1
    groups = _fastest_per_model(runs)
    lines = []
    for (python, workload, n, _scaling), chosen in groups.items():
        ordered = sorted(chosen.values(), key=lambda r: (blocked(r), r.loop_lag.p99_s))
        where = f" on Python {python}" if several and python else ""
        texts = [_model_text(run, first=(i == 0)) for i, run in enumerate(ordered)]
        lines.append(f"Event-loop lag, {workload} at n={n:,}{where}: " + "; ".join(texts) + ".")
    return lines


def switch_interval_lines(runs: Sequence[RunResult],
                          switch_interval_s: float = DEFAULT_SWITCH_INTERVAL_S) -> list[str]:
    """Why a thread offload's loop ran late (or did not): under the GIL the loop's thread waits
    for a computing worker to hand the GIL over, which it does every switch interval; without
    a GIL (a free-threaded build) it does not wait at all. One line per such run."""
    lines = []
    several = len({r.python for r in runs}) > 1
    for run in lag_runs(runs):
        if not is_thread_based(run.backend) or blocked(run):
            continue
        lag, name = run.loop_lag, f"{run.series}@{run.workers}"
        where = f" on Python {run.python}" if several and run.python else ""
        gil_on = run.workers_gil_enabled if run.workers_gil_enabled is not None else run.gil_enabled
        if gil_on is False:
            lines.append(f"{name}{where} offloads to threads on a build without the GIL: the loop's thread "
                         f"waits for no lock while the workers compute, so its heartbeat ran only "
                         f"p99 {format_seconds(lag.p99_s)} late (p50 {format_seconds(lag.p50_s)}).")
            continue
        lines.append(f"{name}{where} offloads to threads under the GIL: the loop's thread runs only when a "
                     f"computing worker hands the GIL over, which it does every switch interval "
                     f"(sys.getswitchinterval(), {format_seconds(switch_interval_s)} by default), so the heartbeat "
                     f"ran p50 {format_seconds(lag.p50_s)}, p99 {format_seconds(lag.p99_s)} late; a process or an "
                     "interpreter offload leaves the loop a GIL of its own.")
    return lines
