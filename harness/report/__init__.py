"""The report: tables (pandas), plots (matplotlib, Agg) and a self-contained HTML page (jinja2)."""

from __future__ import annotations

__all__ = ["build_report"]


def build_report(suite, out_dir, *, baseline=None):
    """Write report.html, the PNG plots, results.csv and summary.md into ``out_dir``; return their paths."""
    from harness.report.build import build_report as _build

    return _build(suite, out_dir, baseline=baseline)
