"""The history store on real SQLite files and a real PostgreSQL server: round trips, series kept
apart, the schema's migrations, and databases that must be refused and left as they were."""

import hashlib
import json
import os
import sqlite3

import pytest

from harness.history.database import HistoryError, open_database
from harness.history.ingest import sweep_record
from harness.history.records import MachineKey
from harness.history.schema import SCHEMA_VERSION, statements
from harness.history.store import HistoryStore
from harness.results.facts import Machine
from harness.results.storage import load_suite, save_suite

from tests._history import make_repo, real_results, scaled_results


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    path = tmp_path_factory.mktemp("store-repo")
    return str(path), make_repo(path, 3)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return real_results(tmp_path_factory.mktemp("store-sweep"))


@pytest.fixture
def url(history_url):
    return history_url


def record(results, repo, k, tmp_path, **changes):
    path, shas = repo
    target = str(tmp_path / f"results-{k}-{len(os.listdir(tmp_path))}.json")
    return sweep_record(scaled_results(results, target, shas[k - 1], seed=k, **changes), path)


def test_a_sweep_round_trips_with_its_commit_and_samples(url, results, repo, tmp_path):
    sweep = record(results, repo, 2, tmp_path)
    with HistoryStore.open(url, create=True) as store:
        added = store.add(sweep)
        assert (added.points, added.already) == (2, False)
        histories = store.load()
        counts = store.counts()
    assert counts == {"commits": 1, "sweeps": 1, "series": 2, "points": 2}
    suite = load_suite(sweep.results_path)
    by_backend = {h.key.config.backend: h for h in histories}
    assert set(by_backend) == {"serial", "threads"}
    point = by_backend["threads"].points[0]
    assert point.commit.sha == repo[1][1] and point.commit.position == 2 and point.commit.subject == "commit 2"
    run = next(r for r in suite.runs if r.backend == "threads")
    assert len(point.values.times_s) == len(run.times_s) == 5
    assert point.values.reference_s == run.reference_times_s
    assert point.values.busy_cores == pytest.approx(run.cpu.busy_cores)
    assert point.values.status == "ok"
    assert by_backend["threads"].key.machine == MachineKey.of(suite.machine)
    assert by_backend["threads"].key.config == run.key


def test_the_same_file_at_the_same_commit_is_added_once(url, results, repo, tmp_path):
    first = record(results, repo, 1, tmp_path)
    with HistoryStore.open(url, create=True) as store:
        store.add(first)
        again = store.add(first)
        assert again.already and again.points == 0
        assert store.counts()["sweeps"] == 1


def test_other_machines_and_interpreters_are_other_series(url, results, repo, tmp_path):
    suite = load_suite(results)
    other_machine = suite.machine.replace(cpu_model="Another CPU", logical_cpus=64)
    with HistoryStore.open(url, create=True) as store:
        store.add(record(results, repo, 1, tmp_path))
        store.add(record(results, repo, 1, tmp_path, machine=other_machine))
        relabelled = tuple(r.replace(python="3.13.15t") for r in suite.runs)
        path = str(tmp_path / "ft.json")
        save_suite(suite.replace(runs=relabelled, git_commit=repo[1][0]), path)
        store.add(sweep_record(path, repo[0]))
        histories = store.load()
    assert len(histories) == 6  # 2 configurations x (this machine, another machine, another interpreter)
    assert all(len(h.points) == 1 for h in histories)
    assert {h.key.machine.cpu_model for h in histories} == {suite.machine.cpu_model, "Another CPU"}
    assert {h.key.interpreter.label for h in histories} == {suite.runs[0].python, "3.13.15t"}


def _version(url):
    db = open_database(url)
    try:
        return int(db.query("SELECT value FROM meta WHERE key = 'schema_version'")[0][0])
    finally:
        db.close()


