"""Every model of issue 21, measured: subinterpreters against threads and processes, a user's map
workload under subinterpreters, and the event loop's lag of the asyncio offload models.

Three sweeps through ``harness run`` (each with its report, under --out), on the interpreters
this machine has (``--python``: pyenv's 3.12 and 3.13, make python-gil's and make python-ft's):

1. interpreters: ``serial,threads,processes,process-executor,interpreters`` at 2 workers on
   poly, n = 10,000,000, interleaved, with --capacity: interpreters@2 exact, its speedup within
   10% of processes@2's (>= 1.7x where the capacity is >= 1.9x), its start-up against
   process-executor's, and its PSS against threads' and processes'.
2. map: a pure-Python function over uneven items (``benchmarks/uneven_work.py``), under
   interpreters at chunksize auto and static: exact, and its speedups.
3. lag: poly at a size serial takes about 1 s on the GIL build, and the same on the
   free-threaded build: p99 loop lag of asyncio-thread, asyncio-process and asyncio-inline
   (the mistake: the whole second).
4. startup: the start-up of interpreters against process pools started with ``spawn`` (a
   fresh interpreter each, as the host is), on the GIL build: fork's 20 ms copies a warm
   parent, which no interpreter pool can.

Usage: python benchmarks/models.py [--out reports/bench-models] [--only interpreters,map,lag,startup] [--repeat 6]

Measured on the shared 2-vCPU VM this project is built on (load averages in the output): the
figures are in the README's "Subinterpreters and asyncio offload".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from harness.environment.pythons import find_built_python  # noqa: E402

PYENV = os.path.expanduser("~/.pyenv/versions")


def interpreters_here() -> dict[str, str]:
    """name -> path of the 3.12+ interpreters this benchmark runs under (those present)."""
    import glob

    found = {}
    for pattern in ("3.12*", "3.13*"):
        paths = sorted(glob.glob(os.path.join(PYENV, pattern, "bin", "python3")))
        if paths:
            found[os.path.basename(os.path.dirname(os.path.dirname(paths[-1])))] = paths[-1]
    for kind in ("gil", "ft"):
        path, _why = find_built_python(kind)
        if path:
            found[kind] = path
    return found


def sweep(case: str, out: str, args: list[str]) -> dict:
    folder = os.path.join(out, case)
    if os.path.exists(os.path.join(folder, "results.json")):
        os.rename(folder, f"{folder}.{time.strftime('%Y%m%dT%H%M%S')}")  # never overwrite a kept result
    command = [sys.executable, "-m", "harness", "run", *args, "--out", folder, "--quiet"]
    load = os.getloadavg()[0]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "benchmarks")])))
    if done.returncode not in (0, 1):
        raise SystemExit(f"{case}: harness run exited {done.returncode}: {done.stderr.strip()}")
    with open(os.path.join(folder, "results.json"), encoding="utf-8") as handle:
        data = json.load(handle)
    print(f"\n== {case} ({time.perf_counter() - began:.0f} s, load average {load:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after; report: {os.path.join(folder, 'report.html')})")
    return data


def _find(runs, python, backend, chunksize="static"):
    for run in runs:
        if run["python"] == python and run["backend"] == backend and run.get("chunksize", "static") == chunksize:
            return run
    return None


def _ms(seconds) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def _mib(run) -> str:
    memory = run and run.get("memory")
    return "-" if not memory else f"{memory['peak_bytes'] / 2**20:.0f} MiB in {memory['processes']}"


def _x(run) -> str:
    return "-" if not run or run.get("speedup") is None else f"{run['speedup']:.2f}x"


def report_interpreters(data: dict) -> None:
    capacity = (data.get("capacity") or {}).get("capacity")
    print(f"capacity: {capacity:.2f}x of 2" if capacity else "capacity: not measured")
    for python in dict.fromkeys(r["python"] for r in data["runs"]):
        inter, procs = _find(data["runs"], python, "interpreters"), _find(data["runs"], python, "processes")
        if inter is None:
            continue
        pool, threads = _find(data["runs"], python, "process-executor"), _find(data["runs"], python, "threads")
        ratio = (f"{inter['speedup'] / procs['speedup']:.0%} of processes"
                 if inter.get("speedup") and procs and procs.get("speedup") else "-")
        print(f"{python:>10}: interpreters@2 {_x(inter)} ({inter['status']}, exact {inter['result_ok']}), "
              f"processes@2 {_x(procs)} -> {ratio}; threads@2 {_x(threads)}")
        print(f"{'':>10}  start-up: interpreters {_ms(inter['startup_s'])}, process-executor "
              f"{_ms(pool and pool['startup_s'])}; PSS peak: interpreters {_mib(inter)}, threads {_mib(threads)}, "
              f"processes {_mib(procs)}, process-executor {_mib(pool)}")


def report_map(data: dict) -> None:
    for python in dict.fromkeys(r["python"] for r in data["runs"]):
        for chunksize in ("auto", "static"):
            run = _find(data["runs"], python, "interpreters", chunksize)
            if run is not None:
                print(f"{python:>10}: interpreters cs={chunksize}: {run['status']}, exact {run['result_ok']}, "
                      f"{_x(run)} (processes {_x(_find(data['runs'], python, 'processes', chunksize))})")


def report_lag(data: dict) -> None:
    for python in dict.fromkeys(r["python"] for r in data["runs"]):
        serial = _find(data["runs"], python, "serial")
        parts = []
        for backend in ("asyncio-thread", "asyncio-process", "asyncio-inline"):
            run = _find(data["runs"], python, backend)
            lag = run and run.get("loop_lag")
            if lag:
                parts.append(f"{backend} p99 {_ms(lag['p99_s'])} (max {_ms(lag['max_s'])}, {_x(run)})")
        print(f"{python:>10}: serial {_ms(serial and serial['median_s'])}; " + "; ".join(parts))


def report_startup(data: dict) -> None:
    for python in dict.fromkeys(r["python"] for r in data["runs"]):
        parts = [f"{b} {_ms(r['startup_s'])} ({r.get('start_method') or '-'})" for b in
                 ("pool", "process-executor", "interpreters") if (r := _find(data["runs"], python, b))]
        print(f"{python:>10}: start-up " + ", ".join(parts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("reports", "bench-models"))
    parser.add_argument("--only", default="interpreters,map,lag,startup")
    parser.add_argument("--repeat", default="6")
    parser.add_argument("--lag-n", default="7000000", help="poly's n for the lag sweep (serial about 1 s)")
    parser.add_argument("--map-repeat", default="3", help="the map sweep only checks exactness: fewer repeats")
    options = parser.parse_args()
    pythons = interpreters_here()
    print("interpreters: " + ", ".join(f"{k} ({v})" for k, v in pythons.items()))
    flags = [a for path in pythons.values() for a in ("--python", path)]
    repeat = ["--repeat", options.repeat]
    wanted = options.only.split(",")
    if "interpreters" in wanted:
        report_interpreters(sweep("interpreters", options.out, [
            *flags, "--backends", "serial,threads,processes,process-executor,interpreters", "--workers", "2",
            "--n", "10000000", "--capacity", *repeat, "--timeout", "600"]))
    if "map" in wanted:
        report_map(sweep("map", options.out, [
            *flags, "--workload", "uneven_work:work", "--items", "uneven_work:items", "--n", "1500",
            "--backends", "serial,processes,interpreters", "--workers", "2", "--chunksize", "auto,static",
            "--repeat", options.map_repeat]))
    if "lag" in wanted:
        lag_flags = [a for kind in ("gil", "ft") if kind in pythons for a in ("--python", pythons[kind])]
        report_lag(sweep("lag", options.out, [
            *lag_flags, "--backends", "serial,asyncio-inline,asyncio-thread,asyncio-process", "--workers", "2",
            "--n", options.lag_n, *repeat, "--timeout", "600"]))
    if "startup" in wanted and "gil" in pythons:
        report_startup(sweep("startup", options.out, [
            "--python", pythons["gil"], "--backends", "serial,pool,process-executor,interpreters", "--workers", "2",
            "--n", "1000000", "--start-method", "spawn", "--repeat", "3"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
