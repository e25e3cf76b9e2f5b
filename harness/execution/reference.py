"""The reference loop of ``harness run --reference``: the machine's speed, timed beside each repeat.

A shared or virtual machine changes speed on its own (another guest on the host, a busy
hyperthread sibling, frequency limits), for seconds at a time, invisibly to the guest's
CPU-time counters. Timing a fixed loop just before and just after every repeat, on the same
backend, workers and cores, measures that speed at that moment, and ``harness compare``
divides it out.

Two choices keep the yardstick from moving with the code under test:

* The loop is its own frozen function here, not the ``poly`` workload: a change to a
  workload (this project's own gate benchmarks ``poly``) must not change its yardstick.
  Never edit :func:`reference_loop`; references of different loops cannot be compared.
* Its time is the workers' compute span (the longest task, each task timed by its own
  worker), not the wall time of the call: starting processes, dispatch and pickling stay
  out of it, so a regression in a backend's overhead shows in the repeats undivided.

Stdlib only: other interpreters (``--python``) run it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.execution.backends.base import BackendError, RunTimeout
from harness.execution.partition import make_tasks
from harness.workloads import poly_oracle

__all__ = ["REFERENCE_REF", "ReferenceLoop", "reference_loop"]

REFERENCE_REF = "harness.execution.reference:reference_loop"


def reference_loop(lo: int, hi: int) -> int:
    """Sum of i + i**2 + i**3 over [lo, hi): the tutorial's loop, frozen. Do not edit."""
    res = 0
    for i in range(lo, hi):
        res += i + i**2 + i**3
    return res


@dataclass(frozen=True, slots=True)
class ReferenceLoop:
    """Every worker runs :func:`reference_loop` over [0, n) through a started backend."""

    n: int
    tasks: tuple
    in_process: bool
    expected: int | None  # None: not checked (shared-nolock and threads-nolock lose updates by design)

    @classmethod
    def for_configuration(cls, n: int, backend: str, workers: int, in_process: bool) -> "ReferenceLoop":
        from harness.execution.backends import backend_class

        expected = workers * poly_oracle(n) if backend_class(backend).exact_by_design else None
        return cls(n, tuple(make_tasks(n, workers, "weak")), in_process, expected)

    def time(self, backend, deadline: float) -> float:
        """The longest worker's compute time, in seconds; BackendError when the loop fails."""
        try:
            results = backend.run(REFERENCE_REF, list(self.tasks), deadline,
                                  reference_loop if self.in_process else None)
        except RunTimeout as exc:
            raise RunTimeout(f"the reference loop (--reference {self.n}) ran past its deadline: {exc}") from None
        except BackendError as exc:
            raise type(exc)(f"the reference loop (--reference {self.n}) failed: {exc}") from None
        total = sum(r.value for r in results)
        if self.expected is not None and total != self.expected:
            raise BackendError(f"the reference loop (--reference {self.n}) gave {total}, expected {self.expected}")
        # Each task's own start and end: one clock per worker, so this holds across the hosts
        # of a dask cluster too.
        return max(r.end - r.start for r in results)
