"""``harness compare``: per configuration, is the current run slower than the baseline, beyond noise?

A regression is a change that is both *significant* (Mann-Whitney U on the raw repeat
timings, or non-overlapping median intervals when there are too few samples for the test)
and *large* (the median slower by more than a threshold, 10% by default). Either alone is
not enough: noise can move a median by 15% on a busy runner, and a 2% change can be
significant and still not worth failing a build for.

Where both sides ran with ``harness run --reference``, every repeat is first divided by the
reference loop timed beside it (see :mod:`harness.execution.measure`), so a machine that changed
speed between or within runs does not pose as a change; ``use_reference=False`` (the CLI's
``--raw``) judges the raw times.

Reads harness results.json and pytest-benchmark JSON alike. Nothing here prints: the CLI
turns :class:`CompareError` into exit code 2 and ``Comparison.has_regression`` into 1.

    comparison = compare_files("base.json", "head.json", threshold_pct=10, alpha=0.05)
    print("\\n".join(format_table(comparison)))

scipy is imported only when a test actually runs, so ``import harness.compare`` stays light.
"""

from __future__ import annotations

from harness.compare.formatting import format_markdown, format_table, summary_line
from harness.compare.inputs import CompareError, Entry, Side, read_side, side_from
from harness.compare.pooling import expand_side_paths, pool_sides, read_pooled_side
from harness.compare.result import VERDICTS, Comparison, Row, compare_files, compare_sides, compare_suites
from harness.compare.rule import (
    METHOD_CI_OVERLAP, METHOD_MANN_WHITNEY, Evidence, RegressionCheck, evidence_from_samples,
    evidence_from_summaries, mann_whitney_p, ratio_interval, smallest_p,
)

__all__ = [
    "CompareError",
    "Comparison",
    "Entry",
    "Evidence",
    "METHOD_CI_OVERLAP",
    "METHOD_MANN_WHITNEY",
    "RegressionCheck",
    "Row",
    "Side",
    "VERDICTS",
    "compare_files",
    "compare_sides",
    "compare_suites",
    "evidence_from_samples",
    "expand_side_paths",
    "evidence_from_summaries",
    "format_markdown",
    "format_table",
    "mann_whitney_p",
    "pool_sides",
    "ratio_interval",
    "read_pooled_side",
    "read_side",
    "side_from",
    "smallest_p",
    "summary_line",
]
