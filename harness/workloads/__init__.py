"""Workloads: what a sweep times.

- ``builtin``: the range workloads ``fn(lo, hi) -> int`` with exact oracles (poly, poly-numpy,
  hash, sleep) and the Workload type;
- ``maps``: the built-in map workloads ``fn(item)`` over items (imbalanced, payload, poly-items);
- ``loader``: a user's ``MODULE:FUNCTION`` (and ``--items MODULE:PROVIDER``), and items checked.

Stdlib only: worker processes of every start method and other interpreters import it.
A workload's ``ref`` (``harness.workloads:poly``) names a function here.
"""

from harness.workloads.builtin import *  # noqa: F401,F403
from harness.workloads.builtin import __all__ as _builtin_all
from harness.workloads.loader import load_function, make_items, resolve_workload, sweep_items, workload_names
from harness.workloads.maps import MAP_WORKLOADS

__all__ = [*_builtin_all, "MAP_WORKLOADS", "load_function", "make_items", "resolve_workload", "sweep_items", "workload_names"]
