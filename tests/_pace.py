"""Time bounds that scale with the machine: a test measures how fast this machine runs now.

A bound that holds on an idle machine fails on one pinned to a core or shared with a
build. Each timed assertion multiplies its generous base bound by ``slowdown()``, measured
in the same test just before: the ratio of a fixed interpreter start-up and a fixed loop to
what they took on an idle 2-core VM (never below 1, so a fast machine keeps the base bound).
"""

from __future__ import annotations

import subprocess
import sys
import time

__all__ = ["scaled", "slowdown"]

# On the idle 2-vCPU VM this project is built on: `python -c pass` ~25 ms, the loop ~40 ms.
_NOMINAL_STARTUP_S = 0.025
_NOMINAL_LOOP_S = 0.040
_LOOP_ITEMS = 100_000


def _loop() -> float:
    t0 = time.perf_counter()
    res = 0
    for i in range(_LOOP_ITEMS):
        res += i + i**2 + i**3
    return time.perf_counter() - t0


def slowdown() -> float:
    """How many times slower than nominal this machine runs right now (>= 1)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-S", "-c", "pass"], check=True)
    startup = time.perf_counter() - t0
    return max(1.0, startup / _NOMINAL_STARTUP_S, _loop() / _NOMINAL_LOOP_S)


def scaled(base_s: float) -> float:
    """``base_s`` stretched by the slowdown measured now."""
    return base_s * slowdown()
