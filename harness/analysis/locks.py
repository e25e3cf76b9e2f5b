"""The tutorial's Lock lesson, measured: each shared-state model with its Lock against the same
model without it, the Lock's cost in time beside what going without costs in correctness."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from harness.execution.backends import backend_trait
from harness.results.model import RunResult

__all__ = ["LockCost", "lock_cost_lines", "lock_costs"]


@dataclass(frozen=True, slots=True)
class LockCost:
    """A model with its Lock against the same model without it, at one configuration."""

    python: str | None
    workers: int
    n: int
    locked: RunResult
    unlocked: RunResult

    @property
    def cost(self) -> float:
        """The Lock's extra time as a fraction of the unlocked time."""
        return (self.locked.median_s - self.unlocked.median_s) / self.unlocked.median_s


def lock_costs(runs: Sequence[RunResult]) -> list[LockCost]:
    """Every no-lock run (a backend with a ``locked_twin``) paired with its locked twin at the
    same configuration, chunksize included."""
    ok = {(r.backend, r.workers, r.n, r.scaling, r.workload, r.python, r.chunksize): r
          for r in runs if r.status == "ok"}
    pairs = []
    for run in runs:
        twin_name = backend_trait(run.backend, "locked_twin")
        if twin_name is None or run.status != "ok" or not run.median_s:
            continue
        twin = ok.get((twin_name, run.workers, run.n, run.scaling, run.workload, run.python, run.chunksize))
        if twin is not None and twin.median_s:
            pairs.append(LockCost(run.python, run.workers, run.n, twin, run))
    return pairs


def lock_cost_lines(runs: Sequence[RunResult]) -> list[str]:
    """The tutorial's Lock lesson, measured: shared (with Lock) against shared-nolock, and
    threads-shared against threads-nolock. The Lock costs time; going without it costs
    correctness. Both figures, side by side.
    """
    several = len({r.python for r in runs}) > 1
    lines = []
    for pair in lock_costs(runs):
        if pair.workers < 2:  # one worker shares nothing: no race to lose, only the Lock's bare cost
            continue
        locked, unlocked = pair.locked, pair.unlocked
        outcome = "lost updates (wrong total)" if unlocked.result_ok is False else "happened to stay exact"
        exact = "exact" if locked.result_ok else "WRONG"
        where = f" on Python {pair.python}" if several and pair.python else ""
        lines.append(f"Lock at {pair.workers} workers{where}, n={pair.n}: {locked.series} (with Lock) "
                     f"{locked.median_s * 1000:.1f} ms, {exact}; {unlocked.series} {unlocked.median_s * 1000:.1f} ms, "
                     f"{outcome}; the Lock cost {pair.cost:+.0%}.")
    return lines
