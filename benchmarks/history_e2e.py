"""``harness history`` end to end on a throwaway repository of 30 commits. A benchmark, not a test.

The repository holds one user module, ``userwork.py``, with a range workload ``crunch(lo, hi)``
(the tutorial's loop, with an exact oracle). Every commit changes it (a revision comment);
three change what it costs:

* commit 10 adds 30% work (the loop again over 30% of the items, its sum thrown away);
* commit 20 serialises the workers: each chunk holds an ``fcntl.flock`` on one file for its
  whole computation, so the pool's workers take turns while serial (one process) is unaffected;
* commit 25 removes half of commit 10's extra work (1.30 -> 1.15: -11.5%).

``history run`` then measures all 30 (serial and pool at 2 workers, 7 repeats; ``--reference``
as harness ab adds it; ``--passes 3 --repeat 3`` measures each commit in three passes instead),
then measures the two commits beside each step it found twice more (``--confirm 2``, history
run's default), and ``history regressions --json`` must report exactly these steps and no
other, in every run:

    serial time 10 up, 25 down; pool time 10 up, 20 up, 25 down; pool speedup 20 down;
    pool busy cores 20 down.

``--find`` also runs ``history find`` between commits 1 and 30 for serial alone: it must name
commit 10, measuring at most 5 commits besides the two endpoints.

    .venv/bin/python benchmarks/history_e2e.py --runs 3 --find      # make bench-history-e2e

Measured on the 2-vCPU VM this project was built on (n=600000, serial + pool@2):
see the README's "History across commits" for the figures of the last run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

COMMITS = 30
EXTRA_AT, LOCK_AT, HALF_AT = 10, 20, 25
EXPECTED = {("serial", "time", EXTRA_AT, "up"), ("serial", "time", HALF_AT, "down"),
            ("pool", "time", EXTRA_AT, "up"), ("pool", "time", LOCK_AT, "up"), ("pool", "time", HALF_AT, "down"),
            ("pool", "speedup", LOCK_AT, "down"), ("pool", "busy_cores", LOCK_AT, "down")}

_HEADER = textwrap.dedent('''
    """A user's module, revision {revision}."""
    import fcntl
    import os

    _LOCK = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".crunch.lock")


    def _poly(lo, hi):
        res = 0
        for i in range(lo, hi):
            res += i + i**2 + i**3
        return res


    def ORACLE(n):
        return _poly(0, n)
