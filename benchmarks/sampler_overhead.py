"""Benchmark: does per-core sampling disturb what it measures?

Runs serial, threads and processes at a fixed n with sampling on and off, back to back in
alternating order, so drift on a shared machine hits both sides alike. Each adjacent on/off
pair gives one ratio; the median of those paired ratios is the sampler's effect, far less
exposed to a machine whose speed wanders than a difference of two overall medians (both are
printed). The sampler process's own CPU use is reported too: it is the cost it could at most
impose. The goal: within 2% for each backend.

    .venv/bin/python benchmarks/sampler_overhead.py [--n 2000000] [--rounds 12]
"""

from __future__ import annotations

import argparse
import statistics
import time

import psutil

from harness.config import RunConfig
from harness.runner import Configuration, run_configuration
from harness.sampler import CpuSampler
from harness.workloads import resolve_workload


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=12, help="on/off pairs per backend (3 repeats each)")
    parser.add_argument("--interval", type=float, default=0.1)
    args = parser.parse_args()
    workload = resolve_workload("poly")
    config = RunConfig(backends=("serial", "threads", "processes"), workers=(2,), n=(args.n,),
                       repeat=3, warmup=0, sample_interval_s=args.interval)
    points = [Configuration("serial", 1, args.n), Configuration("threads", 2, args.n),
              Configuration("processes", 2, args.n)]
    times = {(p.backend, on): [] for p in points for on in (True, False)}
    ratios = {p.backend: [] for p in points}
    with CpuSampler(args.interval) as sampler:
        sampler_proc = psutil.Process(sampler.pid)
        cpu0, wall0 = sum(sampler_proc.cpu_times()[:2]), time.perf_counter()
        for round_index in range(args.rounds):
            for point in points:
                order = (True, False) if round_index % 2 == 0 else (False, True)
                medians = {}
                for on in order:
                    run = run_configuration(point, config, workload, sampler=sampler if on else None)
                    assert run.status == "ok" and run.result_ok, run.error
                    times[(point.backend, on)].extend(run.times_s)
                    medians[on] = run.median_s
                ratios[point.backend].append(medians[True] / medians[False])
        sampler_cpu = sum(sampler_proc.cpu_times()[:2]) - cpu0
        wall = time.perf_counter() - wall0
    print(f"n={args.n}, {args.rounds} alternating on/off pairs of 3 repeats, sample interval {args.interval} s")
    print(f"{'backend':<10} {'median on':>10} {'median off':>11} {'difference':>11} {'paired ratio':>13} {'pairs IQR':>16}")
    worst = 0.0
    for point in points:
        on = statistics.median(times[(point.backend, True)])
        off = statistics.median(times[(point.backend, False)])
        paired = statistics.median(ratios[point.backend])
        q1, _, q3 = statistics.quantiles(ratios[point.backend], n=4)
        effect = (paired - 1) * 100
        worst = max(worst, abs(effect))
        print(f"{point.backend:<10} {on * 1000:>8.1f}ms {off * 1000:>9.1f}ms {(on - off) / off * 100:>+10.2f}% "
              f"{effect:>+12.2f}% {(q1 - 1) * 100:>+7.1f}..{(q3 - 1) * 100:+.1f}%")
    print(f"sampler process CPU: {sampler_cpu:.3f} s over {wall:.1f} s = {sampler_cpu / wall * 100:.2f}% of one core")
    verdict = "within" if worst <= 2.0 else "OUTSIDE"
    print(f"largest paired effect {worst:.2f}%: {verdict} the 2% goal")
    return 0 if worst <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
