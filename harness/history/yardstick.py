"""The reference time a run's own time is divided by: the yardstick matched to how it used its cores.

``harness run --reference`` times a frozen loop on every worker beside each repeat. Which
figure of that loop a run's time follows depends on the run:

* workers that compute at once (a pool of 2 on 2 cores) finish when the slowest core does, so
  the loop's *slowest* worker is the yardstick (``reference_times_s``);
* workers that take turns (a lock held over each chunk) last the sum of their turns, each on
  its own core, so the *mean* worker is (``reference_mean_times_s``).

On a shared VM the cores' speeds wander apart for seconds at a time (one core 0.73x to 1.47x
the other, in spells), and dividing a run that takes turns by the slowest core over-corrects
whenever they do: measured on ``benchmarks/history_e2e.py``'s locked pool, its time per
reference wandered enough between commits to hide an 11.5% step that the matched yardstick
finds. The run's busy cores (its own processes' CPU time over its wall time) place it between
the two: ``weight = (busy - 1) / (workers - 1)``, clamped to [0, 1], on the slowest.

Pure and tested on literal numbers. The weight comes from the run's own cores, but the yardstick
is the machine's loop, not the user's code: a lock that serialises the workers still doubles
their time per reference (the yardstick moves by at most the cores' spread).
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["matched_reference", "slowest_weight"]


def slowest_weight(cores_used: float | None, workers: int) -> float:
    """How far the run's time follows its slowest worker (1) rather than the mean one (0).

    One worker: its only worker is both. Unknown busy cores: the slowest, as harness compare divides.
    """
    if workers <= 1 or cores_used is None or cores_used != cores_used:
        return 1.0
    return min(max((cores_used - 1.0) / (workers - 1), 0.0), 1.0)


def matched_reference(slowest_s: Sequence[float], mean_s: Sequence[float] | None, cores_used: float | None,
                      workers: int) -> tuple[float, ...]:
    """Per repeat, the reference time matched to the run: ``w * slowest + (1 - w) * mean``.

    ``mean_s`` None (results of schema 6 and older): the slowest, unchanged. ValueError when the
    two have different lengths.
    """
    if mean_s is None:
        return tuple(slowest_s)
    if len(mean_s) != len(slowest_s):
        raise ValueError(f"{len(slowest_s)} slowest-worker reference times but {len(mean_s)} mean ones")
    w = slowest_weight(cores_used, workers)
    return tuple(w * s + (1.0 - w) * m for s, m in zip(slowest_s, mean_s))
