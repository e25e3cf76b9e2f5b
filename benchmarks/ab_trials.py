"""Does ``harness ab`` tell A/A from a real slowdown, end to end? A benchmark, not a test.

It builds a throwaway git repository holding a user workload module (``abwork:poly``,
the tutorial's loop with its exact oracle) at three commits:

* ``base``: the workload;
* ``aa``: the same code, only a comment differs; ``harness ab base aa`` must NOT flag it;
* ``slower``: 15% more work for the same result (the loop runs again over 15% of the items,
  its sum thrown away); ``harness ab base slower`` MUST flag it.

Each trial runs both, in a shuffled order, as a user would: ``python -m harness ab base
REF --quiet SWEEP``, in the repository, at ab's default rounds (5, alternated, with
``--reference``). Target: at most 1 of 20 A/A trials flagged (exit 1) and at least 19 of
20 slowdowns caught (exit 1). "Unstable, not judged" (exit 3) is counted apart: for A/A
it is not a false alarm, for the slowdown it is not a catch. Exit status: 0 when both
targets are met, 1 otherwise.

    .venv/bin/python benchmarks/ab_trials.py                 # 20 trials of each (make bench-ab)
    .venv/bin/python benchmarks/ab_trials.py --trials 2      # a quick check, and one trial's wall time

``--repeat`` is pinned (default 5): every round of both sides then measures alike, and a
trial's time does not depend on harness run's default repeat policy.

Measured on the 2-vCPU VM this project was built on (serial w1 and pool w2, n=300000,
--repeat 5, 5 rounds), 2-trial checks only, on a machine other jobs were using:

* load average about 2: one ``harness ab`` took 13.2-14.1 s; A/A 0/2 flagged (changes
  -2.7% to +2.6%), the slowdown caught 2/2 (+11.7% to +22.5%);
* load average about 5: 23.7-32.4 s; A/A 0/2 flagged, the slowdown caught 1/2 (the other
  "unstable, not judged").

Two trials say nothing about the rates; the 20-trial figures need a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

WORKLOAD = textwrap.dedent('''
    def poly(lo, hi):
        res = 0
        for i in range(lo, hi):
            res += i + i**2 + i**3
        return res


    def ORACLE(n):
        return n * (n - 1) // 2 + (n - 1) * n * (2 * n - 1) // 6 + (n * (n - 1) // 2) ** 2
''')


def slower_workload(percent: float) -> str:
    """The same function doing ``percent`` more work for the same result."""
    extra = textwrap.dedent(f'''
        def poly(lo, hi):
            res = 0
            for i in range(lo, hi):
                res += i + i**2 + i**3
            # {percent:g}% more work, the same result: the loop again over part of the items, thrown away.
            waste = 0
            for i in range(lo, lo + round((hi - lo) * {percent / 100!r})):
                waste += i + i**2 + i**3
            return res
    ''')
    return WORKLOAD.replace(WORKLOAD.split("\n\n\ndef ORACLE")[0], extra.strip("\n"))


def _git(repo: str, *args: str) -> None:
    subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True)


def build_repository(folder: str, percent: float) -> str:
    """The throwaway repository with tags base, aa and slower; returns its path."""
    repo = os.path.join(folder, "repo")
    os.makedirs(repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "ab-trials@example.invalid")
    _git(repo, "config", "user.name", "ab_trials")
    path = os.path.join(repo, "abwork.py")
    for tag, source in (("base", WORKLOAD), ("aa", "# the same code: only this comment differs\n" + WORKLOAD),
                        ("slower", slower_workload(percent))):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source)
        _git(repo, "add", "abwork.py")
        _git(repo, "commit", "-qm", tag)
        _git(repo, "tag", tag)
        _git(repo, "checkout", "-q", "base")  # each variant is a child of base
    return repo


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="trials of each kind (default: 20)")
    parser.add_argument("--n", default="300000", help="work size (default: 300000)")
    parser.add_argument("--backends", default="serial,pool", help="(default: serial,pool)")
    parser.add_argument("--workers", default="2", help="(default: 2)")
    parser.add_argument("--repeat", default="5",
                        help="harness run --repeat for every round (default: 5, as gate_trials: 25 timings a side "
                             "over 5 rounds; fixed, so every round of both sides measures alike and a trial stays "
                             "within 90 s here even where harness run defaults to adaptive repeats)")
    parser.add_argument("--slowdown", type=float, default=15.0, help="extra work in percent (default: 15)")
    parser.add_argument("--threshold", type=float, default=10.0, help="harness ab --threshold (default: 10)")
    parser.add_argument("--rounds", type=int, default=None, help="harness ab --rounds (default: ab's own, 5)")
    parser.add_argument("--target", type=float, default=0.95, help="fraction of trials that must be right")
    parser.add_argument("--keep", default=None, metavar="DIR", help="keep every trial's output folder under DIR")
    parser.add_argument("--seed", type=int, default=20240601, help="seeds the order of A/A and slowdown per trial")
    return parser.parse_args(argv)


OUTCOMES = {0: "no regression", 1: "REGRESSION", 3: "unstable, not judged"}


def run_ab(repo: str, ref: str, out: str, args) -> tuple[int, float, str]:
    """One ``harness ab base REF``: (exit code, wall seconds, its summary line)."""
    command = [sys.executable, "-m", "harness", "ab", "base", ref, "--out", out, "--quiet",
               "--threshold", str(args.threshold), "--workload", "abwork:poly", "--backends", args.backends,
               "--workers", args.workers, "--n", args.n, "--repeat", args.repeat]
    if args.rounds:
        command += ["--rounds", str(args.rounds)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in OUTCOMES:
        raise SystemExit(f"ab_trials: harness ab {ref} exited {done.returncode}: {done.stderr.strip()}")
    table = [line for line in done.stdout.splitlines() if line.strip()]
    summary = next((line for line in reversed(table) if not line.startswith("results kept")), "")
    return done.returncode, wall, _describe_rows(table) + " => " + summary


def _describe_rows(table: list[str]) -> str:
    """'serial w1 +1.2% no change; pool w2 +16.0% regression' from ab's table."""
    parts = []
    for line in table:
        if " n=" not in line or line.startswith(("base ", "warning")):
            continue
        change = re.search(r"[+-][0-9.]+%", line)
        verdict = next((word for word in ("unstable", "regression", "improvement", "failed") if word in line),
                       "no change")
        parts.append(f"{' '.join(line.split()[:2])} {change.group(0) if change else '-'} {verdict}")
    return "; ".join(parts)


