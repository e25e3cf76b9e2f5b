"""Shared matplotlib plumbing for the report's figures: canvas, style, worker axis, CPU marker.

Figures are made as ``matplotlib.figure.Figure`` objects on an explicit Agg canvas rather
than through pyplot: no display is ever touched, nothing is registered in pyplot's global
figure list (so nothing can leak across a long sweep), and a program that imports harness
keeps whatever backend it chose for its own plots. matplotlib is imported inside functions
so ``import harness`` stays light.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = [
    "CPU_LINE_NOTE", "DPI", "GridSpacing", "RC", "finish_grid", "fixed_grid", "legend_below", "grid_shape", "grouped_positions",
    "mark_logical_cpus", "new_figure", "plain_log_axis", "to_png", "workers_axis",
]

CPU_LINE_NOTE = (" The dashed vertical line marks the logical CPU count: to its right workers outnumber CPUs "
                 "(oversubscription), so they take turns and speedup cannot grow.")

# ~100 dpi keeps a 11-inch figure at ~1100 px: sharp in the page, small in the file, fast to draw.
DPI = 100
RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.facecolor": "white",
}


def new_figure(width_in: float, height_in: float, *, constrained: bool = True):
    """A Figure on its own Agg canvas.

    Constrained layout keeps labels from overlapping whatever their length; small-multiple
    grids, whose panels all carry the same kinds of labels, use :func:`fixed_grid` instead,
    as constrained layout costs about half a second per grid of eight panels.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained" if constrained else None)
    FigureCanvasAgg(fig)
    return fig


def to_png(fig) -> bytes:
    """The figure as PNG bytes; the figure is cleared afterwards to free its artists at once."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    fig.clear()
    return buffer.getvalue()


def grid_shape(count: int, max_cols: int) -> tuple[int, int]:
    """(rows, cols) for ``count`` small multiples, at most ``max_cols`` wide."""
    cols = max(1, min(count, max_cols))
    return math.ceil(count / cols), cols


@dataclass(frozen=True, slots=True)
class GridSpacing:
    """A grid's margins around it and gaps between its panels, in inches."""

    left: float
    right: float
    top: float
    bottom: float
    wgap: float
    hgap: float


def fixed_grid(fig, rows: int, cols: int, spacing: GridSpacing, **subplot_kw):
    """A rows x cols grid of axes spaced as ``spacing`` says (inches); returns them flattened."""
    width, height = fig.get_figwidth(), fig.get_figheight()
    s = spacing
    panel_w = (width - s.left - s.right - s.wgap * (cols - 1)) / cols
    panel_h = (height - s.top - s.bottom - s.hgap * (rows - 1)) / rows
    grid = fig.add_gridspec(rows, cols, left=s.left / width, right=1 - s.right / width, bottom=s.bottom / height,
                            top=1 - s.top / height, wspace=s.wgap / panel_w, hspace=s.hgap / panel_h)
    return grid.subplots(squeeze=False, **subplot_kw).ravel()


def grouped_positions(groups: Sequence[object], gap: float = 0.6) -> list[float]:
    """Bar positions 0, 1, 2... with an extra ``gap`` wherever the group (a backend, a series)
    changes from one bar to the next, so a chart of many bars reads in blocks."""
    positions, y, previous = [], 0.0, None
    for group in groups:
        y += gap if previous not in (None, group) else 0.0
        positions.append(y)
        y += 1.0
        previous = group
    return positions


def finish_grid(axes, used: int, cols: int, xlabel: str) -> None:
    """Hide the unused cells of a small-multiples grid; label x only where no panel sits below.

    With a shared x axis matplotlib labels only the bottom row, which leaves a panel above an
    empty cell without numbers on its axis.
    """
    axes = list(axes)
    for ax in axes[used:]:
        ax.set_visible(False)
    for i, ax in enumerate(axes[:used]):
        bottom = i + cols >= used
        ax.set_xlabel(xlabel if bottom else "")
        ax.xaxis.set_tick_params(labelbottom=bottom)


def workers_axis(ax, workers: Iterable[int]) -> None:
    """Worker counts on x: log base 2 once they span 16x or more (1..128 stays readable)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

    values = sorted(set(workers))
    ax.set_xlabel("workers")
    if not values:
        return
    if values[-1] / values[0] >= 16:
        ax.set_xscale("log", base=2)
        lo, hi = math.floor(math.log2(values[0])), math.ceil(math.log2(values[-1]))
        ax.xaxis.set_major_locator(FixedLocator([2.0 ** k for k in range(lo, hi + 1)]))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlim(values[0] / 1.25, values[-1] * 1.25)
    else:
        if len(values) <= 12:
            ax.xaxis.set_major_locator(FixedLocator(values))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        pad = max(0.3, (values[-1] - values[0]) * 0.04)
        ax.set_xlim(values[0] - pad, values[-1] + pad)


def mark_logical_cpus(ax, logical_cpus: int | None, workers: Sequence[int], *, label: bool = True) -> bool:
    """A dashed vertical line at the logical CPU count when the sweep goes past it.

    Beyond that line workers share cores (oversubscription), so no speedup can grow there.
    Returns whether the line was drawn.
    """
    if not logical_cpus or not workers or max(workers) <= logical_cpus:
        return False
    # A short label keeps the legend to a few rows; the caption explains it (CPU_LINE_NOTE).
    ax.axvline(logical_cpus, color="0.3", linestyle="--", linewidth=1.2, zorder=1,
               label=f"{logical_cpus} logical CPUs" if label else None)
    return True


def plain_log_axis(axis, ticks: Sequence[float] | None = None, span: tuple[float, float] | None = None) -> None:
    """Plain numbers on a log axis (20,000 and 0.5, not 2×10⁴).

    ``ticks`` when given; otherwise steps that suit ``span`` (the data's range): 1-2-3-5-7
    within a decade, 1-2-5 over a few, powers of ten beyond.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

    def plain(value: float, _pos=None) -> str:
        return f"{value:,.0f}" if value >= 1000 else f"{value:g}"

    if ticks:
        axis.set_major_locator(FixedLocator(sorted(set(ticks))))
    else:
        decades = math.log10(span[1] / span[0]) if span and span[0] > 0 and span[1] > span[0] else 3.0
        subs = (1.0, 2.0, 3.0, 5.0, 7.0) if decades < 1.2 else (1.0, 2.0, 5.0) if decades < 3.5 else (1.0,)
        axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(plain))


def legend_below(fig, axes, columns: int = 4) -> None:
    """One legend under every panel: each label once, from whichever panel drew it first."""
    handles: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="outside lower center",
                   ncol=max(1, min(columns, len(handles))), frameon=False)
