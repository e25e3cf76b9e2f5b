"""The verdict: the fastest way to run the workload here, those tied with it, and why.

Across every interpreter, model, worker count and chunksize of the headline size (the
largest size of the sweep's workload at strong scaling: only there are wall times of
different worker counts comparable), the fastest median wall time is ``best``; the runs
whose time is not beyond noise of it (``ties``) are ``tied``; the simplest of those is
``recommended``. Every speedup the verdict gives is against one baseline: serial on the
harness's own interpreter, or the one ``--baseline-python`` names. The host's noise comes
with it, and the short answer (``answer.answer_lines``) says it in at most six lines.

Weak scaling has no common wall time: there the verdict falls back to the best speedup.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from harness.analysis.explain import Explanation, chosen_explanations
from harness.analysis.noise import host_noise, tie_margin
from harness.analysis.speedup import best_run
from harness.analysis.ties import Comparison, compare_times, simplest, speedup_estimate, speedup_rerun
from harness.execution.backends import is_baseline, is_exact_by_design
from harness.results.facts import Capacity, Interpreter
from harness.results.model import RunResult
from harness.results.verdict import Baseline, Choice, Verdict, VerdictReason

__all__ = ["build_verdict", "candidates", "choice_of", "headline_group", "suite_verdict"]


# Below this share of reruns held, no rerun interval is given: 6 repeats a side reach only 64%,
# 7 reach 86%, 9 (--repeat auto's least) 94.1% and 11 97.5% (harness.analysis.rerun.rerun_ratio).
RERUN_FLOOR = 0.80


def _usable(run: RunResult) -> bool:
    return (run.status == "ok" and run.result_ok is not False and not run.speedup_above_ideal
            and bool(run.median_s) and bool(run.times_s) and is_exact_by_design(run.backend))


def headline_group(runs: Sequence[RunResult]) -> tuple[str, str, int] | None:
    """(workload, scaling, n) the answer is about: the sweep's first workload, strong scaling
    where it ran, at its largest size with a usable run."""
    usable = [r for r in runs if _usable(r)]
    if not usable:
        return None
    workload = usable[0].workload
    mine = [r for r in usable if r.workload == workload]
    scaling = "strong" if any(r.scaling == "strong" for r in mine) else mine[0].scaling
    return workload, scaling, max(r.n for r in mine if r.scaling == scaling)


def candidates(runs: Sequence[RunResult]) -> list[RunResult]:
    """The runs that compete for the answer: correct, not drifted, of the headline group; a
    parallel model at one worker is serial with overhead, measured for its curve, not a contender."""
    group = headline_group(runs)
    if group is None:
        return []
    return [r for r in runs if _usable(r) and (r.workload, r.scaling, r.n) == group
            and (r.workers > 1 or is_baseline(r.backend))]


def _baseline_run(runs: Sequence[RunResult], group, python: str | None) -> RunResult | None:
    serial = [r for r in runs if is_baseline(r.backend) and _usable(r) and (r.workload, r.scaling, r.n) == group]
    if group and group[1] == "weak":
        serial = [r for r in serial if r.workers == 1]
    chosen = [r for r in serial if r.python == python] if python is not None else []
    return (chosen or serial or [None])[0]


def choice_of(run: RunResult, baseline: RunResult | None) -> Choice:
    """The run as the verdict names it, its speedup against ``baseline`` (with its interval).

    The speedup is the ratio of the two medians, as in every table; its interval is the tie
    rule's estimator's (paired or unpaired), widened to hold the ratio of medians where the
    two estimators' points differ (bimodal noise can set them apart). The rerun interval
    (``speedup_rerun``: each side's repeats on their own) always holds the ratio of medians;
    it is left out below RERUN_FLOOR coverage. Neither is capped at the ideal
    speedup: a figure above it within noise is what a rerun may measure (beyond noise,
    ``speedup_above_ideal`` flags it). Serial against itself has neither.
    """
    if baseline is None:
        speedup, interval, method, rerun = None, None, None, None
    else:
        estimate = speedup_estimate(run, baseline)
        speedup, method = baseline.median_s / run.median_s, estimate.method
        interval = None if estimate.ci is None else (min(estimate.ci[0], speedup), max(estimate.ci[1], speedup))
        rerun = speedup_rerun(run, baseline) if run is not baseline else None
        if rerun is not None and rerun.coverage < RERUN_FLOOR:
            rerun = None  # two or three repeats cannot say where a rerun lands
    return Choice(backend=run.backend, workers=run.workers, chunksize=run.chunksize, python=run.python, n=run.n,
                  median_s=run.median_s, ci_s=run.ci95_s or run.ci_s,
                  speedup=None if speedup is None else round(speedup, 4),
                  speedup_ci=_rounded(interval), method=method,
                  speedup_rerun=None if rerun is None else _rounded((rerun.lo, rerun.hi)),
                  rerun_coverage=None if rerun is None else round(rerun.coverage, 4))


def _rounded(pair: tuple[float, float] | None) -> tuple[float, float] | None:
    return None if pair is None else (round(pair[0], 4), round(pair[1], 4))


def _reason(explained: Explanation, several: bool) -> VerdictReason:
    run = explained.run
    where = f" on {run.python}" if several and run.python else ""
    return VerdictReason(run.backend, run.workers, run.chunksize, run.python, explained.outcome,
                         explained.kinds, explained.brief_line(where))


def _resolvable(comparisons: Sequence[Comparison]) -> float | None:
    """The median over best's comparisons of the smallest difference each could call beyond
    noise (``Comparison.resolves``: its interval's half-width plus the host's spread)."""
    widths = sorted(w for w in (c.resolves for c in comparisons) if w is not None)
    return widths[len(widths) // 2] if widths else None


def build_verdict(runs: Sequence[RunResult], *, logical_cpus: int | None = None, gil_enabled: bool | None = None,
                  interpreters: Sequence[Interpreter] = (), capacity: Capacity | None = None,
                  baseline_python: str | None = None) -> Verdict:
    """The verdict of a sweep's runs (speedups attached); ``baseline_python`` is the label of
    the interpreter whose serial run is the baseline (default: the harness's own, listed first)."""
    from harness.analysis.answer import answer_lines

    group = headline_group(runs)
    pool = candidates(runs)
    own = interpreters[0].label if interpreters else (runs[0].python if runs else None)
    baseline_run = _baseline_run(runs, group, baseline_python or own)
    baseline = None if baseline_run is None else Baseline(baseline_run.python, baseline_run.backend,
                                                          baseline_run.n, baseline_run.median_s)
    several = len({r.python for r in runs}) > 1
    if group is not None and group[1] == "weak":
        best_weak = best_run(pool)
        best, tied, resolvable = best_weak, [], None
    else:
        best = min(pool, key=lambda r: (r.median_s, r.workers)) if pool else None
        # Every candidate compared with best once: the tie rule and the noise it resolved read the same.
        others = [r for r in pool if r is not best] if best is not None else []
        margin = tie_margin(runs, group[2]) if group is not None else 0.0
        comparisons = [compare_times(best, r, len(others), margin) for r in others]
        tied = [c.other for c in comparisons if c.tied]
        resolvable = _resolvable(comparisons) if best is not None else None
    recommended = simplest([best] + tied) if best is not None else None
    contenders = {id(r) for r in [best, *tied] if r is not None}
    reasons = tuple(_reason(e, several) for e in chosen_explanations(runs, gil_enabled, logical_cpus)
                    if id(e.run) not in contenders)
    choices = {id(r): choice_of(r, baseline_run) for r in [best, *tied] if r is not None}  # recommended among them
    verdict = Verdict(
        best=None if best is None else choices[id(best)],
        tied=tuple(choices[id(r)] for r in sorted(tied, key=lambda r: r.median_s)),
        recommended=None if recommended is None else choices[id(recommended)],
        baseline=baseline,
        host_noise=host_noise(runs, capacity, resolvable),
        reasons=reasons,
    )
    return dataclasses.replace(verdict, lines=tuple(answer_lines(verdict, runs, logical_cpus=logical_cpus,
                                                                 interpreters=interpreters)))


def suite_verdict(suite) -> Verdict:
    """The verdict of a Suite (a harness.results.model.Suite) worked out again from its runs, as
    ``harness report`` does: files of any schema get one."""
    return build_verdict(suite.runs, logical_cpus=suite.machine.cpus, gil_enabled=suite.python.gil_enabled,
                         interpreters=suite.interpreters, capacity=suite.capacity,
                         baseline_python=(suite.config or {}).get("baseline_python"))
