"""harness history at scale: 1,000 commits x 300 configurations in SQLite. A benchmark, not a test.

A throwaway git repository of 1,000 commits (git fast-import), and a store holding a sweep of
300 configurations at each of its first 999 commits, filed through the store's own ``add``
(samples with host-shaped noise; 5 of the 30 configuration groups step by +30% at commit
600). Then, each through the real command line, as a user would run them:

* ``harness history add RESULTS.json`` of the 1,000th sweep (a real results.json of 300 runs);
* ``harness history regressions --db DB --json``;
* ``harness history report --db DB``: small multiples for the 30 groups, a PNG only for the
  groups that stepped;

and the store's size on disk. Targets: add <= 1 s, regressions <= 10 s, report <= 15 s,
the store <= 200 MB. Exit status 0 when all are met.

    .venv/bin/python benchmarks/history_scale.py          # make bench-history-scale

Measured on the 2-vCPU VM this project was built on: see the README's "History across commits".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

COMMITS, WORKLOADS, SIZES = 1000, 5, 6
BACKENDS = [("serial", 1, None), ("threads", 2, None), ("processes", 2, None), ("pool", 2, None), ("pool", 2, 16),
            ("pool", 2, "auto"), ("process-executor", 2, None), ("loky", 2, None), ("threads", 4, None),
            ("pool", 4, None)]
STEP_AT, STEPPED_GROUPS = 600, 5


def make_repository(folder: str, commits: int) -> str:
    """``commits`` first-parent commits in one git fast-import stream."""
    repo = os.path.join(folder, "repo")
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    lines = []
    for k in range(1, commits + 1):
        message, content = f"commit {k}", f"{k}\n"
        lines += ["commit refs/heads/main", f"mark :{k}", f"committer scale <scale@example.invalid> {1700000000 + k} +0000",
                  f"data {len(message)}", message]
        if k > 1:
            lines.append(f"from :{k - 1}")
        lines += ["M 644 inline note.txt", f"data {len(content)}", content]
    subprocess.run(["git", "-C", repo, "fast-import", "--quiet"], input="\n".join(lines) + "\n", text=True, check=True)
    subprocess.run(["git", "-C", repo, "checkout", "-q", "main"], check=True)
    return repo


def configurations():
    for w in range(WORKLOADS):
        for s in range(SIZES):
            for backend, workers, chunksize in BACKENDS:
                yield f"work{w}:crunch", 10_000 * 10 ** (s % 3) * (1 + s), backend, workers, chunksize


REFERENCE_S = 0.01  # every synthetic repeat's reference loop time


def median_time(number: int, backend: str, workers: int, commit_index: int) -> float:
    """Configuration ``number``'s synthetic median time at commit ``commit_index`` (0-based)."""
    level = 1.3 if number // len(BACKENDS) < STEPPED_GROUPS and commit_index >= STEP_AT else 1.0
    return level * 0.05 * (1 + number % 7) / (workers if backend != "threads" else 1)


def speedup(backend: str, workers: int) -> float | None:
    return None if backend == "serial" else float(workers * 0.9)


def sweep_points(rng, commit_index: int, python: str):
    from harness.history.records import InterpreterKey, Point, PointValues
    from harness.results.key import RunKey

    points = []
    for number, (workload, n, backend, workers, chunksize) in enumerate(configurations()):
        times = tuple(float(t) for t in median_time(number, backend, workers, commit_index) * rng.lognormal(0, 0.03)
                      * rng.lognormal(0, 0.05, 5))
        references = tuple(float(r) for r in REFERENCE_S * rng.lognormal(0, 0.02, 5))
        values = PointValues("ok", times, references, sorted(times)[2], (min(times), max(times)),
                             speedup(backend, workers), None, float(workers * 0.95), int(60e6 * workers), None)
        points.append(Point(InterpreterKey(python, "CPython", False, None),
                            RunKey(backend, workers, n, "strong", workload, chunksize, python), values))
    return tuple(points)


