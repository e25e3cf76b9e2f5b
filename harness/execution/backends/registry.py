"""Which backends exist: the built-in ones, those registered at run time, and those installed
packages declare under the entry-point group ``harness.backends``.

A plug-in backend is a subclass of :class:`harness.execution.backends.base.Backend` (its class
attributes are the contract; see that module). It joins a sweep in one of two ways:

- at run time: ``harness.register_backend("my-model", MyBackend)``, from a script, a notebook
  or a conftest (joblib's ``register_parallel_backend`` is the model);
- installed: a package declares it in its metadata, so ``harness list`` and ``--backends``
  know it with no code run first::

      [project.entry-points."harness.backends"]
      my-model = "mypackage.backend:MyBackend"

Names map to classes lazily: listing backends imports each backend's module, which imports
nothing heavy (loky and dask load when their backend starts), and an entry point's module
only when it is first asked for.
"""

from __future__ import annotations

import importlib
import re

from harness.execution.backends.base import Backend

__all__ = ["ENTRY_POINT_GROUP", "BackendRegistryError", "backend_class", "backend_names", "register_backend"]

ENTRY_POINT_GROUP = "harness.backends"

_BUILTIN = {
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
    "asyncio-inline": "harness.execution.backends.asyncio_offload:AsyncioInlineBackend",
    "asyncio-thread": "harness.execution.backends.asyncio_offload:AsyncioThreadBackend",
    "asyncio-process": "harness.execution.backends.asyncio_offload:AsyncioProcessBackend",
    "asyncio-interpreter": "harness.execution.backends.asyncio_offload:AsyncioInterpreterBackend",
}
# A name --backends can take in a comma list: lower case, digits, '-' and '_'; not "all".
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

_registered: dict[str, type[Backend]] = {}
_entry_points: dict | None = None  # name -> importlib.metadata.EntryPoint, read once


class BackendRegistryError(ValueError):
    """A backend that cannot be registered or loaded; the message is one line naming it."""


def _installed() -> dict:
    """The entry points of ``harness.backends`` in installed packages (read once per process)."""
    global _entry_points
    if _entry_points is None:
        from importlib.metadata import entry_points

        found = {}
        for point in entry_points(group=ENTRY_POINT_GROUP):
            found.setdefault(point.name, point)  # the first on sys.path wins, as for imports
        _entry_points = found
    return _entry_points


def _check_class(name: str, cls) -> type[Backend]:
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise BackendRegistryError(f"backend {name!r}: {cls!r} is not a subclass of "
                                   "harness.execution.backends.base.Backend")
    if cls.is_baseline:
        raise BackendRegistryError(f"backend {name!r}: is_baseline belongs to serial alone")
    if cls.name and cls.name != name:
        raise BackendRegistryError(f"backend {name!r}: its class names itself {cls.name!r}")
    if not cls.name:
        cls.name = name
    return cls


def register_backend(name: str, cls: type[Backend]) -> None:
    """Make ``cls`` the backend ``--backends``/``backends=`` call ``name``, in this process.

    BackendRegistryError (a ValueError) for a name that is not a valid backend name or is a
    built-in one, a name registered to another class, or a class that is no Backend subclass.
    Registering the same class under the same name again does nothing.
    """
    if not isinstance(name, str) or not _NAME.match(name) or name == "all":
        raise BackendRegistryError(f"backend name {name!r}: accepted: lower-case letters, digits, '-' and '_', "
                                   "not 'all'")
    if name in _BUILTIN:
        raise BackendRegistryError(f"backend name {name!r} is a built-in backend's; choose another")
    if _registered.get(name, cls) is not cls:
        raise BackendRegistryError(f"backend name {name!r} is already registered to {_registered[name].__name__}")
    _registered[name] = _check_class(name, cls)


def backend_names() -> tuple[str, ...]:
    """Every backend name known here: the built-in ones, then registered, then installed ones."""
    extra = [n for n in _registered if n not in _BUILTIN]
    extra += [n for n in _installed() if n not in _BUILTIN and n not in _registered]
    return tuple(_BUILTIN) + tuple(extra)


def backend_class(name: str) -> type[Backend]:
    """The class for a backend name. KeyError for an unknown name; ImportError when its module
    cannot be imported (or an installed entry point names no Backend: BackendRegistryError)."""
    if name in _BUILTIN:
        module_name, _, class_name = _BUILTIN[name].partition(":")
        return getattr(importlib.import_module(module_name), class_name)
    if name in _registered:
        return _registered[name]
    point = _installed().get(name)
    if point is None:
        raise KeyError(name)
    try:
        loaded = _check_class(name, point.load())
    except ImportError:
        raise
    except Exception as exc:  # a plug-in that fails to load is unavailable, and says why
        raise ImportError(f"{point.value}: {type(exc).__name__}: {exc}") from None
    _registered[name] = loaded
    return loaded
