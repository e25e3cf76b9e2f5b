"""The history commands' work spread over forked processes (harness.history.fanout): real forks,
and the same steps and the same page as one process makes."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from harness.history.fanout import fan_out, split
from harness.history.records import CommitInfo, InterpreterKey, MachineKey, Point, PointValues, SweepRecord
from harness.history.regressions import find_steps
from harness.history.report import build_history_report
from harness.history.store import HistoryStore
from harness.results.key import RunKey

COMMITS, STEP_AT = 24, 13
BACKENDS = [("serial", 1), ("threads", 2), ("pool", 2)]
SIZES = (1000, 2000, 3000)  # three configuration groups: an overview and a figure each


def test_split_keeps_the_order_in_near_equal_contiguous_slices():
    assert split([1, 2, 3, 4, 5], 2) == [[1, 2, 3], [4, 5]]
    assert split([1, 2, 3], 5) == [[1], [2], [3]]
    assert split([], 3) == [[]]
    assert split([1, 2], 0) == [[1, 2]]


def test_fan_out_runs_the_pieces_in_forked_processes_and_keeps_their_order():
    # In a fresh interpreter, so that no thread another test left behind makes forking unsafe.
    script = ("import os\nfrom harness.history.fanout import can_fork, fan_out\n"
              "assert can_fork()\n"
              "offset = 100\n"  # a closure's free variable: the work is inherited, never pickled
              "out = fan_out(lambda x: (x + offset, os.getpid()), list(range(6)), processes=2)\n"
              "print([v for v, _ in out], len({p for _, p in out} - {os.getpid()}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.returncode == 0, done.stderr
    values, children = done.stdout.split("] ")
    assert values + "]" == "[100, 101, 102, 103, 104, 105]"
    assert int(children) >= 1  # computed in other processes, none in this one


def test_fan_out_in_one_process_runs_here():
    assert fan_out(lambda x: (x * 2, os.getpid()), [1, 2, 3], processes=1) == [(2, os.getpid()), (4, os.getpid()),
                                                                               (6, os.getpid())]


def _fails_on_three(x):
    if x == 3:
        raise ValueError("piece three is bad")
    return x


def test_a_pieces_exception_is_raised_in_the_caller():
    with pytest.raises(ValueError, match="piece three is bad"):
        fan_out(_fails_on_three, [1, 2, 3, 4], processes=2)


def _store(path: str) -> None:
    rng = np.random.default_rng(3)
    machine = MachineKey("Test CPU", 2, "Linux", "x86_64")
    python = InterpreterKey("3.11.7", "CPython", False, None)
    with HistoryStore.open(path, create=True) as store:
        for k in range(1, COMMITS + 1):
            points = []
            for n in SIZES:
                level = 1.4 if n == SIZES[0] and k >= STEP_AT else 1.0  # one group steps
                for backend, workers in BACKENDS:
                    base = 0.01 * n / 1000 / (workers if backend == "pool" else 1)
                    times = tuple(float(t) for t in base * level * rng.lognormal(0, 0.01, 5))
                    references = tuple(float(r) for r in 0.01 * rng.lognormal(0, 0.01, 5))
                    values = PointValues("ok", times, references, sorted(times)[2], (min(times), max(times)),
                                         None if backend == "serial" else 1.8, None, float(workers), 50_000_000)
                    points.append(Point(python, RunKey(backend, workers, n, "strong", "poly", None, "3.11.7"), values))
            commit = CommitInfo(f"{k:040x}", k, f"2026-01-{k:02d}T00:00:00+00:00", f"commit {k}")
            store.add(SweepRecord(commit, machine, "0.1.0", "2026-01-01T00:00:00+00:00", f"/synthetic/{k}.json",
                                  f"{k:064x}", tuple(points)))


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("fanout") / "history.sqlite")
    _store(path)
    return path


def test_steps_found_in_two_processes_are_those_found_in_one(store_path):
    with HistoryStore.open(store_path) as store:
        histories = store.load(None)
    one = find_steps(histories, 0.10, 0.05, only_open=False, processes=1)
    two = find_steps(histories, 0.10, 0.05, only_open=False, processes=2)
    assert one == two
    stepped = {(s.series.config.backend, s.metric.name, s.commit.position) for s in one}
    assert {(b, "time", STEP_AT) for b, _ in BACKENDS} <= stepped  # the data really has steps to find


def test_the_report_drawn_in_two_processes_is_the_report_drawn_in_one(store_path, tmp_path):
    pages = {}
    for processes in (1, 2):
        with HistoryStore.open(store_path) as store:
            out = tmp_path / f"p{processes}"
            path = build_history_report(store, str(out), 0.10, 0.05, processes=processes)
        pngs = {name: (out / name).read_bytes() for name in sorted(os.listdir(out)) if name.endswith(".png")}
        pages[processes] = (open(path, encoding="utf-8").read().replace(str(out), "OUT"), pngs)
    assert list(pages[1][1]) == ["overview-1.png", "trend-1-g0.png", "trend-1-g1.png", "trend-1-g2.png"]
    assert pages[1] == pages[2]
    # Each open step shows its levels, before -> after (a row's dict key once named a dict method).
    levels = re.findall(r"<td>([0-9.]+[^<]* → [0-9.]+[^<]*)", pages[1][0])
    assert len(levels) >= len(BACKENDS), levels

