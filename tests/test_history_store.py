"""The history store on real SQLite files and a real PostgreSQL server: round trips, series kept
apart, the schema's migrations, and databases that must be refused and left as they were."""

import hashlib
import json
import os
import sqlite3
import statistics

import pytest

from harness.history.database import HistoryError, open_database
from harness.history.ingest import sweep_record
from harness.history.records import MachineKey
from harness.history.schema import SCHEMA_VERSION, statements
from harness.history.series import metric_series
from harness.history.yardstick import slowest_weight
from harness.history.store import HistoryStore
from harness.results.facts import Machine
from harness.results.storage import load_suite, save_suite

from tests._history import host_changed, make_repo, real_results, scaled_results


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
    serial = next(r for r in suite.runs if r.backend == "serial")
    per_reference = statistics.median(t / r for t, r in zip(serial.times_s, serial.reference_times_s))
    assert point.values.baseline_per_reference == pytest.approx(per_reference)
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
    """Migrations 1 -> 4: commit subjects (old commits have none) and the points index, then the
    baseline per reference."""
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
    assert SCHEMA_VERSION == 5 and _version(url) == 5  # opening migrated it
    with HistoryStore.open(url) as store:
        assert store.commit(repo[1][0]).subject is None
        store.add(record(results, repo, 1, tmp_path))  # the same commit: its subject is filled in now
        assert store.commit(repo[1][0]).subject == "commit 1"
        assert store.counts()["commits"] == 1


def test_a_version_2_store_is_migrated_and_its_speedups_read_undivided(url, results, repo, tmp_path):
    """Migration 2 -> 3: points stored before it have no baseline per reference, so their
    series' speedup is serial's median over each repeat, as version 2 judged it."""
    with HistoryStore.open(url, create=True) as store:
        store.add(record(results, repo, 1, tmp_path))
        store.db.execute("ALTER TABLE points DROP COLUMN baseline_per_reference")  # as version 2 made it
        store.db.execute("ALTER TABLE points DROP COLUMN matched_reference")
        store.db.execute("ALTER TABLE points DROP COLUMN matched_yardstick")
        store.db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with HistoryStore.open(url) as store:
        store.add(record(results, repo, 2, tmp_path))
        histories = store.load()
    assert _version(url) == 5
    threads = next(h for h in histories if h.key.config.backend == "threads")
    old, new = (p.values for p in threads.points)
    assert old.baseline_per_reference is None and new.baseline_per_reference is not None
    speedup = next(m for m in metric_series(threads) if m.metric.name == "speedup")
    first = speedup.samples.row(0)
    assert statistics.median(first) == pytest.approx(old.speedup, rel=0.05)


def _taking_turns(template, path, commit, seed, slowest_over_mean) -> str:
    """A sweep at ``commit`` whose threads run took turns on its workers (one core busy, as a
    lock makes it) on a host whose two cores' reference loops differed: the slowest worker's
    loop ``slowest_over_mean`` times the mean worker's. A run taking turns lasts the sum of its
    turns, so its time follows the mean worker's loop, which stays put here."""
    scaled_results(template, path, commit, seed=seed)
    suite = load_suite(path)
    runs = []
    for r in suite.runs:
        if r.backend == "threads":
            means = r.reference_mean_times_s
            r = r.replace(reference_times_s=tuple(m * slowest_over_mean for m in means),
                          cpu_utilization=1.0 / r.workers,  # one core busy out of its workers'
                          cpu_time_s=r.median_s)  # and so exactly one core's CPU time, whatever the host measured
        runs.append(r)
    save_suite(suite.replace(runs=tuple(runs)), path)
    return path


def test_a_run_taking_turns_is_divided_by_its_turn_taking_side_and_older_points_by_the_slowest(url, results, repo,
                                                                                              tmp_path):
    """The matched yardstick (harness.history.yardstick): the same time per turn on a host whose
    cores drift apart gives the same time per reference; dividing by the slowest worker would
    have said 30% faster. A series with a point stored before schema 4 divides by the slowest."""
    path, shas = repo
    sweeps = [_taking_turns(results, str(tmp_path / f"turns-{k}.json"), shas[k], k + 1, spread)
              for k, spread in enumerate((1.0, 1.3))]
    with HistoryStore.open(url, create=True) as store:
        for sweep in sweeps:
            store.add(sweep_record(sweep, path))
        threads = next(h for h in store.load() if h.key.config.backend == "threads")
    assert all(p.values.matched_reference_s for p in threads.points)
    time = next(m for m in metric_series(threads) if m.metric.name == "time")
    same, apart = (statistics.median(time.samples.row(i)) for i in range(2))
    assert apart == pytest.approx(same, rel=0.03)
    slowest = [statistics.median(t / r for t, r in zip(p.values.times_s, p.values.reference_s)) for p in threads.points]
    assert slowest[1] == pytest.approx(slowest[0] / 1.3, rel=0.03)


