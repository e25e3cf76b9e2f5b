"""Do one side's own rounds agree? If not, the A/B verdict would be a guess.

``harness ab`` pools each side's rounds and judges base against head with compare's rule.
Pooling assumes every round of a side measured the same thing. The check: compare's rule
(:class:`~harness.compare.rule.RegressionCheck` and
:func:`~harness.compare.rule.evidence_from_samples`) applied to a side against itself, its
earlier rounds (the first half, rounded up) against its later ones. When they differ by more
than the threshold, and significantly, the machine moved during the job by as much as the
effect the gate looks for, and the configuration is reported "unstable, not judged".

Why halves in time and not each round against the others: a lone odd round is outvoted by
the pooled median and does not make the verdict a guess; a machine whose speed moved over
the job does. Simulated (lognormal noise, 5 rounds of 5 repeats a side, threshold 10%, 400
trials; ``round_disagreement`` on two sides per configuration): with 3% repeat noise and 3%
drift between runs, 0.2% of A/A configurations are called unstable; with 5% drift, 7%; with
5% repeat noise and 8% drift, where the gate itself starts to raise false alarms, 34%.
Judging every round against the others instead called 13% and 57% unstable at 3% and 5%
drift: too eager to be a gate's answer.

Pure functions on samples, so they are tested with literal numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from harness.compare.rule import RegressionCheck, evidence_from_samples
from harness.stats import median

__all__ = ["Disagreement", "round_disagreement"]


def _rounds_text(numbers: tuple[int, ...]) -> str:
    if len(numbers) == 1:
        return f"round {numbers[0]}"
    if numbers == tuple(range(numbers[0], numbers[-1] + 1)):
        return f"rounds {numbers[0]}-{numbers[-1]}"
    return "rounds " + ", ".join(map(str, numbers))


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A side's later rounds against its earlier rounds: ``ratio`` is later median / earlier median."""

    side: str
    earlier: tuple[int, ...]
    later: tuple[int, ...]
    ratio: float
    p_value: float | None
    method: str

    def __post_init__(self) -> None:
        if not self.earlier or not self.later or min(self.earlier + self.later) < 1:
            raise ValueError(f"earlier and later name rounds counted from 1, got {self.earlier!r}, {self.later!r}")
        if not self.ratio > 0:
            raise ValueError(f"ratio must be > 0, got {self.ratio!r}")

    def describe(self) -> str:
        """'head rounds 4-5 ran 14.2% slower than its rounds 1-3 (p=0.002)'."""
        direction = "slower" if self.ratio > 1 else "faster"
        evidence = f"p={self.p_value:.2g}" if self.p_value is not None else self.method
        return (f"{self.side} {_rounds_text(self.later)} ran {abs(self.ratio - 1.0) * 100.0:.1f}% {direction} "
                f"than its {_rounds_text(self.earlier)} ({evidence})")


def round_disagreement(rounds: Sequence[Sequence[float]], check: RegressionCheck, alpha: float,
                       side: str) -> Disagreement | None:
    """The side's later rounds against its earlier ones by compare's rule: a Disagreement, or None.

    ``rounds`` holds one sequence of samples per round, in round order; an empty one (a
    round whose run failed) is left out. The usable rounds are split in time, the first
    half (rounded up) against the rest, each half pooled. They disagree when the later
    half's median is beyond ``check``'s threshold in either direction AND the difference
    is significant at ``alpha``. Fewer than two usable rounds: nothing to compare, None.
    """
    usable = [(number, tuple(samples)) for number, samples in enumerate(rounds, 1) if len(samples)]
    if len(usable) < 2:
        return None
    half = (len(usable) + 1) // 2
    earlier = [t for _, samples in usable[:half] for t in samples]
    later = [t for _, samples in usable[half:] for t in samples]
    center = median(earlier)
    ratio = median(later) / center if center > 0 else None
    if ratio is None or not ratio > 0:
        return None
    evidence = evidence_from_samples(earlier, later, alpha)
    if check.verdict(ratio, evidence.significant) == "no change":
        return None
    return Disagreement(side, tuple(n for n, _ in usable[:half]), tuple(n for n, _ in usable[half:]), ratio,
                        evidence.p_value, evidence.method)
