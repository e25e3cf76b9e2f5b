"""The concurrency models, one module each, behind the small interface in ``base``.

The registry maps names to ``module:Class`` strings so that listing backends imports
nothing heavy: loky and dask are imported only when their backend is used.
"""

from __future__ import annotations

import importlib

from harness.execution.backends.base import Backend, BackendError, RunTimeout, WorkerFailure

__all__ = [
    "Backend",
    "BackendError",
    "RunTimeout",
    "WorkerFailure",
    "BACKEND_NAMES",
    "STDLIB_BACKENDS",
    "DEFAULT_BACKENDS",
    "backend_class",
    "backend_trait",
    "is_baseline",
    "is_thread_based",
    "is_exact_by_design",
    "availability",
]

_REGISTRY = {
    "serial": "harness.execution.backends.serial:SerialBackend",
    "threads": "harness.execution.backends.threads:ThreadsBackend",
    "processes": "harness.execution.backends.processes:ProcessesBackend",
    "pool": "harness.execution.backends.pool:PoolBackend",
    "pool-async": "harness.execution.backends.pool:PoolAsyncBackend",
    "thread-executor": "harness.execution.backends.executors:ThreadExecutorBackend",
    "process-executor": "harness.execution.backends.executors:ProcessExecutorBackend",
    "shared": "harness.execution.backends.shared:SharedBackend",
    "shared-nolock": "harness.execution.backends.shared:SharedNoLockBackend",
    "threads-shared": "harness.execution.backends.threads_shared:ThreadsSharedBackend",
    "threads-nolock": "harness.execution.backends.threads_shared:ThreadsNoLockBackend",
    "loky": "harness.execution.backends.loky_backend:LokyBackend",
    "dask": "harness.execution.backends.dask_backend:DaskBackend",
    "interpreters": "harness.execution.backends.interpreters:InterpretersBackend",
}

BACKEND_NAMES: tuple[str, ...] = tuple(_REGISTRY)
# Free of third-party imports: these run inside another interpreter with nothing installed.
STDLIB_BACKENDS: tuple[str, ...] = (
    "serial", "threads", "processes", "pool", "pool-async", "thread-executor", "process-executor",
    "shared", "shared-nolock", "threads-shared", "threads-nolock",
)
# The default sweep: every model of the tutorial plus the executors. shared-nolock and the
# threads-shared pair are lessons in the Lock and lost updates, not contenders, so they run
# only when asked for.
DEFAULT_BACKENDS: tuple[str, ...] = (
    "serial", "threads", "processes", "pool", "pool-async", "thread-executor", "process-executor", "shared",
)


def backend_class(name: str) -> type[Backend]:
    """The class for a backend name; KeyError for an unknown name."""
    module_name, _, class_name = _REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def backend_trait(name: str, trait: str, default=None):
    """What the named backend says of itself: its class attribute ``trait`` (``is_baseline``,
    ``thread_based``, ``exact_by_design``, ``kind``, ...).

    ``default`` for a name this harness does not know or cannot import (a results file
    written by another version), so reading old results never fails on a backend's name.
    """
    try:
        return getattr(backend_class(name), trait)
    except (KeyError, ImportError):
        return default


def is_baseline(name: str) -> bool:
    """The baseline every speedup is measured against (serial); False for an unknown name."""
    return backend_trait(name, "is_baseline", False)


def is_thread_based(name: str) -> bool:
    """Workers are threads sharing this interpreter's GIL; False for an unknown name."""
    return backend_trait(name, "thread_based", False)


def is_exact_by_design(name: str) -> bool:
    """False for a lesson in lost updates (the *-nolock backends); True for an unknown name."""
    return backend_trait(name, "exact_by_design", True)


def availability(name: str) -> str | None:
    """None when the backend can run here, else the reason it cannot."""
    try:
        cls = backend_class(name)
    except ImportError as exc:
        return f"cannot import: {exc}"
    return cls.availability()
