"""A Suite as a pandas DataFrame: one row per run, the columns a notebook wants first."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas

__all__ = ["suite_dataframe"]


def suite_dataframe(suite) -> "pandas.DataFrame":
    """One row per run of ``suite``: what it was (backend, series, workers, n, chunksize...), how
    fast (median and its interval, speedup, efficiency), how busy, how much memory, and whether
    it was right. Every run field that is a plain value is there; nested ones are flattened.

    ``suite`` is a harness.results.model.Suite, whose ``to_dataframe`` calls this; the type is
    not imported here, so that the two modules do not import each other."""
    import pandas as pd

    rows = []
    for run in suite.runs:
        row = {"series": run.series}
        for key, value in run.to_dict().items():
            if key in ("times_s", "worker_spans", "warnings", "cpu", "memory", "ci_s", "ci95_s", "speedup_ci95"):
                continue
            row[key] = tuple(value) if isinstance(value, list) else value
        row["ci_lo_s"], row["ci_hi_s"] = run.ci_s if run.ci_s else (None, None)
        row["repeats"] = len(run.times_s)
        row["busy_cores"] = run.cpu.busy_cores if run.cpu else None
        row["memory_peak_bytes"] = run.memory.peak_bytes if run.memory else None
        row["memory_mean_bytes"] = run.memory.mean_bytes if run.memory else None
        row["memory_metric"] = run.memory.metric if run.memory else None
        row["warnings"] = len(run.warnings)
        rows.append(row)
    first = ["backend", "series", "workers", "n", "chunksize", "median_s", "ci_lo_s", "ci_hi_s", "speedup",
             "efficiency", "busy_cores", "memory_peak_bytes", "status", "result_ok", "error"]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=first)
    return frame[[c for c in first if c in frame] + [c for c in frame.columns if c not in first]]
