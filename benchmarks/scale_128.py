"""Benchmark: does the harness hold at 128 cores? results.json size, report time, memory, sampler cost.

Builds a synthetic sweep as a 128-logical-CPU machine would produce it, with the real
classes end to end: ``--workers auto`` at 128 CPUs (1..256), 8 parallel backends plus
serial, 4 sizes (292 configurations), 7 repeats each, and for every configuration one
repeat's per-core timeline sampled every 0.1 s (the default --sample-interval) for as
long as that repeat lasts (serial's largest size: 30 s, 300 samples x 128 cores). The
timelines go through the runner's own ``compact_timeline``; the suite through
``build_suite``, ``save_suite``, ``load_suite`` and ``build_report``. The loads follow how
each kind of backend behaves: processes fill min(workers, 128) cores after a launch ramp,
with uneven finishing; threads under the GIL share one core's worth of time among the
cores their threads sit on; the scheduler moves work between cores. Goals: results.json
<= 20 MB, report build <= 10 s; the heatmap PNG's path is printed, to be looked at.

The sampler's cost per sample at 128 CPUs (the sampler process calls
``psutil.cpu_percent(percpu=True)`` once per interval) is estimated, not measured (no
128-CPU machine here), by this method:

1. time the call on this machine's real /proc/stat (``real``, at this machine's N CPUs);
2. time it on a copy of that /proc/stat in a temporary folder (psutil.PROCFS_PATH), which
   is psutil's reading, parsing and per-CPU arithmetic without the kernel's work of
   producing the file (``copy``); the kernel's share at N CPUs is ``real - copy``;
3. time it on a /proc/stat written with 128 ``cpuK`` lines (``fake128``): psutil's own
   cost at 128 CPUs, measured rather than extrapolated;
4. estimate = fake128 + (real - copy) * 128 / N: the kernel sums per-CPU counters, so its
   share is taken to grow linearly with the CPU count (pessimistic: part of it is fixed).

The sampler's CPU share is then estimate / interval, of one of 128 cores.

    .venv/bin/python benchmarks/scale_128.py [--out reports/scale-128] [--cpus 128] [--seed 1] [--min-repeat-s 0]

``make bench-scale`` runs it twice: as above, and with every repeat lasting at least 10 s
(``--min-repeat-s 10``: every timeline at its cap of 100 samples, the worst case for the file).
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import resource
import sys
import tempfile
import time

import numpy as np

from harness.execution.backends import backend_class
from harness.config import RunConfig, auto_workers
from harness.environment.metadata import collect_environment
from harness.results.model import CpuLoad, RunResult, WorkerSpan
from harness.report import build_report
from harness.stats import summarize
from harness.results.storage import RESULTS_NAME, load_suite, save_suite
from harness.api.assemble import build_suite
from harness.results.timeline import compact_timeline

PARALLEL_BACKENDS = ("threads", "thread-executor", "processes", "shared", "pool", "pool-async",
                     "process-executor", "loky")
SIZES = (10_000_000, 30_000_000, 100_000_000, 300_000_000)
SERIAL_S_PER_ITEM = 1e-7  # 30 s for the largest size: the longest timeline has 300 samples
REPEATS = 7
INTERVAL_S = RunConfig.__dataclass_fields__["sample_interval_s"].default
GOAL_BYTES, GOAL_REPORT_S = 20 * 1000**2, 10.0


def _wall_s(kind: str, fresh_processes: bool, workers: int, n: int, cpus: int) -> float:
    """A plausible median wall time: threads hold the GIL; processes divide the work."""
    serial = n * SERIAL_S_PER_ITEM
    if kind != "process":
        return serial * (1 + 0.01 * math.log2(workers))  # GIL hand-offs cost a little
    launch = 0.004 * workers if fresh_processes else 0.0
    return launch + serial / min(workers, cpus) * (1.03 + 0.0005 * workers) + 0.002 * workers


def _worker_spans(rng, kind: str, fresh: bool, workers: int, wall: float) -> list[WorkerSpan]:
    """Launch gaps (fresh processes start one after another) and uneven finishing."""
    spans = []
    for w in range(workers):
        start = (0.004 * w if fresh else 0.0005 * w) if kind == "process" else 0.0001 * w
        end = max(start, wall * (1 - abs(rng.normal(0, 0.02))))
        spans.append(WorkerSpan(worker=w, start_s=round(start, 6), end_s=round(end, 6),
                                cpu_s=round((end - start) * (1.0 if kind == "process" else 1 / workers), 6),
                                pid=10_000 + w if kind == "process" else None))
    return spans


def _timeline(rng, kind: str, spans: list[WorkerSpan], wall: float, cpus: int):
    """(sample times, cores x samples) the sampler would record during one repeat."""
    t = np.append(np.arange(INTERVAL_S, wall, INTERVAL_S), wall)  # the last, partial, sample at stop
    lo, hi = np.concatenate(([0.0], t[:-1])), t
    load = rng.uniform(0, 0.6, size=(cpus, len(t)))  # the OS's own background
    starts = np.array([s.start_s for s in spans])[:, None]
    ends = np.array([s.end_s for s in spans])[:, None]
    # Each worker's share of each sample interval: workers x samples.
    busy = 100 * np.clip(np.minimum(hi, ends) - np.maximum(lo, starts), 0, None) / np.maximum(hi - lo, 1e-9)
    home = rng.permutation(cpus)
    for k in range(len(t)):
        if rng.random() < 0.05:
            home = rng.permutation(cpus)  # the scheduler moves work between cores now and then
        if kind == "process":
            np.add.at(load[:, k], home[np.arange(len(spans)) % cpus], busy[:, k])
        else:
            # Under the GIL one thread runs at a time: one core's worth of time, spread over
            # the cores that the threads holding it in this interval happened to run on.
            holders = rng.choice(len(spans), size=min(len(spans), 12), replace=False)
            np.add.at(load[:, k], home[holders % cpus], rng.dirichlet(np.ones(len(holders))) * busy[:, k].max())
    return t, np.minimum(np.round(load, 1), 100.0)


def synthetic_run(rng, backend: str, workers: int, n: int, cpus: int, min_repeat_s: float = 0.0) -> RunResult:
    cls = backend_class(backend)
    kind, fresh = cls.kind, cls.kind == "process" and not cls.has_startup
    wall = max(_wall_s(kind, fresh, workers, n, cpus), min_repeat_s)
    times = tuple(float(x) for x in wall * np.exp(rng.normal(0, 0.015, REPEATS)))
    spans = _worker_spans(rng, kind, fresh, workers, wall)
    t, matrix = _timeline(rng, kind, spans, wall, cpus)
    timeline_t, timeline = compact_timeline(0.0, t.tolist(), matrix.tolist())
    weights = np.diff(np.concatenate(([0.0], t)))
    mean = (matrix * weights).sum(axis=1) / weights.sum()
    summary = summarize(times)
    cpu_time = sum(s.cpu_s for s in spans) if kind == "process" else wall
    return RunResult(
        backend=backend, workers=workers, n=n, scaling="strong", workload="poly",
        start_method="fork" if cls.uses_start_method else None, status="ok", times_s=times,
        median_s=summary.median, mean_s=summary.mean, stdev_s=summary.stdev, iqr_s=summary.iqr,
        min_s=summary.min, max_s=summary.max, ci_s=(summary.ci_lo, summary.ci_hi),
        ci95_s=(summary.ci_lo, summary.ci_hi) if summary.ci_confidence >= 0.95 else None,
        ci_confidence=summary.ci_confidence, startup_s=0.05 + 0.01 * workers if cls.has_startup else None,
        cpu_time_s=cpu_time, cpu_utilization=cpu_time / (summary.median * workers),
        peak_rss_bytes=(60 + 25 * workers) * 2**20, result_ok=True,
        cpu=CpuLoad(interval_s=INTERVAL_S, mean_per_core=tuple(round(float(v), 2) for v in mean),
                    busy_cores=round(float(mean.sum()) / 100, 3), timeline_t_s=timeline_t,
                    timeline_per_core=timeline),
        worker_spans=tuple(spans), python=None, gil_enabled=True,
    )


def synthetic_suite(cpus: int, seed: int, min_repeat_s: float = 0.0):
    rng = np.random.default_rng(seed)
    workers = auto_workers(cpus)
    config = RunConfig(backends=("serial",) + PARALLEL_BACKENDS, workers=workers, n=SIZES, repeat=REPEATS)
    runs = [synthetic_run(rng, "serial", 1, n, cpus, min_repeat_s) for n in SIZES]
    runs += [synthetic_run(rng, b, w, n, cpus, min_repeat_s) for n in SIZES for b in PARALLEL_BACKENDS
             for w in workers]
    environment = collect_environment()
    environment["machine"] = dict(environment["machine"], logical_cpus=cpus, physical_cpus=cpus // 2,
                                  usable_cpus=cpus, affinity=list(range(cpus)),
                                  cpu_model=f"synthetic {cpus}-CPU machine (benchmarks/scale_128.py)")
    created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return build_suite(config, runs, environment, created)


def _time_per_call(fn, seconds: float = 1.0) -> float:
    fn()
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        calls += 1
    return (time.perf_counter() - t0) / calls


def _fake_proc_stat(real_text: str, cpus: int) -> str:
    """A /proc/stat with ``cpus`` per-CPU lines, each copied from this machine's first one."""
    lines = real_text.splitlines()
    first_cpu = next(line for line in lines if line.startswith("cpu0 "))
    fields = first_cpu.split()[1:]
    per_cpu = [" ".join([f"cpu{k}"] + fields) for k in range(cpus)]
    rest = [line for line in lines if not line.startswith("cpu")]
    return "\n".join([lines[0]] + per_cpu + rest) + "\n"


