"""What keeping a sweep's results costs per finished run, from 10 to 10,000 runs.

Two measurements, side by side in one process:

1. Synthetic: the real Recorder (journal append per run, results.json rewritten at most
   every 5 s, or 10x its own last duration, the Suite built with speedups at each save)
   fed synthetic runs with 2-core CPU timelines. Each run is taken to last --run-s
   (default 5 ms, a tiny run) on the recorder's clock, so the periodic saves fall as they
   would in a real sweep; what is timed is the recorder's own work, saves included.
   Printed: the mean cost per run over each window (runs 1-10, 11-100, ..., 1,001-10,000).
   Flat means constant cost per run.
2. Real: `harness run` of tiny configurations (serial and threads at 1..k workers over
   many sizes, one repeat each), with 60 runs and with about 540; printed: the wall time
   of each and their ratio. With constant bookkeeping the larger sweep costs its runs,
   not the square of them.

Usage: python benchmarks/bookkeeping_cost.py [--max-runs 10000] [--no-real]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from harness.config import RunConfig  # noqa: E402
from harness.results.model import CpuLoad, RunResult, WorkerSpan  # noqa: E402
from harness.results.recorder import Recorder  # noqa: E402
from harness.results.storage import RESULTS_NAME  # noqa: E402
from harness.api.assemble import build_suite  # noqa: E402

ENVIRONMENT = {"machine": {"logical_cpus": 2}, "python": {"version": "3.11.7"}}


def synthetic_run(index: int) -> RunResult:
    backend = "serial" if index % 10 == 0 else "threads"
    times = tuple(0.01 + 0.0001 * k for k in range(6))
    timeline = tuple(round(0.1 * k, 4) for k in range(1, 11))
    return RunResult(backend=backend, workers=1 if backend == "serial" else 2, n=index // 10, scaling="strong",
                     workload="poly", start_method="fork", status="ok", times_s=times, median_s=times[3],
                     ci_s=(times[0], times[-1]), ci95_s=(times[0], times[-1]), ci_confidence=0.96875,
                     result_ok=True,
                     cpu=CpuLoad(interval_s=0.1, mean_per_core=(90.0, 40.0), busy_cores=1.3,
                                 timeline_t_s=timeline, timeline_per_core=((90.0,) * 10, (40.0,) * 10)),
                     worker_spans=(WorkerSpan(0, 0.0, 0.009, 0.009, 1), WorkerSpan(1, 0.0, 0.0095, 0.009, 1)))


class SweepClock:
    """The recorder's clock: real time spent recording, plus ``run_s`` per run measured."""

    def __init__(self, run_s: float) -> None:
        self.run_s, self.runs = run_s, 0
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start + self.runs * self.run_s


def synthetic(max_runs: int, run_s: float) -> list[tuple[int, int, float]]:
    """(first, last, ms per run) for each decade window up to ``max_runs``."""
    config = RunConfig(backends=("serial", "threads"), workers=(1, 2), n=(0,))
    windows = []
    clock = SweepClock(run_s)
    with tempfile.TemporaryDirectory() as folder:
        recorder = Recorder(folder, os.path.join(folder, RESULTS_NAME),
                            lambda runs, complete: build_suite(config, runs, ENVIRONMENT, "2026", complete=complete),
                            clock=clock)
        recorder.save()
        done, edge = 0, 10
        while done < max_runs:
            first = done + 1
            spent = 0.0
            while done < min(edge, max_runs):
                run = synthetic_run(done)
                t0 = time.perf_counter()
                recorder.record_run(run)
                spent += time.perf_counter() - t0
                clock.runs += 1
                done += 1
            windows.append((first, done, spent / (done - first + 1) * 1e3))
            edge *= 10
        t0 = time.perf_counter()
        recorder.save(complete=True)
        final_s = time.perf_counter() - t0
        size = os.path.getsize(os.path.join(folder, RESULTS_NAME))
    print(f"final results.json save of {done} runs: {final_s * 1e3:.0f} ms, {size / 1e6:.1f} MB")
    return windows


def real_sweep(sizes: int, workers: int) -> tuple[int, float]:
    """Wall time of one `harness run` of tiny runs: (runs, seconds)."""
    with tempfile.TemporaryDirectory() as folder:
        args = [sys.executable, "-m", "harness", "run", "--backends", "serial,threads",
                "--workers", ",".join(str(w) for w in range(1, workers + 1)),
                "--n", ",".join(str(n) for n in range(sizes)), "--repeat", "1", "--warmup", "0",
                "--no-sampling", "--no-report", "--quiet", "--out", os.path.join(folder, "out")]
        t0 = time.perf_counter()
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"harness run failed: {done.stderr.strip()}")
    return sizes * (1 + workers), elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-runs", type=int, default=10_000)
    parser.add_argument("--run-s", type=float, default=0.005, help="how long each synthetic run lasts (default 5 ms)")
    parser.add_argument("--no-real", action="store_true", help="skip the real harness run sweeps")
    args = parser.parse_args()
    print(f"synthetic runs of {args.run_s * 1e3:g} ms each through the Recorder (journal + periodic results.json):")
    for first, last, ms in synthetic(args.max_runs, args.run_s):
        print(f"  runs {first:>6}-{last:<6} {ms:6.3f} ms per run")
    if not args.no_real:
        small = real_sweep(10, 5)
        large = real_sweep(90, 5)
        print(f"real sweeps: {small[0]} runs in {small[1]:.2f} s, {large[0]} runs in {large[1]:.2f} s: "
              f"ratio {large[1] / small[1]:.2f} for {large[0] / small[0]:.0f}x the runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
