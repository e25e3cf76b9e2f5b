"""Base against head from their rounds: compare's rule on the pooled sides, then the
"unstable, not judged" check on each side's own rounds.

The rule is ``harness compare``'s own (:func:`harness.compare.compare_sides` on sides pooled
by :func:`harness.compare.pool_sides`), so ``harness compare 'OUT/base-*/results.json'
'OUT/head-*/results.json'`` on the kept files gives the same table, less the unstable marks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from harness.compare.ab.agreement import Disagreement, round_disagreement
from harness.compare import Comparison, Entry, Row, Side, compare_sides, pool_sides
from harness.compare.result import VERDICT_UNSTABLE
from harness.compare.rule import TOO_NOISY, RegressionCheck

__all__ = ["judge_rounds", "mark_unstable"]

# The verdicts a disagreement between rounds can overturn: failed and one-sided rows stay.
_JUDGED = ("regression", "improvement", "no change", TOO_NOISY)


def _round_samples(rounds: Sequence[Side], row: Row) -> list[tuple[float, ...]]:
    """Each round's samples of the row's configuration, as the row was judged (normalized or raw)."""
    found = []
    for side in rounds:
        entry: Entry | None = next((e for e in side.entries if row.label in (e.label, e.title)), None)
        if entry is None or entry.status != "ok":
            found.append(())
        elif row.normalized and entry.has_reference:
            found.append(entry.normalized_s)
        else:
            found.append(entry.times_s)
    return found


def mark_unstable(comparison: Comparison, base_rounds: Sequence[Side], head_rounds: Sequence[Side]) -> Comparison:
    """The comparison with every judged row whose side's rounds disagree turned "unstable"."""
    check = RegressionCheck(comparison.threshold_pct)
    rows = []
    for row in comparison.rows:
        if row.verdict in _JUDGED:
            found: list[Disagreement] = []
            for side, rounds in (("base", base_rounds), ("head", head_rounds)):
                disagreement = round_disagreement(_round_samples(rounds, row), check, comparison.alpha, side)
                if disagreement is not None:
                    found.append(disagreement)
            if found:
                note = (f"not judged: {'; '.join(d.describe() for d in found)}, beyond the "
                        f"{comparison.threshold_pct:g}% threshold; pooled, it would read '{row.verdict}'")
                row = replace(row, verdict=VERDICT_UNSTABLE, note=note)
        rows.append(row)
    return replace(comparison, rows=tuple(rows))


def judge_rounds(base_rounds: Sequence[Side], head_rounds: Sequence[Side], *, threshold_pct: float,
                 alpha: float, base_name: str, head_name: str) -> Comparison:
    """Pool each side's rounds, compare base with head by compare's rule, mark unstable rows.

    Raises :class:`harness.compare.CompareError` for sides that cannot be compared.
    """
    base = replace(pool_sides(base_rounds), name=base_name)
    head = replace(pool_sides(head_rounds), name=head_name)
    comparison = compare_sides(base, head, threshold_pct=threshold_pct, alpha=alpha)
    return mark_unstable(comparison, base_rounds, head_rounds)
