"""A third-party backend, as a package outside harness would write it: concurrent.futures'
ProcessPoolExecutor with an initializer of its own. Its metadata (the .dist-info beside this
folder) declares it under the entry-point group ``harness.backends``; nothing in harness
names it.

``cf-init`` runs every chunk in a worker its initializer prepared (a chunk that reaches an
unprepared worker fails loudly, so the test sees the initializer ran). ``cf-init-lossy`` is
the same but drops the last chunk's result: harness must catch that as a wrong result.
"""

from __future__ import annotations

import concurrent.futures as cf
import os

from harness.execution.backends.base import Backend, WorkerFailure, kill_processes
from harness.execution.backends.worker import init_worker_process, run_task

__all__ = ["CfInitBackend", "LossyCfInitBackend"]

_prepared_by: int | None = None  # the pid of the process this worker's initializer ran in


def _prepare(parent_pid: int) -> None:
    global _prepared_by
    init_worker_process(parent_pid)  # die with the harness, leave Ctrl-C to it
    _prepared_by = os.getpid()


def _task(ref, chunk):
    if _prepared_by != os.getpid():
        raise RuntimeError("the cf-init initializer did not run in this worker")
    return run_task(ref, chunk, in_process=False)


class CfInitBackend(Backend):
    name = "cf-init"
    description = "a plug-in: ProcessPoolExecutor with its own initializer (tests/plugin_site)"
    style = ("#8c564b", "h")
    kind = "process"
    has_startup = True
    uses_start_method = True

    def __init__(self, workers, start_method=None):
        super().__init__(workers, start_method)
        self._executor = None

    def start(self):
        self._executor = cf.ProcessPoolExecutor(self.workers, mp_context=self.context, initializer=_prepare,
                                                initargs=(self.parent_pid,))
        cf.wait([self._executor.submit(int) for _ in range(self.workers)])

    def run(self, ref, tasks, deadline, fn=None):
        if self._executor is None:
            raise WorkerFailure("the executor is not running")
        return self.collect_futures([self._executor.submit(_task, ref, task) for task in tasks], deadline)

    def close(self, kill=False):
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list((getattr(executor, "_processes", None) or {}).values())
        executor.shutdown(wait=not kill, cancel_futures=True)
        if kill:
            kill_processes(processes)


class LossyCfInitBackend(CfInitBackend):
    name = "cf-init-lossy"
    description = "cf-init that loses the last chunk's result (harness must call it wrong)"

    def run(self, ref, tasks, deadline, fn=None):
        results = super().run(ref, tasks, deadline, fn)
        last = results[-1]
        lost = 0 if isinstance(last.value, int) else [None] * len(last.value)
        return results[:-1] + [last.with_value(lost)]