def main(argv=None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    counts = {"aa": {0: 0, 1: 0, 3: 0}, "slower": {0: 0, 1: 0, 3: 0}}
    walls: list[float] = []
    with tempfile.TemporaryDirectory(prefix="ab-trials-") as folder:
        repo = build_repository(folder, args.slowdown)
        keep = args.keep or folder
        print(f"ab_trials: {args.trials} trials of each: harness ab base aa (A/A) and harness ab base slower "
              f"(+{args.slowdown:g}% work), --backends {args.backends} --workers {args.workers} --n {args.n} "
              f"--repeat {args.repeat}, "
              f"rounds {args.rounds or 'default (5)'}, threshold {args.threshold:g}%", flush=True)
        started = time.perf_counter()
        for trial in range(1, args.trials + 1):
            order = ["aa", "slower"]
            rng.shuffle(order)
            for kind in order:
                code, wall, summary = run_ab(repo, kind, os.path.join(keep, f"trial-{trial:02d}-{kind}"), args)
                counts[kind][code] += 1
                walls.append(wall)
                label = "A/A " if kind == "aa" else f"+{args.slowdown:g}%"
                print(f"  trial {trial:2d} {label}: exit {code} {OUTCOMES[code]:<20} {wall:5.1f} s  {summary}",
                      flush=True)
        total = time.perf_counter() - started
    needed = int(args.trials * args.target + 0.999999)
    aa_flagged, caught = counts["aa"][1], counts["slower"][1]
    aa_ok, slow_ok = args.trials - aa_flagged >= needed, caught >= needed
    print(f"\nA/A (only a comment differs): flagged as a regression in {aa_flagged}/{args.trials} trials "
          f"(target <= {args.trials - needed}): {'met' if aa_ok else 'MISSED'}; unstable, not judged: "
          f"{counts['aa'][3]}")
    print(f"+{args.slowdown:g}% work, same result: caught in {caught}/{args.trials} trials (target >= {needed}): "
          f"{'met' if slow_ok else 'MISSED'}; unstable, not judged: {counts['slower'][3]}; missed: "
          f"{counts['slower'][0]}")
    print(f"wall time of one harness ab: median {statistics.median(walls):.1f} s, max {max(walls):.1f} s "
          f"({len(walls)} runs, {total:.0f} s in all)")
    return 0 if aa_ok and slow_ok else 1


if __name__ == "__main__":
    sys.exit(main())
