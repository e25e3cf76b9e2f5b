"""Throwaway PostgreSQL server for tests -- works as root and as non-root (not a test module).

Self-contained (stdlib only). The history tests start one per session (tests/conftest.py).

    url, stop = start_postgres(tmpdir)   # raises PostgresUnavailable if no binaries
    ...                                  # url = postgresql://postgres@127.0.0.1:PORT/harness
    stop()                               # idempotent; kills server, removes its dir

or as a context manager:

    with postgres_server(tmpdir) as url: ...

pytest usage (conftest.py):

    @pytest.fixture(scope="session")
    def pg_url(tmp_path_factory):
        try:
            url, stop = start_postgres(tmp_path_factory.mktemp("pg"))
        except PostgresUnavailable as exc:
            pytest.skip(str(exc))
        yield url
        stop()

Design (see NOTES.md):
  * binaries: $HARNESS_PG_BINDIR, else newest /usr/lib/postgresql/*/bin (Debian/Ubuntu),
    /usr/pgsql-*/bin (PGDG RPM), else initdb/postgres on $PATH (Fedora, Homebrew, Nix).
  * as root, initdb/postgres refuse to run, so they run as the "postgres" user (created
    by Debian's postgresql-common), falling back to "nobody", via subprocess's user=/group=
    (same effect as `setpriv --reuid --regid --clear-groups` / `runuser -u postgres --`).
    The cluster dir is chowned to that user and must be traversable by it: pytest's
    /tmp/pytest-of-root is mode 0700, so as root we fall back to a fresh dir in /tmp.
  * initdb --auth=trust --username=postgres --no-sync --no-locale -E UTF8
  * postgres runs in the foreground as our child (no pg_ctl, no daemon): we know its pid,
    PR_SET_PDEATHSIG(SIGQUIT) makes it die if the test process dies, and postgres itself
    shuts down within ~1 min if its data dir's postmaster.pid disappears.
  * listen_addresses=127.0.0.1, a free port picked by binding port 0 (retried if someone
    steals it), unix socket inside the temp dir (never /var/run/postgresql), fsync off.
  * ready = "ready" status line in postmaster.pid (what `pg_ctl -w` checks).
  * stop: SIGINT (fast shutdown), then SIGQUIT (immediate), then SIGKILL; then rm -rf.
"""

from __future__ import annotations

__all__ = ["PostgresStartError", "PostgresUnavailable", "find_bindir", "postgres_server", "start_postgres"]

import contextlib
import ctypes
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DBNAME = "harness"
SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No usable PostgreSQL server binaries (tests should skip with this message)."""


class PostgresStartError(RuntimeError):
    """Binaries exist but the server failed to start (tests should fail, not skip)."""


# ---------------------------------------------------------------- binaries --

def _version_key(path: str):
    m = re.search(r"(\d+(?:\.\d+)?)", path)
    return tuple(int(x) for x in m.group(1).split(".")) if m else (0,)


def find_bindir() -> Path:
    """Directory holding initdb and postgres, or raise PostgresUnavailable."""
    env = os.environ.get("HARNESS_PG_BINDIR")
    if env:
        if all(os.access(Path(env) / exe, os.X_OK) for exe in ("initdb", "postgres")):
            return Path(env)
        raise PostgresUnavailable(f"HARNESS_PG_BINDIR={env} has no initdb/postgres")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    candidates += sorted(glob.glob("/usr/pgsql-*/bin"), key=_version_key, reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).resolve().parent))
    for c in candidates:
        d = Path(c)
        if all(os.access(d / exe, os.X_OK) for exe in ("initdb", "postgres")):
            return d
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, postgres) not found; install the Debian "
        "package 'postgresql' (or set HARNESS_PG_BINDIR) to run PostgreSQL tests"
    )


# ------------------------------------------------------------ user / dirs --

def _server_user():
    """(uid, gid) to run the server as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return pw.pw_uid, pw.pw_gid
    raise PostgresUnavailable("running as root and no 'postgres' or 'nobody' user exists")


def _traversable_by(path: Path, uid: int, gid: int) -> bool:
    """Can uid:gid reach (search) every directory from / down to path?"""
    p = path.resolve()
    for d in [p, *p.parents]:
        st = d.stat()
        if st.st_uid == uid:
            ok = st.st_mode & 0o100
        elif st.st_gid == gid:
            ok = st.st_mode & 0o010
        else:
            ok = st.st_mode & 0o001
        if not ok:
            return False
    return True