def fill(db: str, repo: str, template_suite) -> None:
    from harness.history.commits import commit_range
    from harness.history.records import MachineKey, SweepRecord
    from harness.history.store import HistoryStore

    rng = np.random.default_rng(7)
    commits = commit_range(repo, "HEAD")[:-1]
    machine = MachineKey.of(template_suite.machine)
    python = template_suite.runs[0].python
    with HistoryStore.open(db, create=True) as store:
        for index, commit in enumerate(commits):
            store.add(SweepRecord(commit, machine, "0.1.0", "2024-01-01T00:00:00+00:00", f"/synthetic/{index}.json",
                                  f"{index:064x}", sweep_points(rng, index, python)))


def last_results(template: str, path: str, sha: str, commit_index: int) -> None:
    """A real results.json of 300 runs: the template's serial run, one copy per configuration, its
    times and reference times scaled to the synthetic levels at ``commit_index``, so that the last
    commit continues every series rather than dropping to the template's tiny run."""
    from harness.results.storage import load_suite, save_suite

    suite = load_suite(template)
    run = suite.runs[0]
    per_reference = REFERENCE_S / statistics.median(run.reference_times_s)
    runs = []
    for number, (workload, n, backend, workers, chunksize) in enumerate(configurations()):
        factor = median_time(number, backend, workers, commit_index) / run.median_s
        runs.append(run.replace(
            backend=backend, workers=workers, n=n, workload=workload, chunksize=chunksize,
            times_s=tuple(t * factor for t in run.times_s), median_s=run.median_s * factor,
            mean_s=run.mean_s * factor, min_s=run.min_s * factor, max_s=run.max_s * factor,
            ci_s=tuple(c * factor for c in run.ci_s or ()) or None, speedup=speedup(backend, workers) or 1.0,
            reference_times_s=tuple(r * per_reference for r in run.reference_times_s),
            reference_mean_times_s=tuple(r * per_reference for r in run.reference_mean_times_s or ()) or None,
            reference_alone_times_s=tuple(r * per_reference for r in run.reference_alone_times_s or ()) or None))
    save_suite(suite.replace(runs=tuple(runs), git_commit=sha), path)


def timed(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"history_scale: harness {' '.join(args[:2])} exited {done.returncode}: {done.stderr.strip()}")
    return time.perf_counter() - started, done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", default=None, metavar="DIR", help="keep the store, repository and page under DIR")
    args = parser.parse_args(argv)
    from harness.results.storage import load_suite

    with tempfile.TemporaryDirectory(prefix="history-scale-") as scratch:
        folder = args.keep or scratch
        os.makedirs(folder, exist_ok=True)
        repo = make_repository(folder, COMMITS)
        template = os.path.join(folder, "template")
        subprocess.run([sys.executable, "-m", "harness", "run", "--backends", "serial", "--n", "1000", "--repeat", "5",
                        "--warmup", "0", "--reference", "10000", "--no-report", "--quiet", "--out", template], check=True)
        template = os.path.join(template, "results.json")
        db = os.path.join(folder, "history.sqlite")
        started = time.perf_counter()
        fill(db, repo, load_suite(template))
        print(f"filled {COMMITS - 1} sweeps x {len(list(configurations()))} configurations in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        head = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        results = os.path.join(folder, "last.json")
        last_results(template, results, head, COMMITS - 1)
        add_s, _ = timed("history", "add", results, "--repo", repo, "--db", db, "--quiet")
        regressions_s, listed = timed("history", "regressions", "--db", db, "--json")
        report_s, _ = timed("history", "report", "--db", db, "--out", os.path.join(folder, "page"))
        size_mb = os.path.getsize(db) / 1e6
        steps = json.loads(listed.stdout)
        pngs = sorted(f for f in os.listdir(os.path.join(folder, "page")) if f.endswith(".png"))
    met = add_s <= 1 and regressions_s <= 10 and report_s <= 15 and size_mb <= 200
    print(f"history add (one sweep of 300 runs, CLI wall time incl. start-up): {add_s:.2f} s (target <= 1 s)")
    print(f"history regressions (1,000 commits x 300 configurations): {regressions_s:.1f} s (<= 10 s); "
          f"{len(steps)} open steps ({STEPPED_GROUPS * len(BACKENDS)} series stepped at commit {STEP_AT + 1})")
    print(f"history report: {report_s:.1f} s (<= 15 s); {len(pngs)} PNGs: {', '.join(pngs)}")
    print(f"store: {size_mb:.0f} MB (<= 200 MB)")
    print("all targets met" if met else "a target was MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
