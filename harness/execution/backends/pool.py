"""pool and pool-async: a multiprocessing.Pool started once per configuration.

``pool`` maps the tasks with Pool.map_async; ``pool-async`` submits one apply_async per task
and collects each with ``.get()``, the two styles of the tutorial's pool section.

multiprocessing.Pool never notices that one of its workers died: it starts a replacement
and the lost task's result never arrives, so ``.get()`` would wait forever (CPython
gh-96062). Here the parent waits in short slices and, between them, checks that every
worker the pool started with is still alive.
"""

from __future__ import annotations

import functools
import multiprocessing.pool
import threading

from harness._compat import pool_task_queue_lock, pool_workers
from harness.execution.backends.base import (FORKSERVER_LOST, Backend, RunTimeout, WorkerFailure, describe_exitcode,
                                              kill_processes)
from harness.execution.backends.worker import TaskFailure, init_worker_process, run_task
from harness.execution.signals import interrupts_deferred

__all__ = ["PoolBackend", "PoolAsyncBackend"]

_POLL_S = 0.02
# A healthy terminate() takes milliseconds; past this, something holds a lock it needs.
_TERMINATE_GRACE_S = 0.5


def _pool_task(ref, task):
    # sys.exit() ends the pool worker with its code, which _check_workers names.
    return run_task(ref, task, in_process=False, exit_ends_process=True)


def _terminate(pool, processes) -> None:
    """Pool.terminate(), bounded in time, and nothing left alive.

    The order matters. An idle pool worker holds the task queue's read lock while it waits
    for work; SIGKILL it first and that lock is never released, so terminate() blocks
    forever in _help_stuff_finish. So terminate() goes first: it stops the worker handler
    (no replacement is forked behind our back), lets idle workers take their exit sentinel,
    then SIGTERMs the busy ones.

    A worker can still die holding that lock, or waiting for it: a replacement the pool
    forked from its worker-handler thread carries PR_SET_PDEATHSIG for that *thread*, so
    the kernel SIGKILLs it when terminate() stops the thread; or something outside killed
    an idle worker. Hence terminate() runs in a daemon thread; past a short grace every
    worker is SIGKILLed and, once none is left to hold it, the lock is posted so
    terminate() can finish. At worst its thread is abandoned (daemon), never the harness.
    """
    closer = threading.Thread(target=pool.terminate, name="harness-pool-terminate", daemon=True)
    closer.start()
    closer.join(_TERMINATE_GRACE_S)
    kill_processes(list(processes) + pool_workers(pool))
    if closer.is_alive():
        # Every worker is dead now, so nobody can rightly hold the lock. Either a dead worker
        # holds it, or it is free but its wake-up went to a waiter killed before it took the
        # token (a lost wake-up: sem_post wakes one waiter). Take it if free, then post once.
        lock = pool_task_queue_lock(pool)
        try:
            lock.acquire(False)
            lock.release()
        except (AttributeError, ValueError, OSError):
            pass
        closer.join(_TERMINATE_GRACE_S)


class PoolBackend(Backend):
    name = "pool"
    plainness = 20
    stdlib_only = True
    in_default_sweep = True
    style = ("#2ca02c", "D")
    description = "multiprocessing.Pool.map over the chunks; pool started once, start-up recorded apart"
    kind = "process"
    has_startup = True
    uses_start_method = True

    def __init__(self, workers, start_method=None):
        super().__init__(workers, start_method)
        self._pool = None
        self._processes: list = []

    def start(self):
        # Pool() cut short by an interrupt leaves its workers and threads running with no
        # one to end them (interrupts_deferred says how that hung an exit); built whole and
        # held first, the interrupt then kills it like any other.
        with interrupts_deferred():
            self._pool = self.context.Pool(self.workers, initializer=init_worker_process, initargs=(self.parent_pid,))
            # Pool starts its workers lazily in some versions; make sure they exist now so
            # their start-up is counted here, not in the first repeat.
            self._processes = pool_workers(self._pool)

    def _check_workers(self):
        ended = [(proc, code) for proc in self._processes if (code := proc.exitcode) is not None]
        if ended:
            # Prefer a status that is not forkserver's "255: lost it" (describe_exitcode).
            proc, code = min(ended, key=lambda pair: pair[1] == FORKSERVER_LOST)
            how = describe_exitcode(code, self.context.get_start_method())
            raise WorkerFailure(f"pool worker pid {proc.pid} {how}")

    def _wait(self, async_results, deadline):
        pending = list(async_results)
        values = []
        try:
            while pending:
                remaining = self.remaining(deadline)
                if remaining <= 0:
                    raise RunTimeout("timed out; pool workers killed")
                head = pending[0]
                head.wait(min(_POLL_S, remaining))
                if head.ready():
                    value = head.get()
                    values.extend(value if isinstance(value, list) else [value])
                    pending.pop(0)
                else:
                    self._check_workers()
        except TaskFailure as exc:
            raise WorkerFailure(str(exc)) from None
        except multiprocessing.pool.MaybeEncodingError as exc:  # its message repeats the whole result
            raise WorkerFailure(f"a worker's results cannot be pickled to send back: {exc.exc}") from None
        except (RunTimeout, WorkerFailure):
            self.close(kill=True)
            raise
        return values

    def _submit(self, ref, tasks):
        return [self._pool.map_async(functools.partial(_pool_task, ref), tasks, chunksize=1)]

    def run(self, ref, tasks, deadline, fn=None):
        if self._pool is None:
            raise WorkerFailure("the pool is not running (closed after an earlier failure)")
        return self._wait(self._submit(ref, tasks), deadline)

    def close(self, kill=False):
        pool = self._pool
        if pool is None:
            return
        if kill:
            self._pool = None
            try:
                _terminate(pool, self._processes)
            finally:  # a second Ctrl-C while waiting must not leave workers running
                kill_processes(list(self._processes) + pool_workers(pool))
        else:
            pool.close()
            pool.join()  # held until joined: an interrupt here leaves close(kill=True) the pool to kill
            self._pool = None
        self._processes = []


class PoolAsyncBackend(PoolBackend):
    name = "pool-async"
    plainness = 30
    style = ("#bcbd22", "d")
    description = "multiprocessing.Pool.apply_async per chunk, results via .get(); pool reused"

    def _submit(self, ref, tasks):
        return [self._pool.apply_async(_pool_task, (ref, task)) for task in tasks]
