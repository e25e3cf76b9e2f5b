"""The interpreter pool's host: a child process of the harness (the same Python) that holds
the pool, and :class:`HostedPool`, the harness's side of it.

Why a child process: a subinterpreter that runs past its deadline cannot be stopped from
outside (``destroy`` refuses a running interpreter; signals and async exceptions reach only
the main interpreter), so the only sure stop is SIGKILL of the process holding it. Hosting
also keeps every subinterpreter out of the harness, which forks (the ``fork`` start method,
the sampler) and where ``os.fork()`` with a subinterpreter alive crashes the child on 3.12
and 3.13. The host ends with ``os._exit`` and so never runs interpreter finalization, where
3.12 aborts with a thread still inside an interpreter, or after gh-119213.

What it costs, measured on this 2-vCPU VM (research notes): about 100 ms more start-up (an
interpreter to spawn), 35-120 us more per repeat (one more pipe each way) and about 8 MiB.

The protocol, one pickled frame each (``frames``): the harness sends ``(workers, sys_path,
parent_pid)``; the host answers ``("ready", startup_s)`` or ``("error", text)``; then each
``("run", [payload, ...])`` gets ``("ok", [reply, ...])`` or ``("failed", text)``, and
``("close",)`` ends it. Stdlib only: it runs under ``--python`` interpreters too.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time

from harness.execution.backends.frames import FrameTimeout, read_frame, write_frame
from harness.execution.backends.subinterp_boot import LIGHT_PACKAGE

__all__ = ["LIGHT_PACKAGE", "HostedPool", "HostError", "HostTimeout", "main"]

# Started as `python -c`, since `-m` would run the package's __init__ first.
_START = ("import sys\nsys.path.insert(0, sys.argv[1])\n" + LIGHT_PACKAGE +
          "from harness.execution.backends.subinterp_host import main\nmain(int(sys.argv[2]), int(sys.argv[3]))\n")
_START_LIMIT_S = 120.0
_CLOSE_WAIT_S = 5.0


class HostError(RuntimeError):
    """The host could not start, failed a run, or died; the message is one line."""


class HostTimeout(HostError):
    """A run went past its deadline; the host was killed."""


def _send(fd: int, message) -> None:
    write_frame(fd, pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


def main(rfd: int, wfd: int) -> None:
    """The host process: start the pool, answer runs until told to close or the harness goes."""
    from harness.execution.backends.subinterp_pool import InterpreterPool, PoolError
    from harness.execution.backends.worker import init_worker_process

    workers, sys_path, parent_pid = pickle.loads(read_frame(rfd))
    init_worker_process(parent_pid)  # die with the harness; leave Ctrl-C to it
    # The workloads' imports (hashlib among them) made here first, in the main interpreter.
    import harness.workloads  # noqa: F401

    pool = InterpreterPool(workers, sys_path)
    try:
        _send(wfd, ("ready", pool.start()))
    except PoolError as exc:
        _send(wfd, ("error", str(exc)))
        os._exit(1)
    while True:
        frame = read_frame(rfd)
        request = None if frame is None else pickle.loads(frame)
        if request is None or request[0] == "close":
            break
        _, ref, payloads = request
        try:
            failure = pool.load(ref)
            outcome = pool.call_many(payloads) if failure is None else None
        except PoolError as exc:
            failure = str(exc)
        if failure is None:
            failure = outcome.failure
        _send(wfd, ("failed", failure) if failure is not None else ("ok", list(outcome.replies)))
    pool.close()
    sys.stdout.flush()
    os._exit(0)


class HostedPool:
    """The harness's side: starts the host, sends it runs, kills it at a deadline."""

    def __init__(self, workers: int, python: str | None = None) -> None:
        self.workers = workers
        self.python = python or sys.executable
        self._proc: subprocess.Popen | None = None
        self._to = self._from = None
        self.pool_startup_s: float | None = None  # the pool's own start, timed inside the host

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def start(self, sys_path: list[str]) -> None:
        """Spawn the host and wait for its interpreters; HostError names what went wrong."""
        from harness.environment.pythons import PACKAGE_ROOT

        to_r, self._to = os.pipe()
        self._from, from_w = os.pipe()
        # Its stdout is our stderr: a workload that prints must not reach a pipe it does not own.
        self._proc = subprocess.Popen([self.python, "-c", _START, PACKAGE_ROOT, str(to_r), str(from_w)],
                                      stdin=subprocess.DEVNULL, stdout=2, pass_fds=(to_r, from_w))
        os.close(to_r)
        os.close(from_w)
        _send(self._to, (self.workers, [PACKAGE_ROOT] + list(sys_path), os.getpid()))
        kind, value = self._answer(time.perf_counter() + _START_LIMIT_S, "to start")
        if kind != "ready":
            self.kill()
            raise HostError(value)
        self.pool_startup_s = value

    def run(self, ref, payloads: list[bytes], deadline: float) -> list[bytes]:
        """Every payload's reply, in order (the workload ``ref`` imported in each interpreter
        first); HostError with the first failure, HostTimeout past ``deadline`` (the host is
        then killed)."""
        if self._proc is None:
            raise HostError("the interpreter pool's process is not running (closed after an earlier failure)")
        try:
            _send(self._to, ("run", ref, payloads))
        except OSError:
            pass  # it died: reading its answer says how
        kind, value = self._answer(deadline, "by the deadline")
        if kind == "ok":
            return value
        raise HostError(value)

    def _answer(self, deadline: float, when: str):
        try:
            frame = read_frame(self._from, deadline)
        except FrameTimeout:
            self.kill()
            raise HostTimeout(f"the interpreter pool did not answer {when}; its process was killed") from None
        if frame is None:
            code = self._proc.wait()
            self._forget()
            from harness.execution.backends.base import describe_exitcode

            raise HostError(f"the interpreter pool's process died ({describe_exitcode(code)})")
        return pickle.loads(frame)

    def kill(self) -> None:
        """SIGKILL the host (every interpreter in it goes with it) and reap it."""
        if self._proc is not None:
            try:
                self._proc.kill()
            except OSError:
                pass
            self._proc.wait()
        self._forget()

    def close(self) -> None:
        """Ask the host to close its interpreters and exit; kill it if it does not."""
        if self._proc is None:
            return
        try:
            _send(self._to, ("close",))
            self._proc.wait(timeout=_CLOSE_WAIT_S)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def _forget(self) -> None:
        for fd in (self._to, self._from):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._to = self._from = None
        self._proc = None
