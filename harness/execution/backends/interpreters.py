"""interpreters: concurrent.futures.InterpreterPoolExecutor (Python 3.14+), one pool per configuration.

Each worker is a thread of this process running its own subinterpreter, and each
subinterpreter has its own GIL, so pure-Python work can use several cores without the
cost of processes. Nothing is shared: the executor pickles the function and its arguments
into the subinterpreter, which imports their modules afresh. So a task travels as
``(ref, task)`` to ``harness.execution.backends.interpreters._interpreter_task``, which looks the
workload up by name there; the function object the runner offers is not used. Each
subinterpreter gets the parent's ``sys.path`` first, so user workloads on a path added at
run time resolve the same way. Extension modules without subinterpreter support (numpy
today) cannot be imported there; such a workload fails with the import error.

Faults: a task that raises (or calls sys.exit) fails the run with its text. A repeat past
its deadline raises RunTimeout, but like any thread the hung worker cannot be killed: it is
abandoned and recorded (``base.abandon_threads``) so that ``harness run`` does not wait on
it at exit. A worker that calls os._exit ends the whole process.

This module imports only the standard library, and nothing 3.14-only until start().
"""

from __future__ import annotations

import concurrent.futures as cf
import sys

from harness._compat import executor_threads
from harness.execution.backends.base import Backend, WorkerFailure, abandon_threads
from harness.execution.backends.worker import warm_up

__all__ = ["InterpretersBackend"]

_MIN_VERSION = (3, 14)


def _interpreter_task(ref, task):
    """Runs inside a subinterpreter: the task via ``worker.run_task``, failures as one line."""
    from harness.execution.backends.worker import run_task

    return run_task(ref, task)


def _path_script(paths: list[str]) -> str:
    """Source that puts the parent's sys.path entries first in a new interpreter."""
    return f"import sys\nsys.path[:0] = [p for p in {paths!r} if p not in sys.path]\n"


class InterpretersBackend(Backend):
    name = "interpreters"
    plainness = 45
    style = ("#ad494a", "p")
    description = ("concurrent.futures.InterpreterPoolExecutor: one subinterpreter (own GIL) per worker thread, "
                   "Python 3.14+; pool started once per configuration, start-up recorded apart")
    # Threads of this process: its process_time() already counts their CPU.
    kind = "thread"

    @classmethod
    def pickles_items(cls) -> bool:  # items cross into each subinterpreter pickled
        return True
    has_startup = True
    timeout_text = ("timed out; interpreters run in threads of this process and cannot be killed, "
                    "so the hung one was abandoned")

    def __init__(self, workers, start_method=None):
        super().__init__(workers, start_method)
        self._executor = None

    @classmethod
    def availability(cls):
        if sys.version_info < _MIN_VERSION or not hasattr(cf, "InterpreterPoolExecutor"):
            return ("needs Python 3.14+ (concurrent.futures.InterpreterPoolExecutor); "
                    f"this is Python {sys.version.split()[0]}")
        return None

    def _make_executor(self) -> cf.Executor:
        # The initializer is pickled into each new interpreter; the builtin exec travels
        # by name, with the source and a fresh namespace as its arguments.
        return cf.InterpreterPoolExecutor(
            self.workers, thread_name_prefix="harness-interp",
            initializer=exec, initargs=(_path_script(list(sys.path)), {}),
        )

    def start(self):
        reason = self.availability()
        if reason:
            raise WorkerFailure(f"interpreters: {reason}")
        self._executor = self._make_executor()
        # Worker threads, and their interpreters, start on submit: start them all now.
        cf.wait([self._executor.submit(warm_up) for _ in range(self.workers)])

    def run(self, ref, tasks, deadline, fn=None):
        if self._executor is None:
            raise WorkerFailure("the interpreter pool is not running (closed after an earlier failure)")
        return self.collect_futures([self._executor.submit(_interpreter_task, ref, task) for task in tasks], deadline)

    def describe_failure(self, exc):
        # The task wrapper raises RuntimeError with the worker's own one-line description.
        text = " ".join(str(exc).split())
        return text if isinstance(exc, RuntimeError) else f"{type(exc).__name__}: {text}"

    def close(self, kill=False):
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if kill:
            # A hung interpreter's thread would hold up interpreter exit; harness run checks
            # the abandoned threads and exits without waiting on them.
            abandon_threads(executor_threads(executor))
        executor.shutdown(wait=not kill, cancel_futures=True)
