"""``history add`` never loses an acknowledged sweep: SIGKILL at each of its pause points
(harness/results/pause_points.py), and two adders at once, on SQLite and on a real PostgreSQL server."""

import signal
import time

import pytest

from harness.history.store import HistoryStore

from tests._history import harness, make_repo, real_results, scaled_results
from tests._processes import signal_at_pause, start_cli

POINTS = ("history-before", "history-mid", "history-commit")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("durable")
    repo = folder / "repo"
    shas = make_repo(repo, 3)
    template = real_results(folder)
    return repo, [scaled_results(template, str(folder / f"r{k}.json"), shas[k], seed=k) for k in range(3)]


@pytest.fixture
def url(history_url):
    return history_url


def add_args(repo, url, path) -> list:
    return ["history", "add", path, "--repo", repo, "--db", url]


def sweeps(url) -> list[str]:
    with HistoryStore.open(url) as store:  # opens: the database is whole
        return sorted(row[0] for row in store.db.query("SELECT results_path FROM sweeps"))


def test_sigkill_at_each_pause_point_keeps_every_acknowledged_sweep(files, url, tmp_path):
    repo, paths = files
    first = harness(*add_args(repo, url, paths[0]))
    assert first.returncode == 0 and "added 2 run(s)" in first.stdout  # acknowledged
    for point in POINTS:  # before the transaction, half the runs inserted, all inserted but not committed
        code, _ = signal_at_pause(add_args(repo, url, paths[1]), f"{point}:1", tmp_path / point, signal.SIGKILL)
        assert code == -signal.SIGKILL
        assert sweeps(url) == [paths[0]], point  # never acknowledged, and nothing half-done is left
    again = harness(*add_args(repo, url, paths[1]))
    assert again.returncode == 0, again.stderr
    assert sweeps(url) == sorted(paths[:2])


def test_two_adders_at_once_both_land_even_on_a_new_store(files, url):
    repo, paths = files
    procs = [start_cli(*add_args(repo, url, path)) for path in paths[:2]]  # both create the schema, in turn
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert sweeps(url) == sorted(paths[:2])


def test_an_adder_waits_for_one_inside_its_transaction_and_lands_when_that_one_dies(files, url, tmp_path):
    repo, paths = files
    marker = tmp_path / "paused"
    holder = start_cli(*add_args(repo, url, paths[0]),
                       extra_env={"HARNESS_PAUSE_AT": "history-mid:1", "HARNESS_PAUSE_MARKER": str(marker)})
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), holder.communicate()
        waiter = start_cli(*add_args(repo, url, paths[1]))
        time.sleep(2.0)
        assert waiter.poll() is None, waiter.communicate()  # it waits its turn: no "database is locked"
    finally:
        holder.kill()
        holder.wait()
    out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, err
    assert sweeps(url) == [paths[1]]
