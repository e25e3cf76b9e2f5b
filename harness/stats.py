"""Pure statistics over repeat timings: location, spread, median CI, scaling laws.

Everything here is a pure function of its arguments and is tested against literal
numbers. Only the standard library is imported at module level; scipy is imported
lazily inside :func:`amdahl_fit`, so ``import harness`` stays light.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

__all__ = [
    "AmdahlFit", "MedianCI", "Summary", "amdahl_fit", "amdahl_predict", "amdahl_speedup",
    "efficiency", "iqr", "karp_flatt", "mean", "median", "median_ci", "median_ci_coverage",
    "nearest_rank", "quartiles", "speedup", "speedup_interval", "stdev", "summarize",
]


def _values(xs: Sequence[float], name: str = "times") -> list[float]:
    """Return xs as floats, rejecting empty, non-finite and negative input."""
    values = [float(x) for x in xs]
    if not values:
        raise ValueError(f"{name} is empty; need at least one value")
    for i, x in enumerate(values):
        if not math.isfinite(x):
            raise ValueError(f"{name}[{i}] is {x}; values must be finite")
        if x < 0:
            raise ValueError(f"{name}[{i}] is {x}; values must not be negative")
    return values


def _check_scalar(x: float, name: str) -> float:
    x = float(x)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{name} is {x}; it must be finite and not negative")
    return x


def _check_workers(workers: int) -> int:
    if isinstance(workers, bool) or int(workers) != workers or workers < 1:
        raise ValueError(f"workers is {workers!r}; it must be an integer >= 1")
    return int(workers)


def median(xs: Sequence[float]) -> float:
    """Median of xs (mean of the two middle values for even length)."""
    return float(statistics.median(_values(xs)))


def nearest_rank(xs: Sequence[float], q: float) -> float:
    """The q-quantile (0 < q <= 1) by the nearest-rank rule: the smallest value with at least a
    fraction q of the values at or below it. It is always one of the values (a p99 of two
    ticks is the larger), never an interpolation between a fast tick and a blocked one."""
    if not 0 < q <= 1:
        raise ValueError(f"q must be within (0, 1], got {q!r}")
    values = sorted(_values(xs, "values"))
    return float(values[max(math.ceil(q * len(values)), 1) - 1])


def mean(xs: Sequence[float]) -> float:
    """Arithmetic mean of xs."""
    return float(statistics.fmean(_values(xs)))


def stdev(xs: Sequence[float]) -> float:
    """Sample standard deviation (n-1 denominator); 0.0 for fewer than two values."""
    values = _values(xs)
    return float(statistics.stdev(values)) if len(values) >= 2 else 0.0


def quartiles(xs: Sequence[float]) -> Tuple[float, float]:
    """(Q1, Q3) by linear interpolation between order statistics.

    Same as ``numpy.percentile``'s default and ``statistics.quantiles(method="inclusive")``.
    """
    values = sorted(_values(xs))
    if len(values) == 1:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return float(q1), float(q3)


def iqr(xs: Sequence[float]) -> float:
    """Interquartile range Q3 - Q1."""
    q1, q3 = quartiles(xs)
    return q3 - q1


@dataclass(frozen=True, slots=True)
class MedianCI:
    """Order-statistic interval of the median and the coverage it actually achieves."""

    lo: float
    hi: float
    confidence_achieved: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)) or self.lo > self.hi:
            raise ValueError(f"bad interval [{self.lo}, {self.hi}]")
        if not 0.0 <= self.confidence_achieved <= 1.0:
            raise ValueError(f"confidence_achieved is {self.confidence_achieved}; must be in [0, 1]")


def median_ci_coverage(n: int, k: int) -> float:
    """Coverage of [x_(k), x_(n+1-k)] for the median: P(k <= B <= n-k), B ~ Binomial(n, 1/2)."""
    if n < 1 or not 1 <= k <= (n + 1) // 2:
        raise ValueError(f"need n >= 1 and 1 <= k <= (n+1)//2, got n={n}, k={k}")
    # Exact integer arithmetic: no rounding until the final division.
    tail = sum(math.comb(n, i) for i in range(k))
    return 1.0 - 2 * tail / 2**n


def median_ci(xs: Sequence[float], confidence: float = 0.95) -> MedianCI:
    """Distribution-free confidence interval of the median from order statistics.

    Picks the narrowest symmetric pair x_(k)..x_(n+1-k) whose binomial coverage is at
    least ``confidence``. When even [min, max] falls short (n=5 reaches only 0.9375),
    returns [min, max] with the lower achieved coverage so callers can warn.
    One value gives (x, x, 0.0): a point says nothing about its own uncertainty.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence is {confidence}; it must be strictly between 0 and 1")
    values = sorted(_values(xs))
    n = len(values)
    if n == 1:
        return MedianCI(values[0], values[0], 0.0)
    # Coverage shrinks as k grows, so walk inward while the next pair still qualifies.
    k = 1
    while k + 1 <= (n + 1) // 2 and median_ci_coverage(n, k + 1) >= confidence:
        k += 1
    return MedianCI(values[k - 1], values[n - k], median_ci_coverage(n, k))


