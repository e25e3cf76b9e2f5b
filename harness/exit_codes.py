"""Every exit code harness returns, in one place (the contract; only ``harness.cli`` exits).

- ``OK`` 0: success.
- ``FAILED`` 1: a run failed, timed out or computed a wrong result (run), or a regression was
  found (compare, ab, history check); history find: no slower commit found.
- ``USAGE`` 2: bad usage or bad input: one line on stderr, nothing overwritten.
- ``UNSTABLE`` 3: ``harness ab`` only: a configuration too unstable to judge.
- ``SIGINT`` 130 / ``SIGTERM`` 143: interrupted; completed work is saved.
"""

from __future__ import annotations

__all__ = ["OK", "FAILED", "USAGE", "UNSTABLE", "SIGINT", "SIGTERM"]

OK = 0
FAILED = 1
USAGE = 2
UNSTABLE = 3
SIGINT = 130  # 128 + SIGINT, as a shell reports a process Ctrl-C ended
SIGTERM = 143  # 128 + SIGTERM