''')


def module_source(revision: int) -> str:
    """userwork.py as commit ``revision`` (1-based) has it."""
    extra = 0.0 if revision < EXTRA_AT else (0.30 if revision < HALF_AT else 0.15)
    body = ["def _work(lo, hi):", "    res = _poly(lo, hi)"]
    if extra:
        body += [f"    # {extra:.0%} more work, the same result: thrown away.",
                 f"    _poly(lo, lo + round((hi - lo) * {extra!r}))"]
    body.append("    return res")
    if revision < LOCK_AT:
        crunch = ["def crunch(lo, hi):", "    return _work(lo, hi)"]
    else:
        crunch = ["def crunch(lo, hi):", "    # one chunk at a time, machine-wide: the pool's workers take turns",
                  "    with open(_LOCK, 'a') as handle:", "        fcntl.flock(handle, fcntl.LOCK_EX)",
                  "        return _work(lo, hi)"]
    return _HEADER.format(revision=revision) + "\n\n" + "\n".join(body) + "\n\n\n" + "\n".join(crunch) + "\n"


def _git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout


def build_repository(folder: str, commits: int = COMMITS) -> list[str]:
    """The repository in ``folder``; its commits' shas, oldest first (index 0 is commit 1)."""
    os.makedirs(folder, exist_ok=True)
    _git(folder, "init", "-q", "-b", "main")
    _git(folder, "config", "user.email", "history-e2e@example.invalid")
    _git(folder, "config", "user.name", "history_e2e")
    with open(os.path.join(folder, ".gitignore"), "w", encoding="utf-8") as handle:
        handle.write(".crunch.lock\n__pycache__/\n")
    subjects = {EXTRA_AT: "adds 30% work", LOCK_AT: "serialises the workers with a file lock",
                HALF_AT: "removes half of the extra work"}
    for revision in range(1, commits + 1):
        with open(os.path.join(folder, "userwork.py"), "w", encoding="utf-8") as handle:
            handle.write(module_source(revision))
        _git(folder, "add", "-A")
        _git(folder, "commit", "-qm", f"commit {revision}: {subjects.get(revision, 'a revision comment')}")
    return _git(folder, "rev-list", "--reverse", "HEAD").split()


def harness(*args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=timeout)


def reported(steps: list[dict], shas: list[str]) -> set[tuple]:
    """regressions --json as (backend, metric, commit number, direction)."""
    number = {sha: i + 1 for i, sha in enumerate(shas)}
    return {(s["config"]["backend"], s["metric"], number.get(s["commit"]), s["direction"]) for s in steps}


def one_run(folder: str, shas: list[str], sweep: list[str], args) -> tuple[bool, float, set, str]:
    db = os.path.join(folder, "history.sqlite")
    started = time.perf_counter()
    done = harness("history", "run", "HEAD", "--repo", os.path.join(folder, "repo"), "--db", db, "--out",
                   os.path.join(folder, "runs"), "--quiet", "--passes", args.passes, "--confirm", args.confirm, *sweep)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"history_e2e: history run exited {done.returncode}: {done.stderr.strip()}")
    listed = harness("history", "regressions", "--db", db, "--json")
    found = reported(json.loads(listed.stdout), shas)
    summary = done.stdout.strip().splitlines()[-1].split("; results in")[0] if done.stdout.strip() else ""
    return found == EXPECTED, wall, found, summary


def find(folder: str, shas: list[str], args) -> None:
    sweep = ["--workload", "userwork:crunch", "--backends", "serial", "--n", args.n, "--repeat", args.find_repeat]
    started = time.perf_counter()
    done = harness("history", "find", shas[0], shas[-1], "--repo", os.path.join(folder, "repo"), "--quiet",
                   "--out", os.path.join(folder, "rounds"), *sweep)
    wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    named = shas.index(lines[-1]) + 1 if lines and lines[-1] in shas else None
    probes = [line for line in lines if "than GOOD" in line]
    print(f"history find 1 30 (serial): exit {done.returncode}, named commit {named} (expected {EXTRA_AT}), "
          f"{len(probes) - 1} commits measured besides the endpoints (at most 5), {wall:.0f} s", flush=True)
    for line in probes:
        print(f"    {line}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--n", default="600000")
    parser.add_argument("--repeat", default="7", help="repeats per sweep (history run)")
    parser.add_argument("--passes", default="1", help="history run --passes: sweeps per commit, one per pass (the "
                                                      "README has a side-by-side of 1 x 7 repeats and 3 x 3)")
    parser.add_argument("--confirm", default="2", help="history run --confirm: more sweeps of each step's two "
                                                      "neighbouring commits (0: off)")
    parser.add_argument("--find-repeat", default="7", help="repeats per round of history find")
    parser.add_argument("--find", action="store_true", help="also bisect with history find")
    parser.add_argument("--keep", default=None, metavar="DIR", help="keep the repositories and stores under DIR")
    args = parser.parse_args(argv)
    sweep = ["--workload", "userwork:crunch", "--backends", "serial,pool", "--workers", "2", "--n", args.n,
             "--repeat", args.repeat]
    passed = 0
    with tempfile.TemporaryDirectory(prefix="history-e2e-") as scratch:
        base = args.keep or scratch
        for run in range(1, args.runs + 1):
            folder = os.path.join(base, f"run-{run}")
            shas = build_repository(os.path.join(folder, "repo"))
            ok, wall, found, summary = one_run(folder, shas, sweep, args)
            passed += ok
            extra, missing = sorted(found - EXPECTED, key=str), sorted(EXPECTED - found, key=str)
            print(f"run {run}: {'exactly the expected steps' if ok else 'WRONG'} in {wall:.0f} s "
                  f"(history run of {COMMITS} commits: {summary}){'' if ok else f'; extra {extra}; missing {missing}'}",
                  flush=True)
        if args.find:
            folder = os.path.join(base, "find")
            find(folder, build_repository(os.path.join(folder, "repo")), args)
    if args.runs:  # --runs 0 --find bisects only
        print(f"{passed}/{args.runs} runs reported exactly the expected steps")
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
