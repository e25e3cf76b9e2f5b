"""Benchmark: the harness's own overhead against a hand-written tutorial script.

On a shared machine the speed of the cores drifts from second to second, so an absolute
speedup measured now may differ from one measured a minute later. What the harness itself
adds is measured here as a ratio taken side by side: each round times the tutorial's
hand-written code (serial loop; two fresh Processes with a Queue; Pool.starmap) and the
harness's serial, processes and pool backends, interleaved, at the same n.

    .venv/bin/python benchmarks/overhead_vs_handwritten.py [--n 10000000] [--rounds 5]

It prints, per model, the median time of each and their ratio (harness / hand-written;
1.00 means no overhead), plus the speedups each way measured.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import time

from harness.config import RunConfig
from harness.execution.passes import Configuration, run_configuration
from harness.workloads import poly, resolve_workload


def _job(lo, hi, q=None):
    res = poly(lo, hi)
    if q is not None:
        q.put(res)
    return res


def hand_serial(n):
    t = time.perf_counter()
    _job(0, n)
    return time.perf_counter() - t


def hand_processes(n):
    q = mp.Queue()
    t = time.perf_counter()
    procs = [mp.Process(target=_job, args=(0, n // 2, q)), mp.Process(target=_job, args=(n // 2, n, q))]
    for p in procs:
        p.start()
    q.get(), q.get()
    for p in procs:
        p.join()
    return time.perf_counter() - t


def hand_pool(pool, n):
    t = time.perf_counter()
    pool.starmap(_job, [(0, n // 2), (n // 2, n)])
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.n
    workload = resolve_workload("poly")
    config = RunConfig(backends=("serial", "processes", "pool"), workers=(2,), n=(n,), repeat=1, warmup=0)
    times = {key: [] for key in ("hand serial", "hand processes", "hand pool", "serial", "processes", "pool")}
    with mp.Pool(2) as pool:
        hand_pool(pool, 1000)
        for _ in range(args.rounds):
            times["hand serial"].append(hand_serial(n))
            times["serial"].extend(run_configuration(Configuration("serial", 1, n), config, workload).times_s)
            times["hand processes"].append(hand_processes(n))
            times["processes"].extend(run_configuration(Configuration("processes", 2, n), config, workload).times_s)
            times["hand pool"].append(hand_pool(pool, n))
            times["pool"].extend(run_configuration(Configuration("pool", 2, n), config, workload).times_s)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"n={n}, {args.rounds} interleaved rounds")
    print(f"{'model':<10} {'hand-written':>13} {'harness':>9} {'harness/hand':>13} {'hand speedup':>13} {'harness speedup':>16}")
    for model in ("serial", "processes", "pool"):
        hand, ours = med[f"hand {model}"], med[model]
        print(f"{model:<10} {hand:>12.3f}s {ours:>8.3f}s {ours / hand:>13.3f} "
              f"{med['hand serial'] / hand:>13.2f} {med['serial'] / ours:>16.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
