"""Turning SIGTERM into an exception, so a terminated sweep cleans up like a Ctrl-C one.

A child forked during the sweep inherits the parent's Python-level handlers until its own
initializer (``worker.init_worker_process``) resets them. A SIGTERM in that window (Pool
terminate() SIGTERMs a replacement worker it has just forked; a service manager signals
the whole process group) would raise Terminated inside the child and print a traceback.
So while the handler is installed, every forked child resets SIGTERM to its default and
ignores SIGINT (the parent alone decides how to stop, as in init_worker_process) the
moment it is forked.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager

__all__ = ["Terminated", "terminate_as_exception", "raise_if_interrupted", "interrupts_deferred"]

_active = False
# How deep in interrupts_deferred() blocks the main thread is: while above 0 the handlers only
# remember an interrupt, and the outermost block raises it when it ends.
_deferring = 0
_fork_hook_registered = False
# The interrupts that arrived while the handlers were installed. Python prints and drops an
# exception raised where it cannot propagate: an at-fork hook (logging's _releaseLock runs
# after every fork), a __del__, a weakref callback. A SIGINT that lands there would be lost
# and the sweep would run on; remembered here, it is raised again at the next check.
_pending: list[type[BaseException]] = []


class Terminated(BaseException):
    """SIGTERM arrived; a BaseException so ``except Exception`` in cleanup code lets it pass."""


def _reset_in_forked_child() -> None:
    global _active, _deferring
    if _active:
        _active, _deferring = False, 0
        _pending.clear()  # the parent's interrupts are not the child's
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def terminate_as_exception():
    global _active, _fork_hook_registered

    def on_term(signum, frame):
        # Later SIGTERMs during cleanup are ignored: cleanup must finish to save results.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _pending.append(Terminated)
        if not _deferring:
            raise Terminated()

    def on_int(signum, frame):
        _pending.append(KeyboardInterrupt)
        if not _deferring:
            raise KeyboardInterrupt()

    previous_unraisable = sys.unraisablehook

    def quiet_for_pending(unraisable) -> None:
        # Python reports an exception it had to drop ("Exception ignored in ...", with a
        # traceback) through this hook. An interrupt dropped that way is remembered in
        # _pending and raised again at the next check, so its traceback would only alarm;
        # anything else is reported as before.
        if isinstance(unraisable.exc_value, (Terminated, KeyboardInterrupt)) and _pending:
            return
        previous_unraisable(unraisable)

    if not _fork_hook_registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_reset_in_forked_child)
        _fork_hook_registered = True
    previous = signal.signal(signal.SIGTERM, on_term)
    previous_int = signal.signal(signal.SIGINT, on_int) if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN \
        else None  # an ignored SIGINT (a background job) stays ignored
    _pending.clear()
    sys.unraisablehook = quiet_for_pending
    _active = True
    try:
        yield
        raise_if_interrupted()  # one that was swallowed on the way, and never checked for
    finally:
        _active = False
        _pending.clear()
        sys.unraisablehook = previous_unraisable
        signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)


def raise_if_interrupted() -> None:
    """Raise again an interrupt that Python swallowed (see ``_pending``); called between repeats."""
    if _pending:
        kind = _pending[0]
        _pending.clear()
        raise kind()


@contextmanager
def interrupts_deferred():
    """Hold back SIGINT and SIGTERM while the block runs; one that arrived is raised when it ends.

    For code that must not be cut in the middle: multiprocessing.Pool's constructor forks its
    workers and starts its handler threads, and it cleans up only after an ``Exception``. An
    interrupt landing inside it leaves a pool nobody holds: its workers live on, and its
    worker-handler thread forks replacements for any that die, so multiprocessing's exit
    hook, which joins every child, then waits forever (measured: a SIGTERM mid-sweep hung the
    harness past 30 s). Deferred, the pool is built and held, then killed. Only the
    harness's own handlers (``terminate_as_exception``) defer; the block must be short.
    """
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring:
        raise_if_interrupted()
