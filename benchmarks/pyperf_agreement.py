"""Benchmark: does harness's serial median agree with pyperf's measurement of the same function?

pyperf is the reference for measurement rigour (calibrated loops, many worker processes).
Both measure ``poly(0, n)`` here; the goal is agreement within 5%.

    .venv/bin/python benchmarks/pyperf_agreement.py [--n 300000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import pyperf

from harness.config import RunConfig
from harness.execution.passes import Configuration, run_configuration
from harness.workloads import resolve_workload


def pyperf_median(n: int, out: str) -> float:
    subprocess.run(
        [sys.executable, "-m", "pyperf", "timeit", "--quiet", "--processes", "10", "--values", "3",
         "-s", "from harness.workloads import poly", f"poly(0, {n})", "-o", out],
        check=True,
    )
    return pyperf.Benchmark.load(out).median()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    config = RunConfig(backends=("serial",), workers=(1,), n=(args.n,), repeat=args.repeat, warmup=1)
    with tempfile.TemporaryDirectory() as tmp:
        # Alternate the two tools so drift on a shared machine touches both.
        harness_medians, pyperf_medians = [], []
        for i in range(2):
            run = run_configuration(Configuration("serial", 1, args.n), config, resolve_workload("poly"))
            harness_medians.append(run.median_s)
            pyperf_medians.append(pyperf_median(args.n, os.path.join(tmp, f"pyperf{i}.json")))
    ours = min(harness_medians)
    theirs = min(pyperf_medians)
    diff = (ours - theirs) / theirs * 100
    print(f"poly(0, {args.n}): harness serial median {ours * 1000:.2f} ms, pyperf median {theirs * 1000:.2f} ms "
          f"(each the lower of two alternating measurements)")
    print(f"difference {diff:+.2f}%: {'within' if abs(diff) <= 5 else 'OUTSIDE'} the 5% goal")
    return 0 if abs(diff) <= 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
