"""An event loop's heartbeat: how long any coroutine would have waited while work ran.

A service that offloads CPU work from its event loop wants two things: the work done fast,
and the loop free to answer everything else meanwhile. The heartbeat measures the second: a
coroutine asks to wake every ``interval_s`` and records, at each wake, how much later than
asked it woke. Under a free loop that is a fraction of a millisecond; when something
computes in the loop's thread, or holds the GIL the loop's thread needs, it is as long as
that lasted.

A loop blocked from start to end ticks once, late by the whole computation; ``stop`` counts
that tick even when the work ends before the loop has run it.
"""

from __future__ import annotations

import asyncio

from harness.results.model import LoopLag

__all__ = ["DEFAULT_INTERVAL_S", "Heartbeat"]

# "Every few milliseconds": often enough to see a 5 ms GIL switch interval, rarely enough
# that the ticks themselves cost next to nothing (about 200 a second).
DEFAULT_INTERVAL_S = 0.005


class Heartbeat:
    """Start it in a running loop, stop it when the work is done: the ticks' delays as a LoopLag."""

    def __init__(self, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s!r}")
        self.interval_s = interval_s
        self.delays: list[float] = []
        self._due: float | None = None
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _beat(self) -> None:
        loop = self._loop
        while True:
            self._due = loop.time() + self.interval_s
            await asyncio.sleep(self.interval_s)
            self.delays.append(max(loop.time() - self._due, 0.0))

    def start(self) -> None:
        """Begin ticking (from a coroutine of the running loop)."""
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._beat())

    def stop(self) -> LoopLag | None:
        """Stop ticking; the lag of every tick so far, the one overdue now included."""
        if self._task is None:
            return None
        now = self._loop.time()
        if self._due is not None and now > self._due:
            # Due but not yet run: the loop was busy until now, so this tick is that late already.
            self.delays.append(now - self._due)
        self._task.cancel()
        self._task = None
        return LoopLag.of_delays(self.delays)
