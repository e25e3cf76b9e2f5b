"""threads: one threading.Thread per worker, sharing the interpreter (and its GIL, if any).

Under the static split each thread computes its one chunk; with a chunksize every thread
takes the next chunk from one shared work queue until none is left.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable

from harness.execution.backends.base import Backend, RunTimeout, WorkerFailure, abandon_threads
from harness.execution.backends.worker import TaskFailure, describe_exception, run_task

__all__ = ["ThreadsBackend", "run_in_threads"]


def run_in_threads(tasks, deadline: float, work: Callable, remaining: Callable[[float], float],
                   workers: int | None = None) -> list:
    """``work(task)`` for every task on ``workers`` threads (one per task by default); the
    results in task order.

    With fewer workers than tasks the threads share one queue of tasks, each taking the next
    when it is free; after a failure the others take no more. RunTimeout past the deadline (a
    hung thread is abandoned: threads cannot be killed), WorkerFailure with the first failure.
    """
    results: list = [None] * len(tasks)
    errors: list[str] = []
    count = len(tasks) if workers is None else min(workers, len(tasks))
    # No more tasks than threads (the static split): each thread its own task, as a process
    # would have. More: one queue they all take from.
    queues = [queue.SimpleQueue() for _ in range(count if len(tasks) <= count else 1)]
    for slot, task in enumerate(tasks):
        queues[slot % len(queues)].put((slot, task))

    def target(pending) -> None:
        while not errors:
            try:
                slot, task = pending.get_nowait()
            except queue.Empty:
                return
            try:
                results[slot] = work(task)
            except TaskFailure as exc:
                errors.append(str(exc))
            except BaseException as exc:  # reported as the run's failure, not lost in a thread
                errors.append(f"{task.where}: {describe_exception(exc)}")

    # Daemon threads: a hung thread cannot be killed, but it must not keep the harness alive.
    threads = [threading.Thread(target=target, args=(queues[i % len(queues)],), daemon=True, name=f"harness-worker-{i}")
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(remaining(deadline), 0))
        if thread.is_alive():
            abandon_threads(threads)
            raise RunTimeout("timed out; threads cannot be killed, so the hung thread was abandoned (daemon)")
    if errors:
        raise WorkerFailure(errors[0])
    return results


class ThreadsBackend(Backend):
    name = "threads"
    plainness = 10
    stdlib_only = True
    in_default_sweep = True
    style = ("#1f77b4", "^")
    description = "one threading.Thread per worker; on a GIL build pure-Python work does not scale"
    kind = "thread"
    thread_based = True

    def run(self, ref, tasks, deadline, fn=None):
        return run_in_threads(tasks, deadline, lambda task: run_task(ref, task, fn), self.remaining, self.workers)
