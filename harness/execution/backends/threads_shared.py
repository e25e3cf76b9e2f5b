"""threads-shared and threads-nolock: threads add into one shared total, with and without a Lock.

The tutorial's Lock lesson applied to threads. Every worker adds its running sum into one
shared Python int every ``flush_every`` items (default: every item, so the race has many
chances). ``threads-shared`` does each read-add-write under a threading.Lock;
``threads-nolock`` does not. With a GIL the read-add-write rarely splits between threads; on
a free-threaded build two threads really run it at the same moment, one overwrites the
other's update, and the oracle reports the lost updates.

The workers start together behind a barrier, so thread start-up does not keep them apart.
"""

from __future__ import annotations

import threading
import time

from harness.execution.backends.base import Backend, FlushEveryOption
from harness.execution.backends.threads import run_in_threads
from harness.execution.backends.worker import load_cached, worker_gil_enabled
from harness.results.repeats import TaskResult

__all__ = ["DEFAULT_THREAD_FLUSH_EVERY", "SharedTotal", "ThreadsNoLockBackend", "ThreadsSharedBackend"]

DEFAULT_THREAD_FLUSH_EVERY = 1


class SharedTotal:
    """One Python int that every worker thread adds into.

    ``between_read_and_write`` is a test hook: called between the read and the write, it can
    hold threads there (a barrier) so a lost update happens on any build, deterministically.
    """

    __slots__ = ("value",)
    between_read_and_write = None

    def __init__(self) -> None:
        self.value = 0

    def add(self, amount: int) -> None:
        """value += amount as a read, an add and a write: NOT atomic without a lock."""
        current = self.value
        hook = SharedTotal.between_read_and_write
        if hook is not None:
            hook()
        self.value = current + amount


class ThreadsSharedBackend(FlushEveryOption, Backend):
    name = "threads-shared"
    plainness = 55
    stdlib_only = True
    style = ("#aec7e8", "<")
    description = ("threads add into one shared total under a threading.Lock (every --flush-every items, "
                   "default every item): the Lock's cost")
    kind = "thread"
    thread_based = True
    use_lock = True
    # A total in shared memory: one additive number, not a result per item.
    can_chunk = False
    refuses_maps = ("threads-shared is for additive range workloads only (partial sums added into one shared total); "
                    "a map workload returns a result per item")

    def run(self, ref, tasks, deadline, fn=None):
        fn = fn or load_cached(ref)
        total = SharedTotal()
        lock = threading.Lock() if self.use_lock else None
        step = self.flush_every or DEFAULT_THREAD_FLUSH_EVERY
        barrier = threading.Barrier(len(tasks))

        def work(task):
            worker, lo, hi = task.worker, task.lo, task.hi
            barrier.wait(timeout=max(self.remaining(deadline), 0.1))
            cpu0, start = time.thread_time(), time.perf_counter()
            for block_lo in range(lo, hi, step):
                partial = fn(block_lo, min(block_lo + step, hi))
                if lock is not None:
                    with lock:
                        total.add(partial)
                else:
                    total.add(partial)
            end = time.perf_counter()
            # value 0: the sum lives in the shared total, read once all threads are done.
            return TaskResult(worker, 0, start, end, time.thread_time() - cpu0, gil_enabled=worker_gil_enabled())

        results = run_in_threads(tasks, deadline, work, self.remaining)
        # The runner sums task values; the whole total rides on the first task.
        return [r.with_value(total.value if i == 0 else 0) for i, r in enumerate(results)]


class ThreadsNoLockBackend(ThreadsSharedBackend):
    name = "threads-nolock"
    plainness = 90
    style = ("#7f7f7f", ">")
    description = ("as threads-shared, without the Lock: on a free-threaded build concurrent read-add-writes "
                   "lose updates, and the oracle says so")
    use_lock = False
    exact_by_design = False
    locked_twin = "threads-shared"
