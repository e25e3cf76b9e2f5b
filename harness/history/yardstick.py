"""The reference time a run's own time is divided by: the yardstick matched to how it used its cores.

``harness run --reference`` times a frozen loop on every worker beside each repeat. Which
figure of that loop a run's time follows depends on the run:

* workers that compute at once (a pool of 2 on 2 cores) finish when the slowest core does, so
  the loop's *slowest* worker is the yardstick (``reference_times_s``);
* workers that take turns (a lock held over each chunk) last the sum of their turns, one
  worker computing at a time, so the loop timed on *one worker alone* is
  (``reference_alone_times_s``, schema 9; before it, the mean worker's time while all computed
  at once, ``reference_mean_times_s``). On this project's 2-vCPU VM, two workers computing at
  once run about 1.7x slower each for seconds at a time while one alone does not: in the e2e
  benchmark's stores the loop on both workers jumped from 12.5 to 21.5 ms between repeats, in
  its CPU time too, while the locked pool's own times did not move, and every such spell moved
  the locked pool's time per reference by about 40%. Timed alone, the loop stayed at 12 ms
  through the same spells, and 7 of 9 end-to-end runs found exactly the designed steps (neither
  miss involved the loop alone); 1 of 3 and 1 of 3 the same day per the mean worker's wall or
  CPU time.

The run's busy cores (its own processes' CPU time over its wall time) place it between the
slowest worker and the turn-taking side: ``weight = (busy - 1) / (min(workers, cpus) - 1)``,
clamped to [0, 1], on the slowest (4 workers on 2 CPUs that keep both busy compute at once as
fully as they can).

Busy cores is itself measured on the shared host: a core taken away from a pool that computes
at once lowers it too, and moves the weight towards the turn-taking side in those spells. The
weight is a measured compromise (see the README's "The matched reference"), not an exact model.

Pure and tested on literal numbers. The weight comes from the run's own cores, but the yardstick
is the machine's loop, not the user's code: a lock that serialises the workers still doubles
their time per reference (the yardstick moves by at most the cores' spread).
"""

from __future__ import annotations

from typing import Sequence

from harness.analysis.baseline import ideal_speedup

__all__ = ["matched_reference", "slowest_weight", "takes_turns"]


def slowest_weight(cores_used: float | None, workers: int, cpus: int | None = None) -> float:
    """How far the run's time follows its slowest worker (1) rather than the turn-taking side (0).

    ``cpus``: how many CPUs the machine lets run at once (None: as many as workers). One worker
    (or one CPU): its only worker is both. Unknown busy cores: the slowest, as harness compare divides.
    """
    at_once = ideal_speedup(workers, cpus)  # the workers that can compute at once
    if at_once <= 1 or cores_used is None or cores_used != cores_used:
        return 1.0
    return min(max((cores_used - 1.0) / (at_once - 1), 0.0), 1.0)


def takes_turns(cores_used: float | None, workers: int, cpus: int | None = None) -> bool:
    """Did the run keep fewer cores busy than it could, so that its matched reference leans on
    the turn-taking side? (A run that kept every core busy is matched to its slowest worker.)"""
    return slowest_weight(cores_used, workers, cpus) < 1.0


def matched_reference(slowest_s: Sequence[float], mean_s: Sequence[float] | None, cores_used: float | None,
                      workers: int, cpus: int | None = None) -> tuple[float, ...]:
    """Per repeat, the reference time matched to the run: ``w * slowest + (1 - w) * mean``.

    ``mean_s`` is the turn-taking side: the loop on one worker alone (results of schema 9) or
    the mean worker's (schema 7). None (results of schema 6 and older): the slowest, unchanged. ValueError when the
    two have different lengths.
    """
    if mean_s is None:
        return tuple(slowest_s)
    if len(mean_s) != len(slowest_s):
        raise ValueError(f"{len(slowest_s)} slowest-worker reference times but {len(mean_s)} mean ones")
    w = slowest_weight(cores_used, workers, cpus)
    return tuple(w * s + (1.0 - w) * m for s, m in zip(slowest_s, mean_s))
