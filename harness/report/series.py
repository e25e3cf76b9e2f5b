"""Pure functions that turn runs into what the plots and tables show.

No matplotlib or pandas here: choosing which runs a figure shows, the colour a backend
always gets, and the break-even size are plain computations, tested with literal numbers.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from harness.analysis.chunking import chunk_order
from harness.chunksizes import is_static
from harness.execution.backends import BACKEND_NAMES, backend_trait, is_baseline, is_thread_based
from harness.results.model import RunResult

__all__ = [
    "BACKEND_STYLE", "BreakEven", "baseline_of", "backend_colour", "backend_marker", "backend_order",
    "best_parallel_backend", "best_time_by_size", "break_even_size", "break_even_sizes",
    "has_chunk_axis", "plotted_runs", "primary_group", "runs_at", "series_backends", "series_dash", "series_order",
    "sizes", "time_unit",
]

# Each backend's own colour and marker (its class attribute ``style``), so "pool" is the same
# green in every figure and every report; markers keep the lines apart for readers who cannot
# tell colours apart.
BACKEND_STYLE: dict[str, tuple[str, str]] = {
    name: style for name in BACKEND_NAMES if (style := backend_trait(name, "style")) is not None}
# For names not above (plugins, future backends): a stable pick by checksum, never by order,
# so adding a backend to a sweep does not repaint the others.
_SPARE_COLOURS = ("#637939", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1",
                  "#636363", "#9c9ede", "#cedb9c", "#e7969c", "#de9ed6")
_SPARE_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "h")


def backend_colour(name: str) -> str:
    """The colour ``name`` gets in every figure."""
    if name in BACKEND_STYLE:
        return BACKEND_STYLE[name][0]
    return _SPARE_COLOURS[zlib.crc32(name.encode()) % len(_SPARE_COLOURS)]


def backend_marker(name: str) -> str:
    """The marker ``name`` gets in every figure."""
    if name in BACKEND_STYLE:
        return BACKEND_STYLE[name][1]
    return _SPARE_MARKERS[zlib.crc32(name.encode()) % len(_SPARE_MARKERS)]


def backend_order(runs: Iterable[RunResult], configured: Sequence[str] = ()) -> list[str]:
    """Backends in the order the sweep was configured, then any others by first appearance."""
    seen = list(dict.fromkeys(r.backend for r in runs))
    ordered = [b for b in configured if b in seen]
    return ordered + [b for b in seen if b not in ordered]


def series_order(runs: Iterable[RunResult], configured: Sequence[str] = ()) -> list[str]:
    """Each run's ``series`` (the backend, and its chunksize when not static), in backend order
    (see ``backend_order``), a backend's chunksizes in ``chunk_order``. Equal to
    ``backend_order`` for a sweep without a chunksize axis."""
    runs = list(runs)
    order = {b: i for i, b in enumerate(backend_order(runs, configured))}
    first = {}
    for run in runs:
        first.setdefault(run.series, (order[run.backend], chunk_order(run.chunksize)))
    return sorted(first, key=first.__getitem__)


def series_backends(runs: Iterable[RunResult]) -> dict[str, str]:
    """series -> backend name, so traits and colours are looked up on the backend, never on
    a series label such as "pool cs=8"."""
    return {r.series: r.backend for r in runs}


def has_chunk_axis(runs: Iterable[RunResult]) -> bool:
    """Whether any run was chunked other than by the static split (a chunksize axis exists)."""
    return any(not is_static(r.chunksize) for r in runs)


# Line styles for a backend's chunksizes, in chunk order: the static split (or the only one)
# solid, the rest dashed and dotted, so one colour per backend still tells its chunksizes apart.
_DASHES = ("-", (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)), (0, (3, 1, 1, 1, 1, 1)), (0, (8, 3)))


def series_dash(series: str, runs: Iterable[RunResult]):
    """The line style of ``series`` among its backend's series (solid for a backend's first)."""
    runs = list(runs)
    backend = next((r.backend for r in runs if r.series == series), None)
    mine = sorted({r.series: r.chunksize for r in runs if r.backend == backend}.items(),
                  key=lambda item: chunk_order(item[1]))
    rank = next((i for i, (name, _) in enumerate(mine) if name == series), 0)
    return _DASHES[rank % len(_DASHES)]


def primary_group(runs: Sequence[RunResult]) -> tuple[str, str] | None:
    """(workload, scaling) with the most runs: the figures show one comparable family."""
    counts = Counter((r.workload, r.scaling) for r in runs)
    return counts.most_common(1)[0][0] if counts else None


def plotted_runs(runs: Sequence[RunResult]) -> list[RunResult]:
    """The runs figures draw: successful, correct, and of the primary workload and scaling.

    Failed, timed-out, skipped and wrong-result runs stay in the tables only: a time for a
    wrong answer is not a time worth comparing.
    """
    group = primary_group(runs)
    return [r for r in runs if r.status == "ok" and r.result_ok is not False and r.median_s is not None
            and (r.workload, r.scaling) == group]


def sizes(runs: Iterable[RunResult]) -> list[int]:
    """The distinct problem sizes, ascending."""
    return sorted({r.n for r in runs})


def runs_at(runs: Iterable[RunResult], n: int) -> dict[str, list[RunResult]]:
    """Runs at size ``n`` per series (the backend, plus its chunksize when not static), each
    list sorted by worker count: one line per series, never two chunksizes on one line."""
    out: dict[str, list[RunResult]] = {}
    for run in runs:
        if run.n == n:
            out.setdefault(run.series, []).append(run)
    return {b: sorted(rs, key=lambda r: r.workers) for b, rs in out.items()}


def best_parallel_backend(runs: Iterable[RunResult], n: int) -> str | None:
    """The non-thread parallel series with the highest speedup at ``n`` (for the Amdahl fit).

    Threads are left out because on a GIL build their curve measures the lock, not the
    serial fraction of the work; backends measured at one worker count cannot be fitted.
    """
    best, best_speedup = None, -math.inf
    for series, group in runs_at(runs, n).items():
        backend = group[0].backend  # traits belong to the backend, not to "pool cs=8"
        if is_baseline(backend) or is_thread_based(backend) or len({r.workers for r in group}) < 2:
            continue
        # Judged on runs with more than one worker: a lucky one-worker repeat says nothing of scaling.
        top = max((r.speedup for r in group if r.speedup is not None and r.workers > 1), default=None)
        if top is not None and top > best_speedup:
            best, best_speedup = series, top
    return best


def best_time_by_size(runs: Iterable[RunResult]) -> dict[str, dict[int, float]]:
    """Per series and size, the best median over worker counts (seconds)."""
    out: dict[str, dict[int, float]] = {}
    for run in runs:
        per_n = out.setdefault(run.series, {})
        if run.median_s is not None and (run.n not in per_n or run.median_s < per_n[run.n]):
            per_n[run.n] = run.median_s
    return out


@dataclass(frozen=True, slots=True)
class BreakEven:
    """The size from which a backend beats serial.

    ``interpolated`` is False when the backend already won at the smallest size measured
    (the true break-even lies somewhere below, so ``n`` is an upper bound).
    """

    n: float
    interpolated: bool


def break_even_size(ns: Sequence[float], serial_s: Sequence[float], parallel_s: Sequence[float]) -> BreakEven | None:
    """Where a parallel backend first beats serial, interpolating between measured sizes.

    ``ns`` ascending, with the serial and parallel times at each. The crossing of the time
    ratio through 1 is interpolated linearly in log(n) and log(ratio), as times grow as
    power laws in n. None when the parallel backend never wins.
    """
    if not len(ns) == len(serial_s) == len(parallel_s):
        raise ValueError("ns, serial_s and parallel_s need one value per size")
    if any(b <= a for a, b in zip(ns, ns[1:])):
        raise ValueError("ns must be strictly ascending")
    previous = None
    for n, s, p in zip(ns, serial_s, parallel_s):
        if n <= 0 or s <= 0 or p <= 0:
            raise ValueError("sizes and times must be positive")
        log_ratio = math.log(p / s)  # > 0: parallel is slower
        if log_ratio < 0:
            if previous is None:
                return BreakEven(float(n), interpolated=False)
            n0, r0 = previous
            frac = r0 / (r0 - log_ratio)
            return BreakEven(math.exp(math.log(n0) + frac * (math.log(n) - math.log(n0))), interpolated=True)
        previous = (n, log_ratio)
    return None


def baseline_of(by_backend: dict):
    """The baseline backend's entry (serial's) in a mapping keyed by backend name or series, or
    None. The baseline runs with the static split only, so its series is its name."""
    return next((value for name, value in by_backend.items() if is_baseline(name)), None)


def break_even_sizes(runs: Sequence[RunResult]) -> dict[str, BreakEven | None]:
    """Break-even size of each parallel series against serial, over the sizes both measured.

    Empty when serial was not measured or fewer than two sizes were swept.
    """
    best = best_time_by_size(runs)
    serial = baseline_of(best) or {}
    out: dict[str, BreakEven | None] = {}
    for backend, per_n in best.items():
        if is_baseline(backend):
            continue
        common = sorted(n for n in set(per_n) & set(serial) if n > 0 and per_n[n] > 0 and serial[n] > 0)
        if len(common) < 2:
            continue
        out[backend] = break_even_size(common, [serial[n] for n in common], [per_n[n] for n in common])
    return out


def time_unit(max_seconds: float) -> tuple[float, str]:
    """(factor, unit) that shows durations up to ``max_seconds`` with readable numbers."""
    if max_seconds >= 1:
        return 1.0, "s"
    if max_seconds >= 1e-3:
        return 1e3, "ms"
    return 1e6, "µs"
