"""One connection to a history database, SQLite (a file) or PostgreSQL (``postgresql://...``).

Durability and concurrency are the database's:

* SQLite runs in WAL mode with ``synchronous=FULL``; every write is one ``BEGIN IMMEDIATE``
  transaction, so two processes adding at once take turns (``busy_timeout``) instead of
  failing, and a SIGKILL at any moment leaves the last committed state.
* PostgreSQL: every write is one transaction that first takes an advisory lock, so adders
  take turns there too (and concurrent migrations cannot race: ``CREATE TABLE`` is not safe
  to run twice at once).

Opening checks the schema before anything is written: a file that is not a database, a store
of a newer schema, or a server that cannot be reached is a :class:`HistoryError` (one line),
and the store is left as it was. An older schema is migrated, in one transaction.
SQL is written once with ``?`` placeholders; PostgreSQL gets ``%s``.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from harness.history.schema import SCHEMA_VERSION, statements

__all__ = ["Database", "HistoryError", "describe_url", "is_postgresql", "open_database"]

_BUSY_TIMEOUT_MS = 120_000  # a concurrent add takes well under a second; a slow disk may take more
_CONNECT_TIMEOUT_S = 10  # psycopg's own default waits 130 s for a server that never answers
_LOCK_KEY = 0x6861726E  # "harn": the advisory lock every PostgreSQL write takes


class HistoryError(ValueError):
    """Bad input to the history (a database, a results file, a commit): one line, exit 2."""


def is_postgresql(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def describe_url(url: str) -> str:
    """The URL with any password replaced by ***, for messages."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


class Database:
    """A connection with one SQL spelling for both dialects."""

    def __init__(self, connection: Any, dialect: str, where: str) -> None:
        self.connection, self.dialect, self.where = connection, dialect, where

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.connection.execute(self._sql(sql), tuple(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self.execute(sql, params).fetchall())

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """An INSERT ... RETURNING id; the new row's id."""
        return int(self.execute(sql + " RETURNING id", params).fetchone()[0])

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.dialect == "postgresql":
            with self.connection.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)
        else:
            self.connection.executemany(sql, rows)

    @contextmanager
    def write(self) -> Iterator["Database"]:
        """One transaction; the only way anything is written. Rolled back on any exception."""
        if self.dialect == "postgresql":
            with self.connection.transaction():
                self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                yield self
            return
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()


def _schema_version(db: Database) -> int | None:
    """The stored version; None for an empty database (no table at all)."""
    if db.dialect == "postgresql":
        tables = db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
    else:
        tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table'")
    names = {row[0] for row in tables}
    if not names:
        return None
    if "meta" not in names:
        raise HistoryError(f"{db.where}: not a harness history database (it has tables, but no schema version)")
    row = db.query("SELECT value FROM meta WHERE key = 'schema_version'")
    try:
        return int(row[0][0])
    except (IndexError, ValueError):
        raise HistoryError(f"{db.where}: not a harness history database (no readable schema version)") from None


def _migrate(db: Database) -> None:
    with db.write():
        version = _schema_version(db) or 0  # again, under the lock: another process may have migrated
        if version > SCHEMA_VERSION:
            raise HistoryError(f"{db.where}: schema version {version} is newer than this harness reads "
                               f"({SCHEMA_VERSION}); upgrade harness")
        for number in range(version + 1, SCHEMA_VERSION + 1):
            for statement in statements(number, db.dialect):
                db.execute(statement)
        if version == 0:
            db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif version < SCHEMA_VERSION:
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))


def _check(db: Database, create: bool) -> None:
    version = _schema_version(db)
    if version is None and not create:
        raise HistoryError(f"{db.where}: an empty database, not a harness history (harness history add fills one)")
    if version is not None and version > SCHEMA_VERSION:
        raise HistoryError(f"{db.where}: schema version {version} is newer than this harness reads "
                           f"({SCHEMA_VERSION}); upgrade harness")
    if version != SCHEMA_VERSION:
        _migrate(db)


@contextmanager
def _closed_on_error(db: Database, errors: type, says) -> Iterator[None]:
    """Close the connection on any exception; the driver's ``errors`` become a HistoryError ``says(exc)``."""
    try:
        yield
    except errors as exc:
        db.close()
        raise HistoryError(f"--db {db.where}: {says(exc)}") from None
    except BaseException:
        db.close()
        raise


def _open_sqlite(path: str, create: bool) -> Database:
    if not os.path.exists(path):
        if not create:
            raise HistoryError(f"--db {path}: no such history database (harness history add creates one)")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            os.makedirs(folder, exist_ok=True)
    elif os.path.isdir(path):
        raise HistoryError(f"--db {path}: a folder, not a database file (accepted: a file path or postgresql://...)")
    connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    db = Database(connection, "sqlite", path)
    with _closed_on_error(db, sqlite3.DatabaseError, lambda exc: f"not a readable history database ({exc})"):
        _check(db, create)
        connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
    return db


def _open_postgresql(url: str, create: bool) -> Database:
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        raise HistoryError(f"--db {describe_url(url)}: PostgreSQL needs psycopg: pip install 'harness[postgresql]'") from None
    try:
        options = {} if "connect_timeout" in conninfo_to_dict(url) else {"connect_timeout": _CONNECT_TIMEOUT_S}
        connection = psycopg.connect(url, autocommit=True, **options)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or ["no reason given"])[0]
        raise HistoryError(f"--db {describe_url(url)}: cannot connect: {first}") from None
    db = Database(connection, "postgresql", describe_url(url))
    with _closed_on_error(db, psycopg.Error, lambda exc: str(exc).strip().splitlines()[0]):
        _check(db, create)
    return db


def open_database(url: str, *, create: bool = False) -> Database:
    """The history database ``url`` names (a file path, or postgresql://...), schema checked and
    migrated. ``create``: make a missing SQLite file (and its folder), or fill an empty database."""
    if is_postgresql(url):
        return _open_postgresql(url, create)
    return _open_sqlite(url, create)