def test_a_version_1_store_is_migrated_and_keeps_its_data(url, results, repo, tmp_path):
    """Migration 1 -> 2: commit subjects (old commits have none) and the points index."""
    if url.endswith(".sqlite"):
        connection = sqlite3.connect(url, isolation_level=None)
        dialect, mark = "sqlite", "?"
    else:
        import psycopg

        connection = psycopg.connect(url, autocommit=True)
        dialect, mark = "postgresql", "%s"
    for statement in statements(1, dialect):
        connection.execute(statement)
    connection.execute(f"INSERT INTO meta (key, value) VALUES ('schema_version', {mark})", ("1",))
    connection.execute(f"INSERT INTO commits (sha, author_date, position) VALUES ({mark}, {mark}, {mark})",
                       (repo[1][0], "2024-01-01T00:00:00+00:00", 1))
    connection.close()
    assert SCHEMA_VERSION == 2 and _version(url) == 2  # opening migrated it
    with HistoryStore.open(url) as store:
        assert store.commit(repo[1][0]).subject is None
        store.add(record(results, repo, 1, tmp_path))  # the same commit: its subject is filled in now
        assert store.commit(repo[1][0]).subject == "commit 1"
        assert store.counts()["commits"] == 1


def _fingerprint(path) -> tuple:
    folder = os.path.dirname(path)
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest(), sorted(os.listdir(folder))


def test_a_newer_schema_is_refused_and_left_as_it_was(url, results, repo, tmp_path):
    with HistoryStore.open(url, create=True) as store:
        store.add(record(results, repo, 1, tmp_path))
        store.db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    before = _fingerprint(url) if url.endswith(".sqlite") else None
    with pytest.raises(HistoryError, match="schema version 99 is newer than this harness reads"):
        HistoryStore.open(url)
    if before is not None:
        assert _fingerprint(url) == before
    else:  # the server's data, read back as it is
        import psycopg

        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT value FROM meta").fetchall() == [("99",)]


def test_a_corrupt_file_or_a_foreign_database_is_refused_and_left_as_it_was(tmp_path):
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"this is not a database" * 200)
    before = _fingerprint(str(corrupt))
    with pytest.raises(HistoryError, match="not a readable history database"):
        HistoryStore.open(str(corrupt), create=True)
    assert _fingerprint(str(corrupt)) == before
    foreign = tmp_path / "foreign.sqlite"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    with pytest.raises(HistoryError, match="not a harness history database"):
        HistoryStore.open(str(foreign), create=True)
    with pytest.raises(HistoryError, match="no such history database"):
        HistoryStore.open(str(tmp_path / "missing.sqlite"))
    assert not (tmp_path / "missing.sqlite").exists()


def test_a_postgresql_url_that_cannot_connect_is_one_line():
    pytest.importorskip("psycopg")
    with pytest.raises(HistoryError) as caught:
        HistoryStore.open("postgresql://someone:secret@127.0.0.1:1/nothing?connect_timeout=3")
    message = str(caught.value)
    assert "cannot connect" in message and "\n" not in message
    assert "secret" not in message and "someone:***@" in message


def test_the_store_keeps_samples_and_the_results_path_and_hash_not_a_copy(results, repo, tmp_path):
    url = str(tmp_path / "compact.sqlite")
    sweep = record(results, repo, 3, tmp_path)
    with HistoryStore.open(url, create=True) as store:
        store.add(sweep)
        path, digest = store.db.query("SELECT results_path, results_sha256 FROM sweeps")[0]
    assert path == sweep.results_path and os.path.isabs(path)
    with open(path, "rb") as handle:
        assert digest == hashlib.sha256(handle.read()).hexdigest()
    # No timelines and no copy: far smaller than the results file itself (which holds timelines).
    connection = sqlite3.connect(url)
    stored = sum(len(row[0]) + len(row[1] or b"") for row in connection.execute("SELECT samples, reference FROM points"))
    connection.close()
    assert stored == 2 * 2 * 5 * 8  # 2 runs x (samples + reference) x 5 repeats x float64
    assert json.loads(json.dumps(sweep.commit.sha)) == repo[1][2]
