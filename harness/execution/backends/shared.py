"""shared and shared-nolock: worker processes add their sums into shared memory.

The tutorial's shared-memory and Lock lessons. A C integer would overflow (poly's total for
n = 10^7 is about 2.5e27, past 2**64), so the shared accumulator is a multiprocessing.Array
of 64-bit limbs holding one 512-bit two's-complement integer: exact for any realistic n.

Each worker adds its running sum into the accumulator every ``flush_every`` items (default:
once, at the end of its chunk). ``shared`` does each read-add-write under a Lock;
``shared-nolock`` does not, so two workers that flush at the same moment overwrite each
other and the oracle reports lost updates. Processes start fresh every repeat, as in
``processes``, and their start-up is part of every timed repeat.
"""

from __future__ import annotations

import time


from harness.execution.backends.base import FlushEveryOption, kill_processes
from harness.execution.backends.processes import ProcessesBackend, collect_from_queue
from harness.execution.backends.worker import (
    describe_exception, init_worker_process, load_cached, peak_rss_bytes, worker_gil_enabled,
)
from harness.results.repeats import TaskResult

__all__ = ["SharedBackend", "SharedNoLockBackend", "LIMBS", "read_accumulator", "add_into"]

LIMBS = 8
_BITS = 64 * LIMBS
_MODULUS = 1 << _BITS
_LIMB_MASK = (1 << 64) - 1


def read_accumulator(acc) -> int:
    """The signed integer stored in the limbs (least significant first)."""
    value = 0
    for i in range(LIMBS):
        value |= int(acc[i]) << (64 * i)
    return value - _MODULUS if value >= _MODULUS // 2 else value


def add_into(acc, amount: int) -> None:
    """acc += amount, limb by limb: a read-modify-write that is NOT atomic without a lock."""
    total = (read_accumulator(acc) + amount) % _MODULUS
    for i in range(LIMBS):
        acc[i] = (total >> (64 * i)) & _LIMB_MASK


def _shared_main(result_queue, acc, lock, ref, task, flush_every, parent_pid):
    init_worker_process(parent_pid)
    worker, lo, hi = task.worker, task.lo, task.hi
    try:
        fn = load_cached(ref)
        step = flush_every or max(hi - lo, 1)
        start = time.perf_counter()
        for block_lo in range(lo, hi, step):
            partial = fn(block_lo, min(block_lo + step, hi))
            if lock is not None:
                with lock:
                    add_into(acc, partial)
            else:
                add_into(acc, partial)
        end = time.perf_counter()
        # value None: the sum lives in shared memory, read once by the parent.
        outcome = ("ok", TaskResult(worker, None, start, end, time.process_time(), peak_rss_bytes(), None,
                                    worker_gil_enabled()))
    except Exception as exc:
        outcome = ("error", f"worker {worker}: {describe_exception(exc)}")
    result_queue.put(outcome)


class SharedBackend(FlushEveryOption, ProcessesBackend):
    name = "shared"
    plainness = 50
    stdlib_only = True
    in_default_sweep = True
    style = ("#9467bd", "X")
    description = ("fresh processes add their sums into a shared multiprocessing.Array under a Lock "
                   "(every --flush-every items); start-up timed")
    use_lock = True
    # A total in shared memory: one additive number, not a result per item.
    can_chunk = False
    refuses_maps = ("shared is for additive range workloads only (partial sums added into one shared total); "
                    "a map workload returns a result per item")

    def run(self, ref, tasks, deadline, fn=None):
        ctx = self.context
        acc = ctx.Array("Q", LIMBS, lock=False)
        lock = ctx.Lock() if self.use_lock else None
        result_queue = ctx.Queue()
        flush_every = self.flush_every
        procs = self._spawn(_shared_main,
                            lambda task: (result_queue, acc, lock, ref, task, flush_every, self.parent_pid), tasks)
        try:
            results = collect_from_queue(result_queue, procs, len(tasks), deadline,
                                         self.context.get_start_method())
            for proc in procs:
                proc.join(max(self.remaining(deadline), 0.1))
        finally:
            kill_processes(procs)
            result_queue.close()
            result_queue.join_thread()
            self._live = []
        total = read_accumulator(acc)
        # The runner sums task values; the whole total rides on the first task.
        results.sort(key=lambda r: r.worker)
        return [r.with_value(total if i == 0 else 0) for i, r in enumerate(results)]


class SharedNoLockBackend(SharedBackend):
    name = "shared-nolock"
    plainness = 90
    in_default_sweep = False  # a lesson in lost updates, not a contender
    style = ("#e377c2", "x")
    description = "as shared, without the Lock: concurrent read-add-writes lose updates, and the oracle says so"
    use_lock = False
    exact_by_design = False
    locked_twin = "shared"


