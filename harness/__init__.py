"""harness: does this CPU-bound function pay off with threads, processes, pools or a cluster?

Importing the package stays light (no pandas, matplotlib, scipy or dask) so that
``harness --help`` answers at once and worker processes start fast.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

from harness.call import sweep
from harness.config import ConfigError, RunConfig
from harness.results.model import CpuLoad, MemoryUse, RunResult, Suite, WorkerSpan
from harness.api import Sweep, SweepError, SweepOutcome, SweepRequest
from harness.workloads import Workload, WorkloadError, poly, poly_oracle, resolve_workload

__all__ = [
    "__version__",
    "sweep",
    "build_report",
    "load_suite",
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


def build_report(suite: Suite, out: str, *, baseline: Suite | None = None) -> list[str]:
    """Write the HTML report, PNG plots, results.csv and summary.md of ``suite`` into folder
    ``out``; the files' paths, the page first. (matplotlib and pandas load only now.)"""
    from harness.report.build import build_report as _build

    return _build(suite, os.fspath(out), baseline=baseline)


def load_suite(path: str) -> Suite:
    """A results.json read back and validated (ResultsFileError names what is wrong)."""
    from harness.results.storage import load_suite as _load

    return _load(os.fspath(path))
