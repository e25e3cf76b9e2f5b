"""Benchmark: does per-core sampling disturb what it measures?

Runs serial, threads and processes at a fixed n with the sampler on and off. A shared
machine's speed wanders, here by up to 2x for a second or more at a time, so the two sides
are measured close together: blocks of four single repeats in the order on, off, off, on
(or off, on, on, off, alternately). Within a block a linear drift hits both sides alike,
and the block gives one ratio, (on + on) / (off + off). The median of the blocks' ratios is
the sampler's effect; its 95% interval (order statistics) says how well it is known. The
sampler process's own CPU use is reported too: it is the most it could take from the
workers. The goal: within 2% for each backend.

    .venv/bin/python benchmarks/sampler_overhead.py [--n 1000000] [--blocks 40]
"""

from __future__ import annotations

import argparse
import statistics
import time

import psutil

from harness.config import RunConfig
from harness.execution.passes import Configuration, run_configuration
from harness.execution.sampler import CpuSampler
from harness.stats import median_ci
from harness.workloads import resolve_workload


def _one_repeat(point: Configuration, config: RunConfig, workload, sampler) -> float:
    run = run_configuration(point, config, workload, sampler=sampler)
    if run.status != "ok" or not run.result_ok:
        raise SystemExit(f"sampler_overhead: {run.label}: {run.status} {run.error}")
    return run.times_s[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="poly size (default: 1000000)")
    parser.add_argument("--blocks", type=int, default=40, help="on/off/off/on blocks per backend (default: 40)")
    parser.add_argument("--interval", type=float, default=0.1, help="sample interval in seconds (default: 0.1)")
    parser.add_argument("--goal", type=float, default=2.0, help="largest acceptable effect in percent (default: 2)")
    args = parser.parse_args()
    workload = resolve_workload("poly")
    config = RunConfig(backends=("serial", "threads", "processes"), workers=(2,), n=(args.n,),
                       repeat=1, warmup=0, sample_interval_s=args.interval)
    points = [Configuration("serial", 1, args.n), Configuration("threads", 2, args.n),
              Configuration("processes", 2, args.n)]
    times = {(p.backend, on): [] for p in points for on in (True, False)}
    ratios = {p.backend: [] for p in points}
    with CpuSampler(args.interval) as sampler:
        sampler_proc = psutil.Process(sampler.pid)
        cpu0, wall0 = sum(sampler_proc.cpu_times()[:2]), time.perf_counter()
        for point in points:
            _one_repeat(point, config, workload, None)  # warm-up: imports, caches, first fork
            for block in range(args.blocks):
                order = (True, False, False, True) if block % 2 == 0 else (False, True, True, False)
                block_times = {True: 0.0, False: 0.0}
                for on in order:
                    t = _one_repeat(point, config, workload, sampler if on else None)
                    times[(point.backend, on)].append(t)
                    block_times[on] += t
                ratios[point.backend].append(block_times[True] / block_times[False])
        sampler_cpu = sum(sampler_proc.cpu_times()[:2]) - cpu0
        wall = time.perf_counter() - wall0
    print(f"n={args.n}, {args.blocks} blocks of on/off/off/on single repeats per backend, "
          f"sample interval {args.interval} s")
    print(f"{'backend':<10} {'median on':>10} {'median off':>11} {'difference':>11} "
          f"{'effect (blocks)':>16} {'95% interval':>18}")
    worst = 0.0
    for point in points:
        on = statistics.median(times[(point.backend, True)])
        off = statistics.median(times[(point.backend, False)])
        block_ratios = ratios[point.backend]
        effect = (statistics.median(block_ratios) - 1) * 100
        ci = median_ci(block_ratios, 0.95)
        worst = max(worst, abs(effect))
        print(f"{point.backend:<10} {on * 1000:>8.1f}ms {off * 1000:>9.1f}ms {(on - off) / off * 100:>+10.2f}% "
              f"{effect:>+15.2f}% {(ci.lo - 1) * 100:>+8.2f}..{(ci.hi - 1) * 100:+.2f}%")
    print(f"sampler process CPU: {sampler_cpu:.3f} s over {wall:.1f} s = {sampler_cpu / wall * 100:.2f}% of one core")
    verdict = "within" if worst <= args.goal else "OUTSIDE"
    print(f"largest effect {worst:.2f}%: {verdict} the {args.goal:g}% goal")
    return 0 if worst <= args.goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
