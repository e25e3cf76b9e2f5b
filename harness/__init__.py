"""harness: does this CPU-bound function pay off with threads, processes, pools or a cluster?

Importing the package stays light (no pandas, matplotlib, scipy or dask) so that
``harness --help`` answers at once and worker processes start fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

from harness.config import ConfigError, RunConfig
from harness.results.model import CpuLoad, RunResult, Suite, WorkerSpan
from harness.api import Sweep, SweepError, SweepOutcome, SweepRequest
from harness.workloads import Workload, WorkloadError, poly, poly_oracle, resolve_workload

__all__ = [
    "__version__",
    "ConfigError",
    "RunConfig",
    "CpuLoad",
    "RunResult",
    "Suite",
    "Sweep",
    "SweepError",
    "SweepOutcome",
    "SweepRequest",
    "WorkerSpan",
    "Workload",
    "WorkloadError",
    "poly",
    "poly_oracle",
    "resolve_workload",
]
