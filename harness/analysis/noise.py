"""How much the host itself varied while a sweep ran, from what the sweep measured anyway.

Three readings, each a spread: half the range from the 10th to the 90th percentile, over
the median (so one odd repeat does not set it):

* **serial's repeats**: serial does the same work every repeat, so its spread is the host's;
* **the reference loop** (``--reference``): the frozen loop timed beside every repeat, per
  configuration (the median of the configurations' spreads);
* **the capacity probe** (``--capacity``): the parallel throughput of its blocks, and the
  probe run again after the sweep when it was.

The host's noise is the largest of them. What it blurs is measured directly: ``resolvable``
is the typical half-width of the intervals the verdict's tie rule decided with, plus the
host's spread, within which the rule calls no difference (``analysis.ties``). When that
exceeds BLURRED (compare's default threshold, 10%), differences the gate cares about cannot be
told apart here, and the answer says so first. Pure functions over RunResults.
"""

from __future__ import annotations

from typing import Sequence

from harness.execution.backends import is_baseline
from harness.results.facts import Capacity
from harness.results.model import RunResult
from harness.results.verdict import HostNoise, NoiseSource
from harness.stats import median

__all__ = ["BLURRED", "host_noise", "noise_line", "spread", "tie_margin"]

BLURRED = 0.10


def _quantile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Sequence[float]) -> float | None:
    """(90th - 10th percentile) / 2 / median: 0.22 means the values varied +-22%; None below 3 values."""
    if len(values) < 3:
        return None
    middle = median(values)
    if middle <= 0:
        return None
    return (_quantile(values, 0.9) - _quantile(values, 0.1)) / 2 / middle


def _sources(runs: Sequence[RunResult], capacity: Capacity | None) -> list[NoiseSource]:
    found = []
    serial = [s for s in (spread(r.times_s) for r in runs if is_baseline(r.backend) and r.status == "ok")
              if s is not None]
    if serial:
        found.append(NoiseSource("serial's repeats", max(serial)))
    references = [s for s in (spread(r.reference_times_s) for r in runs if r.reference_times_s) if s is not None]
    if references:
        found.append(NoiseSource("the reference loop", median(references)))
    if capacity is not None and capacity.block_capacities:
        blocks = list(capacity.block_capacities)
        after = capacity.capacity_after
        values = blocks + ([float(after)] if after is not None else [])
        probe = spread(values)
        if probe is not None:
            found.append(NoiseSource("the capacity probe", probe))
    return found


def tie_margin(runs: Sequence[RunResult], n: int) -> float:
    """The tie rule's margin for runs of size ``n`` (``analysis.ties``): the host's spread read
    beside that size alone, from serial's repeats and the reference loop. A small size's serial
    spreads by its timer's jitter, not by the host, and the capacity probe reads parallel
    throughput before and after the sweep rather than beside these runs; every caller (the
    verdict, the chunksize advice, threads against processes) reads the same figure. 0.0 where
    nothing measured it."""
    return max((s.spread for s in _sources([r for r in runs if r.n == n], None)), default=0.0)


def host_noise(runs: Sequence[RunResult], capacity: Capacity | None = None,
               resolvable: float | None = None) -> HostNoise | None:
    """The host's noise during the sweep; None when nothing measured it (too few repeats).

    ``resolvable`` is what the tie rule could still tell apart (see the module docstring).
    """
    sources = _sources(runs, capacity)
    if not sources:
        return None
    largest = max(s.spread for s in sources)
    blurred = (resolvable if resolvable is not None else largest) > BLURRED
    return HostNoise(round(largest, 4), None if resolvable is None else round(resolvable, 4), blurred,
                     tuple(NoiseSource(s.name, round(s.spread, 4)) for s in sources))


def noise_line(noise: HostNoise, width: int = 120) -> str:
    """The answer's line on the host: how much it varied and what it can still resolve (the other
    sources' readings too, where they fit in ``width`` characters)."""
    worst = max(noise.sources, key=lambda s: s.spread)
    others = [s for s in noise.sources if s is not worst]
    line = ""
    for also in ([f"; {', '.join(f'{s.name} ±{s.spread:.0%}' for s in others)}"] if others else []) + [""]:
        if noise.blurred:
            resolve = (f"; differences under ~{noise.resolvable:.0%} cannot be told apart here"
                       if noise.resolvable is not None else "")
            line = f"This host's speed varied ±{noise.spread:.0%} during the sweep ({worst.name}{also}){resolve}."
        else:
            # Not "the spread resolves": the tie rule adds its interval's half-width to the spread.
            resolve = (f"; differences down to ~{noise.resolvable:.0%} resolve"
                       if noise.resolvable is not None else "")
            line = f"Host noise: ±{noise.spread:.0%} ({worst.name}{also}){resolve}."
        if len(line) <= width:
            break
    return line
