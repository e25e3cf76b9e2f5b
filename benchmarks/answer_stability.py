"""Does the answer hold? The same sweep back to back: its verdict, and its intervals' coverage and width.

Runs each sweep RUNS times in a row (default: `make bench`'s, `harness run --capacity`, and the
4-backend sweep `--backends serial,threads,processes,pool --workers 2 --n 5000000`), keeps
every results.json, and reports:

* **recommendation stability**: each run's verdict (best, tied set, recommended); the answer
  holds when every run's fastest is the same, or each run's tied set (with its fastest) holds
  every other run's fastest. A run whose fastest is tied crowns no winner (its answer is the
  tied set and the one to use), so the weaker reading is printed too: every winner a run did
  crown is in every other run's answer;
* **interval width vs coverage**, per parallel configuration and estimator of its speedup
  against serial: how often one run's 95% interval contains another run's point (goal >= 90%),
  and the median interval width as a share of the point. Estimators: ``extremes`` (the
  results' speedup_ci95: the two medians' intervals' extremes paired), ``unpaired`` (the
  Hodges-Lehmann ratio with its exact Mann-Whitney interval) and ``paired`` (per-pass ratios
  of the interleaved sweep, the sign test's interval): confidence intervals, about one run's
  true speedup. ``rerun-unpaired`` and ``rerun-paired`` are where a rerun's figure would land
  (harness.analysis.rerun), and ``rerun`` is the one the verdict shows (each side's repeats on their
  own, as rerun-unpaired): the interval the coverage test asks about.

Measured on the 2-vCPU VM this project is built on (see the closing note of the answer issue
for the figures and the estimator chosen as harness.analysis.estimates.RATIO_METHOD).

Usage: python benchmarks/answer_stability.py [--runs 5] [--out DIR] [--only bench|four] [--analyse DIR]
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SWEEPS = {
    "bench": ["--capacity"],
    "four": ["--backends", "serial,threads,processes,pool", "--workers", "2", "--n", "5000000"],
}
ESTIMATORS = ("extremes", "unpaired", "paired", "rerun-unpaired", "rerun-paired", "rerun")


def run_sweeps(name: str, runs: int, base: str) -> list[str]:
    folders = []
    for index in range(runs):
        out = os.path.join(base, name, f"run{index + 1}")
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "harness", "run", *SWEEPS[name], "--out", out, "--quiet",
                               "--no-report"], cwd=ROOT, capture_output=True, text=True)
        if done.returncode not in (0, 1):
            raise SystemExit(f"harness run failed ({done.returncode}): {done.stderr.strip()}")
        print(f"  {name} run {index + 1}: {time.perf_counter() - t0:.0f} s", flush=True)
        folders.append(out)
    return folders


def _speedup(run, serial, estimator: str):
    """(point, interval) of run's speedup against serial by ``estimator``; None where it has none."""
    from harness.analysis.estimates import paired_ratio, pass_times, unpaired_ratio
    from harness.analysis.rerun import rerun_ratio

    if estimator == "rerun":  # what the verdict shows: from each side's repeats
        from harness.analysis.verdict import choice_of

        choice = choice_of(run, serial)
        return None if choice.speedup_rerun is None else (choice.speedup, choice.speedup_rerun)
    if estimator.startswith("rerun-"):
        # The interval is for the figure a rerun would report: the median per-pass ratio when
        # paired, the ratio of the two medians when not.
        if estimator == "rerun-paired":
            top, bottom = pass_times(serial.times_s, serial.repeat_passes), pass_times(run.times_s, run.repeat_passes)
            point = paired_ratio(top, bottom)
            found = rerun_ratio(top, bottom) if point is not None else None
            return None if found is None else (point.value, (found.lo, found.hi))
        found = rerun_ratio(serial.times_s, run.times_s)
        return None if found is None else (serial.median_s / run.median_s, (found.lo, found.hi))
    if estimator == "extremes":
        return (run.speedup, run.speedup_ci95) if run.speedup_ci95 else None
    if estimator == "unpaired":
        estimate = unpaired_ratio(serial.times_s, run.times_s)
    else:
        estimate = paired_ratio(pass_times(serial.times_s, serial.repeat_passes),
                                pass_times(run.times_s, run.repeat_passes))
    if estimate is None or estimate.ci is None:
        return None
    return estimate.value, estimate.ci


def coverage_and_width(suites, estimator: str) -> dict[str, tuple[float, float, int]]:
    """Per configuration: (share of other runs' points inside each run's interval, median width / point, pairs)."""
    from harness.analysis.baseline import baseline_key, baseline_runs
    from harness.execution.backends import is_baseline

    per_config: dict[str, list[tuple[float, tuple[float, float]]]] = {}
    for suite in suites:
        serial = baseline_runs(suite.runs)
        for run in suite.runs:
            base = serial.get(baseline_key(run))
            if is_baseline(run.backend) or run.status != "ok" or base is None:
                continue
            found = _speedup(run, base, estimator)
            if found is not None:
                per_config.setdefault(f"{run.series}@{run.workers}", []).append(found)
    out = {}
    for config, values in per_config.items():
        hits = total = 0
        for i, (_, (lo, hi)) in enumerate(values):
            for j, (point, _) in enumerate(values):
                if i != j:
                    total += 1
                    hits += lo <= point <= hi
        widths = [(hi - lo) / point for point, (lo, hi) in values]
        if total:
            out[config] = (hits / total, statistics.median(widths), total)
    return out


