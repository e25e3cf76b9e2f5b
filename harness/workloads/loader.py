"""Finding a workload: a built-in by name, or a user's ``MODULE:FUNCTION`` (with ``--items
MODULE:PROVIDER`` for a map workload), and making and checking a map workload's items.

Every error is a WorkloadError with one line naming the problem and what is accepted.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Callable

from harness.workloads.builtin import BUILTIN_WORKLOADS, MAP, Workload, WorkloadError
from harness.workloads.maps import MAP_WORKLOADS, map_workload

__all__ = ["load_function", "resolve_workload", "make_items", "sweep_items", "workload_names"]


def workload_names() -> list[str]:
    return [*BUILTIN_WORKLOADS, *MAP_WORKLOADS]


def load_function(ref: str) -> Callable:
    """Import ``module:qualname`` and return the attribute; raises WorkloadError."""
    module_name, sep, qualname = ref.partition(":")
    if not sep or not module_name or not qualname:
        raise WorkloadError(f"workload reference {ref!r} is not MODULE:FUNCTION")
    try:
        obj = importlib.import_module(module_name)
    except Exception as exc:  # an import error in user code is bad input, not a crash
        raise WorkloadError(f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}") from None
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise WorkloadError(f"module {module_name!r} has no attribute {qualname!r}") from None
    if not callable(obj):
        raise WorkloadError(f"{ref!r} is not callable")
    return obj


def resolve_workload(name: str, items: str | None = None, payload_bytes: int | None = None) -> Workload:
    """A built-in workload by name, or a user's ``MODULE:FUNCTION``.

    With ``items`` (``MODULE:PROVIDER``) a user's function is a map workload:
    ``fn(item)`` over ``PROVIDER(n)``; its module may define ``CHECK(expected, got) -> bool``
    (or name one) to compare one item's result with serial's, for a float tolerance say.
    Without it, a user's function is a range workload ``fn(lo, hi) -> int``, and its module
    may name an exact oracle with ``ORACLE`` (a callable ``(n) -> int``, or the name of one);
    without an oracle, runs record ``result_ok`` as the agreement between backends.
    """
    if name in BUILTIN_WORKLOADS or name in MAP_WORKLOADS:
        if items is not None:
            kind = "a range workload (fn(lo, hi) over [0, n))" if name in BUILTIN_WORKLOADS else \
                "a built-in map workload with its own items"
            raise WorkloadError(f"--items: {name} is {kind}; --items goes with a MODULE:FUNCTION map workload")
        if payload_bytes is not None and name != "payload":
            raise WorkloadError(f"--payload-bytes: only the payload workload carries a payload, not {name}")
        return map_workload(name, payload_bytes) if name in MAP_WORKLOADS else BUILTIN_WORKLOADS[name]
    if ":" not in name:
        raise WorkloadError(f"unknown workload {name!r}; accepted: {', '.join(workload_names())} or MODULE:FUNCTION")
    if payload_bytes is not None:
        raise WorkloadError("--payload-bytes: only the payload workload carries a payload")
    function = load_function(name)
    module = importlib.import_module(name.partition(":")[0])
    description = (function.__doc__ or "").strip().split("\n")[0]
    releases_gil = bool(getattr(module, "RELEASES_GIL", False))
    if items is not None:
        provider = load_function(items) if ":" in items else None
        if provider is None:
            raise WorkloadError(f"--items: {items!r} is not MODULE:PROVIDER (a function (n) -> sequence of n items)")
        check = _module_callable(module, "CHECK")
        return Workload(name, name, function, None, releases_gil, description, kind=MAP, items=provider, check=check)
    oracle = _module_callable(module, "ORACLE")
    return Workload(name, name, function, oracle, releases_gil, description)


def _module_callable(module, attribute: str):
    value = getattr(module, attribute, None)
    if isinstance(value, str):
        value = load_function(f"{module.__name__}:{value}")
    if value is not None and not callable(value):
        raise WorkloadError(f"{attribute} in {module.__name__!r} is not callable")
    return value


def make_items(workload: Workload, n: int) -> Sequence:
    """The items of a map workload for size n, checked: a sequence of exactly n items."""
    try:
        items = workload.items(n)
    except Exception as exc:
        raise WorkloadError(f"--items: the items provider of {workload.name} raised for n={n}: "
                            f"{type(exc).__name__}: {' '.join(str(exc).split())}") from None
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise WorkloadError(f"--items: the items provider of {workload.name} returned {type(items).__name__} for "
                            f"n={n} (accepted: a sequence, such as a list or tuple, of n items)")
    if len(items) != n:
        raise WorkloadError(f"--items: the items provider of {workload.name} returned {len(items)} items for n={n} "
                            "(accepted: exactly n)")
    return items


def sweep_items(workload: Workload, config) -> dict[int, Sequence] | None:
    """A map workload's items for every size of the sweep (None for a range workload), made and
    checked before anything runs; WorkloadError for a map workload at weak scaling."""
    if not workload.is_map:
        return None
    if config.scaling != "strong":
        raise WorkloadError(f"--scaling: {workload.name} is a map workload, which runs at strong scaling only "
                            "(its n items split across the workers)")
    if 0 in config.n:
        raise WorkloadError(f"--n: {workload.name} is a map workload, which needs at least one item (accepted: n >= 1)")
    return {n: make_items(workload, n) for n in config.n}