@dataclass(frozen=True, slots=True)
class Summary:
    """Descriptive statistics of one configuration's timed repeats (seconds)."""

    count: int
    median: float
    mean: float
    stdev: float
    iqr: float
    min: float
    max: float
    ci_lo: float
    ci_hi: float
    ci_confidence: float

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"count is {self.count}; must be >= 1")
        for name in ("median", "mean", "stdev", "iqr", "min", "max", "ci_lo", "ci_hi"):
            _check_scalar(getattr(self, name), name)
        if not self.min <= self.ci_lo <= self.median <= self.ci_hi <= self.max:
            raise ValueError("need min <= ci_lo <= median <= ci_hi <= max")
        if not 0.0 <= self.ci_confidence <= 1.0:
            raise ValueError(f"ci_confidence is {self.ci_confidence}; must be in [0, 1]")


def summarize(times: Sequence[float], confidence: float = 0.95) -> Summary:
    """Summary of repeat times, with the median CI's achieved confidence."""
    values = _values(times)
    ci = median_ci(values, confidence)
    return Summary(
        count=len(values), median=median(values), mean=mean(values), stdev=stdev(values),
        iqr=iqr(values), min=min(values), max=max(values),
        ci_lo=ci.lo, ci_hi=ci.hi, ci_confidence=ci.confidence_achieved,
    )


def speedup(baseline_median: Optional[float], median: Optional[float]) -> Optional[float]:
    """baseline / median; None when either is missing or median is 0."""
    if baseline_median is None or median is None:
        return None
    baseline_median = _check_scalar(baseline_median, "baseline_median")
    median = _check_scalar(median, "median")
    return None if median == 0 else baseline_median / median


def speedup_interval(
    baseline_ci: Optional[Tuple[float, float]], ci: Optional[Tuple[float, float]]
) -> Optional[Tuple[float, float]]:
    """Conservative speedup interval: (baseline_lo / hi, baseline_hi / lo).

    Pairs the extremes so the interval covers every ratio the two intervals allow.
    None when either interval is missing or the denominator could be 0.
    """
    if baseline_ci is None or ci is None:
        return None
    b_lo, b_hi = (_check_scalar(v, "baseline_ci") for v in baseline_ci)
    lo, hi = (_check_scalar(v, "ci") for v in ci)
    if b_lo > b_hi or lo > hi:
        raise ValueError(f"interval bounds out of order: {baseline_ci}, {ci}")
    if lo == 0:
        return None
    return b_lo / hi, b_hi / lo


def efficiency(speedup: Optional[float], workers: int) -> Optional[float]:
    """Parallel efficiency speedup / workers; None when speedup is None."""
    workers = _check_workers(workers)
    return None if speedup is None else _check_scalar(speedup, "speedup") / workers


