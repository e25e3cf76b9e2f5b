"""processes: a fresh multiprocessing.Process per worker, results through a Queue.

As in the tutorial, processes start anew every repeat, so their start-up is part of every
timed repeat (``startup_s`` is null). The parent drains the Queue before joining: a child
that has put a large result blocks in its queue feeder until someone reads it, so joining
first can deadlock.

Under the static split each process computes its one chunk, handed to it as an argument.
With a chunksize the processes share one work queue: each takes the next chunk when it is
free, until a sentinel per process says the work is done.
"""

from __future__ import annotations

import queue as queue_module
import time

from harness.execution.backends.base import Backend, RunTimeout, WorkerFailure, describe_exitcode, kill_processes
from harness.execution.backends.worker import TaskFailure, init_worker_process, run_task
from harness.execution.partition import Chunk
from harness.results.repeats import TaskResult

__all__ = ["ProcessesBackend", "collect_from_queue"]

# How often the parent looks at worker exit codes while it waits; results themselves
# arrive without this delay, since Queue.get returns as soon as one is there.
_POLL_S = 0.02
# A worker that exited cleanly has flushed its result; allow this long for it to be read.
_FLUSH_GRACE_S = 1.0


def _outcome(ref, task: Chunk, first: bool) -> tuple:
    # sys.exit() ends the process with its code, which collect_from_queue names. A process's
    # first chunk counts the CPU it used since it started (interpreter start-up, unpickling).
    try:
        return ("ok", run_task(ref, task, in_process=False, whole_process=first, exit_ends_process=True))
    except TaskFailure as exc:
        return ("error", str(exc))


def _process_main(result_queue, ref, task: Chunk, parent_pid: int) -> None:
    init_worker_process(parent_pid)
    result_queue.put(_outcome(ref, task, True))


def _queue_main(task_queue, result_queue, ref, parent_pid: int) -> None:
    """A worker of the shared work queue: the next chunk until the sentinel (None)."""
    init_worker_process(parent_pid)
    first = True
    while (task := task_queue.get()) is not None:
        outcome = _outcome(ref, task, first)
        first = False
        result_queue.put(outcome)
        if outcome[0] != "ok":
            return


def collect_from_queue(result_queue, processes, count: int, deadline: float,
                       start_method: str | None = None) -> list[TaskResult]:
    """Read ``count`` outcomes, failing fast when a worker dies and at the deadline
    (``start_method``, the processes', words a status forkserver lost)."""
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
                    raise WorkerFailure(f"worker {index} {describe_exitcode(code, start_method)}")
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
    plainness = 35
    stdlib_only = True
    in_default_sweep = True
    style = ("#d62728", "o")
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
        if len(tasks) > self.workers:
            return self._run_from_queue(ref, tasks, deadline, result_queue)
        procs = self._spawn(_process_main, lambda task: (result_queue, ref, task, self.parent_pid), tasks)
        try:
            results = collect_from_queue(result_queue, procs, len(tasks), deadline,
                                         self.context.get_start_method())
            for proc in procs:
                proc.join(max(self.remaining(deadline), 0.1))
            return results
        finally:
            kill_processes(procs)
            result_queue.close()
            result_queue.join_thread()
            self._live = []

    def _run_from_queue(self, ref, tasks, deadline, result_queue):
        task_queue = self.context.Queue()
        for task in tasks:
            task_queue.put(task)
        for _ in range(self.workers):
            task_queue.put(None)
        ctx = self.context
        procs = [ctx.Process(target=_queue_main, args=(task_queue, result_queue, ref, self.parent_pid), daemon=True,
                             name=f"harness-worker-{i}") for i in range(self.workers)]
        self._live = procs
        try:
            for proc in procs:
                proc.start()
            results = collect_from_queue(result_queue, procs, len(tasks), deadline,
                                         self.context.get_start_method())
            for proc in procs:
                proc.join(max(self.remaining(deadline), 0.1))
            return sorted(results, key=lambda r: r.worker)
        finally:
            kill_processes(procs)
            # Chunks left unread after a failure would block the feeder thread's flush forever.
            task_queue.cancel_join_thread()
            task_queue.close()
            result_queue.close()
            result_queue.join_thread()
            self._live = []

    def close(self, kill=False):
        kill_processes(self._live)
        self._live = []
