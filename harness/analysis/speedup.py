"""From runs to conclusions: speedups against serial, the fastest configuration, and why.

Pure functions over RunResults; formatting for people happens here as plain strings so the
CLI and the report say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from harness import stats
from harness.execution.backends import backend_trait, is_baseline, is_exact_by_design, is_thread_based
from harness.results.facts import Capacity, Interpreter, facts_from, interpreters_by_label
from harness.results.model import RunResult
from harness.analysis.baseline import (baseline_key, baseline_runs, cores_used, cpu_bound,  # noqa: F401 (re-exported)
                                       ideal_speedup, threads_scaled)
from harness.environment.pythons import GIL_REENABLED

__all__ = ["LockCost", "baseline_key", "baseline_runs", "attach_speedups", "above_ideal", "cpu_bound",
           "ideal_speedup", "drift_warnings", "capacity_line", "best_run", "cores_used", "gil_reenabled_lines", "thread_explanation",
           "thread_explanations", "verdict_lines", "recommendations", "lock_cost_lines", "lock_costs",
           "slower_cores_line", "threads_scaled"]


def attach_speedups(runs: Sequence[RunResult], logical_cpus: int | None = None) -> list[RunResult]:
    """Fill speedup (with its interval), efficiency and Karp-Flatt from the serial runs.

    With ``logical_cpus``, a speedup above the ideal beyond its interval is flagged
    (``speedup_above_ideal``; see ``ideal_speedup``).
    """
    serial = baseline_runs(runs)
    out = []
    for run in runs:
        base = serial.get(baseline_key(run))
        if run.status != "ok" or base is None or not run.median_s:
            out.append(run.replace(speedup=None, speedup_ci95=None, efficiency=None, karp_flatt=None,
                                   cpu_time_ratio=None, speedup_above_ideal=None))
            continue
        s = stats.speedup(base.median_s, run.median_s)
        workers_used = 1 if is_baseline(run.backend) else run.workers
        interval = stats.speedup_interval(base.ci95_s, run.ci95_s) if base.ci95_s and run.ci95_s else None
        cpus = logical_cpus if cpu_bound(run, s) else None  # waiting workers are not capped by the CPUs
        out.append(run.replace(
            speedup=s,
            speedup_ci95=interval,
            speedup_above_ideal=above_ideal(s, interval, ideal_speedup(workers_used, cpus)),
            efficiency=stats.efficiency(s, workers_used),
            karp_flatt=stats.karp_flatt(s, workers_used) if workers_used > 1 else None,
            cpu_time_ratio=(run.cpu_time_s / base.cpu_time_s) if run.cpu_time_s and base.cpu_time_s else None,
        ))
    return out


# Without an interval (fewer than 6 repeats on either side) only a clear excess is flagged.
ABOVE_IDEAL_WITHOUT_INTERVAL = 1.05


def above_ideal(speedup: float, interval: tuple[float, float] | None, ideal: float) -> bool:
    """A speedup physically impossible for the ideal: beyond its interval, or clearly without one.

    No parallel run does serial's work in less than 1/ideal of serial's time, so such a
    figure means serial and this run met different machine speeds (drift), not a speedup.
    """
    if interval is not None:
        return interval[0] > ideal
    return speedup > ideal * ABOVE_IDEAL_WITHOUT_INTERVAL


def drift_warnings(runs: Sequence[RunResult], logical_cpus: int | None) -> list[str]:
    """One warning per run whose speedup is above the ideal (``attach_speedups`` flags them)."""
    lines = []
    for run in runs:
        if not run.speedup_above_ideal:
            continue
        workers = 1 if is_baseline(run.backend) else run.workers
        cpus = f" and {logical_cpus} usable CPUs" if logical_cpus else ""
        beyond = (f"beyond its interval {run.speedup_ci95[0]:.2f}-{run.speedup_ci95[1]:.2f}x" if run.speedup_ci95
                  else "with no interval to judge it by")
        lines.append(f"{run.label}: speedup {run.speedup:.2f}x is above the ideal "
                     f"{ideal_speedup(workers, logical_cpus):g}x (the smaller of {workers} worker(s){cpus}) {beyond}: "
                     "impossible, so the machine's speed drifted between this run and serial's; not a real speedup "
                     "and not used as the headline")
    return lines


def best_run(runs: Iterable[RunResult]) -> RunResult | None:
    """The fastest correct parallel configuration by speedup (serial if nothing beat it).

    A speedup flagged as above the ideal is machine drift, never the headline.
    """
    candidates = [r for r in runs if r.status == "ok" and r.result_ok is not False and r.speedup is not None
                  and not r.speedup_above_ideal]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (r.speedup, -r.workers))


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


def capacity_line(run: RunResult, capacity: "Capacity | dict | None") -> str | None:
    """The best speedup set against what the host delivered (harness run --capacity)."""
    capacity = facts_from(Capacity, capacity)
    if not capacity or run.speedup is None or not capacity.capacity or not cpu_bound(run, run.speedup):
        return None  # the probe measures computing processes; a waiting workload is not bounded by it
    delivered = min(float(run.workers), float(capacity.capacity))
    share = run.speedup / delivered
    line = (f"{run.series}@{run.workers} reached {run.speedup:.2f}x of the {delivered:.2f}x this host delivered "
            f"to {min(run.workers, capacity.processes)} busy processes ({share:.0%})")
    if share > 1.1:
        line += "; above it, so the machine's speed changed between the probe and the sweep"
    return line + "."


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


def verdict_lines(runs: Sequence[RunResult], gil_enabled: bool | None, logical_cpus: int | None,
                  interpreters: Sequence[Interpreter | dict] = (), capacity: Capacity | dict | None = None) -> list[str]:
    """The verdict at the top of the report and the end of the CLI summary.

    ``gil_enabled`` is the harness's own interpreter's GIL (for runs that did not record one);
    ``interpreters`` the suite's interpreter list, for the build x model lines; ``capacity``
    the suite's host-capacity probe (harness run --capacity), when it ran.
    """
    from harness.analysis.chunking import chunksize_lines
    from harness.analysis.explain import reason_lines
    from harness.analysis.matrix import matrix_lines

    lines: list[str] = []
    best = best_run(runs)
    several = len({r.python for r in runs}) > 1
    if best is None:
        lines.append("No speedup could be computed: the sweep needs a successful serial run at the same n.")
    elif is_baseline(best.backend) or best.speedup <= 1.05:
        lines.append(f"Nothing beat serial at n={best.n}: parallel overhead outweighs the work at this size.")
    else:
        eff = f", efficiency {best.efficiency:.0%}" if best.efficiency is not None else ""
        where = f" on Python {best.python}" if several and best.python else ""
        lines.append(f"Fastest: {best.series} with {best.workers} workers{where} at n={best.n}: "
                     f"{best.speedup:.2f}x faster than serial{eff}.")
        if logical_cpus and best.workers > logical_cpus:
            lines.append(f"It used more workers ({best.workers}) than logical CPUs ({logical_cpus}).")
        delivered = capacity_line(best, capacity)
        if delivered:
            lines.append(delivered)
        slower = slower_cores_line(best)
        if slower:
            lines.append(slower)
    drifted = [r for r in runs if r.speedup_above_ideal]
    if drifted:
        lines.append(f"Machine drift: {len(drifted)} speedup(s) above the ideal, physically impossible, left out of "
                     "the verdict: " + "; ".join(f"{r.series}@{r.workers} {r.speedup:.2f}x" for r in drifted[:3])
                     + " (see the warnings; --interleave, the default, spreads drift over all configurations).")
    lines.extend(matrix_lines(runs, interpreters))
    lines.extend(thread_explanations(runs, gil_enabled, interpreters))
    lines.extend(gil_reenabled_lines(runs, interpreters))
    # Why models lost or won less (schema-4 runs only), and the chunksize to use.
    lines.extend(reason_lines(runs, gil_enabled, logical_cpus))
    lines.extend(chunksize_lines(runs, logical_cpus))
    failed = [r for r in runs if r.status in ("failed", "timeout")]
    if failed:
        lines.append(f"{len(failed)} configuration(s) failed or timed out: " +
                     "; ".join(f"{r.label}: {r.error}" for r in failed[:3]))
    lines.extend(lock_cost_lines(runs))
    wrong = [r for r in runs if r.status == "ok" and r.result_ok is False]
    if wrong:
        lines.append(f"{len(wrong)} configuration(s) computed a wrong result: " +
                     "; ".join(f"{r.label}: {r.error}" for r in wrong[:3]))
    from harness.analysis.mechanisms import model_lines  # the event loop's lag, and the mechanisms

    lines.extend(model_lines(runs))
    return lines


# Below this the extra CPU time is within what start-up and measurement noise explain.
CPU_INFLATION_NOTABLE = 1.15


def slower_cores_line(run: RunResult) -> str | None:
    """Why a process backend fell short of linear: its work itself took more CPU time than serial's.

    With W busy workers on W cores, the same work should cost the same CPU time. When it costs
    clearly more, each core ran slower while all were busy: SMT siblings sharing a physical
    core, frequency limits, or a host that oversubscribes its virtual CPUs. No harness can
    scale past that; saying so keeps a low speedup from being blamed on the model.
    """
    if run.cpu_time_ratio is None or run.speedup is None or is_baseline(run.backend):
        return None
    workers = run.workers
    if run.cpu_time_ratio < CPU_INFLATION_NOTABLE or run.efficiency is None or run.efficiency > 0.9:
        return None
    if is_thread_based(run.backend) and (cores_used(run) or 0) < 1.3:
        return None  # the GIL explains threads; see thread_explanation
    return (f"{run.series} at {workers} workers needed {run.cpu_time_ratio:.2f}x the CPU time serial needed for the "
            f"same work: each core ran slower while all were busy (cores sharing a physical core, frequency "
            f"limits, or a host oversubscribing its virtual CPUs); that alone caps the speedup near "
            f"{min(workers, workers / run.cpu_time_ratio):.2f}x.")


def recommendations(runs: Sequence[RunResult]) -> list[str]:
    """Per workload and size, the best backend and worker count."""
    lines = []
    groups: dict[tuple, list[RunResult]] = {}
    for run in runs:
        groups.setdefault((run.workload, run.n, run.scaling, run.python), []).append(run)
    for (workload, n, scaling, python), group in groups.items():
        best = best_run(group)
        if best is None:
            continue
        where = f" on Python {python}" if python else ""
        lines.append(f"{workload} n={n} ({scaling}){where}: {best.series} w{best.workers}, "
                     f"speedup {best.speedup:.2f}x, efficiency {best.efficiency:.0%}")
    return lines


@dataclass(frozen=True, slots=True)
class LockCost:
    """A model with its Lock against the same model without it, at one configuration."""

    python: str | None
    workers: int
    n: int
    locked: RunResult
    unlocked: RunResult

    @property
    def cost(self) -> float:
        """The Lock's extra time as a fraction of the unlocked time."""
        return (self.locked.median_s - self.unlocked.median_s) / self.unlocked.median_s


