"""Do one side's own rounds agree? If not, the A/B verdict would be a guess.

``harness ab`` pools each side's rounds and judges base against head with compare's rule.
That pooling assumes every round of a side measured the same thing. When one round of a
side differs from that side's other rounds by more than the threshold, and significantly
(compare's rule, applied within the side: :class:`~harness.compare.rule.RegressionCheck`
and :func:`~harness.compare.rule.evidence_from_samples`), the machine moved by as much as
the effect the gate looks for, and the configuration is reported "unstable, not judged".

Pure functions on samples, so they are tested with literal numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from harness.compare.rule import RegressionCheck, evidence_from_samples
from harness.stats import median

__all__ = ["Disagreement", "round_disagreement"]


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Round ``round_number`` of ``side`` against the same side's other rounds, pooled.

    ``ratio`` is that round's median over the other rounds' median.
    """

    side: str
    round_number: int
    ratio: float
    p_value: float | None
    method: str

    def __post_init__(self) -> None:
        if self.round_number < 1:
            raise ValueError(f"round_number counts from 1, got {self.round_number!r}")
        if not self.ratio > 0:
            raise ValueError(f"ratio must be > 0, got {self.ratio!r}")

    def describe(self) -> str:
        """'base round 3 is 14.2% slower than base's other rounds (p=0.002)'."""
        direction = "slower" if self.ratio > 1 else "faster"
        change = abs(self.ratio - 1.0) * 100.0
        evidence = f"p={self.p_value:.2g}" if self.p_value is not None else self.method
        return (f"{self.side} round {self.round_number} is {change:.1f}% {direction} than {self.side}'s "
                f"other rounds ({evidence})")


def round_disagreement(rounds: Sequence[Sequence[float]], check: RegressionCheck, alpha: float,
                       side: str) -> Disagreement | None:
    """The round that differs most from the side's other rounds by compare's rule, or None.

    ``rounds`` holds one sequence of samples per round, in round order (an empty one, a
    round whose run failed, is skipped). Each round is judged against the other rounds
    pooled: beyond ``check``'s threshold in either direction AND significant at ``alpha``.
    Fewer than two usable rounds: nothing to disagree with, None.
    """
    usable = [(number, tuple(samples)) for number, samples in enumerate(rounds, 1) if len(samples)]
    if len(usable) < 2:
        return None
    worst: Disagreement | None = None
    for number, samples in usable:
        others = [t for other, values in usable if other != number for t in values]
        center = median(others)
        if center <= 0:
            continue
        ratio = median(samples) / center
        if not ratio > 0:
            continue
        evidence = evidence_from_samples(others, samples, alpha)
        if check.verdict(ratio, evidence.significant) == "no change":
            continue
        if worst is None or abs(math.log(ratio)) > abs(math.log(worst.ratio)):
            worst = Disagreement(side, number, ratio, evidence.p_value, evidence.method)
    return worst
