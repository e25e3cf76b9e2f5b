"""Workloads: the functions a sweep times, and how each run's answer is checked.

Two kinds:
- **range**: a function ``(lo, hi) -> int`` over the half-open range [lo, hi) whose results
  add up across chunks, plus an oracle ``(n) -> int`` giving the exact total for [0, n).
- **map**: a function ``(item) -> result`` (any picklable value) over the items an items
  provider ``(n) -> sequence of n items`` makes. Every run's results, in item order, are
  checked against serial's, by equality or by the module's ``CHECK(expected, got) -> bool``.

Every run is checked, so a backend that loses, duplicates or reorders work is caught, not timed.

This module is stdlib-only on purpose: ``--python PATH`` runs the stdlib backends inside
another interpreter with nothing installed there (numpy is imported lazily, inside the
``poly-numpy`` workload only).
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

__all__ = [
    "Workload",
    "WorkloadError",
    "poly",
    "poly_oracle",
    "poly_numpy",
    "hash_bytes",
    "hash_oracle",
    "sleep_items",
    "BUILTIN_WORKLOADS",
    "RANGE",
    "MAP",
]

RANGE = "range"
MAP = "map"


class WorkloadError(ValueError):
    """A workload name or MODULE:FUNCTION reference that cannot be used."""


@dataclass(frozen=True, slots=True)
class Workload:
    """A named workload: ``function(lo, hi) -> int`` and an optional exact ``oracle(n) -> int``.

    ``ref`` is what a worker process needs to find the function again (``module:qualname``),
    so workloads travel to workers by name rather than by pickled code, which keeps the
    spawn and forkserver start methods and other interpreters working.
    """

    name: str
    ref: str | bytes
    function: Callable
    oracle: Callable[[int], int] | None
    releases_gil: bool = False
    description: str = ""
    # Totals are compared modulo this (e.g. 2**64 for numpy's wrapping uint64), or exactly.
    modulus: int | None = None
    # "range": function(lo, hi) -> int; "map": function(item) -> result over items(n).
    kind: str = RANGE
    items: Callable[[int], Sequence] | None = None
    # Map workloads: CHECK(expected, got) -> bool for one item's result (None: equality).
    check: Callable[[Any, Any], bool] | None = None
    # The --n a sweep of this workload runs when none is given (None: the CLI's default).
    default_n: int | None = None
    # Modules it imports that the harness does not need (harness list says when one is missing).
    requires: tuple[str, ...] = ()

    def unavailable(self) -> str | None:
        """None when every module it requires is installed, else which is not."""
        import importlib.util

        missing = [name for name in self.requires if importlib.util.find_spec(name) is None]
        return f"{', '.join(missing)} is not installed" if missing else None

    @property
    def is_map(self) -> bool:
        return self.kind == MAP

    def expected(self, n: int, copies: int = 1) -> int | None:
        """The exact total for ``copies`` passes over [0, n), or None without an oracle."""
        if self.oracle is None:
            return None
        return self.reduce(copies * self.oracle(n))

    def reduce(self, total: int) -> int:
        """A total as the oracle states it: reduced by ``modulus`` when there is one."""
        return total % self.modulus if self.modulus else total


def poly(lo: int, hi: int) -> int:
    """The tutorial's loop: sum of i + i**2 + i**3 over [lo, hi)."""
    res = 0
    for i in range(lo, hi):
        res += i + i**2 + i**3
    return res


def poly_oracle(n: int) -> int:
    """Closed form of ``poly(0, n)``: sums of i, i^2 and i^3 over [0, n)."""
    if n <= 0:
        return 0
    return n * (n - 1) // 2 + (n - 1) * n * (2 * n - 1) // 6 + (n * (n - 1) // 2) ** 2


_MASK64 = (1 << 64) - 1
# Bounded blocks keep memory flat at any n (n = 10^9 would need 8 GB as one array).
_NUMPY_BLOCK = 1 << 16


def poly_numpy(lo: int, hi: int) -> int:
    """``poly`` vectorised with numpy in bounded blocks, exact modulo 2**64.

    numpy's uint64 arithmetic wraps, so the result is the true sum mod 2**64; the oracle
    reduces the same way (see ``Workload.modulus``). numpy releases the GIL inside its
    kernels, so threads scale. The block buffers are allocated once per call and reused:
    allocating fresh arrays per block made the main thread (whose malloc arena trims and
    re-faults its memory) several times slower than worker threads, a bias against serial.
    """
    import numpy as np

    if hi <= lo:
        return 0
    size = min(_NUMPY_BLOCK, hi - lo)
    offsets = np.arange(size, dtype=np.uint64)
    i = np.empty(size, dtype=np.uint64)
    i2 = np.empty(size, dtype=np.uint64)
    acc = np.empty(size, dtype=np.uint64)
    total = 0
    for start in range(lo, hi, size):
        count = min(size, hi - start)
        iv, i2v, accv = i[:count], i2[:count], acc[:count]
        np.add(offsets[:count], np.uint64(start), out=iv)
        np.multiply(iv, iv, out=i2v)
        np.multiply(i2v, iv, out=accv)  # i**3
        accv += i2v
        accv += iv
        total = (total + int(accv.sum(dtype=np.uint64))) & _MASK64
    return total


def poly_numpy_oracle(n: int) -> int:
    return poly_oracle(n) & _MASK64


# 4 KiB blocks: hashlib releases the GIL only for buffers over 2 KiB, and a block per item
# keeps the total independent of how the range is split across workers.
HASH_BLOCK_BYTES = 4096
_HASH_PATTERN = bytes(range(256)) * (HASH_BLOCK_BYTES // 256)


def hash_bytes(lo: int, hi: int) -> int:
    """sha256 of 4 KiB blocks [lo, hi) (n counts blocks), summing each digest's first 8 bytes.

    hashlib releases the GIL while it hashes a large buffer, so threads scale.
    """
    total = 0
    sha256 = hashlib.sha256
    for i in range(lo, hi):
        digest = sha256(_HASH_PATTERN)
        digest.update(i.to_bytes(8, "little"))  # makes each block distinct
        total += int.from_bytes(digest.digest()[:8], "little")
    return total


@functools.lru_cache(maxsize=32)
def hash_oracle(n: int) -> int:
    """The exact total for [0, n), computed once serially (sha256 has no closed form)."""
    return hash_bytes(0, n)


def sleep_items(lo: int, hi: int) -> int:
    """Sleep 1 ms per item: the I/O-bound case, where threads win even with a GIL."""
    for _ in range(lo, hi):
        time.sleep(0.001)
    return hi - lo


def sleep_oracle(n: int) -> int:
    return max(n, 0)


BUILTIN_WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("poly", "harness.workloads:poly", poly, poly_oracle, False,
                 "the tutorial's loop: sum of i + i**2 + i**3 (pure Python, holds the GIL)"),
        Workload("poly-numpy", "harness.workloads:poly_numpy", poly_numpy, poly_numpy_oracle, True,
                 "the same sum vectorised with numpy, exact mod 2**64 (releases the GIL)", modulus=1 << 64,
                 requires=("numpy",)),
        Workload("hash", "harness.workloads:hash_bytes", hash_bytes, hash_oracle, True,
                 "sha256 over n blocks of 4 KiB (hashlib releases the GIL)"),
        Workload("sleep", "harness.workloads:sleep_items", sleep_items, sleep_oracle, True,
                 "1 ms sleep per item: I/O-bound, threads win even with the GIL"),
    )
}
