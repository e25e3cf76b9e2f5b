"""Turning SIGTERM into an exception, so a terminated sweep cleans up like a Ctrl-C one."""

from __future__ import annotations

import signal
from contextlib import contextmanager

__all__ = ["Terminated", "terminate_as_exception", "EXIT_SIGINT", "EXIT_SIGTERM"]

EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class Terminated(BaseException):
    """SIGTERM arrived; a BaseException so ``except Exception`` in cleanup code lets it pass."""


@contextmanager
def terminate_as_exception():
    def on_term(signum, frame):
        # Later SIGTERMs during cleanup are ignored: cleanup must finish to save results.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