def karp_flatt(speedup: Optional[float], workers: int) -> Optional[float]:
    """Karp-Flatt experimentally determined serial fraction e = (1/S - 1/p) / (1 - 1/p).

    Unlike an Amdahl fit it needs one point; a rising e with p points at overhead
    rather than inherent serial work. None for p == 1 (undefined) or missing S.
    """
    p = _check_workers(workers)
    if speedup is None or p == 1:
        return None
    s = _check_scalar(speedup, "speedup")
    if s == 0:
        raise ValueError("speedup is 0; Karp-Flatt needs a positive speedup")
    return (1 / s - 1 / p) / (1 - 1 / p)


@dataclass(frozen=True, slots=True)
class AmdahlFit:
    """T(p) = serial_s + parallel_s / p + overhead_s_per_worker * (p - 1), coefficients >= 0."""

    serial_fraction: float
    parallel_s: float
    serial_s: float
    overhead_s_per_worker: float
    r_squared: float

    def __post_init__(self) -> None:
        for name in ("parallel_s", "serial_s", "overhead_s_per_worker"):
            _check_scalar(getattr(self, name), name)
        if not 0.0 <= self.serial_fraction <= 1.0:
            raise ValueError(f"serial_fraction is {self.serial_fraction}; must be in [0, 1]")
        if self.serial_s + self.parallel_s <= 0:
            raise ValueError("serial_s + parallel_s must be positive")
        if math.isnan(self.r_squared) or self.r_squared > 1.0 + 1e-12:
            raise ValueError(f"r_squared is {self.r_squared}; must be <= 1")


def amdahl_fit(workers: Sequence[int], times: Sequence[float]) -> Optional[AmdahlFit]:
    """Non-negative least-squares fit of the Amdahl-with-overhead model.

    Needs at least 2 distinct worker counts (None otherwise). With exactly 2 the
    overhead term is fixed at 0: three unknowns from two levels are not identifiable.
    Returns None too when the fit is degenerate (serial_s + parallel_s == 0).
    """
    ps = [_check_workers(w) for w in workers]
    ts = _values(times)
    if len(ps) != len(ts):
        raise ValueError(f"workers has {len(ps)} values but times has {len(ts)}")
    distinct = len(set(ps))
    if distinct < 2:
        return None
    import numpy as np  # lazy: keep `import harness` free of numpy/scipy
    from scipy.optimize import nnls

    p = np.asarray(ps, dtype=float)
    t = np.asarray(ts, dtype=float)
    columns = [np.ones_like(p), 1.0 / p]
    if distinct >= 3:
        columns.append(p - 1.0)
    coef, _ = nnls(np.column_stack(columns), t)
    serial_s, parallel_s = float(coef[0]), float(coef[1])
    overhead = float(coef[2]) if distinct >= 3 else 0.0
    if serial_s + parallel_s <= 0:
        return None
    predicted = serial_s + parallel_s / p + overhead * (p - 1.0)
    ss_res = float(np.sum((t - predicted) ** 2))
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    # Flat data leaves R^2 undefined; report a perfect fit as 1 and anything else as 0.
    r_squared = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res <= 1e-24 else 0.0)
    return AmdahlFit(
        serial_fraction=serial_s / (serial_s + parallel_s), parallel_s=parallel_s,
        serial_s=serial_s, overhead_s_per_worker=overhead, r_squared=r_squared,
    )


def amdahl_predict(fit: AmdahlFit, workers: int) -> float:
    """Predicted time T(p) under a fitted model."""
    p = _check_workers(workers)
    return fit.serial_s + fit.parallel_s / p + fit.overhead_s_per_worker * (p - 1)


def amdahl_speedup(fit: AmdahlFit, workers: int) -> float:
    """Predicted speedup T(1) / T(p) under a fitted model."""
    return amdahl_predict(fit, 1) / amdahl_predict(fit, workers)
