"""Benchmark: how much memory does each concurrency model take, per worker?

Samples, through the harness's own CpuSampler (a separate process reading this process and
all its descendants, itself left out), the total memory while N = 1, 2, 4 workers each
compute a small pure-Python loop, with (a) a multiprocessing.Pool of N processes and (b) N
threads; and "none", this process alone computing the loop once, as the baseline. Each pool
or thread pool is started and warmed first, outside the sampled window, as a harness backend
is before its timed repeats; each point is sampled over ``--repeats`` windows and aggregated
with ``memory_use``, as the runner does. Done twice, with a sampler preferring USS and one
preferring PSS, to show how the two totals differ: USS counts no page that two processes
share (a forked worker's inherited pages count for neither it nor its parent), PSS splits
each shared page among its sharers, so the PSS total is the tree's real footprint.

Under spawn or forkserver, multiprocessing's resource tracker (and the forkserver) are
descendants too, and live on after their pool: they count in every later row.

Prints, per model and worker count, peak and (time-weighted) mean in MiB of each total, the
peak's growth per worker over the baseline, the most processes seen and the readings taken.
This is memory, not speed: the loop is short and the figures do not depend on the machine's
speed.

    .venv/bin/python benchmarks/memory_per_model.py [--n 300000] [--workers 1 2 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
from concurrent.futures import ThreadPoolExecutor

from harness.results.samples import memory_use
from harness.execution.sampler import CpuSampler

MIB = 1024 * 1024
METRICS = ("uss", "pss")


def loop(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def _use(sampler: CpuSampler, repeats: int, work):
    samples = []
    for _ in range(repeats):
        sampler.start()
        work()
        samples.append(sampler.stop())
    return memory_use(samples)


def _measure(metric: str, args, context) -> dict:
    uses = {}
    with CpuSampler(args.interval, memory=metric) as sampler:
        uses[("none", 0)] = _use(sampler, args.repeats, lambda: loop(args.n))
        for workers in args.workers:
            with context.Pool(workers) as pool:
                pool.map(loop, [1] * workers, chunksize=1)  # warm: every worker started
                uses[(f"pool ({context.get_start_method()})", workers)] = _use(
                    sampler, args.repeats, lambda: pool.map(loop, [args.n] * workers, chunksize=1))
            with ThreadPoolExecutor(workers) as executor:
                list(executor.map(loop, [1] * workers))
                uses[("threads", workers)] = _use(
                    sampler, args.repeats, lambda: list(executor.map(loop, [args.n] * workers)))
    return uses


def _mib(value: float) -> str:
    return f"{value / MIB:>8.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000, help="loop length per worker (default: 300000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts (default: 1 2 4)")
    parser.add_argument("--repeats", type=int, default=3, help="sampled windows per point (default: 3)")
    parser.add_argument("--interval", type=float, default=0.05, help="sample interval in seconds (default: 0.05)")
    parser.add_argument("--start-method", default=None, help="multiprocessing start method (default: the platform's)")
    args = parser.parse_args()
    context = multiprocessing.get_context(args.start_method)
    by_metric = {metric: _measure(metric, args, context) for metric in METRICS}
    print(f"loop n={args.n} per worker, {args.repeats} sampled windows per point, interval {args.interval} s; MiB")
    header = f"{'model':<17} {'workers':>7}"
    for metric in METRICS:
        header += f" {metric + ' peak':>8} {metric + ' mean':>8} {'+/worker':>8}"
    print(header + f" {'procs':>5} {'readings':>8}")
    for key in sorted(by_metric[METRICS[0]], key=lambda k: (k[0] != "none", k[0], k[1])):
        model, workers = key
        line = f"{model:<17} {workers:>7}"
        for metric in METRICS:
            use, base = by_metric[metric][key], by_metric[metric][("none", 0)]
            if use is None or base is None:
                line += f" {'no readings':>26}"
                continue
            if use.metric != metric:  # fell back: say so
                line += f" ({use.metric})"
            per_worker = _mib((use.peak_bytes - base.peak_bytes) / workers) if workers else f"{'':>8}"
            line += f" {_mib(use.peak_bytes)} {_mib(use.mean_bytes)} {per_worker}"
        use = by_metric[METRICS[0]][key]
        print(line + (f" {use.processes:>5} {use.samples:>8}" if use else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
