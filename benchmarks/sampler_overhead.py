"""Benchmark: does per-core sampling disturb what it measures?

Runs serial, threads and processes at a fixed n with sampling on and off, interleaved
(on, off, on, off, ...) so that drift on a shared machine hits both sides alike, and
reports the difference of the medians. The goal: at most 2% for each backend.

    .venv/bin/python benchmarks/sampler_overhead.py [--n 2000000] [--rounds 8]
"""

from __future__ import annotations

import argparse
import statistics

from harness.config import RunConfig
from harness.runner import Configuration, run_configuration
from harness.sampler import CpuSampler
from harness.workloads import resolve_workload


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=8, help="on/off pairs per backend (3 repeats each)")
    parser.add_argument("--interval", type=float, default=0.1)
    args = parser.parse_args()
    workload = resolve_workload("poly")
    config = RunConfig(backends=("serial", "threads", "processes"), workers=(2,), n=(args.n,),
                       repeat=3, warmup=0, sample_interval_s=args.interval)
    points = [Configuration("serial", 1, args.n), Configuration("threads", 2, args.n),
              Configuration("processes", 2, args.n)]
    times = {(p.backend, on): [] for p in points for on in (True, False)}
    worst = 0.0
    with CpuSampler(args.interval) as sampler:
        for round_index in range(args.rounds):
            for point in points:
                order = (True, False) if round_index % 2 == 0 else (False, True)
                for on in order:
                    run = run_configuration(point, config, workload, sampler=sampler if on else None)
                    assert run.status == "ok" and run.result_ok, run.error
                    times[(point.backend, on)].extend(run.times_s)
    print(f"n={args.n}, {args.rounds} interleaved rounds of 3 repeats, sample interval {args.interval} s")
    print(f"{'backend':<10} {'median on':>10} {'median off':>11} {'difference':>11}")
    for point in points:
        on = statistics.median(times[(point.backend, True)])
        off = statistics.median(times[(point.backend, False)])
        diff = (on - off) / off * 100
        worst = max(worst, abs(diff))
        print(f"{point.backend:<10} {on * 1000:>8.1f}ms {off * 1000:>9.1f}ms {diff:>+10.2f}%")
    verdict = "within" if worst <= 2.0 else "OUTSIDE"
    print(f"largest difference {worst:.2f}%: {verdict} the 2% goal")
    return 0 if worst <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
