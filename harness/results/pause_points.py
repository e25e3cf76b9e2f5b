"""Test-only pause points: stop the harness at a named moment of a write, so a test's SIGKILL lands there.

A durability test that kills a real harness "at a random moment" only hits the moments
it means to on a machine of the speed it was tuned for. These points make it deterministic:
with ``HARNESS_PAUSE_AT=NAME:K`` and ``HARNESS_PAUSE_MARKER=FILE`` in the environment, the
K-th time this process reaches point NAME it creates FILE and sleeps until it is killed.
Without those variables a point costs one dict look-up.

Points (see storage.py): ``journal-before`` and ``journal-mid`` (half a line written),
``save-before`` and ``save-mid`` (half of the temporary file written); and in ``harness history add``
(harness/history/store.py): ``history-before`` (before the transaction), ``history-mid`` (half of
the sweep's runs inserted) and ``history-commit`` (all inserted, not yet committed).
"""

from __future__ import annotations

import os
import time

__all__ = ["POINTS", "pause_point"]

POINTS = ("journal-before", "journal-mid", "save-before", "save-mid", "history-before", "history-mid", "history-commit")

_ENV_AT, _ENV_MARKER = "HARNESS_PAUSE_AT", "HARNESS_PAUSE_MARKER"
_reached: dict[str, int] = {}


def pause_point(name: str) -> None:
    """Pause for good (until killed) when this is the requested point and occurrence."""
    wanted = os.environ.get(_ENV_AT)
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if str(_reached[name]) != (count or "1"):
        return
    marker = os.environ.get(_ENV_MARKER)
    if marker:
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write(f"{name}:{_reached[name]}\n")
    while True:  # the test kills us here
        time.sleep(3600)
