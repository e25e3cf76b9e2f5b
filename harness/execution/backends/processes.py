"""processes: a fresh multiprocessing.Process per worker, results through a Queue.

As in the tutorial, processes start anew every repeat, so their start-up is part of every
timed repeat (``startup_s`` is null). The parent drains the Queue before joining: a child
that has put a large result blocks in its queue feeder until someone reads it, so joining
first can deadlock.
"""

from __future__ import annotations

import queue as queue_module
import time

from harness.execution.backends.base import Backend, RunTimeout, WorkerFailure, describe_exitcode, kill_processes
from harness.execution.backends.worker import compute_in_process, describe_exception, init_worker_process
from harness.execution.tasks import Chunk, TaskResult

__all__ = ["ProcessesBackend", "collect_from_queue"]

# How often the parent looks at worker exit codes while it waits; results themselves
# arrive without this delay, since Queue.get returns as soon as one is there.
_POLL_S = 0.02
# A worker that exited cleanly has flushed its result; allow this long for it to be read.
_FLUSH_GRACE_S = 1.0


def _process_main(result_queue, ref: str, task: Chunk, parent_pid: int) -> None:
    init_worker_process(parent_pid)
    try:
        outcome = ("ok", compute_in_process(ref, task, whole_process=True))
    except Exception as exc:
        outcome = ("error", f"worker {task.worker}: {describe_exception(exc)}")
    result_queue.put(outcome)


def collect_from_queue(result_queue, processes, count: int, deadline: float) -> list[TaskResult]:
    """Read ``count`` outcomes, failing fast when a worker dies and at the deadline."""
    results: list[TaskResult] = []
    exited_clean_since: float | None = None
    while len(results) < count:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            kill_processes(processes)
            raise RunTimeout("timed out; workers killed")
        try:
            status, payload = result_queue.get(timeout=min(_POLL_S, remaining))
        except queue_module.Empty:
            for index, proc in enumerate(processes):
                code = proc.exitcode
                if code is not None and code != 0:
                    kill_processes(processes)
                    raise WorkerFailure(f"worker {index} {describe_exitcode(code)}")
            if all(proc.exitcode == 0 for proc in processes):
                exited_clean_since = exited_clean_since or time.perf_counter()
                if time.perf_counter() - exited_clean_since > _FLUSH_GRACE_S:
                    raise WorkerFailure("a worker exited with code 0 without sending its result")
            continue
        if status != "ok":
            kill_processes(processes)
            raise WorkerFailure(payload)
        results.append(payload)
    return results


class ProcessesBackend(Backend):
    name = "processes"
    description = "a fresh multiprocessing.Process per worker each repeat, results via a Queue (start-up timed)"
    kind = "process"
    uses_start_method = True

    def __init__(self, workers, start_method=None):
        super().__init__(workers, start_method)
        self._live: list = []

    def _spawn(self, target, args_for_task, tasks):
        ctx = self.context
        procs = [ctx.Process(target=target, args=args_for_task(task), daemon=True, name=f"harness-worker-{task.worker}")
                 for task in tasks]
        self._live = procs
        for proc in procs:
            proc.start()
        return procs

    def run(self, ref, tasks, deadline, fn=None):
        result_queue = self.context.Queue()
        procs = self._spawn(_process_main, lambda task: (result_queue, ref, task, self.parent_pid), tasks)
        try:
            results = collect_from_queue(result_queue, procs, len(tasks), deadline)
            for proc in procs:
                proc.join(max(self.remaining(deadline), 0.1))
            return results
        finally:
            kill_processes(procs)
            result_queue.close()
            result_queue.join_thread()
            self._live = []

    def close(self, kill=False):
        kill_processes(self._live)
        self._live = []