def _sharing_a_core(template, path, commit, seed, stretch) -> str:
    """As _taking_turns, in one of this VM's spells: two threads computing at once each ran
    ``stretch`` times slower, so the reference loop's slowest and mean worker stretched, while
    the loop on one worker alone did not, and neither did the run taking turns (one worker
    computing at a time)."""
    _taking_turns(template, path, commit, seed, 1.0)
    suite = load_suite(path)
    runs = tuple(r.replace(reference_times_s=tuple(t * stretch for t in r.reference_times_s),
                           reference_mean_times_s=tuple(t * stretch for t in r.reference_mean_times_s))
                 if r.backend == "threads" else r for r in suite.runs)
    save_suite(suite.replace(runs=runs), path)
    return path


def test_a_run_taking_turns_is_divided_by_the_loop_alone_when_two_at_once_slow_down(url, results, repo, tmp_path):
    """The e2e benchmark's spells: the loop on all workers 1.7x, the loop alone and the locked
    run unchanged. Per the loop alone the run's time per reference stays; per the mean worker (a
    version-4 point, matched_yardstick "mean") it would fall, so a series that mixes the two
    divides by the slowest throughout."""
    path, shas = repo
    sweeps = [_sharing_a_core(results, str(tmp_path / f"shared-{k}.json"), shas[k], k + 1, stretch)
              for k, stretch in enumerate((1.0, 1.7))]
    with HistoryStore.open(url, create=True) as store:
        for sweep in sweeps:
            store.add(sweep_record(sweep, path))
        threads = next(h for h in store.load() if h.key.config.backend == "threads")
        assert {p.values.matched_yardstick for p in threads.points} == {"alone"}
        time = next(m for m in metric_series(threads) if m.metric.name == "time")
        quiet, shared = (statistics.median(time.samples.row(i)) for i in range(2))
        # Only the slowest worker's share of the yardstick (the run's busy cores above one) stretches.
        w = slowest_weight(threads.points[1].values.cores_used, 2)
        assert w < 0.2 and shared == pytest.approx(quiet / (1 + 0.7 * w), rel=0.03)
        # The first point as version 4 stored it: no side recorded, so (its workers took turns) the mean worker's.
        store.db.execute("UPDATE points SET matched_yardstick = NULL "
                         "WHERE sweep_id = (SELECT MIN(sweep_id) FROM points)")
        mixed = next(h for h in store.load() if h.key.config.backend == "threads")
    assert [p.values.matched_yardstick for p in mixed.points] == [None, "alone"]
    time = next(m for m in metric_series(mixed) if m.metric.name == "time")
    quiet, shared = (statistics.median(time.samples.row(i)) for i in range(2))
    assert shared == pytest.approx(quiet / 1.7, rel=0.03)  # by the slowest: the stretched loop shows


def test_a_version_3_store_is_migrated_and_a_series_with_older_points_divides_by_the_slowest(url, results, repo,
                                                                                            tmp_path):
    """Migration 3 -> 4: a point stored before it has no matched reference, so its whole series
    is divided by the slowest worker's loop, as version 3 divided it (never a mix of the two)."""
    with HistoryStore.open(url, create=True) as store:
        store.add(sweep_record(_taking_turns(results, str(tmp_path / "old.json"), repo[1][0], 1, 1.0), repo[0]))
        store.db.execute("ALTER TABLE points DROP COLUMN matched_reference")  # as version 3 made it
        store.db.execute("ALTER TABLE points DROP COLUMN matched_yardstick")
        store.db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with HistoryStore.open(url) as store:
        store.add(sweep_record(_taking_turns(results, str(tmp_path / "new.json"), repo[1][1], 2, 1.3), repo[0]))
        threads = next(h for h in store.load() if h.key.config.backend == "threads")
    assert _version(url) == 5
    old, new = (p.values for p in threads.points)
    assert old.matched_reference_s == () and new.matched_reference_s
    time = next(m for m in metric_series(threads) if m.metric.name == "time")
    divided = [statistics.median(time.samples.row(i)) for i in range(2)]
    assert divided[1] == pytest.approx(divided[0] / 1.3, rel=0.03)  # by the slowest: the host's spread shows


