"""Shared fixtures for the tests: a subprocess runner for the real CLI.

Also what every test process needs, however pytest was started: a shell that starts a job in
the background without job control (a script's ``make test &``, some CI runners) starts it
with SIGINT ignored, and an ignored signal stays ignored across exec. Every harness a test
starts would then shrug off the SIGINT the interrupt tests send it, and finish instead of
exiting 130. A handler installed here is reset to the default in each child at exec, so the
children get Ctrl-C as from a terminal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def run_cli(*args, cwd=None, env=None, timeout=300):
    """Run ``python -m harness ARGS`` as a user would; returns the CompletedProcess."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, full_env.get("PYTHONPATH", "")) if p)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], cwd=cwd or REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL server for the session, from Debian's package (skipped, with the reason, without it)."""
    pytest.importorskip("psycopg", reason="psycopg not installed (pip install 'harness[postgresql]')")
    from tests._postgres import PostgresUnavailable, start_postgres

    try:
        url, stop = start_postgres(tmp_path_factory.mktemp("pg"))
    except PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {exc} (.ci/run installs the Debian package postgresql)")
        pytest.skip(str(exc))
    yield url
    stop()


@pytest.fixture
def pg_url(pg_server, request):
    """A fresh schema on the session's server for one test: the URL selects it by search_path."""
    import re

    import psycopg

    schema = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40] + f"_{os.getpid()}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.execute(f"CREATE SCHEMA {schema}")
    return f"{pg_server}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request, tmp_path):
    """A history store for one test, once on a SQLite file and once on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "history.sqlite")
    return request.getfixturevalue("pg_url")
