"""The concurrency models, one module each, behind the small interface in ``base``.

``registry`` maps names to classes: the built-in backends, those registered with
``harness.register_backend`` and those installed packages declare (entry-point group
``harness.backends``). The lists below are derived from what each backend says of itself
(its class attributes), never kept by hand: ``STDLIB_BACKENDS`` (``stdlib_only``: they run
inside another interpreter with nothing installed, ``--python``) and ``DEFAULT_BACKENDS``
(``in_default_sweep``). They are computed when asked for, so importing this package imports
no backend.
"""

from __future__ import annotations

from harness.execution.backends.base import Backend, BackendError, RunTimeout, WorkerFailure
from harness.execution.backends.registry import (ENTRY_POINT_GROUP, BackendRegistryError, backend_class,
                                                 backend_names, register_backend)

__all__ = [
    "Backend",
    "BackendError",
    "BackendRegistryError",
    "RunTimeout",
    "WorkerFailure",
    "ENTRY_POINT_GROUP",
    "BACKEND_NAMES",
    "STDLIB_BACKENDS",
    "DEFAULT_BACKENDS",
    "backend_class",
    "backend_names",
    "backend_trait",
    "backends_where",
    "is_baseline",
    "is_thread_based",
    "workers_used",
    "is_exact_by_design",
    "availability",
    "register_backend",
]

_UNUSABLE = (KeyError, ImportError, BackendRegistryError)


def backend_trait(name: str, trait: str, default=None):
    """What the named backend says of itself: its class attribute ``trait`` (``is_baseline``,
    ``thread_based``, ``exact_by_design``, ``kind``, ...).

    ``default`` for a name this harness does not know or cannot import (a results file
    written by another version, or a plug-in not installed here), so reading old results
    never fails on a backend's name.
    """
    try:
        return getattr(backend_class(name), trait)
    except _UNUSABLE:
        return default


def backends_where(trait: str) -> tuple[str, ...]:
    """The backends (in registry order) whose class attribute ``trait`` is true."""
    return tuple(name for name in backend_names() if backend_trait(name, trait, False))


def __getattr__(name: str):
    # The derived lists, computed when asked for: a backend registered or installed later counts.
    if name == "BACKEND_NAMES":
        return backend_names()
    if name == "STDLIB_BACKENDS":
        return backends_where("stdlib_only")
    if name == "DEFAULT_BACKENDS":
        return backends_where("in_default_sweep")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_baseline(name: str) -> bool:
    """The baseline every speedup is measured against (serial); False for an unknown name."""
    return backend_trait(name, "is_baseline", False)


def workers_used(name: str, workers: int) -> int:
    """The workers a run of this backend computes on: serial uses one, even when weak scaling
    gives it ``workers`` tasks to do one after another."""
    return 1 if is_baseline(name) else workers


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
    except (ImportError, BackendRegistryError) as exc:
        return f"cannot import: {exc}"
    return cls.availability()
