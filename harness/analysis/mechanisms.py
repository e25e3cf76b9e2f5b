"""Why a model behaved as it did, named by its mechanism: one GIL per interpreter, what
crossing an interpreter boundary costs (start-up, pickling, memory), and the switch interval
of a thread offload under the GIL (``loop_lag``).

Pure functions over RunResults, tested with literal numbers. A model is recognised by its
backend's own traits (``interpreter_per_worker``, ``thread_based``, ``kind``), never its name.
:func:`model_lines` is every line here and in ``loop_lag``, in the verdict's order.
"""

from __future__ import annotations

from typing import Sequence

from harness.analysis.loop_lag import loop_lag_lines, switch_interval_lines
from harness.execution.backends import backend_trait, is_thread_based
from harness.results.model import RunResult
from harness.text import format_seconds

__all__ = ["crossing_lines", "interpreter_memory_lines", "interpreter_runs", "model_lines", "own_gil_lines"]

_MIB = 1024 * 1024


def _ok(runs: Sequence[RunResult]) -> list[RunResult]:
    return [r for r in runs if r.status == "ok" and r.result_ok is not False and r.median_s]


def interpreter_runs(runs: Sequence[RunResult]) -> list[RunResult]:
    """The successful runs of models whose workers are isolated subinterpreters."""
    return [r for r in _ok(runs) if backend_trait(r.backend, "interpreter_per_worker", False)]


def _peers(run: RunResult, runs: Sequence[RunResult]) -> list[RunResult]:
    """Other models' successful runs of the same work, interpreter and worker count."""
    return [r for r in _ok(runs) if r is not run and (r.python, r.workload, r.n, r.scaling, r.workers)
            == (run.python, run.workload, run.n, run.scaling, run.workers)]


def _process_peers(run: RunResult, runs: Sequence[RunResult]) -> list[RunResult]:
    return [r for r in _peers(run, runs) if backend_trait(r.backend, "kind") == "process"
            and not backend_trait(r.backend, "interpreter_per_worker", False)]


def _best(runs: Sequence[RunResult]) -> RunResult | None:
    scored = [r for r in runs if r.speedup is not None]
    return max(scored, key=lambda r: r.speedup) if scored else None


def _name(run: RunResult) -> str:
    return f"{run.series}@{run.workers}"


def _where(run: RunResult, runs: Sequence[RunResult]) -> str:
    """" on Python X" when the sweep ran in several interpreters."""
    return f" on Python {run.python}" if run.python and len({r.python for r in runs}) > 1 else ""


def own_gil_lines(runs: Sequence[RunResult]) -> list[str]:
    """One GIL per interpreter: each subinterpreter run at more than one worker, beside the
    best thread model (sharing one GIL) and the best process model of the same work."""
    lines = []
    for run in interpreter_runs(runs):
        if run.workers < 2 or run.speedup is None:
            continue
        threads = _best([r for r in _peers(run, runs) if is_thread_based(r.backend)])
        procs = _best(_process_peers(run, runs))
        gil_off = run.gil_enabled is False
        why = ("on this free-threaded build threads need no GIL of their own either, so the interpreters add "
               "isolation, not parallelism" if gil_off else
               f"each isolated subinterpreter has its own GIL (PEP 684), so {run.workers} of them ran Python "
               "bytecode at once in one process")
        line = f"{_name(run)}{_where(run, runs)} ran {run.speedup:.2f}x serial: {why}"
        if threads is not None:
            shared = "with no GIL" if gil_off else "sharing one GIL"
            line += f"; {_name(threads)}, {shared}, reached {threads.speedup:.2f}x"
        if procs is not None:
            line += f"; {_name(procs)} reached {procs.speedup:.2f}x ({run.speedup / procs.speedup:.0%} of it)"
        lines.append(line + ".")
    return lines


def crossing_lines(runs: Sequence[RunResult]) -> list[str]:
    """What crossing an interpreter boundary cost: the pool's start-up (a host process, then
    every interpreter importing the workload afresh) beside the process pools', and the
    pickling every chunk and result pays."""
    lines = []
    for run in interpreter_runs(runs):
        if run.startup_s is None:
            continue
        line = (f"Crossing into interpreters ({_name(run)}{_where(run, runs)}): start-up {format_seconds(run.startup_s)} "
                f"(a host process, then {run.workers} interpreter(s), each importing the workload afresh)")
        pools = [r for r in _process_peers(run, runs) if r.startup_s is not None]
        if pools:
            fastest = min(pools, key=lambda r: r.startup_s)
            line += f", against {format_seconds(fastest.startup_s)} for {_name(fastest)}"
        if run.serialisation_s:
            line += (f"; every chunk and its results cross pickled, through two pipes: an estimated "
                     f"{format_seconds(run.serialisation_s)} per repeat of {format_seconds(run.median_s)}")
        else:
            line += "; a range chunk crosses as two integers, so the crossing is the start-up"
        lines.append(line + ".")
    return lines


def _memory_text(run: RunResult) -> str:
    memory = run.memory
    return f"{_name(run)} {memory.peak_bytes / _MIB:.0f} MiB in {memory.processes} process(es)"


def interpreter_memory_lines(runs: Sequence[RunResult]) -> list[str]:
    """A subinterpreter pool's memory beside threads' and processes', and what the sampler saw:
    the harness and one host process holding every interpreter, so the pool's PSS is that one
    process's, each interpreter its own allocator and its own copy of the modules it imports."""
    lines = []
    for run in interpreter_runs(runs):
        if run.memory is None:
            continue
        others = [r for r in _peers(run, runs) if r.memory is not None and r.memory.metric == run.memory.metric]
        threads = [r for r in others if is_thread_based(r.backend)]
        process_peers = _process_peers(run, runs)
        procs = [r for r in others if r in process_peers]
        against = [_memory_text(min(group, key=lambda r: r.memory.peak_bytes)) for group in (threads, procs) if group]
        line = (f"Memory{_where(run, runs)} ({run.memory.metric.upper()}, the harness and its child processes): "
                f"{_memory_text(run)}: "
                f"the sampler sees the harness and the one host process holding all {run.workers} interpreters, "
                "each with its own allocator and its own copy of the modules it imports")
        if against:
            line += "; against " + " and ".join(against)
        lines.append(line + ".")
    return lines


def model_lines(runs: Sequence[RunResult]) -> list[str]:
    """Every line of this module and of ``loop_lag``: the loop's lag across models, the switch
    interval, one GIL per interpreter, the crossing's cost and memory."""
    return (loop_lag_lines(runs) + switch_interval_lines(runs) + own_gil_lines(runs) + crossing_lines(runs)
            + interpreter_memory_lines(runs))
