"""harness: does this CPU-bound function pay off with threads, processes, pools or a cluster?

Importing the package stays light (no pandas, matplotlib, scipy or dask) so that
``harness --help`` answers at once and worker processes start fast.
"""

from __future__ import annotations

from harness._version import __version__
from harness.api import Sweep, SweepError, SweepOutcome, SweepRequest
from harness.call import sweep
from harness.config import ConfigError, RunConfig
from harness.execution.backends.registry import register_backend
from harness.report.build import build_report
from harness.results.model import CpuLoad, MemoryUse, RunResult, Suite, WorkerSpan
from harness.results.storage import load_suite
from harness.workloads import Workload, WorkloadError, poly, poly_oracle, resolve_workload

__all__ = [
    "__version__",
    "sweep",
    "build_report",
    "load_suite",
    "register_backend",
    "ConfigError",
    "RunConfig",
    "CpuLoad",
    "MemoryUse",
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