def _make_cluster_dir(tmpdir, ids) -> Path:
    # Keep the path short: unix socket paths are limited to ~107 bytes.
    base = Path(tmpdir) if tmpdir is not None else None
    if base is not None and ids is not None and not _traversable_by(base, *ids):
        base = None  # e.g. /tmp/pytest-of-root is 0700
    root = Path(tempfile.mkdtemp(prefix="harness-pg-", dir=base))
    if len(str(root)) > 70:
        shutil.rmtree(root)
        root = Path(tempfile.mkdtemp(prefix="harness-pg-"))
    if ids is not None:
        os.chown(root, *ids)
        os.chmod(root, 0o700)
    return root


# ------------------------------------------------------------------ procs --

_PR_SET_PDEATHSIG = 1


try:  # load libc in the parent: dlopen() in a forked child is not safe
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux/glibc
    _prctl = None


def _child_setup():
    # Runs in the child after setsid/setgid/setuid (CPython applies start_new_session,
    # user= and group= before preexec_fn), so the death signal survives the credential
    # change (the kernel clears it on a uid change). postgres gets SIGQUIT (immediate
    # shutdown) if the Python thread that started it dies, even by SIGKILL.
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT, 0, 0, 0)


def _run(cmd, ids, cwd, env):
    kw = {}
    if ids is not None:
        kw = dict(user=ids[0], group=ids[1], extra_groups=[])
    res = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, **kw)
    if res.returncode != 0:
        raise PostgresStartError(f"{cmd[0]} failed (exit {res.returncode}):\n{res.stdout}")
    return res.stdout


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pidfile_ready(datadir: Path) -> bool:
    try:
        lines = (datadir / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


def _child_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C", TZ="UTC")
    return env


# ------------------------------------------------------------------- main --

def start_postgres(tmpdir=None, *, dbname: str = DBNAME, timeout: float = 30.0,
                   attempts: int = 3):
    """Start a throwaway server. Returns (url, stop). stop() is idempotent."""
    bindir = find_bindir()
    ids = _server_user()
    root = _make_cluster_dir(tmpdir, ids)
    datadir, sockdir, logfile = root / "data", root / "sock", root / "postgres.log"
    env = _child_env()
    proc = None

    def stop():
        nonlocal proc
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGINT, 10), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)  # whole group: postmaster + backends
                except ProcessLookupError:
                    break
                try:
                    proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        proc = None
        shutil.rmtree(root, ignore_errors=True)

    try:
        _run([str(bindir / "initdb"), "-D", str(datadir), "--auth=trust",
              f"--username={SUPERUSER}", "--no-sync", "--no-locale", "-E", "UTF8"],
             ids, root, env)
        sockdir.mkdir()
        if ids is not None:
            os.chown(sockdir, *ids)

        for attempt in range(attempts):
            port = _free_port()
            log = open(logfile, "ab")
            kw = dict(user=ids[0], group=ids[1], extra_groups=[]) if ids else {}
            proc = subprocess.Popen(
                [str(bindir / "postgres"), "-D", str(datadir),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"port={port}",
                 "-c", f"unix_socket_directories={sockdir}",
                 "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=50",
                 "-c", "log_min_messages=warning", "-c", "logging_collector=off"],
                cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_child_setup, **kw)
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                if _pidfile_ready(datadir):
                    break
                time.sleep(0.02)
            if proc.poll() is None and _pidfile_ready(datadir):
                break
            text = logfile.read_text(errors="replace")
            stop_proc, proc = proc, None
            if stop_proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(stop_proc.pid, signal.SIGKILL)
                stop_proc.wait()
            if "could not bind" in text and attempt + 1 < attempts:
                continue  # port race: someone took it between probe and bind
            raise PostgresStartError(f"postgres did not become ready:\n{text[-4000:]}")

        _run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
              "-U", SUPERUSER, dbname], ids, root, env)
    except BaseException:
        stop()
        raise
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{dbname}", stop


@contextlib.contextmanager
def postgres_server(tmpdir=None, **kw):
    url, stop = start_postgres(tmpdir, **kw)
    try:
        yield url
    finally:
        stop()
