"""thread-executor and process-executor: concurrent.futures, each pool started once.

ProcessPoolExecutor notices a dead worker by itself (BrokenProcessPool); the parent still
waits in slices so a hung worker ends at the deadline, killed, rather than never.

A hung *thread* cannot be killed: after a thread-executor timeout it is abandoned. Its
thread is not a daemon, and concurrent.futures joins its threads at interpreter exit, so
the backend records it with ``base.abandon_threads``; ``harness run`` saves the results
and then ends the process with os._exit rather than wait on it forever.
"""

from __future__ import annotations

import concurrent.futures as cf
import signal
import time

from harness._compat import executor_processes, executor_threads
from harness.execution.backends.base import (FORKSERVER_LOST, Backend, WorkerFailure, abandon_threads,
                                              describe_exitcode, kill_processes)
from harness.execution.backends.worker import TaskFailure, describe_exception, init_worker_process, run_task

__all__ = ["ThreadExecutorBackend", "ProcessExecutorBackend"]

# How long to wait for a dead worker's exit code to become readable (it names the cause).
_EXITCODE_WAIT_S = 1.0


class _ExecutorBackend(Backend):
    has_startup = True

    def __init__(self, workers, start_method=None):
        super().__init__(workers, start_method)
        self._executor = None
        self._processes: list = []

    def on_timeout(self):
        if self.kind == "thread":  # they cannot be killed: record them (see the module docstring)
            abandon_threads(executor_threads(self._executor))

    def describe_failure(self, exc: BaseException) -> str:
        return str(exc) if isinstance(exc, TaskFailure) else describe_exception(exc)

    def close(self, kill=False):
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=not kill, cancel_futures=True)


class ThreadExecutorBackend(_ExecutorBackend):
    name = "thread-executor"
    plainness = 15
    stdlib_only = True
    in_default_sweep = True
    style = ("#17becf", "v")
    description = "concurrent.futures.ThreadPoolExecutor, reused across repeats"
    kind = "thread"
    thread_based = True
    timeout_text = "timed out; threads cannot be killed, so the hung thread was abandoned"

    def start(self):
        self._executor = cf.ThreadPoolExecutor(self.workers, thread_name_prefix="harness-worker")
        # Threads start lazily on submit; start them now so that is start-up, not repeat time.
        cf.wait([self._executor.submit(int) for _ in range(self.workers)])

    def run(self, ref, tasks, deadline, fn=None):
        if self._executor is None:
            raise WorkerFailure("the executor is not running (closed after an earlier failure)")
        return self.collect_futures([self._executor.submit(run_task, ref, task, fn) for task in tasks], deadline)


def _executor_task(ref, task):
    # An executor would pass sys.exit() back as a result: run_task reports it as a failure.
    return run_task(ref, task, in_process=False)


class ProcessExecutorBackend(_ExecutorBackend):
    name = "process-executor"
    plainness = 25
    stdlib_only = True
    in_default_sweep = True
    style = ("#ff7f0e", "P")
    description = "concurrent.futures.ProcessPoolExecutor, reused across repeats; start-up recorded apart"
    kind = "process"
    uses_start_method = True
    timeout_text = "timed out; worker processes killed"

    def start(self):
        self._executor = cf.ProcessPoolExecutor(self.workers, mp_context=self.context,
                                                initializer=init_worker_process, initargs=(self.parent_pid,))
        # Workers start on first submit; warm them all now so start-up stays out of the repeats.
        cf.wait([self._executor.submit(int) for _ in range(self.workers)])
        self._processes = executor_processes(self._executor)

    def _all_processes(self) -> list:
        """Every worker seen: the executor may replace or add workers after start()."""
        live = executor_processes(self._executor) if self._executor is not None else []
        return self._processes + [p for p in live if p not in self._processes]

    def describe_failure(self, exc):
        if isinstance(exc, cf.process.BrokenProcessPool):
            # The executor's thread may be reaping the dead worker right now (its exit code
            # reads None meanwhile), and it SIGTERMs the survivors: wait briefly for a cause
            # other than that SIGTERM, and name only the causes.
            # A survivor can also exit 255 as it goes down with the pool (seen under forkserver
            # on a loaded machine), before the dead worker's own code is readable: wait for every
            # worker's code, and prefer a cause that is neither that SIGTERM nor that 255.
            give_up = time.monotonic() + _EXITCODE_WAIT_S
            while True:
                exits = [p.exitcode for p in self._all_processes()]
                codes = [code for code in exits if code not in (None, 0)]
                if None not in exits or time.monotonic() > give_up:
                    break
                time.sleep(0.01)
            causes = ([code for code in codes if code not in (-signal.SIGTERM, FORKSERVER_LOST)]
                      or [code for code in codes if code != -signal.SIGTERM] or codes)
            dead = [describe_exitcode(code, self.context.get_start_method()) for code in causes]
            return f"a worker process died ({', '.join(dead) or 'abruptly'})"
        return super().describe_failure(exc)

    def run(self, ref, tasks, deadline, fn=None):
        if self._executor is None:
            raise WorkerFailure("the executor is not running (closed after an earlier failure)")
        return self.collect_futures([self._executor.submit(_executor_task, ref, task) for task in tasks], deadline)

    def close(self, kill=False):
        if kill:
            kill_processes(self._all_processes())
        super().close(kill)
        self._processes = []
