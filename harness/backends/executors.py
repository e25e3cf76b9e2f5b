"""thread-executor and process-executor: concurrent.futures, each pool started once.

ProcessPoolExecutor notices a dead worker by itself (BrokenProcessPool); the parent still
waits in slices so a hung worker ends at the deadline, killed, rather than never.
"""

from __future__ import annotations

import concurrent.futures as cf

from harness.backends.base import Backend, RunTimeout, WorkerFailure, describe_exitcode, kill_processes
from harness.backends.worker import compute, compute_in_process, describe_exception, init_worker_process

__all__ = ["ThreadExecutorBackend", "ProcessExecutorBackend"]


class _ExecutorBackend(Backend):
    has_startup = True

    def __init__(self, workers, start_method=None, **options):
        super().__init__(workers, start_method, **options)
        self._executor = None

    def _collect(self, futures, deadline):
        done, not_done = cf.wait(futures, timeout=max(self.remaining(deadline), 0),
                                 return_when=cf.FIRST_EXCEPTION)
        for future in futures:
            if future.done() and future.exception() is not None:
                self.close(kill=True)
                raise WorkerFailure(self._describe_failure(future.exception()))
        if not_done:
            self.close(kill=True)
            raise RunTimeout(self._timeout_text)
        return [f.result() for f in futures]

    def _describe_failure(self, exc: BaseException) -> str:
        return describe_exception(exc)

    def close(self, kill=False):
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=not kill, cancel_futures=True)


class ThreadExecutorBackend(_ExecutorBackend):
    name = "thread-executor"
    description = "concurrent.futures.ThreadPoolExecutor, reused across repeats"
    kind = "thread"
    _timeout_text = "timed out; threads cannot be killed, so the hung thread was abandoned"

    def start(self):
        self._executor = cf.ThreadPoolExecutor(self.workers, thread_name_prefix="harness-worker")
        # Threads start lazily on submit; start them now so that is start-up, not repeat time.
        cf.wait([self._executor.submit(int) for _ in range(self.workers)])

    def run(self, ref, tasks, deadline, fn=None):
        if self._executor is None:
            raise WorkerFailure("the executor is not running (closed after an earlier failure)")
        return self._collect([self._executor.submit(compute, ref, task, fn) for task in tasks], deadline)


def _executor_task(ref, task):
    try:
        return compute_in_process(ref, task)
    except Exception as exc:
        raise RuntimeError(f"worker {task[0]}: {describe_exception(exc)}") from None


class ProcessExecutorBackend(_ExecutorBackend):
    name = "process-executor"
    description = "concurrent.futures.ProcessPoolExecutor, reused across repeats; start-up recorded apart"
    kind = "process"
    uses_start_method = True
    _timeout_text = "timed out; worker processes killed"

    def start(self):
        self._executor = cf.ProcessPoolExecutor(self.workers, mp_context=self.context,
                                                initializer=init_worker_process, initargs=(self.parent_pid,))
        # Workers start on first submit; warm them all now so start-up stays out of the repeats.
        cf.wait([self._executor.submit(int) for _ in range(self.workers)])
        self._processes = list((self._executor._processes or {}).values())

    def _describe_failure(self, exc):
        if isinstance(exc, cf.process.BrokenProcessPool):
            dead = [describe_exitcode(p.exitcode) for p in self._processes if p.exitcode not in (None, 0)]
            return f"a worker process died ({', '.join(dead) or 'abruptly'})"
        return str(exc) if isinstance(exc, RuntimeError) else describe_exception(exc)

    def run(self, ref, tasks, deadline, fn=None):
        if self._executor is None:
            raise WorkerFailure("the executor is not running (closed after an earlier failure)")
        return self._collect([self._executor.submit(_executor_task, ref, task) for task in tasks], deadline)

    def close(self, kill=False):
        if kill:
            kill_processes(getattr(self, "_processes", []))
        super().close(kill)

    def child_pids(self):
        return [p.pid for p in getattr(self, "_processes", []) if p.is_alive()]
