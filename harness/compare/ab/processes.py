"""Child processes of ``harness ab``: each in its own process group, stopped as a group.

A side's ``harness run`` starts pools and worker processes of its own. Started in a new
session, none of them sees the terminal's Ctrl-C directly; ``harness ab`` alone decides:
it passes SIGINT on to the whole group (``harness run`` then saves what it finished),
waits a moment, and SIGKILLs whatever is left, so no process outlives an interrupt.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from contextlib import contextmanager
from typing import Iterator, Mapping, Sequence

__all__ = ["held_signals", "run_in_group", "STOP_GRACE_S"]

# How long a side's harness run may take to save its results after SIGINT before SIGKILL.
STOP_GRACE_S = 10.0


@contextmanager
def held_signals() -> Iterator[None]:
    """Cleanup must finish: a second Ctrl-C (or SIGTERM) while it runs is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be set from the main thread; nothing to hold there
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the whole group is gone already


def _stop_group(proc: subprocess.Popen) -> None:
    with held_signals():
        _signal_group(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
        # Also reaches workers the leader left behind: a group outlives its leader.
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()


def run_in_group(argv: Sequence[str] | str, *, cwd: str, env: Mapping[str, str], log_path: str,
                 shell: bool = False) -> int:
    """Run ``argv`` in a new process group, its output into ``log_path``; return its exit code.

    Any exception while it runs (KeyboardInterrupt, harness.execution.signals.Terminated) stops the
    whole group first and is then raised again.
    """
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, shell=shell)
        try:
            return proc.wait()
        except BaseException:
            _stop_group(proc)
            raise
