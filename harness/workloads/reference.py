"""The reference loop of ``harness run --reference``: a frozen yardstick of the machine's speed.

Its own function, not the ``poly`` workload: a change to a workload (this project's own gate
benchmarks ``poly``) must not change its yardstick. Never edit :func:`reference_loop`;
references of different loops cannot be compared. ``harness.execution.measure`` times it
beside every repeat.

Stdlib only: worker processes and other interpreters (``--python``) run it by name.
"""

from __future__ import annotations

__all__ = ["REFERENCE_REF", "reference_loop"]

REFERENCE_REF = "harness.workloads.reference:reference_loop"


def reference_loop(lo: int, hi: int) -> int:
    """Sum of i + i**2 + i**3 over [lo, hi): the tutorial's loop, frozen. Do not edit."""
    res = 0
    for i in range(lo, hi):
        res += i + i**2 + i**3
    return res
