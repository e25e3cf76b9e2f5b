"""A pool of isolated subinterpreters, each with its own GIL (PEP 684), each driven by one thread.

``start()`` creates every interpreter at once, each from its own thread, and bootstraps it:
the parent's ``sys.path`` first, then the worker side (``subinterp_serve``). The thread then
stays inside its interpreter in ``serve``, blocked on a pipe with that interpreter's GIL
released, until the pool closes. ``call_many`` hands each chunk to whichever interpreter is
free and waits on the reply pipes with ``select``.

The pool runs in the host process (``subinterp_host``), never in the harness itself: a
running interpreter cannot be stopped from outside (``destroy`` refuses a running one, and
signals reach only the main interpreter), and ``os.fork()`` while any subinterpreter exists
kills or hangs the child on 3.12 and 3.13. Every private call goes through ``harness._compat``.

Stdlib only.
"""

from __future__ import annotations

import os
import pickle
import select
import sys
import threading
import time
from dataclasses import dataclass

from harness._compat import destroy_interpreter, interpreter_exec, new_isolated_interpreter
from harness.execution.backends.frames import read_frame, write_frame
from harness.execution.backends.subinterp_boot import LIGHT_PACKAGE
from harness.execution.backends.subinterp_serve import FAILED

__all__ = ["InterpreterPool", "PoolError", "Replies"]

_BOOTSTRAP = ("import sys, pickle\n"
              "sys.path[:0] = [p for p in pickle.loads(_harness_path) if p not in sys.path]\n"
              "del _harness_path\n" + LIGHT_PACKAGE +
              "from harness.execution.backends.subinterp_serve import serve as _harness_serve\n")
_SERVE = "_harness_serve(_harness_rfd, _harness_wfd)\n"


class PoolError(RuntimeError):
    """The pool could not start, or cannot take work; the message is one line."""


@dataclass(frozen=True, slots=True)
class Replies:
    """One call_many's outcome: every reply's bytes in call order, or the first failure's line."""

    replies: tuple[bytes, ...] = ()
    failure: str | None = None


def _close_all(*fds: int) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


class _Worker(threading.Thread):
    """One thread, one interpreter, for the pool's life."""

    def __init__(self, index: int, path: bytes) -> None:
        # A daemon: the host ends with os._exit, never joining a thread stuck in a computation.
        super().__init__(name=f"harness-subinterp-{index}", daemon=True)
        self.index, self._path = index, path
        self.ready = threading.Event()
        self.error: str | None = None
        self.task_r, self.task_w = os.pipe()    # the pool -> the interpreter
        self.reply_r, self.reply_w = os.pipe()  # the interpreter -> the pool

    def run(self) -> None:
        handle = None
        try:
            handle = new_isolated_interpreter()
            self.error = interpreter_exec(handle, _BOOTSTRAP, {"_harness_path": self._path})
        except Exception as exc:  # noqa: BLE001 - the pool reports it as this worker's failure
            self.error = f"{type(exc).__name__}: {exc}"
        self.ready.set()
        if self.error is None:
            # Returns when the pool closes the task pipe; serve closes its two ends itself, so
            # they are not closed again here (their numbers may belong to a new pipe by then).
            ended = interpreter_exec(handle, _SERVE, {"_harness_rfd": self.task_r, "_harness_wfd": self.reply_w})
            if ended is not None:
                self.error = f"its interpreter's loop ended: {ended}"
        else:
            _close_all(self.task_r, self.reply_w)  # serve never ran
        if handle is not None:
            try:
                destroy_interpreter(handle)
            except Exception:  # noqa: BLE001 - the host exits next; nothing to leak past it
                pass


class InterpreterPool:
    """N isolated interpreters, started once and reused (see the module docstring)."""

    def __init__(self, workers: int, sys_path: list[str] | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self.sys_path = list(sys.path if sys_path is None else sys_path)
        self._threads: list[_Worker] = []
        self._loaded: set = set()
        self.broken: str | None = None

    def start(self) -> float:
        """Create and bootstrap every interpreter, in parallel; the seconds it took. PoolError."""
        t0 = time.perf_counter()
        path = pickle.dumps(self.sys_path)
        self._threads = [_Worker(i, path) for i in range(self.workers)]
        for thread in self._threads:
            thread.start()
        for thread in self._threads:
            thread.ready.wait()
        errors = [f"interpreter {t.index}: {t.error}" for t in self._threads if t.error]
        if errors:
            self.close()
            raise PoolError("; ".join(errors))
        return time.perf_counter() - t0

    def load(self, ref) -> str | None:
        """Import the workload ``ref`` in every interpreter, one after another, the first time
        it is asked for; None, or the first interpreter's failure (the pool is then broken).

        One after another: on 3.12.1 two interpreters refusing a single-phase-init extension
        at the same moment corrupt the heap (double free, SIGABRT); one refusal is clean.
        """
        if ref in self._loaded:
            return None
        request = pickle.dumps(("load", ref), pickle.HIGHEST_PROTOCOL)
        for worker in self._threads:
            write_frame(worker.task_w, request)
            reply = read_frame(worker.reply_r)
            if reply is None or reply[:1] == FAILED:
                text = reply[1:].decode("utf-8", "replace") if reply is not None else "its loop ended"
                self.broken = f"the workload could not be loaded ({text})"
                return f"interpreter {worker.index}: {text}"
        self._loaded.add(ref)
        return None

    def call_many(self, payloads: list[bytes]) -> Replies:
        """Each payload to whichever interpreter is free; fails fast on the first failure (the
        pool is then broken: the chunks still running would answer the next call)."""
        if self.broken or not self._threads:
            raise PoolError(self.broken or "the interpreter pool is not started")
        free, busy = list(self._threads), {}
        replies: list = [None] * len(payloads)
        sent = 0
        while sent < len(payloads) or busy:
            while free and sent < len(payloads):
                worker = free.pop()
                busy[worker.reply_r] = (worker, sent)
                write_frame(worker.task_w, payloads[sent])
                sent += 1
            for fd in select.select(list(busy), [], [])[0]:
                worker, index = busy.pop(fd)
                reply = read_frame(fd)
                if reply is None or reply[:1] == FAILED:
                    if reply is None:  # the loop ended: its thread says why once it is done
                        worker.join(timeout=1)
                    text = (reply[1:].decode("utf-8", "replace") if reply is not None
                            else f"interpreter {worker.index}: {worker.error or 'its loop ended'}")
                    self.broken = f"an earlier call failed ({text})"
                    return Replies(failure=text)
                replies[index] = reply[1:]
                free.append(worker)
        return Replies(tuple(replies))

    def close(self, wait_s: float = 2.0) -> None:
        """End every interpreter's loop (EOF on its task pipe) and wait a little for it."""
        for thread in self._threads:
            _close_all(thread.task_w, thread.reply_r)
        give_up = time.perf_counter() + wait_s
        for thread in self._threads:
            thread.join(max(give_up - time.perf_counter(), 0))
        self._threads = []
        self.broken = self.broken or "the interpreter pool is closed"
