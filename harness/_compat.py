"""Every private attribute of CPython, multiprocessing, loky, distributed and matplotlib the
harness relies on, in one place, at the bottom of the layers so that any package may use it.

No public API gives what these read: a pool's worker processes (to notice one that died,
which multiprocessing.Pool never reports, and to kill them all), the lock a hung Pool's
terminate() waits on, an executor's threads (to record them as abandoned), the clusters
distributed has built (to end one an interrupt left half-built), whether the GIL is on, the
platform's default start method without fixing it, a figure's suptitle, and isolated
subinterpreters with their own GIL (PEP 684) before 3.14 made them public: CPython 3.12's
``_xxsubinterpreters`` and 3.13's ``_interpreters``; on 3.14+ the public
``concurrent.interpreters`` is used the same way, so one code path serves every version. Each access is
one small function here, and tests/test_compat.py holds a canary for each that fails loudly
when a release renames or drops the attribute, instead of the harness quietly losing it.

Stdlib only at import time: distributed is imported only by the function that reads it.
"""

from __future__ import annotations

import sys

__all__ = ["pool_workers", "pool_task_queue_lock", "executor_processes", "executor_threads", "gil_enabled",
           "spec_cluster_instances", "platform_default_context", "figure_suptitle", "SUBINTERPRETERS_MIN",
           "subinterpreter_module", "new_isolated_interpreter", "interpreter_exec", "destroy_interpreter",
           "interpreter_has_own_gil"]


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


# -- isolated subinterpreters (PEP 684: a GIL per interpreter) -------------------------------
# Which module, per version (measured on 3.12.1, 3.13.0, 3.13.15 and 3.13.15t; 3.14 from
# CPython's source, untested here). Each function below is one private call.
SUBINTERPRETERS_MIN = (3, 12)
_SUBINTERPRETER_MODULES = {(3, 12): "_xxsubinterpreters", (3, 13): "_interpreters"}
_PUBLIC_INTERPRETERS = "concurrent.interpreters"  # 3.14+


def subinterpreter_module():
    """The module that creates isolated interpreters here: ``_xxsubinterpreters`` (3.12),
    ``_interpreters`` (3.13) or ``concurrent.interpreters`` (3.14+). ImportError when this
    interpreter has none (older than 3.12, not CPython, or built without it)."""
    import importlib

    if sys.implementation.name != "cpython" or sys.version_info[:2] < SUBINTERPRETERS_MIN:
        raise ImportError(f"no isolated subinterpreters before CPython {'.'.join(map(str, SUBINTERPRETERS_MIN))}")
    name = _SUBINTERPRETER_MODULES.get(sys.version_info[:2], _PUBLIC_INTERPRETERS)
    return importlib.import_module(name)


def new_isolated_interpreter():
    """A new isolated interpreter (its own GIL and allocator; single-phase-init extensions refused).

    The handle is what the other functions take. On 3.12 it is an ``InterpreterID`` whose last
    reference destroys the interpreter when dropped: keep it.
    """
    module = subinterpreter_module()
    if sys.version_info[:2] == (3, 12):
        return module.create(isolated=True)  # isolated: gil=OWN, check_multi_interp_extensions
    if sys.version_info[:2] == (3, 13):
        return module.create(module.new_config("isolated"))
    return module.create()


def interpreter_exec(handle, code: str, shared: dict) -> str | None:
    """Run ``code`` in the interpreter's ``__main__`` with ``shared`` bound there first; None
    when it ran to the end, else the uncaught exception as one line ("ValueError: bad").

    Pass only int, str and bytes in ``shared``: 3.13.0 segfaults on a value that cannot be
    shared (3.13.15 raises), and 3.12 shares nothing else.
    """
    module = subinterpreter_module()
    if sys.version_info[:2] == (3, 12):
        try:
            module.run_string(handle, code, shared)
        except module.RunFailedError as exc:  # "<class 'ValueError'>: bad", no traceback
            text = str(exc)
            return text[len("<class '"):].replace("'>", "", 1) if text.startswith("<class '") else text
        return None
    if sys.version_info[:2] == (3, 13):
        excinfo = module.exec(handle, code, shared)  # None, or a namespace: .formatted "ValueError: bad"
        return None if excinfo is None else (excinfo.formatted or excinfo.type.__name__)
    try:
        if shared:
            handle.prepare_main(shared)
        handle.exec(code)
    except module.ExecutionFailed as exc:
        return exc.excinfo.formatted
    return None


def destroy_interpreter(handle) -> None:
    """Destroy an interpreter no thread is running in (RuntimeError-like errors otherwise)."""
    if sys.version_info[:2] in _SUBINTERPRETER_MODULES:
        subinterpreter_module().destroy(handle)
    else:
        handle.close()


def interpreter_has_own_gil(handle) -> bool | None:
    """Whether the interpreter runs under a GIL of its own (``get_config(id).gil == 'own'``,
    3.13); None where no API reads it back (3.12: its ``isolated=True`` sets it; 3.14+)."""
    if sys.version_info[:2] != (3, 13):
        return None
    return subinterpreter_module().get_config(handle).gil == "own"
