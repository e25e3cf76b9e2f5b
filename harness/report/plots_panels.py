"""Small multiples: the scaling figures as one panel per backend, once they hold too many lines.

A sweep of 5 backends at 4 chunksizes draws 20 lines and bands on one axes, with a 20-entry
legend: unreadable. Past MAX_SERIES series, wall time, speedup and efficiency are drawn at
the largest size as one panel per backend (a shared y axis, so panels compare by eye), each
with that backend's chunksizes as lines, coloured by chunksize alike in every panel, and
serial's median (or the ideal) as the reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from harness.analysis.chunking import chunk_order
from harness.chunksizes import chunk_suffix
from harness.execution.backends import is_baseline
from harness.report.axes import CPU_LINE_NOTE, grid_shape, legend_below, mark_logical_cpus, new_figure, workers_axis
from harness.report.series import runs_at, time_unit

if TYPE_CHECKING:
    from harness.report.plots import PlotContext

__all__ = ["MAX_SERIES", "by_backend_figure", "too_many_series"]

MAX_SERIES = 8
_CHUNK_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                  "#bcbd22", "#17becf")


def too_many_series(ctx: "PlotContext") -> bool:
    """Whether one axes would hold more lines than read apart."""
    return len(ctx.series) > MAX_SERIES


def _chunk_name(run) -> str:
    return chunk_suffix(run.chunksize).strip() or "static"


def _panels(ctx: "PlotContext", n: int):
    """(backend, {chunk name: its runs at n, by workers}) per parallel backend, in the sweep's order."""
    groups = runs_at(ctx.runs, n)
    panels: dict[str, dict[str, list]] = {}
    for series in ctx.series:
        group = groups.get(series)
        if not group or is_baseline(group[0].backend):
            continue
        panels.setdefault(group[0].backend, {})[_chunk_name(group[0])] = group
    return list(panels.items()), groups


def by_backend_figure(ctx: "PlotContext", value: Callable, *, ylabel: str, title: str, reference: str):
    """One panel per backend at the largest size: ``value(run)`` per worker count, a line per
    chunksize; ``reference`` is "serial" (its median, as a horizontal line), "ideal speedup" or
    "ideal efficiency"."""
    n = ctx.largest_n
    panels, groups = _panels(ctx, n)
    if not panels:
        return None
    # Ordered by the chunksize itself (16 after 4), not by its label.
    sizes = {name: group[0].chunksize for _, lines in panels for name, group in lines.items()}
    chunks = sorted(sizes, key=lambda name: chunk_order(sizes[name]))
    colour = {name: _CHUNK_COLOURS[i % len(_CHUNK_COLOURS)] for i, name in enumerate(chunks)}
    rows, cols = grid_shape(len(panels), 3)
    fig = new_figure(11, 3.1 * rows + 1.1)
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True).ravel()
    workers = sorted({r.workers for _, lines in panels for group in lines.values() for r in group} | {1})
    serial = next((g for g in groups.values() if is_baseline(g[0].backend)), None)
    factor, unit = (time_unit(max(r.median_s for _, lines in panels for g in lines.values() for r in g))
                    if reference == "serial" else (1.0, ""))
    marked = False
    for ax, (backend, lines) in zip(axes, panels):
        for name, group in lines.items():
            ax.plot([r.workers for r in group], [value(r) * factor for r in group], color=colour[name], marker="o",
                    markersize=4, linewidth=1.5, label=name)
        if reference == "serial" and serial:
            ax.axhline(serial[0].median_s * factor, color="0.3", linewidth=1.2, label="serial (median)")
        elif reference == "ideal speedup":
            ideal = [min(w, ctx.logical_cpus) if ctx.logical_cpus else w for w in workers]
            ax.plot(workers, ideal, linestyle=":", color="0.35", linewidth=1.3, label="ideal")
            ax.axhline(1.0, color="0.6", linewidth=0.8)
        elif reference == "ideal efficiency":
            ax.axhline(100, color="0.35", linestyle=":", linewidth=1.3, label="ideal (100%)")
        workers_axis(ax, workers)
        marked = mark_logical_cpus(ax, ctx.logical_cpus, workers) or marked
        ax.set_title(backend, fontsize=10)
        ax.set_ylim(bottom=0)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for ax in axes[::cols][:rows]:
        ax.set_ylabel(f"{ylabel} ({unit})" if unit else ylabel)
    legend_below(fig, axes[:len(panels)], columns=6)
    fig.suptitle(f"{title} — n = {n:,}, one panel per backend", fontweight="bold")
    note = (f" With {len(ctx.series)} lines (backends × chunksizes) one axes would not read, so each backend has "
            "its own panel, its chunksizes coloured alike in every panel.")
    return fig, note + (CPU_LINE_NOTE if marked else "")