def stability(suites, method: str) -> list[str]:
    """Each run's verdict under ``method``, and whether the answer held across the runs."""
    from harness.analysis import estimates
    from harness.analysis.verdict import suite_verdict

    estimates.RATIO_METHOD = method
    verdicts = [suite_verdict(s) for s in suites]
    winners = [v.best.name if v.best else None for v in verdicts]
    sets = [{c.name for c in ((v.best,) + v.tied if v.best else ())} for v in verdicts]
    same = len(set(winners)) == 1
    held = same or all(set(winners) - {None} <= s for s in sets)
    lines = [f"  run {i + 1}: best {w}; tied {sorted(s - {w})}; use {v.recommended.name if v.recommended else '-'}; "
             f"noise ±{v.host_noise.spread:.0%}" if v.host_noise else f"  run {i + 1}: best {w}"
             for i, (w, s, v) in enumerate(zip(winners, sets, verdicts))]
    verdict = "the same winner every time" if same else (
        "every tied set holds every run's fastest" if held else "the fastest did NOT hold")
    # A run whose fastest is tied with others crowns no winner: its answer is the tied set (the
    # CLI's "Fastest, tied within noise at ...: A, B, C; use ..."). The weaker reading: every
    # winner a run did crown (beyond noise of all others) is in every other run's answer.
    crowned = {w for w, s in zip(winners, sets) if w is not None and s == {w}}
    kept = all(crowned <= s for s in sets)
    held_where = "in every run's answer" if kept else "NOT in every answer"
    verdict += f"; crowned winners ({len(crowned)} distinct, of runs with no tie) {held_where}"
    # What the CLI leads with among tied configurations: the simplest (fewest workers, plainest model).
    used = [v.recommended.name if v.recommended else None for v in verdicts]
    advice = f"recommended {used[0]} in {len(used)}/{len(used)} runs" if len(set(used)) == 1 else (
        "recommended " + ", ".join(f"{name} {used.count(name)}x" for name in sorted(set(used), key=str)))
    return lines + [f"  answer ({method} estimator): {verdict}; {advice}"]


def analyse(name: str, folders: list[str]) -> None:
    from harness.results.storage import load_suite

    suites = [load_suite(os.path.join(f, "results.json")) for f in folders]
    print(f"\n== {name}: harness run {' '.join(SWEEPS.get(name, []))} x {len(suites)}")
    for method in ("unpaired", "paired"):
        for line in stability(suites, method):
            print(line)
    print(f"  {'configuration':<22}" + "".join(f"{e:>16} cover/width" for e in ESTIMATORS))
    tables = {e: coverage_and_width(suites, e) for e in ESTIMATORS}
    configurations = max((len(t) for t in tables.values()), default=0)
    if configurations and len(suites) > 1:
        print(exchangeable_floor(configurations, len(suites)))
    for config in sorted({c for t in tables.values() for c in t}):
        cells = "".join(f"{t[config][0]:>20.0%} {t[config][1]:>6.0%}" if config in t else f"{'-':>20} {'-':>6}"
                        for t in tables.values())
        print(f"  {config:<22}{cells}")
    for e, table in tables.items():
        if table:
            # Pooled over every configuration's pairs: 20 pairs per configuration (5 runs) resolve
            # coverage only in steps of 5%, and the worst of many configurations is low by chance
            # alone (exchangeable_floor below).
            pooled = sum(v[0] * v[2] for v in table.values()) / sum(v[2] for v in table.values())
            print(f"  {e}: coverage median {statistics.median(v[0] for v in table.values()):.0%}, min "
                  f"{min(v[0] for v in table.values()):.0%}, pooled {pooled:.1%}; width median "
                  f"{statistics.median(v[1] for v in table.values()):.0%}")


def exchangeable_floor(configurations: int, runs: int, passes: int = 9, sets: int = 2000, seed: int = 1) -> str:
    """What the coverage test shows for a perfect interval: runs that differ by noise alone
    (exchangeable passes), each interval [min, max] of ``passes`` per-pass values (what the rerun
    interval is at 9 passes), each point the median. Seeded: the same line every time."""
    import numpy as np

    rng = np.random.default_rng(seed)
    values = rng.standard_normal((sets, configurations, runs, passes))
    low, high, point = values.min(-1), values.max(-1), np.median(values, -1)
    held = (low[:, :, :, None] <= point[:, :, None, :]) & (point[:, :, None, :] <= high[:, :, :, None])
    off_diagonal = ~np.eye(runs, dtype=bool)
    coverage = held[:, :, off_diagonal].mean(-1)  # per set and configuration
    worst = coverage.min(-1)
    return (f"  a perfect interval ([min, max] of {passes} exchangeable passes, holding {coverage.mean():.1%}) over "
            f"{configurations} configurations x {runs} runs: worst configuration <= 85% in {np.mean(worst <= 0.85):.0%} "
            f"of sets, median worst {np.median(worst):.0%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(ROOT, "reports", "answer-stability"))
    parser.add_argument("--only", choices=sorted(SWEEPS), default=None)
    parser.add_argument("--analyse", action="store_true", help="only analyse the results already in --out")
    args = parser.parse_args()
    for name in ([args.only] if args.only else list(SWEEPS)):
        if args.analyse:
            folders = sorted(glob.glob(os.path.join(args.out, name, "run*")))
        else:
            folders = run_sweeps(name, args.runs, args.out)
        if folders:
            analyse(name, folders)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
