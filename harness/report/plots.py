"""The report's figures as PNG bytes: which ones exist, in what order, and what they say.

Each figure function (in :mod:`plots_scaling` and :mod:`plots_load`) takes a
:class:`PlotContext` and returns ``(figure, caption)`` or None when the sweep has nothing to
show for it (one size: no time-vs-size plot; no spans: no timeline). Runs that did not
succeed, or computed a wrong result, are never drawn; the tables still list them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable

from harness.model import RunResult, Suite
from harness.report.series import backend_order, plotted_runs, primary_group, sizes

__all__ = ["Plot", "PlotContext", "PLOT_SPECS", "plot_context", "render_plots"]


@dataclass(frozen=True, slots=True)
class PlotContext:
    """What every figure needs: the runs to draw and the facts to draw them against."""

    runs: tuple[RunResult, ...]
    backends: tuple[str, ...]
    sizes: tuple[int, ...]
    logical_cpus: int | None
    workload: str
    scaling: str

    @property
    def largest_n(self) -> int:
        return self.sizes[-1]


@dataclass(frozen=True, slots=True)
class Plot:
    """One rendered figure: ``name`` is its file stem (``name.png`` beside report.html)."""

    name: str
    title: str
    caption: str
    png: bytes
    wide: bool

    @property
    def size_px(self) -> tuple[int, int]:
        """(width, height) read from the PNG header, for the page's <img> attributes."""
        return struct.unpack(">II", self.png[16:24])


# (file stem, title, module, function, spans the full page width)
PLOT_SPECS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("speedup", "Speedup vs workers", "plots_scaling", "speedup_figure", False),
    ("efficiency", "Parallel efficiency vs workers", "plots_scaling", "efficiency_figure", False),
    ("wall-time", "Wall time vs workers", "plots_scaling", "wall_time_figure", True),
    ("time-vs-size", "Time vs problem size", "plots_scaling", "size_figure", True),
    ("cpu-load", "Per-core CPU load over time", "plots_load", "cpu_heatmap_figure", True),
    ("worker-timeline", "Worker timelines", "plots_load", "gantt_figure", True),
    ("cpu-utilisation", "CPU utilisation per configuration", "plots_load", "utilisation_figure", True),
)


def plot_context(suite: Suite) -> PlotContext | None:
    """The context for ``suite``'s figures; None when no run succeeded (nothing to draw)."""
    runs = plotted_runs(suite.runs)
    if not runs:
        return None
    workload, scaling = primary_group(runs)
    cpus = suite.machine.get("logical_cpus")
    return PlotContext(
        runs=tuple(runs),
        backends=tuple(backend_order(runs, suite.config.get("backends") or ())),
        sizes=tuple(sizes(runs)),
        logical_cpus=int(cpus) if isinstance(cpus, int) and cpus > 0 else None,
        workload=workload,
        scaling=scaling,
    )


def render_plots(suite: Suite) -> list[Plot]:
    """Every figure the sweep supports, rendered to PNG, in reading order."""
    import importlib

    from matplotlib import rc_context

    from harness.report.axes import RC, to_png

    context = plot_context(suite)
    if context is None:
        return []
    plots = []
    with rc_context(RC):
        for name, title, module, function, wide in PLOT_SPECS:
            make: Callable = getattr(importlib.import_module(f"harness.report.{module}"), function)
            made = make(context)
            if made is None:
                continue
            figure, caption = made
            plots.append(Plot(name=name, title=title, caption=caption, png=to_png(figure), wide=wide))
    return plots
