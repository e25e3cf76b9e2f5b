"""The map-workload axes, measured: uneven costs, fine-grained chunking, payloads and memory.

Four sweeps through ``harness run`` (each with its report, kept under --out), and the figures
each is meant to show, side by side in one run:

1. imbalanced: ``pool`` at 2 workers, static split against small chunks (dynamic): the ratio
   of their medians (goal >= 1.4x), and how long static left a worker idle.
2. poly-items, 100,000 items of ~20 us: pool and process-executor at chunksize 1 against
   serial; ``auto`` against the best chunksize measured (goal: within 10%); the U-curve is
   in the report (chunksize.png): too small a chunk pays a dispatch per item, too large a
   one (30,000 or 100,000 items: fewer chunks than workers can share evenly) leaves a worker
   idle.
3. payload, 1 MiB in and out per item: processes and threads against serial; the transfer
   estimate (serialisation_s) against the processes' gap over serial.
4. memory: total USS at 1, 2 and 4 workers, processes against threads (poly-items).

Usage: python benchmarks/map_axes.py [--out reports/bench-map] [--only imbalanced,fine,payload,memory]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPEAT = ["--repeat", "auto", "--max-time", "4"]

CASES = {
    "imbalanced": ["--workload", "imbalanced", "--n", "2000", "--backends", "serial,pool,processes,threads",
                   "--workers", "2", "--chunksize", "static,1,4,16,auto"],
    "fine": ["--workload", "poly-items", "--n", "100000", "--backends", "serial,pool,process-executor",
             "--workers", "2", "--chunksize", "1,10,100,1000,10000,30000,100000,auto,static", "--timeout", "120"],
    "payload": ["--workload", "payload", "--n", "64", "--payload-bytes", str(1 << 20),
                "--backends", "serial,threads,processes,pool", "--workers", "2"],
    "memory": ["--workload", "poly-items", "--n", "20000", "--backends", "serial,threads,processes,pool",
               "--workers", "1,2,4"],
}


def sweep(case: str, out: str) -> list[dict]:
    folder = os.path.join(out, case)
    if os.path.exists(os.path.join(folder, "results.json")):
        os.rename(folder, f"{folder}.{time.strftime('%Y%m%dT%H%M%S')}")  # never overwrite a kept result
    args = [sys.executable, "-m", "harness", "run", *CASES[case], *REPEAT, "--out", folder, "--quiet"]
    began = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{case}: harness run exited {done.returncode}: {done.stderr.strip()}")
    with open(os.path.join(folder, "results.json"), encoding="utf-8") as handle:
        runs = json.load(handle)["runs"]
    report = os.path.join(folder, "report.html")
    where = f"report: {report}" if os.path.exists(report) else f"no report: {done.stderr.strip()[-300:]}"
    print(f"\n== {case} ({time.perf_counter() - began:.0f} s, {where})")
    return runs


def _find(runs, backend, workers=None, chunksize="static"):
    for run in runs:
        if run["backend"] == backend and run.get("chunksize", "static") == chunksize \
                and (workers is None or run["workers"] == workers) and run["status"] == "ok":
            return run
    return None


def _ms(seconds) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def imbalanced(runs) -> None:
    static = _find(runs, "pool", 2)
    dynamic = [r for r in runs if r["backend"] == "pool" and r.get("chunksize") not in ("static", None)
               and r["status"] == "ok"]
    best = min(dynamic, key=lambda r: r["median_s"])
    busy = static["worker_busy_s"]
    idle = max(busy) - min(busy)
    print(f"pool w2 static {_ms(static['median_s'])} (busy per worker {', '.join(_ms(b) for b in busy)}: "
          f"static left a worker idle {_ms(idle)}, {idle / static['median_s']:.0%} of the run)")
    for run in sorted(dynamic, key=lambda r: str(r["chunksize"])):
        print(f"pool w2 cs={run['chunksize']:<6} {_ms(run['median_s'])}  static/this = "
              f"{static['median_s'] / run['median_s']:.2f}x")
    print(f"best dynamic (cs={best['chunksize']}) beats static by {static['median_s'] / best['median_s']:.2f}x "
          "(goal >= 1.4x)")


def fine(runs) -> None:
    serial = _find(runs, "serial", 1)
    print(f"serial {_ms(serial['median_s'])}")
    for backend in ("pool", "process-executor"):
        mine = [r for r in runs if r["backend"] == backend and r["status"] == "ok"]
        for run in sorted(mine, key=lambda r: r["chunk_items"]):
            print(f"{backend} cs={run['chunksize']!s:<6} ({run['chunk_items']:>6} items, {run['chunks']:>6} chunks) "
                  f"{_ms(run['median_s']):>9}  vs serial {serial['median_s'] / run['median_s']:.2f}x")
        one, auto = _find(runs, backend, 2, 1), _find(runs, backend, 2, "auto")
        best = min(mine, key=lambda r: r["median_s"])
        print(f"  {backend}: chunksize 1 is {one['median_s'] / serial['median_s']:.1f}x serial's time "
              f"(slower: {one['median_s'] > serial['median_s']}); auto {_ms(auto['median_s'])} is "
              f"{auto['median_s'] / best['median_s'] - 1:+.1%} from the best (cs={best['chunksize']}, "
              f"{_ms(best['median_s'])}; goal within 10%)")


def payload(runs) -> None:
    serial = _find(runs, "serial", 1)
    print(f"serial {_ms(serial['median_s'])}; {serial['bytes_in_per_item']:.0f} B in, "
          f"{serial['bytes_out_per_item']:.0f} B out per item")
    for backend in ("threads", "processes", "pool"):
        run = _find(runs, backend, 2)
        gap = run["median_s"] - serial["median_s"]
        ser = run.get("serialisation_s")
        share = f"; estimate {_ms(ser)} = {ser / gap:.0%} of the gap" if ser and gap > 0 else ""
        print(f"{backend:<9} {_ms(run['median_s'])} ({'slower' if gap > 0 else 'faster'} than serial by "
              f"{_ms(abs(gap))}{share})")


def memory(runs) -> None:
    for backend in ("threads", "processes", "pool"):
        cells = []
        for workers in (1, 2, 4):
            run = _find(runs, backend, workers)
            mem = run and run.get("memory")
            cells.append(f"w{workers} {mem['peak_bytes'] / 2**20:.0f} MiB peak / {mem['mean_bytes'] / 2**20:.0f} mean "
                         f"({mem['metric']}, {mem['processes']} proc)" if mem else f"w{workers} -")
        print(f"{backend:<9} " + "; ".join(cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("reports", "bench-map"))
    parser.add_argument("--only", default=",".join(CASES), help="comma list of " + ", ".join(CASES))
    args = parser.parse_args()
    show = {"imbalanced": imbalanced, "fine": fine, "payload": payload, "memory": memory}
    for case in args.only.split(","):
        show[case](sweep(case, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
