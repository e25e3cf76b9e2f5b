"""The history store: sweeps in, series out.

``add`` files one sweep (one results.json at one commit) in one transaction and returns only
after it is committed, so whatever the caller acknowledges is on disk; the pause points
``history-before``, ``history-mid`` and ``history-commit`` (harness/results/pause_points.py) let
the durability tests SIGKILL it at each stage. Adding the same results file at the same
commit twice adds nothing the second time.

``load`` reads every series back, each point with its commit, in first-parent order.
"""

from __future__ import annotations

import array
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from harness.history.database import Database, open_database
from harness.history.records import CommitInfo, InterpreterKey, MachineKey, Point, PointValues, SeriesKey, SweepRecord
from harness.results.key import RunKey
from harness.results.pause_points import pause_point

__all__ = ["COLUMN", "POINT_COLUMNS", "AddResult", "HistoryStore", "SeriesHistory", "StoredPoint"]


@dataclass(frozen=True, slots=True)
class AddResult:
    """What ``add`` did: the sweep's id, how many runs it filed, whether it was there already."""

    sweep_id: int
    points: int
    already: bool


@dataclass(frozen=True, slots=True)
class StoredPoint:
    """One run of a series as stored, with the commit and branch of its sweep."""

    commit: CommitInfo
    branch: str | None
    sweep_id: int
    values: PointValues


# A point's stored columns, in this order, as SeriesHistory.rows holds them.
POINT_COLUMNS = ("sweep_id", "status", "samples", "reference", "median_s", "ci_lo", "ci_hi", "speedup", "speedup_lo",
                 "speedup_hi", "busy_cores", "memory_peak_bytes", "error", "cores_used", "baseline_per_reference",
                 "matched_reference", "matched_yardstick")
COLUMN = {name: index for index, name in enumerate(POINT_COLUMNS)}  # a row's column by name


@dataclass(frozen=True, slots=True)
class SeriesHistory:
    """A series and its points, oldest commit first (several sweeps at one commit: in the order added).

    Columnar, so that a store of 300,000 runs reads in seconds: per point its commit, its
    sweep's branch and its stored columns (:data:`POINT_COLUMNS`; samples as packed float64).
    ``points`` gives them as values.
    """

    key: SeriesKey
    commits: tuple[CommitInfo, ...]
    branches: tuple[str | None, ...]
    rows: tuple[tuple, ...]

    @property
    def points(self) -> tuple[StoredPoint, ...]:
        return tuple(StoredPoint(commit, branch, int(row[0]), _values(row))
                     for commit, branch, row in zip(self.commits, self.branches, self.rows))


def _values(row: tuple) -> PointValues:
    _, status, samples, reference, median, lo, hi, speedup, slo, shi, busy, memory, error, used, per_reference, \
        matched, yardstick = row
    return PointValues(status, _unpack(samples), _unpack(reference), median, None if lo is None else (lo, hi), speedup,
                       None if slo is None else (slo, shi), busy, None if memory is None else int(memory), error, used,
                       per_reference, _unpack(matched), yardstick)


def _pack(values: Iterable[float]) -> bytes:
    return array.array("d", values).tobytes()


def _unpack(data) -> tuple[float, ...]:
    if data is None:
        return ()
    values = array.array("d")
    values.frombytes(bytes(data))
    return tuple(values)


def _key_json(key: RunKey) -> str:
    return json.dumps(key.to_json(), sort_keys=True, separators=(",", ":"))


