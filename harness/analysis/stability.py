"""pyperf-style stability warnings: pure functions that return message strings.

Nothing here prints; the CLI decides where warnings go. Thresholds follow pyperf's
``_cli.py`` checks (stdev >= 10% of the mean, min/max >= 50% away from the mean).
"""

from __future__ import annotations

import math
from typing import List, Optional, Sequence

from harness.stats import mean, median_ci, median_ci_coverage, stdev
from harness.text import format_seconds  # exported here too, where its callers first found it

__all__ = [
    "REFERENCE_DRIFT_WARN",
    "busy_machine_warning",
    "format_seconds",
    "min_repeats_for",
    "reference_warning",
    "sample_warnings",
]

# Busy-machine thresholds. Half the logical CPUs already loaded means a parallel run
# must share cores with someone; a single core above 30% steals enough from one worker
# to skew a strong-scaling curve.
_LOAD_PER_CPU_LIMIT = 0.5
_CORE_BUSY_LIMIT_PERCENT = 30.0


def _percent(confidence: float) -> str:
    return f"{confidence * 100:g}%"


def min_repeats_for(confidence: float) -> int:
    """Smallest number of repeats whose [min, max] covers the median with ``confidence``."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence is {confidence}; it must be strictly between 0 and 1")
    # [min, max] is the widest interval, so it bounds what n repeats can ever achieve;
    # its coverage 1 - 2**(1-n) reaches any confidence < 1 eventually.
    n = 2
    while median_ci_coverage(n, 1) < confidence:
        n += 1
    return n


def sample_warnings(
    times: Sequence[float], *, label: str, confidence: float = 0.95, check_repeats: bool = True
) -> List[str]:
    """Warnings about one configuration's repeat times (seconds); empty when stable.

    ``check_repeats=False`` leaves out the too-few-repeats rule, for callers that say it once
    for a whole sweep rather than once per configuration.
    """
    values = [float(t) for t in times]
    ci = median_ci(values, confidence)  # also validates values and confidence
    n = len(values)
    avg, sd = mean(values), stdev(values)
    lo, hi = min(values), max(values)
    warnings: List[str] = []
    if avg > 0:
        # Cross-multiplied so that the exact 10% / 50% boundaries are not lost to 0.1's
        # binary rounding.
        if sd * 10 >= avg:
            warnings.append(
                f"{label}: the standard deviation ({format_seconds(sd)}) is "
                f"{sd / avg * 100:.0f}% of the mean ({format_seconds(avg)}); "
                "the result may be unstable"
            )
        if (avg - lo) * 2 >= avg:
            warnings.append(
                f"{label}: the minimum ({format_seconds(lo)}) is "
                f"{(avg - lo) / avg * 100:.0f}% smaller than the mean "
                f"({format_seconds(avg)}); the result may be unstable"
            )
        if (hi - avg) * 2 >= avg:
            warnings.append(
                f"{label}: the maximum ({format_seconds(hi)}) is "
                f"{(hi - avg) / avg * 100:.0f}% greater than the mean "
                f"({format_seconds(avg)}); the result may be unstable"
            )
    if check_repeats and ci.confidence_achieved < confidence:
        needed = min_repeats_for(confidence)
        warnings.append(
            f"{label}: with {n} repeat{'s' if n != 1 else ''} the median's interval "
            f"reaches only {_percent(ci.confidence_achieved)} confidence; at least "
            f"{needed} repeats are needed for a {_percent(confidence)} interval of the median"
        )
    return warnings


def busy_machine_warning(
    load_avg_1m: Optional[float],
    logical_cpus: int,
    idle_per_core_percent: Optional[Sequence[float]],
) -> Optional[str]:
    """One warning if the machine was already busy before the run, else None.

    ``idle_per_core_percent`` holds percent *busy* per core (psutil's cpu_percent),
    measured over a short window before the run, despite its name (kept for callers).
    Either figure may be None when it could not be measured.
    """
    if isinstance(logical_cpus, bool) or int(logical_cpus) != logical_cpus or logical_cpus < 1:
        raise ValueError(f"logical_cpus is {logical_cpus!r}; it must be an integer >= 1")
    reasons: List[str] = []
    if load_avg_1m is not None:
        load = float(load_avg_1m)
        if not math.isfinite(load) or load < 0:
            raise ValueError(f"load_avg_1m is {load}; it must be finite and not negative")
        limit = _LOAD_PER_CPU_LIMIT * logical_cpus
        if load > limit:
            reasons.append(
                f"the 1-minute load average was {load:.2f} for {logical_cpus} logical "
                f"CPUs (above {limit:g})"
            )
    if idle_per_core_percent is not None:
        busy = [float(x) for x in idle_per_core_percent]
        for i, x in enumerate(busy):
            if not math.isfinite(x) or not 0.0 <= x <= 100.0:
                raise ValueError(f"core {i} load is {x}; it must be a percent in [0, 100]")
        hot = [(i, x) for i, x in enumerate(busy) if x > _CORE_BUSY_LIMIT_PERCENT]
        if hot:
            cores = ", ".join(f"core {i} {x:.0f}%" for i, x in hot)
            reasons.append(
                f"{len(hot)} core{'s' if len(hot) != 1 else ''} above "
                f"{_CORE_BUSY_LIMIT_PERCENT:g}% busy ({cores})"
            )
    if not reasons:
        return None
    return "the machine was busy before the run: " + "; ".join(reasons) + (
        "; timings may be disturbed"
    )


# Reference times of one run further apart than this (max / min) mean the machine's speed
# changed while it was measured.
REFERENCE_DRIFT_WARN = 1.25


def reference_warning(reference_times: Sequence[float], *, label: str) -> str | None:
    """A warning when the reference loop timed beside one run's repeats (--reference) varied
    by more than REFERENCE_DRIFT_WARN (max / min): the machine itself sped up or slowed down."""
    if not reference_times:
        return None
    lo, hi = min(reference_times), max(reference_times)
    # Cross-multiplied, like sample_warnings, so the exact boundary is not lost to rounding.
    if lo <= 0 or hi <= lo * REFERENCE_DRIFT_WARN:
        return None
    return (f"{label}: the reference loop timed beside the repeats ranged {format_seconds(lo)}-{format_seconds(hi)} "
            f"({hi / lo:.2f}x): the machine's speed changed while this ran; harness compare divides it out")