def sampler_cost(cpus: int) -> dict[str, float]:
    """Seconds per psutil.cpu_percent(percpu=True) call: real, copy, fake at ``cpus``, estimate."""
    import psutil

    here = psutil.cpu_count() or 1
    with open("/proc/stat") as handle:
        real_text = handle.read()
    sample = lambda: psutil.cpu_percent(percpu=True)  # noqa: E731
    costs = {"cpus_here": float(here), "real": _time_per_call(sample)}
    with tempfile.TemporaryDirectory() as folder:
        original = psutil.PROCFS_PATH
        try:
            psutil.PROCFS_PATH = folder
            for name, text in (("copy", real_text), ("fake", _fake_proc_stat(real_text, cpus))):
                with open(os.path.join(folder, "stat"), "w") as handle:
                    handle.write(text)
                psutil.cpu_percent(percpu=True)  # a new CPU count: the first reading resets psutil's state
                costs[name] = _time_per_call(sample)
        finally:
            psutil.PROCFS_PATH = original
    costs["estimate"] = costs["fake"] + max(costs["real"] - costs["copy"], 0.0) * cpus / here
    return costs


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("reports", "scale-128"), help="folder for results.json "
                        "and the report (default: reports/scale-128)")
    parser.add_argument("--cpus", type=int, default=128, help="logical CPUs to simulate (default: 128)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the synthetic loads (default: 1)")
    parser.add_argument("--min-repeat-s", type=float, default=0.0, help="make every repeat last at least this "
                        "long: 10 fills every timeline to its cap, the worst case for the file (default: 0)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, RESULTS_NAME)
    suite, built_s = _timed(lambda: synthetic_suite(args.cpus, args.seed, args.min_repeat_s))
    samples = sum(len(r.cpu.timeline_t_s) for r in suite.runs)
    print(f"suite: {len(suite.runs)} configurations at {args.cpus} logical CPUs, workers auto = "
          f"{','.join(map(str, auto_workers(args.cpus)))}; {samples:,} stored timeline samples "
          f"x {args.cpus} cores (built in {built_s:.1f} s, max RSS {_max_rss_mib():.0f} MiB)")
    _, save_s = _timed(lambda: save_suite(suite, path))
    size = os.path.getsize(path)
    loaded, load_s = _timed(lambda: load_suite(path))
    _, report_s = _timed(lambda: build_report(loaded, args.out))
    print(f"results.json: {size / 1e6:.2f} MB (goal <= {GOAL_BYTES / 1e6:.0f} MB) "
          f"{'ok' if size <= GOAL_BYTES else 'OVER'}; save {save_s:.2f} s, load {load_s:.2f} s")
    print(f"report build: {report_s:.2f} s (goal <= {GOAL_REPORT_S:.0f} s) {'ok' if report_s <= GOAL_REPORT_S else 'OVER'}")
    print(f"memory: max RSS {_max_rss_mib():.0f} MiB after save, load and report")
    print(f"heatmap: {os.path.join(args.out, 'cpu-load.png')}")
    for cpus in (2, 16, 128):
        print(f"workers auto at {cpus:>3} CPUs: {','.join(map(str, auto_workers(cpus)))}")
    costs = sampler_cost(args.cpus)
    here = int(costs["cpus_here"])
    print(f"sampler, per sample (psutil.cpu_percent(percpu=True)): {costs['real'] * 1e6:.0f} us on this "
          f"machine's {here} CPUs ({costs['copy'] * 1e6:.0f} us of it psutil's own work on a copy of /proc/stat); "
          f"{costs['fake'] * 1e6:.0f} us on a {args.cpus}-CPU /proc/stat; estimate at {args.cpus} CPUs "
          f"{costs['estimate'] * 1e6:.0f} us = {costs['estimate'] / INTERVAL_S:.2%} of one core at "
          f"{INTERVAL_S:g} s intervals")
    return 0 if size <= GOAL_BYTES and report_s <= GOAL_REPORT_S else 1


if __name__ == "__main__":
    sys.exit(main())