class HistoryStore:
    """A history database: open with :meth:`open`, close with :meth:`close` (or ``with``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, url: str, *, create: bool = False) -> "HistoryStore":
        """The store at ``url`` (a file path or postgresql://...); HistoryError if it cannot be used."""
        return cls(open_database(url, create=create))

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @property
    def where(self) -> str:
        return self.db.where

    # -- writing ---------------------------------------------------------------------------

    def _row_id(self, table: str, unique: str, value, columns: dict) -> int:
        found = self.db.query(f"SELECT id FROM {table} WHERE {unique} = ?", (value,))
        if found:
            return int(found[0][0])
        names = [unique, *columns]
        marks = ", ".join("?" for _ in names)
        return self.db.insert(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", (value, *columns.values()))

    def _machine_id(self, machine: MachineKey) -> int:
        return self._row_id("machines", "fingerprint", machine.label,
                            {"cpu_model": machine.cpu_model, "logical_cpus": machine.logical_cpus,
                             "system": machine.system, "arch": machine.arch})

    def _commit_id(self, commit: CommitInfo) -> int:
        found = self.db.query("SELECT id, subject FROM commits WHERE sha = ?", (commit.sha,))
        if found:
            if found[0][1] is None and commit.subject is not None:
                self.db.execute("UPDATE commits SET subject = ? WHERE id = ?", (commit.subject, found[0][0]))
            return int(found[0][0])
        return self.db.insert("INSERT INTO commits (sha, author_date, position, subject) VALUES (?, ?, ?, ?)",
                              (commit.sha, commit.author_date, commit.position, commit.subject))

    def _series_id(self, machine_id: int, point: Point, cache: dict) -> int:
        interpreter, config = point.interpreter, point.config
        if (interpreter, config) in cache:
            return cache[(interpreter, config)]
        interpreter_id = self._row_id("interpreters", "label", interpreter.label, {
            "implementation": interpreter.implementation, "gil_mode": interpreter.gil_mode,
            "free_threaded_build": None if interpreter.free_threaded_build is None else int(interpreter.free_threaded_build)})
        config_id = self._row_id("configs", "key_json", _key_json(config), {
            "backend": config.backend, "workers": config.workers, "n": config.n, "scaling": config.scaling,
            "workload": config.workload, "chunksize": None if config.chunksize is None else str(config.chunksize)})
        ids = (machine_id, interpreter_id, config_id)
        found = self.db.query("SELECT id FROM series WHERE machine_id = ? AND interpreter_id = ? AND config_id = ?", ids)
        series_id = int(found[0][0]) if found else self.db.insert(
            "INSERT INTO series (machine_id, interpreter_id, config_id) VALUES (?, ?, ?)", ids)
        cache[(interpreter, config)] = series_id
        return series_id

    def _point_rows(self, sweep_id: int, machine_id: int, points: tuple[Point, ...]) -> list[tuple]:
        cache: dict = {}
        rows = []
        for point in points:
            v = point.values
            ci, sci = v.ci_s or (None, None), v.speedup_ci or (None, None)
            rows.append((sweep_id, self._series_id(machine_id, point, cache), v.status, _pack(v.times_s),
                         _pack(v.reference_s) if v.reference_s else None, v.median_s, ci[0], ci[1], v.speedup,
                         sci[0], sci[1], v.busy_cores, v.memory_peak_bytes, v.error, v.cores_used,
                         v.baseline_per_reference, _pack(v.matched_reference_s) if v.matched_reference_s else None,
                         v.matched_yardstick if v.matched_reference_s else None))
        return rows

    def add(self, record: SweepRecord) -> AddResult:
        """File the sweep in one transaction; returns once it is committed."""
        pause_point("history-before")
        with self.db.write():
            commit_id = self._commit_id(record.commit)
            found = self.db.query("SELECT id FROM sweeps WHERE results_sha256 = ? AND commit_id = ?",
                                  (record.results_sha256, commit_id))
            if found:
                return AddResult(int(found[0][0]), 0, True)
            machine_id = self._machine_id(record.machine)
            added = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            sweep_id = self.db.insert(
                "INSERT INTO sweeps (commit_id, branch, machine_id, harness_version, created, added, results_path, "
                "results_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (commit_id, record.branch, machine_id, record.harness_version, record.created, added,
                 record.results_path, record.results_sha256))
            rows = self._point_rows(sweep_id, machine_id, record.points)
            insert = (f"INSERT INTO points (sweep_id, series_id, {', '.join(POINT_COLUMNS[1:])}) "
                      f"VALUES ({', '.join('?' for _ in range(len(POINT_COLUMNS) + 1))})")
            half = len(rows) // 2
            self.db.executemany(insert, rows[:half])
            pause_point("history-mid")
            self.db.executemany(insert, rows[half:])
            pause_point("history-commit")
        return AddResult(sweep_id, len(rows), False)

    # -- reading ---------------------------------------------------------------------------

    def commit(self, sha_or_prefix: str) -> CommitInfo | None:
        """The stored commit with this sha (or unique prefix of at least 7 characters), else None."""
        text = sha_or_prefix.strip().lower()
        if len(text) < 7:
            return None
        rows = self.db.query("SELECT sha, position, author_date, subject FROM commits WHERE sha LIKE ?", (text + "%",))
        return CommitInfo(*rows[0]) if len(rows) == 1 else None

    def measured_sweeps(self, machine: MachineKey, sha: str) -> list[set[RunKey]]:
        """Per sweep stored for this machine at this commit, in the order added, its configurations."""
        rows = self.db.query(
            "SELECT s.id, c.key_json FROM points p JOIN sweeps s ON s.id = p.sweep_id "
            "JOIN commits k ON k.id = s.commit_id JOIN machines m ON m.id = s.machine_id "
            "JOIN series r ON r.id = p.series_id JOIN configs c ON c.id = r.config_id "
            "WHERE k.sha = ? AND m.fingerprint = ? ORDER BY s.id", (sha, machine.label))
        sweeps: dict[int, set[RunKey]] = {}
        for sweep_id, key_json in rows:
            sweeps.setdefault(int(sweep_id), set()).add(RunKey.from_json(json.loads(key_json)))
        return list(sweeps.values())

    def counts(self) -> dict[str, int]:
        """Rows per table: commits, sweeps, series, points."""
        return {table: int(self.db.query(f"SELECT COUNT(*) FROM {table}")[0][0])
                for table in ("commits", "sweeps", "series", "points")}

    def _series_keys(self) -> dict[int, SeriesKey]:
        rows = self.db.query(
            "SELECT r.id, m.cpu_model, m.logical_cpus, m.system, m.arch, i.label, i.implementation, "
            "i.free_threaded_build, i.gil_mode, c.key_json FROM series r JOIN machines m ON m.id = r.machine_id "
            "JOIN interpreters i ON i.id = r.interpreter_id JOIN configs c ON c.id = r.config_id")
        keys = {}
        for sid, cpu, cpus, system, arch, label, impl, ft, gil, key_json in rows:
            interpreter = InterpreterKey(label, impl, None if ft is None else bool(ft), gil)
            keys[int(sid)] = SeriesKey(MachineKey(cpu, int(cpus), system, arch), interpreter,
                                       RunKey.from_json(json.loads(key_json)))
        return keys

    def load(self, branch: str | None = None) -> list[SeriesHistory]:
        """Every series with its points, oldest commit first; ``branch``: only sweeps of that branch.

        Three plain queries (sweeps with their commits, the series' keys, the points) and the
        ordering done here: one sorted join of 300,000 points costs SQLite four times as long.
        """
        keys = self._series_keys()
        sweeps = {}
        for sweep_id, sweep_branch, sha, position, date, subject in self.db.query(
                "SELECT s.id, s.branch, k.sha, k.position, k.author_date, k.subject FROM sweeps s "
                "JOIN commits k ON k.id = s.commit_id"):
            if branch is None or sweep_branch == branch:
                sweeps[int(sweep_id)] = (CommitInfo(sha, int(position), date, subject), sweep_branch)
        grouped: dict[int, list[tuple]] = defaultdict(list)
        for row in self.db.query(f"SELECT series_id, {', '.join(POINT_COLUMNS)} FROM points"):
            if row[1] in sweeps:
                grouped[int(row[0])].append(row[1:])
        out = []
        for sid, rows in grouped.items():
            rows.sort(key=lambda r: (sweeps[r[0]][0].position, sweeps[r[0]][0].author_date, r[0]))
            out.append(SeriesHistory(keys[sid], tuple(sweeps[r[0]][0] for r in rows),
                                     tuple(sweeps[r[0]][1] for r in rows), tuple(rows)))
        return out
