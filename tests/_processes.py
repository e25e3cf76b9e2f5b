"""Helpers for the reliability tests: a faulty workload module and "no process left behind".

Not a test module (no test_ prefix): test_faults, test_interrupts and test_durability share it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import psutil

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Written to a temporary folder and imported by name, as a user's MODULE:FUNCTION would be.
# Every function faults only when lo > 0, i.e. in worker 1 of a 2-worker strong-scaling run,
# so worker 0 and the serial baseline (lo = 0) still succeed.
FAULTY_MODULE = "harness_faulty_workloads"
FAULTY_SOURCE = textwrap.dedent('''
    import ctypes
    import os
    import signal
    import sys
    import time


    def _poly(lo, hi):
        res = 0
        for i in range(lo, hi):
            res += i + i**2 + i**3
        return res


    def ORACLE(n):
        return _poly(0, n)


    def raises(lo, hi):
        if lo > 0:
            raise ValueError("boom in the faulty worker")
        return _poly(lo, hi)


    def exits(lo, hi):
        if lo > 0:
            sys.exit(3)
        return _poly(lo, hi)


    def segfaults(lo, hi):
        if lo > 0:
            import faulthandler

            faulthandler.disable()  # inherited from pytest: keep its dump out of the test log
            ctypes.string_at(0)  # a real invalid read: SIGSEGV
        return _poly(lo, hi)


    def killed(lo, hi):
        if lo > 0:
            os.kill(os.getpid(), signal.SIGKILL)
        return _poly(lo, hi)


    def hangs(lo, hi):
        if lo > 0:
            time.sleep(1000)
        return _poly(lo, hi)


    def stubborn(lo, hi):
        """Hangs and ignores SIGTERM, so only SIGKILL ends it."""
        if lo > 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(1000)
        return _poly(lo, hi)


    def sleeps(lo, hi):
        """Every worker sleeps: processes that stay alive until someone kills them."""
        time.sleep(1000)
        return _poly(lo, hi)


    def slow(lo, hi):
        """A steady, predictable workload: 20 ms per call, for interrupt tests."""
        time.sleep(0.02)
        return _poly(lo, hi)
''')


def write_faulty_module(folder) -> str:
    """Write the faulty workload module into ``folder``; return the folder as a string."""
    folder = str(folder)
    with open(os.path.join(folder, FAULTY_MODULE + ".py"), "w", encoding="utf-8") as handle:
        handle.write(FAULTY_SOURCE)
    return folder


def cli_env(extra_path: str | None = None, extra_env: dict | None = None) -> dict:
    env = {**os.environ, **(extra_env or {})}
    parts = [REPO] + ([extra_path] if extra_path else []) + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def start_cli(*args, extra_path: str | None = None, extra_env: dict | None = None, **popen) -> subprocess.Popen:
    """Start ``python -m harness ARGS`` as a real process (its own session, as from a shell)."""
    return subprocess.Popen([sys.executable, "-m", "harness", *map(str, args)], cwd=REPO,
                            env=cli_env(extra_path, extra_env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def signal_at_pause(args, point: str, marker, signum=None, wait_s: float = 120.0) -> tuple[int, str]:
    """Start ``harness ARGS`` paused at ``point`` ("NAME:K", harness/results/pause_points.py), signal it
    there (SIGINT by default); returns its exit code and stderr."""
    import signal

    proc = start_cli(*args, extra_env={"HARNESS_PAUSE_AT": point, "HARNESS_PAUSE_MARKER": str(marker)})
    try:
        deadline = time.monotonic() + wait_s
        while not os.path.exists(marker) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert os.path.exists(marker), f"the harness never reached {point} (exit {proc.poll()})"
        proc.send_signal(signal.SIGINT if signum is None else signum)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stderr


def is_multiprocessing_helper(proc: psutil.Process) -> bool:
    """multiprocessing's resource tracker and fork server.

    Both are per-interpreter singletons, started on first use and kept for the life of the
    process that started them, on purpose (later pools reuse them). They are not workers:
    they end when their parent does (they read EOF on a pipe from it). So inside the test
    process they may legitimately persist; for a harness process, test_interrupts checks
    they go away with it.
    """
    try:
        cmdline = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return "multiprocessing.resource_tracker" in cmdline or "multiprocessing.forkserver" in cmdline


def children() -> set[int]:
    """Pids of this process's live descendants, zombies excluded (they are reaped as they go)."""
    pids = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                pids.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return pids


def leftover_children(before: set[int], within_s: float = 3.0) -> list[str]:
    """Descendants started since ``before`` (multiprocessing helpers excepted) still alive after ``within_s``."""
    deadline = time.monotonic() + within_s
    while True:
        left = []
        for pid in children() - before:
            try:
                proc = psutil.Process(pid)
                if not is_multiprocessing_helper(proc):
                    left.append(f"{pid} {' '.join(proc.cmdline())[:120]}")
            except psutil.NoSuchProcess:
                pass
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def alive(pids, within_s: float = 5.0) -> list[int]:
    """Those of ``pids`` still running (not zombies) after up to ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while True:
        left = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    left.append(pid)
            except psutil.NoSuchProcess:
                pass
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def session_members(sid: int) -> list[str]:
    """Live (non-zombie) processes in session ``sid``, as "pid command" strings.

    A harness started with start_new_session=True leads its own session, and everything it
    starts (workers, the sampler, the fork server, the resource tracker) stays in it, even
    after being orphaned: so this finds what it left behind without knowing the pids.
    """
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            try:
                members.append(f"{entry} {' '.join(psutil.Process(int(entry)).cmdline())[:120]}")
            except psutil.Error:
                pass
    return members


def wait_for_empty_session(sid: int, within_s: float = 5.0) -> list[str]:
    """``session_members(sid)`` once empty, or what is still there after ``within_s``."""
    deadline = time.monotonic() + within_s
    while True:
        left = session_members(sid)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)

