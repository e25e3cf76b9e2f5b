"""Do speedups repeat? The same default sweep, run back to back, compared configuration by configuration.

Runs ``harness run ARGS`` (default: the tutorial's backends at 2 workers, n=5e6, with the
harness's default interleaving and --repeat auto) RUNS times in a row, and prints each
configuration's speedups and their max/min. The goal on a 2-core VM: max/min <= 1.05 for
every speedup. Each run's results.json is kept in --out for a second look.

Usage: python benchmarks/reproducibility.py [--runs 3] [--out DIR] [-- extra harness run options]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SWEEP = ["--backends", "serial,threads,processes,pool", "--workers", "2", "--n", "5000000"]


def one_run(out: str, extra: list[str]) -> dict:
    args = [sys.executable, "-m", "harness", "run", *DEFAULT_SWEEP, *extra, "--out", out, "--quiet", "--no-report"]
    t0 = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"harness run failed ({done.returncode}): {done.stderr.strip()}")
    with open(os.path.join(out, "results.json"), encoding="utf-8") as handle:
        data = json.load(handle)
    data["_wall_s"] = time.perf_counter() - t0
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=None, help="keep each run's results.json here (default: a temp folder)")
    parser.add_argument("extra", nargs="*", help="more harness run options, after --")
    args = parser.parse_args()
    base = args.out or tempfile.mkdtemp(prefix="reproducibility-")
    suites = [one_run(os.path.join(base, f"run{i + 1}"), args.extra) for i in range(args.runs)]
    speedups: dict[str, list[float]] = {}
    for suite in suites:
        for run in suite["runs"]:
            if run["backend"] != "serial" and run.get("speedup"):
                speedups.setdefault(f"{run['backend']}@{run['workers']}", []).append(run["speedup"])
    walls = ", ".join(f"{suite['_wall_s']:.0f} s" for suite in suites)
    print(f"{args.runs} back-to-back runs of harness run {' '.join(DEFAULT_SWEEP + args.extra)} ({walls}); "
          f"results in {base}")
    worst = 1.0
    for label, values in speedups.items():
        ratio = max(values) / min(values)
        worst = max(worst, ratio)
        repeats = [len(r["times_s"]) for s in suites for r in s["runs"]
                   if f"{r['backend']}@{r['workers']}" == label]
        print(f"  {label:<16} speedups {', '.join(f'{v:.3f}' for v in values)}  max/min {ratio:.3f}  "
              f"repeats {repeats}")
    for suite in suites:
        for warning in suite["warnings"]:
            if "above the ideal" in warning or "busy" in warning:
                print(f"  warning: {warning[:160]}")
    print(f"worst max/min: {worst:.3f} (goal <= 1.05)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
