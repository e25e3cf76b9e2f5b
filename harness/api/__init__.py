"""The orchestrator: ``Sweep`` plans, measures, keeps and reports a sweep, printing nothing.

- ``request``: SweepRequest (what to sweep), SweepOutcome (what it left), SweepError;
- ``sweep``: Sweep, the one orchestrator the CLI, ``harness.sweep`` and the pytest fixture call;
- ``interpreters``: each interpreter's part, this one's and every ``--python`` one's, run alike;
- ``child``: the thin shell another interpreter runs its part in;
- ``assemble``: the analysis a finished run carries, and the Suite built from the runs;
- ``output``: the output folder and reports/latest.
"""

from __future__ import annotations

from harness.api.output import REPORTS_DIR
from harness.api.request import SweepError, SweepOutcome, SweepRequest
from harness.api.sweep import Sweep

__all__ = ["REPORTS_DIR", "Sweep", "SweepError", "SweepOutcome", "SweepRequest"]
