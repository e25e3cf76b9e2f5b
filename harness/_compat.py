"""Every private attribute of CPython, multiprocessing, loky, distributed and matplotlib the
harness relies on, in one place, at the bottom of the layers so that any package may use it.

No public API gives what these read: a pool's worker processes (to notice one that died,
which multiprocessing.Pool never reports, and to kill them all), the lock a hung Pool's
terminate() waits on, an executor's threads (to record them as abandoned), the clusters
distributed has built (to end one an interrupt left half-built), whether the GIL is on, the
platform's default start method without fixing it, and a figure's suptitle. Each access is
one small function here, and tests/test_compat.py holds a canary for each that fails loudly
when a release renames or drops the attribute, instead of the harness quietly losing it.

Stdlib only at import time: distributed is imported only by the function that reads it.
"""

from __future__ import annotations

import sys

__all__ = ["pool_workers", "pool_task_queue_lock", "executor_processes", "executor_threads", "gil_enabled",
           "spec_cluster_instances", "platform_default_context", "figure_suptitle"]


def pool_workers(pool) -> list:
    """A multiprocessing.Pool's current worker processes (``Pool._pool``)."""
    return list(getattr(pool, "_pool", None) or ())


def pool_task_queue_lock(pool):
    """The read lock of a Pool's task queue (``Pool._inqueue._rlock``); None if not found.

    An idle worker holds it while it waits for work; one that dies holding it blocks
    ``Pool.terminate()`` forever (see backends.pool._terminate).
    """
    return getattr(getattr(pool, "_inqueue", None), "_rlock", None)


def executor_processes(executor) -> list:
    """The worker processes of a concurrent.futures or loky ProcessPoolExecutor (``_processes``)."""
    return list((getattr(executor, "_processes", None) or {}).values())


def executor_threads(executor) -> list:
    """The worker threads of a ThreadPoolExecutor or InterpreterPoolExecutor (``_threads``)."""
    return list(getattr(executor, "_threads", None) or ())


def gil_enabled() -> bool | None:
    """``sys._is_gil_enabled()``: whether this interpreter runs with the GIL; None before 3.13."""
    probe = getattr(sys, "_is_gil_enabled", None)
    return bool(probe()) if probe is not None else None


def spec_cluster_instances() -> set:
    """Every distributed cluster (SpecCluster, LocalCluster included) alive in this process
    (``SpecCluster._instances``, a WeakSet distributed keeps to close them at exit)."""
    from distributed.deploy.spec import SpecCluster

    return set(SpecCluster._instances)


def platform_default_context():
    """The platform's default multiprocessing context, read without making it the default
    (``multiprocessing.context._default_context._default_context``); None if not found.

    Both ``get_start_method()`` and (before 3.12) ``get_context()`` *fix* the default as a
    side effect, after which the caller's own ``set_start_method()`` raises.
    """
    import multiprocessing.context

    return getattr(getattr(multiprocessing.context, "_default_context", None), "_default_context", None)


def figure_suptitle(figure):
    """A matplotlib figure's suptitle Text, or None (``Figure._suptitle``: ``get_suptitle()``
    returns only the string, and only from matplotlib 3.8)."""
    return getattr(figure, "_suptitle", None)
