"""Workloads: what a sweep times. Range workloads ``fn(lo, hi) -> int`` with exact oracles
(``builtin``), and the loader of a user's ``MODULE:FUNCTION``.

Stdlib only: worker processes of every start method and other interpreters import it.
A workload's ``ref`` (``harness.workloads:poly``) names a function here.
"""

from harness.workloads.builtin import *  # noqa: F401,F403
from harness.workloads.builtin import __all__  # noqa: F401
