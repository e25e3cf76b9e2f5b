"""threads: one threading.Thread per worker, sharing the interpreter (and its GIL, if any)."""

from __future__ import annotations

import threading
from typing import Callable

from harness.execution.backends.base import Backend, RunTimeout, WorkerFailure, abandon_threads
from harness.execution.backends.worker import compute, describe_exception, describe_system_exit

__all__ = ["ThreadsBackend", "run_in_threads"]


def run_in_threads(tasks, deadline: float, work: Callable, remaining: Callable[[float], float]) -> list:
    """``work(task)`` in one thread per task; its results in task order.

    RunTimeout past the deadline (a hung thread is abandoned: threads cannot be killed),
    WorkerFailure naming the first worker that raised or called sys.exit().
    """
    results: list = [None] * len(tasks)
    errors: list[str] = []

    def target(slot: int, task) -> None:
        try:
            results[slot] = work(task)
        except SystemExit as exc:  # ends only this thread; reported like a process's exit
            errors.append(f"worker {task.worker}: {describe_system_exit(exc)}")
        except BaseException as exc:  # reported as the run's failure, not lost in a thread
            errors.append(f"worker {task.worker}: {describe_exception(exc)}")

    # Daemon threads: a hung thread cannot be killed, but it must not keep the harness alive.
    threads = [threading.Thread(target=target, args=(i, t), daemon=True, name=f"harness-worker-{t.worker}")
               for i, t in enumerate(tasks)]
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
    description = "one threading.Thread per worker; on a GIL build pure-Python work does not scale"
    kind = "thread"
    thread_based = True

    def run(self, ref, tasks, deadline, fn=None):
        return run_in_threads(tasks, deadline, lambda task: compute(ref, task, fn), self.remaining)
