"""Detection quality of harness history's step detector against asv and github-action-benchmark.

1,200 synthetic histories of 50 commits x 5 samples (400 without a step, 400 with one, 400 with
two; steps of +-10% and +-20%, at least 5 commits apart, first bad commit in [3, 47]), with noise
shaped like this host's: multiplicative, about 20% coefficient of variation, bimodal:

    x[c, j] = level[c] * J[c] * S[c, j] * E[c, j]
    J ~ LogNormal(0, 0.03) per commit; E ~ LogNormal(0, 0.06) per sample;
    S: the slow state, U(1.4, 2.0): the whole commit with p 0.04, else each sample with p 0.05.

Detectors, on the same data, each at its published defaults and the 10% threshold:

* harness: :func:`harness.history.steps.detect_steps` (threshold 10%, alpha 0.05);
* asv: ``asv.step_detect.detect_steps`` on per-commit medians weighted as asv weights them
  (2 / width of the 99% interval), then ``detect_regressions(steps, 0.10)``, as asv publishes
  regressions; run on the values and on their reciprocals so that both directions count;
* github-action-benchmark: each commit's median against the previous commit's only, alerting
  beyond the ratio (its default 200%, and 120%), either direction.

A detection matches a true step when it has the same sign and lies within +-1 commit (one to
one, nearest first). Precision counts every detection, null histories included.

asv is not a dependency of harness: the script installs it into a throwaway virtual
environment (``--asv-venv``, default ~/.cache/harness-bench/asv-venv, made on first use with
the project's ordinary pip) and runs asv's functions there, on the same histories.

    .venv/bin/python benchmarks/history_detection.py          # make bench-history-detection

Measured on the 2-vCPU VM this project was built on (seed 2024, 1,200 histories, 1,200 true
steps; the README has the table): see the last run's output.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

TOLERANCE = 1
ASV_VERSION = "0.6.6"
_ASV_CODE = r'''
import json, math, sys
from asv import step_detect
from asv_runner.statistics import compute_stats

def steps_of(x):
    y, w = [], []
    for row in x:
        value, stats = compute_stats(list(row), 1)
        a, b = stats["ci_99_a"], stats["ci_99_b"]
        y.append(value)
        w.append(None if (math.isinf(a) or math.isinf(b) or b == a) else 2.0 / abs(b - a))
    return step_detect.detect_steps(y, w)

def regressions(x, threshold):
    steps, out = steps_of(x), []
    for _before, after, v_before, v_after in (step_detect.detect_regressions(steps, threshold)[2] or []):
        out.append((after, v_after / v_before - 1))
    inverse = [(l, r, 1.0 / v, 1.0 / v, e / v ** 2) for l, r, v, _m, e in steps]
    for _before, after, v_before, v_after in (step_detect.detect_regressions(inverse, threshold)[2] or []):
        out.append((after, v_before / v_after - 1))
    return sorted(out)

histories = json.load(open(sys.argv[1]))
json.dump([regressions(x, float(sys.argv[2])) for x in histories], sys.stdout)
'''


def host_noise(rng, commits: int, samples: int) -> np.ndarray:
    jitter = rng.lognormal(0.0, 0.03, size=(commits, 1))
    commit_slow = rng.random((commits, 1)) < 0.04
    commit_factor = rng.uniform(1.4, 2.0, size=(commits, 1))
    sample_slow = rng.random((commits, samples)) < 0.05
    sample_factor = rng.uniform(1.4, 2.0, size=(commits, samples))
    slow = np.where(commit_slow, commit_factor, np.where(sample_slow, sample_factor, 1.0))
    return jitter * slow * rng.lognormal(0.0, 0.06, size=(commits, samples))


def random_steps(rng, count: int) -> list[tuple[int, float]]:
    while True:
        positions = sorted(rng.integers(3, 48, size=count).tolist())
        if all(b - a >= 5 for a, b in zip(positions, positions[1:])):
            return [(p, float(rng.choice((0.10, 0.20, -0.10, -0.20)))) for p in positions]


def make_dataset(seed: int, per_kind: int, commits: int = 50, samples: int = 5):
    """(samples, true steps) per history: per_kind each with 0, 1 and 2 steps, shuffled."""
    rng = np.random.default_rng(seed)
    data = []
    for count in (0, 1, 2):
        for _ in range(per_kind):
            steps = random_steps(rng, count) if count else []
            level = np.full(commits, float(rng.uniform(0.5, 5.0)))
            for position, change in steps:
                level[position:] *= 1.0 + change
            data.append((level[:, None] * host_noise(rng, commits, samples), steps))
    return [data[i] for i in rng.permutation(len(data))]


def harness_steps(x: np.ndarray, threshold: float) -> list[tuple[int, float]]:
    from harness.history.steps import detect_steps

    return [(s.index, s.change) for s in detect_steps(x.tolist(), threshold)]


def previous_value(x: np.ndarray, ratio: float) -> list[tuple[int, float]]:
    medians = np.median(x, axis=1)
    out = []
    for i in range(1, len(medians)):
        r = medians[i] / medians[i - 1]
        if max(r, 1 / r) > ratio:
            out.append((i, r - 1))
    return out


def asv_python(venv: str) -> str:
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", f"asv=={ASV_VERSION}"], check=True)
    return python


def asv_detections(data, threshold: float, venv: str) -> tuple[list, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump([x.tolist() for x, _ in data], handle)
    started = time.perf_counter()
    try:
        done = subprocess.run([asv_python(venv), "-c", _ASV_CODE, handle.name, str(threshold)], check=True,
                              capture_output=True, text=True)
    finally:
        os.unlink(handle.name)
    return json.loads(done.stdout), time.perf_counter() - started


def match(found, truth) -> list[tuple[int, int, int]]:
    pairs = sorted((abs(d[0] - t[0]), ti, di) for ti, t in enumerate(truth) for di, d in enumerate(found)
                   if abs(d[0] - t[0]) <= TOLERANCE and np.sign(d[1]) == np.sign(t[1]))
    used_t, used_d, out = set(), set(), []
    for distance, ti, di in pairs:
        if ti not in used_t and di not in used_d:
            used_t.add(ti)
            used_d.add(di)
            out.append((ti, di, distance))
    return out


def score(detections, data) -> dict:
    found = hits = nulls = false_alarms = 0
    by_size = {0.10: [0, 0], 0.20: [0, 0]}
    for detected, (_, truth) in zip(detections, data):
        found += len(detected)
        if not truth:
            nulls += 1
            false_alarms += len(detected)
        matched = {ti for ti, _, _ in match(detected, truth)}
        hits += len(matched)
        for ti, (_, change) in enumerate(truth):
            by_size[round(abs(change), 2)][0] += 1
            by_size[round(abs(change), 2)][1] += ti in matched
    true = sum(n for n, _ in by_size.values())
    return {"precision": hits / found if found else 1.0, "recall": hits / true,
            "recall_10": by_size[0.10][1] / by_size[0.10][0], "recall_20": by_size[0.20][1] / by_size[0.20][0],
            "false_alarms_per_null": false_alarms / nulls, "detections": found, "true_steps": true}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--per-kind", type=int, default=400, help="histories with 0, 1 and 2 steps each (default 400)")
    parser.add_argument("--threshold", type=float, default=0.10)
    parser.add_argument("--asv-venv", default=os.path.expanduser("~/.cache/harness-bench/asv-venv"))
    parser.add_argument("--json", default=None, metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    data = make_dataset(args.seed, args.per_kind)
    rows = {}
    started = time.perf_counter()
    ours = [harness_steps(x, args.threshold) for x, _ in data]
    rows["harness history (ruptures Binseg L1 + Mann-Whitney filter)"] = (score(ours, data), time.perf_counter() - started)
    found, seconds = asv_detections(data, args.threshold, args.asv_venv)
    rows[f"asv {ASV_VERSION} step_detect + detect_regressions"] = (score(found, data), seconds)
    for ratio in (2.0, 1.2):
        started = time.perf_counter()
        found = [previous_value(x, ratio) for x, _ in data]
        rows[f"github-action-benchmark previous value, {ratio:.0%}"] = (score(found, data), time.perf_counter() - started)
    true = next(iter(rows.values()))[0]["true_steps"]
    print(f"{len(data)} histories (50 commits x 5 samples, host-shaped noise, seed {args.seed}), {true} true steps; "
          f"threshold {args.threshold:.0%}; a match: same sign within +-{TOLERANCE} commit\n")
    print(f"{'detector':<62} {'precision':>9} {'recall':>7} {'rec 10%':>8} {'rec 20%':>8} {'FA/null':>8} {'ms/hist':>8}")
    for name, (s, seconds) in rows.items():
        print(f"{name:<62} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['recall_10']:>8.3f} {s['recall_20']:>8.3f} "
              f"{s['false_alarms_per_null']:>8.3f} {seconds / len(data) * 1000:>8.1f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({name: {**s, "seconds": seconds} for name, (s, seconds) in rows.items()}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