def lock_costs(runs: Sequence[RunResult]) -> list[LockCost]:
    """Every no-lock run (a backend with a ``locked_twin``) paired with its locked twin at the
    same configuration, chunksize included."""
    ok = {(r.backend, r.workers, r.n, r.scaling, r.workload, r.python, r.chunksize): r
          for r in runs if r.status == "ok"}
    pairs = []
    for run in runs:
        twin_name = backend_trait(run.backend, "locked_twin")
        if twin_name is None or run.status != "ok" or not run.median_s:
            continue
        twin = ok.get((twin_name, run.workers, run.n, run.scaling, run.workload, run.python, run.chunksize))
        if twin is not None and twin.median_s:
            pairs.append(LockCost(run.python, run.workers, run.n, twin, run))
    return pairs


def lock_cost_lines(runs: Sequence[RunResult]) -> list[str]:
    """The tutorial's Lock lesson, measured: shared (with Lock) against shared-nolock, and
    threads-shared against threads-nolock. The Lock costs time; going without it costs
    correctness. Both figures, side by side.
    """
    several = len({r.python for r in runs}) > 1
    lines = []
    for pair in lock_costs(runs):
        if pair.workers < 2:  # one worker shares nothing: no race to lose, only the Lock's bare cost
            continue
        locked, unlocked = pair.locked, pair.unlocked
        outcome = "lost updates (wrong total)" if unlocked.result_ok is False else "happened to stay exact"
        exact = "exact" if locked.result_ok else "WRONG"
        where = f" on Python {pair.python}" if several and pair.python else ""
        lines.append(f"Lock at {pair.workers} workers{where}, n={pair.n}: {locked.series} (with Lock) "
                     f"{locked.median_s * 1000:.1f} ms, {exact}; {unlocked.series} {unlocked.median_s * 1000:.1f} ms, "
                     f"{outcome}; the Lock cost {pair.cost:+.0%}.")
    return lines
