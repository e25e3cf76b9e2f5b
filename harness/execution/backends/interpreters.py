"""interpreters: a pool of isolated subinterpreters, each with its own GIL (PEP 684), on
CPython 3.12, 3.13 and 3.14+.

N interpreters, each driven by its own thread, run pure-Python work on N cores inside one
process: no GIL is shared, and nothing else is either. Each interpreter imports the workload
afresh, by name; chunks and their results cross the boundary pickled, through a pipe.

The pool lives in a child process of the harness (``subinterp_host``), started once per
configuration (per pass, interleaved) and reused by its repeats; ``startup_s`` is that
child's start plus its interpreters'. The child is what makes a deadline enforceable: a
running subinterpreter cannot be stopped, but its process can be killed. The low-level
modules differ per version (``_xxsubinterpreters`` on 3.12, ``_interpreters`` on 3.13, the
public ``concurrent.interpreters`` on 3.14); ``harness._compat`` holds those calls.

Faults: a chunk that raises, or calls sys.exit, fails the run with its line; one past the
deadline ends it as a timeout, with the host killed; a single-phase-init extension the
workload imports fails it with a line naming that module. Stdlib only: ``--python`` runs it.
"""

from __future__ import annotations

import os
import pickle
import sys

from harness._compat import SUBINTERPRETERS_MIN, subinterpreter_module
from harness.execution.backends.base import Backend, RunTimeout, WorkerFailure
from harness.execution.backends.subinterp_host import HostedPool, HostError, HostTimeout

__all__ = ["InterpretersBackend", "subinterpreters_unavailable"]


def subinterpreters_unavailable() -> str | None:
    """None where isolated subinterpreters can run, else why not (one line)."""
    version = sys.version.split()[0]
    need = f"needs CPython {'.'.join(map(str, SUBINTERPRETERS_MIN))}+ (a GIL per interpreter, PEP 684)"
    if sys.implementation.name != "cpython":
        return f"{need}; this is {sys.implementation.name} {version}"
    if sys.version_info[:2] < SUBINTERPRETERS_MIN:
        return f"{need}; this is Python {version}"
    if os.name != "posix":  # the pool's pipes are waited on with select(), which Windows has for sockets only
        return f"{need} on a POSIX system; this is {os.name}"
    try:
        subinterpreter_module()
    except ImportError as exc:
        return f"{need}; this Python {version} has no subinterpreter module ({exc})"
    return None


class InterpretersBackend(Backend):
    name = "interpreters"
    plainness = 45
    style = ("#ad494a", "p")
    description = ("isolated subinterpreters, one GIL each (PEP 684), one thread per interpreter, in one child "
                   "process; Python 3.12+; pool started once per configuration, start-up recorded apart")
    # The work runs in the host process, whose tasks report their own CPU time (each
    # interpreter's thread's) and whose memory the sampler reads with the harness's.
    kind = "process"
    has_startup = True
    stdlib_only = True
    interpreter_per_worker = True
    timeout_text = "timed out; the interpreter pool's process was killed"

    @classmethod
    def pickles_items(cls) -> bool:  # items and results cross into each interpreter pickled
        return True

    def __init__(self, workers, start_method=None):
        super().__init__(workers, start_method)
        self._host: HostedPool | None = None

    @classmethod
    def availability(cls):
        return subinterpreters_unavailable()

    @property
    def host_pid(self) -> int | None:
        """The host process's pid while the pool runs (for tests: it must be gone after close)."""
        return None if self._host is None else self._host.pid

    def start(self):
        reason = self.availability()
        if reason:
            raise WorkerFailure(f"interpreters: {reason}")
        host = HostedPool(self.workers)
        try:
            host.start(list(sys.path))
        except HostError as exc:
            raise WorkerFailure(f"the interpreter pool did not start: {exc}") from None
        self._host = host

    def run(self, ref, tasks, deadline, fn=None):
        if self._host is None:
            raise WorkerFailure("the interpreter pool is not running (closed after an earlier failure)")
        payloads = [pickle.dumps(("chunk", ref, task), pickle.HIGHEST_PROTOCOL) for task in tasks]
        try:
            replies = self._host.run(ref, payloads, deadline)
        except HostTimeout:
            self.close(kill=True)
            raise RunTimeout(self.timeout_text) from None
        except HostError as exc:
            self.close(kill=True)
            raise WorkerFailure(str(exc)) from None
        return [pickle.loads(reply) for reply in replies]

    def close(self, kill=False):
        host, self._host = self._host, None
        if host is not None:
            host.kill() if kill else host.close()