def test_the_speedup_is_divided_by_the_reference_loop_as_the_time_is(url, results, repo, tmp_path):
    """A machine half as fast while threads ran (its reference loop, on threads' own workers,
    took twice as long too) keeps threads' speedup; a lock that doubles threads' time alone
    halves it."""
    path, shas = repo
    sweeps = [host_changed(results, str(tmp_path / "quiet.json"), shas[0], 1),
              host_changed(results, str(tmp_path / "slow-host.json"), shas[1], 2, threads_time=2.0,
                            threads_reference=2.0),
              host_changed(results, str(tmp_path / "lock.json"), shas[2], 3, threads_time=2.0)]
    with HistoryStore.open(url, create=True) as store:
        for sweep in sweeps:
            store.add(sweep_record(sweep, path))
        threads = next(h for h in store.load() if h.key.config.backend == "threads")
    speedup = next(m for m in metric_series(threads) if m.metric.name == "speedup")
    quiet, slow_host, lock = (statistics.median(speedup.samples.row(i)) for i in range(3))
    assert slow_host == pytest.approx(quiet, rel=0.05)
    assert lock == pytest.approx(quiet / 2, rel=0.05)
    undivided = []  # what the wall times alone would have said
    for sweep in sweeps[:2]:
        runs = {r.backend: r for r in load_suite(sweep).runs}
        undivided.append(runs["serial"].median_s / runs["threads"].median_s)
    assert undivided[1] == pytest.approx(undivided[0] / 2, rel=0.05)


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


def test_serial_under_weak_scaling_is_stored_busy_on_the_one_core_it_uses(results):
    """Busy cores are CPU time over wall time; serial uses one core even when weak scaling gives it W tasks."""
    from harness.history.records import PointValues

    serial = next(run for run in load_suite(results).runs if run.backend == "serial")
    weak = serial.replace(workers=4, scaling="weak", cpu_utilization=0.98, cpu_time_s=0.98 * serial.median_s)
    values = PointValues.of(weak, cpus=2)
    assert values.cores_used == pytest.approx(0.98)
    threads = next(run for run in load_suite(results).runs if run.backend != "serial")
    busy_half = threads.replace(cpu_utilization=0.5, cpu_time_s=0.5 * threads.workers * threads.median_s)
    assert PointValues.of(busy_half).cores_used == pytest.approx(0.5 * threads.workers)


def test_results_without_the_loop_alone_take_the_mean_worker_and_a_busy_run_records_no_side(results):
    """PointValues.of: schema 7/8 results (no loop alone) take the mean worker's loop for a run
    taking turns; a run that kept every core busy is matched to its slowest worker whichever it
    had, and records no side, so it never splits a series that gained the loop alone."""
    from harness.history.records import PointValues

    suite = load_suite(results)
    threads = next(r for r in suite.runs if r.backend == "threads")
    # one core busy (a GIL, a lock): the turn-taking side, the mean worker's loop
    old = threads.replace(reference_alone_times_s=None, cpu_time_s=threads.median_s)
    values = PointValues.of(old, cpus=2)
    assert values.matched_yardstick == "mean" and values.matched_reference_s == tuple(old.reference_mean_times_s)
    new = threads.replace(cpu_time_s=threads.median_s)
    assert PointValues.of(new, cpus=2).matched_reference_s == tuple(new.reference_alone_times_s)
    busy = threads.replace(cpu_time_s=2 * threads.median_s)  # both cores busy: the slowest worker's
    assert PointValues.of(busy, cpus=2).matched_yardstick is None
    assert PointValues.of(busy, cpus=2).matched_reference_s == pytest.approx(tuple(busy.reference_times_s))
    serial = next(r for r in suite.runs if r.backend == "serial")
    assert PointValues.of(serial, cpus=2).matched_yardstick is None  # one worker: its slowest is its only one
