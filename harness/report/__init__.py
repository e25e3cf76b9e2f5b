"""The report: tables (pandas), plots (matplotlib, Agg) and a self-contained HTML page (jinja2).

``build_report`` (``harness.report.build``) writes it all; pandas, matplotlib and jinja2 load
only when it runs.
"""

from __future__ import annotations

from harness.report.build import build_report

__all__ = ["build_report"]
