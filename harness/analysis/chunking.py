"""The chunksize axis: how a backend's chunksizes are ordered, and which one to use.

Pure functions over RunResults, tested with literal numbers. A backend that can chunk a map
workload runs at several chunksizes at the same workers and size; the fastest of them is its
best chunksize there, and the documented "auto" rule is judged against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from harness.chunksizes import is_static
from harness.execution.backends import is_baseline
from harness.results.model import RunResult

__all__ = ["AUTO_CLOSE", "ChunkChoice", "chunk_label", "chunk_order", "chunksize_choices", "chunksize_line",
           "chunksize_lines", "pick_point"]

# "auto" is "close to the best" within 10%: the repeats of a configuration on a shared machine
# scatter by 5-10% between sweeps, so a smaller difference is no reason to tune the chunksize
# by hand, and a larger one is.
AUTO_CLOSE = 0.10


def chunk_order(chunksize) -> tuple:
    """Sort key for one backend's chunksizes: the static split (or none recorded) first, then
    fixed sizes from small to large, then "auto" (and any other rule, by name)."""
    if is_static(chunksize):
        return (0, 0, "")
    if isinstance(chunksize, int) and not isinstance(chunksize, bool):
        return (1, chunksize, "")
    return (2, 0, str(chunksize))


def chunk_label(run: RunResult) -> str:
    """"64", or for a rule "auto (1,954 items a chunk)": the chunksize as asked and, when the
    items per chunk are not the number itself, what it came to."""
    asked = "static" if run.chunksize is None else str(run.chunksize)
    if run.chunk_items is not None and not isinstance(run.chunksize, int):
        return f"{asked} ({run.chunk_items:,} items a chunk)"
    return asked


@dataclass(frozen=True, slots=True)
class ChunkChoice:
    """One backend at one (workers, n, scaling, workload, python), measured at several chunksizes."""

    backend: str
    workers: int
    n: int
    scaling: str
    workload: str
    python: str | None
    runs: tuple[RunResult, ...]  # in chunk order
    best: RunResult

    @property
    def auto(self) -> RunResult | None:
        return next((r for r in self.runs if r.chunksize == "auto"), None)

    @property
    def static(self) -> RunResult | None:
        return next((r for r in self.runs if is_static(r.chunksize)), None)

    def excess(self, run: RunResult) -> float:
        """How much slower than the best chunksize ``run`` is (0.05: 5% slower)."""
        return run.median_s / self.best.median_s - 1


def _ok(run: RunResult) -> bool:
    return (run.status == "ok" and run.result_ok is not False and bool(run.median_s)
            and not is_baseline(run.backend))


def chunksize_choices(runs: Iterable[RunResult]) -> list[ChunkChoice]:
    """Every (backend, workers, n, scaling, workload, python) measured at two chunksizes or more,
    with its fastest (lowest median) chunksize, in the order the points first appear."""
    groups: dict[tuple, list[RunResult]] = {}
    for run in runs:
        if _ok(run):
            groups.setdefault((run.backend, run.workers, run.n, run.scaling, run.workload, run.python), []).append(run)
    out = []
    for (backend, workers, n, scaling, workload, python), group in groups.items():
        if len({chunk_order(r.chunksize) for r in group}) < 2:
            continue
        group.sort(key=lambda r: chunk_order(r.chunksize))
        best = min(group, key=lambda r: r.median_s)
        out.append(ChunkChoice(backend, workers, n, scaling, workload, python, tuple(group), best))
    return out


def _ms(seconds: float) -> str:
    from harness.text import format_seconds

    return format_seconds(seconds)


def chunksize_line(choice: ChunkChoice, *, where: str = "") -> str:
    """The recommendation for one point: the best chunksize, and how "auto" and static compare."""
    best = choice.best
    head = (f"Chunksize for {choice.backend} at {choice.workers} workers{where}, n={choice.n:,}: "
            f"best {chunk_label(best)}, {_ms(best.median_s)}")
    parts = [head]
    auto = choice.auto
    if auto is best:
        parts.append('the "auto" rule chose the best chunksize measured')
    elif auto is not None:
        excess = choice.excess(auto)
        judged = (f"within {AUTO_CLOSE:.0%} of the best ({excess:+.0%})" if excess <= AUTO_CLOSE
                  else f"{excess:.0%} slower than the best: set the chunksize by hand for this workload")
        parts.append(f"{chunk_label(auto)} {_ms(auto.median_s)}, {judged}")
    static = choice.static
    if static is not None and static is not best:
        parts.append(f"{chunk_label(static)} {_ms(static.median_s)} ({choice.excess(static):+.0%})")
    return "; ".join(parts) + "."


def pick_point(candidates: Sequence, logical_cpus: int | None, workers=lambda c: c.workers):
    """The candidate at the most workers not above the logical CPUs (where a model's ideal is
    highest and still reachable), else the one at the fewest workers above them."""
    if not candidates:
        return None
    within = [c for c in candidates if not logical_cpus or workers(c) <= logical_cpus]
    if within:
        return max(within, key=workers)
    return min(candidates, key=workers)


def chunksize_lines(runs: Sequence[RunResult], logical_cpus: int | None = None) -> list[str]:
    """One recommendation per backend (and workload, scaling, interpreter): at the largest size
    swept over chunksizes, at the most workers not above the logical CPUs."""
    choices = chunksize_choices(runs)
    several = len({r.python for r in runs}) > 1
    by_backend: dict[tuple, list[ChunkChoice]] = {}
    for choice in choices:
        by_backend.setdefault((choice.backend, choice.workload, choice.scaling, choice.python), []).append(choice)
    lines = []
    for (_, _, _, python), group in by_backend.items():
        largest = max(c.n for c in group)
        choice = pick_point([c for c in group if c.n == largest], logical_cpus)
        lines.append(chunksize_line(choice, where=f" on Python {python}" if several and python else ""))
    return lines
