"""From runs to conclusions: speedups against serial, the fastest configuration, and why.

Pure functions over RunResults; formatting for people happens here as plain strings so the
CLI and the report say the same thing.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from harness import stats
from harness.analysis.estimates import paired_ratio, pass_times
from harness.execution.backends import is_baseline, is_thread_based, workers_used
from harness.analysis.locks import LockCost, lock_cost_lines, lock_costs  # noqa: F401 (re-exported)
from harness.analysis.threads import (gil_reenabled_lines, thread_explanation,  # noqa: F401 (re-exported)
                                      thread_explanations)
from harness.results.facts import Capacity, Interpreter, facts_from
from harness.results.model import RunResult
from harness.analysis.baseline import (baseline_key, baseline_runs, cores_used, cpu_bound,  # noqa: F401 (re-exported)
                                       ideal_speedup, threads_scaled)

__all__ = ["LockCost", "baseline_key", "baseline_runs", "attach_baseline_speedups", "attach_speedups", "above_ideal", "cpu_bound",
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
                                   cpu_time_ratio=None, speedup_above_ideal=None, paired_speedup=None,
                                   paired_speedup_ci95=None))
            continue
        s = stats.speedup(base.median_s, run.median_s)
        in_use = workers_used(run.backend, run.workers)
        interval = stats.speedup_interval(base.ci95_s, run.ci95_s) if base.ci95_s and run.ci95_s else None
        cpus = logical_cpus if cpu_bound(run, s) else None  # waiting workers are not capped by the CPUs
        paired = paired_ratio(pass_times(base.times_s, base.repeat_passes), pass_times(run.times_s, run.repeat_passes))
        out.append(run.replace(
            speedup=s,
            speedup_ci95=interval,
            paired_speedup=None if paired is None else round(paired.value, 6),
            paired_speedup_ci95=None if paired is None or paired.ci is None else
            (round(paired.ci[0], 6), round(paired.ci[1], 6)),
            speedup_above_ideal=above_ideal(s, interval, ideal_speedup(in_use, cpus)),
            efficiency=stats.efficiency(s, in_use),
            karp_flatt=stats.karp_flatt(s, in_use) if in_use > 1 else None,
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
        workers = workers_used(run.backend, run.workers)
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


def verdict_lines(runs: Sequence[RunResult], gil_enabled: bool | None, logical_cpus: int | None,
                  interpreters: Sequence[Interpreter | dict] = (), capacity: Capacity | dict | None = None) -> list[str]:
    """The verdict at the top of the report and the end of the CLI summary.

    ``gil_enabled`` is the harness's own interpreter's GIL (for runs that did not record one);
    ``logical_cpus`` the CPUs the sweep could use (``Machine.cpus``: affinity and cgroup quota
    count, so ``taskset -c 0`` makes it 1); ``interpreters`` the suite's interpreter list, for
    the build x model lines; ``capacity`` the suite's host-capacity probe (harness run
    --capacity), when it ran.
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
            lines.append(f"It used more workers ({best.workers}) than CPUs this process could use ({logical_cpus}).")
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


def attach_baseline_speedups(runs: Sequence[RunResult], python: str | None) -> list[RunResult]:
    """Fill baseline_speedup (with its interval) against one serial run per size: the one on
    the interpreter labelled ``python`` (the verdict's baseline), at the same n, workload and
    scaling (and, weak, the same workers). Runs with no such baseline get None."""
    from harness.analysis.ties import speedup_estimate

    def point(run: RunResult) -> tuple:  # baseline_key without the interpreter
        return run.n, run.scaling, run.workload, run.workers if run.scaling == "weak" else 1

    serial = {point(r): r for r in baseline_runs(runs).values() if r.python == python}
    out = []
    for run in runs:
        base = serial.get(point(run))
        if run.status != "ok" or base is None or not run.times_s or not run.median_s:
            out.append(run.replace(baseline_speedup=None, baseline_speedup_ci95=None))
            continue
        estimate = speedup_estimate(run, base)
        out.append(run.replace(baseline_speedup=round(estimate.value, 6),
                               baseline_speedup_ci95=None if estimate.ci is None else
                               (round(estimate.ci[0], 6), round(estimate.ci[1], 6))))
    return out
