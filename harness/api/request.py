"""What a sweep is asked to do, and what it left: the orchestrator's values and its one error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from harness.config import RunConfig
from harness.results.model import Suite

if TYPE_CHECKING:
    from harness.workloads import Workload

__all__ = ["SweepError", "SweepOutcome", "SweepRequest"]


class SweepError(ValueError):
    """Bad input found before anything was written; the message is one line naming it."""


@dataclass(frozen=True, slots=True)
class SweepRequest:
    """What to sweep and where: a new sweep (``config``) or an interrupted one (``resume``)."""

    config: RunConfig | None = None
    out: str | None = None  # None: reports/<UTC timestamp>/, mirrored to reports/latest
    resume: str | None = None
    capacity: bool = False
    sampling: bool = True
    report: bool = True
    # The Python API's own function and items (harness.sweep): used instead of resolving
    # config.workload by name. A new sweep only: a function object cannot be resumed.
    workload: "Workload | None" = None
    items: Sequence | None = None

    def __post_init__(self) -> None:
        if (self.config is None) == (self.resume is None):
            raise ValueError("give a config for a new sweep, or resume=FOLDER, not both")
        if (self.workload is None) != (self.items is None) or (self.workload is not None and self.resume):
            raise ValueError("a workload object comes with its items, in a new sweep")


@dataclass(frozen=True, slots=True)
class SweepOutcome:
    """What a sweep left: the suite saved in ``out``, and how it ended."""

    suite: Suite
    out: str
    interrupted_by: type[BaseException] | None = None  # KeyboardInterrupt or Terminated
    unfinished_repeats: int = 0  # interrupted interleaved sweeps: repeats kept for --resume
    report_seconds: float | None = None
    report_error: str | None = None
    error: str | None = None  # another interpreter's sweep failed (--python)

    @property
    def failed_runs(self) -> list:
        """Runs that failed, timed out or computed a wrong result they should not have."""
        from harness.execution.backends import is_exact_by_design

        return [r for r in self.suite.runs if r.status in ("failed", "timeout")
                or (r.result_ok is False and is_exact_by_design(r.backend))]
