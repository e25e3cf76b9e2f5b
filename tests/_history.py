"""Helpers for the history tests: real git repositories, and results.json files for their commits.

Not a test module. Every results file starts from one real sweep (``real_results``: serial and
threads, tiny n); a history is that file at each commit of a real repository, its timings
scaled to the level the test wants (a step at commit k), with a little deterministic noise.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys

from harness.results.storage import load_suite, save_suite

from tests._processes import cli_env

TINY_SWEEP = ["--backends", "serial,threads", "--workers", "2", "--n", "3000", "--repeat", "5", "--warmup", "0",
              "--no-interleave", "--reference", "10000", "--no-report", "--quiet"]


def git(repo, *args) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


def make_repo(path, commits: int, module: str = "note.txt", source=None) -> list[str]:
    """A repository of ``commits`` commits, each changing ``module``; their shas, oldest first.

    ``source(k)`` is the file's text at commit k (1-based); by default a line per commit.
    """
    os.makedirs(path, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "test@example.invalid")
    git(path, "config", "user.name", "test")
    for k in range(1, commits + 1):
        with open(os.path.join(path, module), "w", encoding="utf-8") as handle:
            handle.write(source(k) if source else f"revision {k}\n")
        git(path, "add", "-A")
        git(path, "commit", "-qm", f"commit {k}")
    return git(path, "rev-list", "--reverse", "HEAD").split()


def harness(*args, cwd=None, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], cwd=cwd, env=cli_env(extra_env=env),
                          capture_output=True, text=True, timeout=timeout)


def real_results(folder) -> str:
    """One real tiny sweep's results.json (serial w1 and threads w2, with reference times)."""
    out = os.path.join(str(folder), "sweep")
    done = harness("run", *TINY_SWEEP, "--out", out)
    assert done.returncode == 0, done.stderr
    return os.path.join(out, "results.json")


def scaled_results(template: str, path: str, commit: str | None, level: float = 1.0, seed: int = 0,
                   noise: float = 0.01, **suite_changes) -> str:
    """``template`` with every run's times (and so its median and speedup-bearing values) set to
    its median times ``level``, each repeat jittered by up to ``noise``, and its reference times
    those of a quiet machine (their median, jittered alike); written to ``path``."""
    suite = load_suite(template)
    rng = random.Random(seed)
    runs = []
    for run in suite.runs:
        # Every repeat from the template's median, so that the real sweep's own spread (a slow repeat
        # while the host was busy) never reaches the synthetic history: only ``noise`` does.
        typical = statistics.median(run.times_s)
        times = tuple(sorted(typical * level * (1 + rng.uniform(-noise, noise)) for _ in run.times_s))
        median = sorted(times)[len(times) // 2]
        references, means, alone = run.reference_times_s, run.reference_mean_times_s, run.reference_alone_times_s
        if references:
            middle = sorted(references)[len(references) // 2]
            jitter = [1 + rng.uniform(-noise, noise) for _ in references]
            references = tuple(middle * j for j in jitter)
            if means:  # the mean worker's loop, as fast relative to the slowest as in the template
                means = tuple(r * statistics.median(means) / middle for r in references)
            if alone:  # and the loop alone likewise
                alone = tuple(r * statistics.median(alone) / middle for r in references)
        runs.append(run.replace(times_s=times, median_s=median, min_s=times[0], max_s=times[-1],
                                ci_s=(times[0], times[-1]), ci95_s=None, reference_times_s=references,
                                reference_mean_times_s=means, reference_alone_times_s=alone,
                                # the same busy cores for longer: CPU time scales with the wall time
                                cpu_time_s=None if run.cpu_time_s is None else run.cpu_time_s * median / run.median_s))
    save_suite(suite.replace(runs=tuple(runs), git_commit=commit, **suite_changes), path)
    return path


def host_changed(template, path, commit, seed, threads_time=1.0, threads_reference=1.0) -> str:
    """A sweep at ``commit`` whose threads run's repeats (and the reference loops beside them)
    took ``threads_time`` (``threads_reference``) times as long; serial's did not change."""
    scaled_results(template, path, commit, seed=seed)
    suite = load_suite(path)
    runs = tuple(r.replace(times_s=tuple(t * threads_time for t in r.times_s), median_s=r.median_s * threads_time,
                           reference_times_s=tuple(t * threads_reference for t in r.reference_times_s),
                           reference_mean_times_s=tuple(t * threads_reference for t in r.reference_mean_times_s),
                           reference_alone_times_s=None if r.reference_alone_times_s is None else
                           tuple(t * threads_reference for t in r.reference_alone_times_s))
                 if r.backend == "threads" else r for r in suite.runs)
    save_suite(suite.replace(runs=runs), path)
    return path
