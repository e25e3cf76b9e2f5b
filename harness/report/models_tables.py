"""The report's section on the models issue 21 added: the event loop's lag of each asyncio
offload model beside its throughput, and each model's start-up and memory, subinterpreters
against threads and processes (pandas, like the other tables).
"""

from __future__ import annotations

from harness.analysis.loop_lag import blocked, items_per_second, lag_runs
from harness.execution.backends import backend_trait
from harness.results.model import Suite
from harness.text import format_seconds

__all__ = ["loop_lag_frame", "startup_memory_frame", "LOOP_LAG_NOTE", "STARTUP_MEMORY_NOTE"]

LOOP_LAG_NOTE = ("How late an event-loop heartbeat, asking to wake every 5 ms, woke while each model's work ran: "
                 "what any other coroutine (a request handler) would have waited then. p50 and p99 are of the median "
                 "repeat, max the worst tick of any. Throughput is items per second of wall time.")
STARTUP_MEMORY_NOTE = ("Start-up is a pool's or cluster's, paid once and kept out of the timed repeats (a model "
                       "that starts fresh workers every repeat pays it inside them). Memory is the sampler's total "
                       "of the harness and every descendant process: a subinterpreter pool is one host process "
                       "holding every interpreter, so its interpreters show as one process.")
_MIB = 1024 * 1024


def _ms(value: float | None) -> str:
    return "–" if value is None else format_seconds(value)


def loop_lag_frame(suite: Suite):
    """One row per run that measured its event loop; None when none did."""
    import pandas as pd

    runs = lag_runs(suite.runs)
    if not runs:
        return None
    rows = []
    for run in sorted(runs, key=lambda r: (r.python or "", r.n, r.loop_lag.p99_s)):
        lag = run.loop_lag
        rows.append({"python": run.python or "–", "model": run.series, "workers": run.workers, "n": f"{run.n:,}",
                     "median": _ms(run.median_s), "throughput": f"{items_per_second(run):,.0f}/s",
                     "speedup": "–" if run.speedup is None else f"{run.speedup:.2f}×",
                     "lag p50": _ms(lag.p50_s), "lag p99": _ms(lag.p99_s), "lag max": _ms(lag.max_s),
                     "ticks": lag.ticks, "loop": "blocked by the work" if blocked(run) else "free"})
    return pd.DataFrame(rows)


def startup_memory_frame(suite: Suite):
    """Start-up and memory per model, when a subinterpreter model ran (else None): every
    successful run, so threads and processes stand beside the interpreters."""
    import pandas as pd

    runs = [r for r in suite.runs if r.status == "ok"]
    if not any(backend_trait(r.backend, "interpreter_per_worker", False) for r in runs):
        return None
    rows = []
    for run in sorted(runs, key=lambda r: (r.python or "", r.n, r.workers, r.series)):
        memory = run.memory
        rows.append({"python": run.python or "–", "model": run.series, "workers": run.workers, "n": f"{run.n:,}",
                     "kind": backend_trait(run.backend, "kind", "?")
                     + (", interpreters" if backend_trait(run.backend, "interpreter_per_worker", False) else ""),
                     "start-up": _ms(run.startup_s),
                     "memory peak": "–" if memory is None else f"{memory.peak_bytes / _MIB:,.1f} MiB {memory.metric}",
                     "processes seen": "–" if memory is None else memory.processes,
                     "speedup": "–" if run.speedup is None else f"{run.speedup:.2f}×"})
    return pd.DataFrame(rows)
