"""Why threads did or did not scale, per interpreter: from their speedup, the cores they used
and the GIL each interpreter recorded. Pure functions over RunResults; strings out."""

from __future__ import annotations

from typing import Sequence

from harness.analysis.baseline import cores_used, threads_scaled
from harness.environment.pythons import GIL_REENABLED
from harness.execution.backends import is_exact_by_design
from harness.results.facts import Interpreter, interpreters_by_label
from harness.results.model import RunResult

__all__ = ["gil_reenabled_lines", "thread_explanation", "thread_explanations"]


def _thread_runs(runs: Sequence[RunResult]) -> list[RunResult]:
    """Thread-based runs at more than one worker with a speedup; lessons in lost updates left out."""
    from harness.analysis.matrix import backend_kind

    return [r for r in runs if backend_kind(r.backend) == "thread" and is_exact_by_design(r.backend)
            and r.status == "ok" and r.workers > 1 and r.speedup is not None]


def thread_explanation(runs: Sequence[RunResult], gil_enabled: bool | None, *,
                       reenabled_by: str | None = None) -> str | None:
    """One line on why threads did or did not scale, from their speedup and the cores they used.

    ``gil_enabled`` is the interpreter's GIL state; ``reenabled_by`` names the import that
    switched a free-threaded build's GIL back on, when one did.
    """
    threaded = _thread_runs(runs)
    if not threaded:
        return None
    best = max(threaded, key=lambda r: r.speedup)
    used = cores_used(best)
    busy = f"{used:.1f} cores used" if used is not None else "no CPU time"
    if best.cpu:
        busy += f", {best.cpu.busy_cores:.1f} cores busy machine-wide"
    figure = f"{best.series} at {best.workers} workers: speedup {best.speedup:.2f}x, {busy}"
    if threads_scaled(best.speedup, used):
        if used is not None and used < 0.5:
            why = "the workers mostly wait (I/O or sleep), and waiting threads release the GIL"
        elif gil_enabled is False and reenabled_by is None:
            why = ("the GIL is disabled in this interpreter: a free-threaded build runs Python bytecode in "
                   "several threads at once, so it is the build that scales them, not the workload releasing "
                   "the GIL")
        else:
            why = "the workload releases the GIL while it computes (C code such as numpy or hashlib)"
        return f"Threads scaled ({figure}): {why}."
    if reenabled_by is not None:
        return (f"Threads did not scale ({figure}): {GIL_REENABLED}: importing {reenabled_by}, which is not "
                "marked free-threading safe, switched this free-threaded build's GIL back on.")
    if gil_enabled is False:
        return f"Threads did not scale ({figure}) although the GIL is disabled: look for contention in the workload."
    load = "; they used about one core between them, the GIL's signature" if used is not None and used < 1.3 else ""
    if best.speedup < 0.9:
        load += "; handing the GIL back and forth between threads made them slower than serial"
    return (f"Threads did not scale ({figure}): the GIL lets one thread run Python bytecode at a time{load}. "
            "Use processes for pure-Python CPU-bound work.")


def _enabled_by(by_label: dict[str, Interpreter], label: str | None) -> str | None:
    entry = by_label.get(label)
    return entry.gil_enabled_by if entry is not None else None


def thread_explanations(runs: Sequence[RunResult], gil_enabled: bool | None,
                        interpreters: Sequence[Interpreter | dict] = ()) -> list[str]:
    """thread_explanation per interpreter, each judged by its own recorded GIL state.

    A sweep over 3.11 and 3.13t must not explain 3.13t's threads by 3.11's GIL, nor the
    other way round; with several interpreters each line names its own.
    """
    by_label = interpreters_by_label(interpreters)
    groups: dict[str | None, list[RunResult]] = {}
    for run in runs:
        groups.setdefault(run.python, []).append(run)
    lines = []
    for label, group in groups.items():
        recorded = [r.gil_enabled for r in group if r.gil_enabled is not None]
        state = recorded[0] if recorded else gil_enabled
        reenabled = any(r.gil_reenabled for r in group)
        by = (_enabled_by(by_label, label) or "a C extension") if reenabled else None
        # Judged on the runs whose workers saw the GIL as the label says, unless an import changed it.
        line = thread_explanation(group, state, reenabled_by=by)
        if line:
            lines.append(f"On Python {label}: {line}" if len(groups) > 1 and label else line)
    return lines


def gil_reenabled_lines(runs: Sequence[RunResult], interpreters: Sequence[Interpreter | dict] = ()) -> list[str]:
    """One line per interpreter whose runs were flagged "GIL re-enabled by an import"."""
    by_label = interpreters_by_label(interpreters)
    flagged: dict[str | None, list[RunResult]] = {}
    for run in runs:
        if run.gil_reenabled:
            flagged.setdefault(run.python, []).append(run)
    lines = []
    for label, group in flagged.items():
        by = _enabled_by(by_label, label) or "a C extension the workload imports"
        lines.append(f"{GIL_REENABLED} on Python {label}: {len(group)} run(s) ran with the GIL on because "
                     f"importing {by} (not marked free-threading safe) switched it back on; their threads are no "
                     "free-threading figures. PYTHON_GIL=0 (--python PATH:gil=0) keeps it off at your own risk.")
    return lines
