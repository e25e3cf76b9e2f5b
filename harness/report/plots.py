"""The report's figures as PNG bytes: which ones exist, in what order, and what they say.

Each figure function (in :mod:`plots_scaling`, :mod:`plots_load` and, for map workloads and
the chunksize axis, :mod:`plots_map`) takes a :class:`PlotContext` and returns ``(figure,
caption)`` or None when the sweep has nothing to show for it (one size: no time-vs-size plot;
no spans: no timeline; no chunksize axis: no time-vs-chunksize plot). Runs that did not
succeed, or computed a wrong result, are never drawn; the tables still list them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Callable

from harness._compat import figure_suptitle
from harness.results.model import RunResult, Suite
from harness.report.series import (
    backend_colour, backend_marker, backend_order, plotted_runs, primary_group, series_backends, series_dash,
    series_order, sizes,
)

__all__ = ["FigureSpec", "Plot", "PlotContext", "PLOT_SPECS", "plot_context", "render_plots"]


@dataclass(frozen=True, slots=True)
class PlotContext:
    """What every figure needs: the runs to draw and the facts to draw them against."""

    runs: tuple[RunResult, ...]
    backends: tuple[str, ...]
    sizes: tuple[int, ...]
    logical_cpus: int | None
    workload: str
    scaling: str
    # The interpreter these runs are of, when the sweep ran in several (each gets its own figures).
    python: str | None = None
    # The lines figures draw: one per series (a backend, or a backend at one chunksize), in
    # order, each with its backend (whose colour, marker and traits it takes) and line style.
    series: tuple[str, ...] = ()
    series_backend: dict[str, str] = field(default_factory=dict)
    series_dashes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.series:  # built by hand without series: one per backend, as before the chunksize axis
            object.__setattr__(self, "series", tuple(self.backends))

    @property
    def largest_n(self) -> int:
        return self.sizes[-1]

    def backend_of(self, series: str) -> str:
        """The backend a series belongs to ("pool" for "pool cs=8")."""
        return self.series_backend.get(series, series)

    def style(self, series: str) -> dict:
        """Line keywords for a series: its backend's colour and marker, its chunksize's dashes."""
        backend = self.backend_of(series)
        return {"color": backend_colour(backend), "marker": backend_marker(backend),
                "linestyle": self.series_dashes.get(series, "-"), "label": series}


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
@dataclass(frozen=True, slots=True)
class FigureSpec:
    """One figure of the report: its file name, title, and the function that draws it
    (``harness.report.MODULE:FUNCTION``, called with a PlotContext, returning (figure, caption)
    or None). ``across_interpreters``: it compares the interpreters of a sweep, so it is drawn
    once for all of them; every other figure is drawn once per interpreter."""

    name: str
    title: str
    module: str
    function: str
    wide: bool = True
    across_interpreters: bool = False


PLOT_SPECS: tuple[FigureSpec, ...] = (
    FigureSpec("build-model", "Build × model", "plots_matrix", "matrix_figure", across_interpreters=True),
    FigureSpec("build-model-baseline", "Build × model on one baseline", "plots_matrix", "matrix_baseline_figure",
               across_interpreters=True),
    FigureSpec("speedup", "Speedup vs workers", "plots_scaling", "speedup_figure", wide=False),
    FigureSpec("efficiency", "Parallel efficiency vs workers", "plots_scaling", "efficiency_figure", wide=False),
    FigureSpec("wall-time", "Wall time vs workers", "plots_scaling", "wall_time_figure"),
    FigureSpec("chunksize", "Time vs chunksize", "plots_map", "chunksize_figure"),
    FigureSpec("time-vs-size", "Time vs problem size", "plots_scaling", "size_figure"),
    FigureSpec("cpu-load", "Per-core CPU load over time", "plots_load", "cpu_heatmap_figure"),
    FigureSpec("worker-timeline", "Worker timelines", "plots_load", "gantt_figure"),
    FigureSpec("load-balance", "Load balance per worker", "plots_map", "balance_figure"),
    FigureSpec("cpu-utilisation", "CPU utilisation per configuration", "plots_load", "utilisation_figure"),
    FigureSpec("memory", "Memory per model", "plots_memory", "memory_figure"),
    FigureSpec("transfer", "Transfer time vs the gap over ideal", "plots_memory", "transfer_figure", wide=False),
)


def plot_context(suite: Suite, python: str | None = None) -> PlotContext | None:
    """The context for ``suite``'s figures (of one interpreter's runs when ``python`` is given);
    None when no run succeeded (nothing to draw)."""
    runs = plotted_runs(suite.runs)
    if python is not None:
        runs = [r for r in runs if r.python == python]
    if not runs:
        return None
    workload, scaling = primary_group(runs)
    cpus = suite.machine.cpus  # what caps a speedup here: taskset -c 0 makes the ideal 1
    configured = suite.config.get("backends") or ()
    lines = series_order(runs, configured)
    return PlotContext(
        runs=tuple(runs),
        backends=tuple(backend_order(runs, configured)),
        sizes=tuple(sizes(runs)),
        logical_cpus=int(cpus) if isinstance(cpus, int) and cpus > 0 else None,
        workload=workload,
        scaling=scaling,
        python=python,
        series=tuple(lines),
        series_backend=series_backends(runs),
        series_dashes={name: series_dash(name, runs) for name in lines},
    )


def _slug(label: str) -> str:
    """A file-name-safe interpreter label: '3.13.15t:gil=1' -> 'py3.13.15t-gil1'."""
    return "py" + "".join(c if c.isalnum() or c == "." else "-" for c in label).replace("=", "").replace("--", "-")


def _contexts(suite: Suite) -> list[tuple[str, PlotContext | None]]:
    """(file suffix, context) per figure set: one for the sweep, or, when it ran in several
    interpreters, one for all (the build x model figure) and one per interpreter."""
    whole = plot_context(suite)
    labels = list(dict.fromkeys(r.python for r in (whole.runs if whole else ()) if r.python))
    if len(labels) < 2:
        return [("", whole)]
    return [("", whole)] + [(f"-{_slug(label)}", plot_context(suite, label)) for label in labels]


def _name_interpreter(figure, caption: str, python: str) -> str:
    """Put the interpreter in a per-interpreter figure's title and caption."""
    title = figure_suptitle(figure)
    if title is not None:
        title.set_text(f"{title.get_text()} — Python {python}")
    elif figure.axes:
        figure.axes[0].set_title(f"{figure.axes[0].get_title()} — Python {python}")
    return f"Python {python} only. {caption}"


def render_plots(suite: Suite) -> list[Plot]:
    """Every figure the sweep supports, rendered to PNG, in reading order."""
    import importlib

    from matplotlib import rc_context

    from harness.report.axes import RC, to_png

    plots = []
    contexts = _contexts(suite)
    with rc_context(RC):
        for suffix, context in contexts:
            if context is None:
                continue
            for spec in PLOT_SPECS:
                # With several interpreters the sweep-wide set holds only the figures across
                # them: every other figure would mix them, so each interpreter gets its own.
                if len(contexts) > 1 and (suffix == "") != spec.across_interpreters:
                    continue
                make: Callable = getattr(importlib.import_module(f"harness.report.{spec.module}"), spec.function)
                made = make(context)
                if made is None:
                    continue
                figure, caption = made
                title = spec.title
                if context.python is not None:
                    caption = _name_interpreter(figure, caption, context.python)
                    title = f"{title} ({context.python})"
                # Small multiples need the page's width whatever the figure's usual size.
                wide = spec.wide or figure.get_figwidth() >= 10
                plots.append(Plot(name=spec.name + suffix, title=title, caption=caption, png=to_png(figure),
                                  wide=wide))
    return plots
