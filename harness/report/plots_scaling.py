"""Scaling figures: wall time, speedup and efficiency vs workers, and time vs problem size."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from harness.execution.backends import is_baseline
from harness.report.plots_panels import by_backend_figure, too_many_series
from harness.report.axes import (
    CPU_LINE_NOTE, grid_shape, mark_logical_cpus, new_figure, plain_log_axis, workers_axis,
)
from harness.report.series import (
    backend_colour, baseline_of, best_parallel_backend, best_time_by_size, break_even_sizes, runs_at, time_unit,
)

if TYPE_CHECKING:
    from harness.report.plots import PlotContext

__all__ = ["efficiency_figure", "size_figure", "speedup_figure", "wall_time_figure"]

# More panels than this stop being readable side by side; the largest sizes matter most.
MAX_SIZE_PANELS = 6


REFERENCE_LABELS = ("ideal", "Amdahl fit")


def _is_reference(label: str) -> bool:
    """Lines drawn for comparison (ideal, fit, CPU count), as opposed to measured backends."""
    return label.startswith(REFERENCE_LABELS) or "logical CPUs" in label


def _legends(fig, axes, *, references_above: bool = True) -> None:
    """Backends in one legend under the panels; reference lines (ideal, fit, CPUs) above them.

    Reference labels are long sentences: sharing a row-wise legend with short backend names
    pushed them past the figure's edge, and inside the axes they covered data.
    """
    lines: dict[str, object] = {}
    references: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            (references if references_above and _is_reference(label) else lines).setdefault(label, handle)

    def columns(entries, width_in: float) -> int:
        longest = max(len(label) for label in entries)
        return max(1, min(len(entries), 6, int(width_in * 12 / (longest + 5))))

    if references:
        # Anchored just above the first panel: constrained layout makes room for it under the title.
        axes[0].legend(list(references.values()), list(references), loc="lower left", bbox_to_anchor=(0, 1.01),
                       ncol=columns(references, axes[0].get_position().width * fig.get_figwidth()),
                       frameon=False, borderaxespad=0, fontsize=8.5)
    if lines:
        # A chunksize axis draws a backend's chunksizes dashed: handles long enough to show the dashes.
        dashed = any(_dashed(handle) for handle in lines.values())
        fig.legend(list(lines.values()), list(lines), loc="outside lower center",
                   ncol=columns(lines, fig.get_figwidth()), frameon=False, **({"handlelength": 3.6} if dashed else {}))


def _dashed(handle) -> bool:
    line = handle.lines[0] if hasattr(handle, "lines") else handle  # an errorbar's container, or a line
    return hasattr(line, "get_linestyle") and line.get_linestyle() not in ("-", "solid", "None", "none", "")


def wall_time_figure(ctx: "PlotContext"):
    """Median wall time per backend with every repeat as a dot; one panel per size (per backend
    at the largest size, when the series are too many for one axes)."""
    if too_many_series(ctx):
        drawn = by_backend_figure(ctx, lambda r: r.median_s, ylabel="wall time", title="Wall time vs workers",
                                  reference="serial")
        return None if drawn is None else (drawn[0], "Median wall time per configuration; the grey line is "
                                           "serial's median. Lower is better." + drawn[1])
    shown = ctx.sizes[-MAX_SIZE_PANELS:]
    rows, cols = grid_shape(len(shown), 3)
    fig = new_figure(11 if cols > 1 else 8, 3.4 * rows + 0.9)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    all_workers = sorted({r.workers for r in ctx.runs})
    for ax, n in zip(axes, shown):
        groups = runs_at(ctx.runs, n)
        factor, unit = time_unit(max(r.max_s or r.median_s for rs in groups.values() for r in rs))
        for series in ctx.series:
            group = groups.get(series)
            if not group:
                continue
            colour = backend_colour(ctx.backend_of(series))
            if is_baseline(ctx.backend_of(series)):
                ax.axhline(group[0].median_s * factor, color=colour, linewidth=1.5,
                           linestyle="-", label=f"{series} (median)", zorder=2)
                continue
            xs = [r.workers for r in group]
            ax.plot(xs, [r.median_s * factor for r in group], linewidth=1.6, markersize=5, **ctx.style(series))
            dots = [(r.workers, t * factor) for r in group for t in r.times_s]
            ax.scatter([d[0] for d in dots], [d[1] for d in dots], s=9, alpha=0.45,
                       color=colour, linewidths=0, zorder=3)
            lo = [(r.min_s if r.min_s is not None else r.median_s) * factor for r in group]
            hi = [(r.max_s if r.max_s is not None else r.median_s) * factor for r in group]
            ax.fill_between(xs, lo, hi, color=colour, alpha=0.12, linewidth=0)
        workers_axis(ax, all_workers)
        marked = mark_logical_cpus(ax, ctx.logical_cpus, all_workers)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(f"wall time ({unit})")
        if len(shown) > 1:
            ax.set_title(f"n = {n:,}")
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    where = f"n = {shown[0]:,}, " if len(shown) == 1 else ""
    fig.suptitle(f"Wall time vs workers — {where}{ctx.workload}, {ctx.scaling} scaling", fontweight="bold")
    # Panel titles sit where the reference legend would go: everything goes below instead.
    _legends(fig, axes[:len(shown)], references_above=len(shown) == 1)
    more = f" (the {len(shown)} largest of {len(ctx.sizes)} sizes)" if len(ctx.sizes) > len(shown) else ""
    return fig, (f"Median wall time per backend (line), every timed repeat (dots) and the min–max band{more}; "
                 "the serial median is the horizontal line. Lower is better." + (CPU_LINE_NOTE if marked else ""))


def _amdahl_curve(ctx: "PlotContext", n: int):
    """(backend, fit, workers, predicted speedup vs serial) for the best process backend, or None."""
    from harness import stats

    groups = runs_at(ctx.runs, n)
    backend = best_parallel_backend(ctx.runs, n)
    serial = baseline_of(groups)
    if backend is None or not serial:
        return None
    group = groups[backend]
    fit = stats.amdahl_fit([r.workers for r in group], [r.median_s for r in group])
    if fit is None:
        return None
    ps = list(range(group[0].workers, group[-1].workers + 1))
    return backend, fit, ps, [serial[0].median_s / stats.amdahl_predict(fit, p) for p in ps]


def _parallel_groups(ctx: "PlotContext", n: int, field: str) -> dict:
    """Runs at size n per non-serial series that have ``field``; series with none left out."""
    groups = {b: [r for r in rs if getattr(r, field) is not None]
              for b, rs in runs_at(ctx.runs, n).items() if not is_baseline(rs[0].backend)}
    return {b: rs for b, rs in groups.items() if rs}


def speedup_figure(ctx: "PlotContext"):
    """Speedup vs workers at the largest size, with the ideal line and an Amdahl fit."""
    from harness.text import format_seconds

    n = ctx.largest_n
    groups = _parallel_groups(ctx, n, "speedup")
    if not groups:
        return None
    if too_many_series(ctx):
        drawn = by_backend_figure(ctx, lambda r: r.speedup, ylabel="speedup vs serial (×)",
                                  title="Speedup vs workers", reference="ideal speedup")
        return None if drawn is None else (drawn[0], f"Serial median ÷ median at n = {n:,}; the dotted line is "
                                           "the ideal." + drawn[1])
    fig = new_figure(7.2, 5.0)
    ax = fig.add_subplot()
    workers = sorted({r.workers for rs in groups.values() for r in rs} | {1})
    top, bottom = 1.0, 1.0
    for series in ctx.series:
        group = groups.get(series)
        if not group:
            continue
        xs, ys = [r.workers for r in group], [r.speedup for r in group]
        bottom = min(bottom, *ys)
        lo = [max(0.0, s - r.speedup_ci95[0]) if r.speedup_ci95 else 0.0 for s, r in zip(ys, group)]
        hi = [max(0.0, r.speedup_ci95[1] - s) if r.speedup_ci95 else 0.0 for s, r in zip(ys, group)]
        ax.errorbar(xs, ys, yerr=[lo, hi], capsize=2, linewidth=1.6, markersize=5, elinewidth=0.8, **ctx.style(series))
        # Room for the intervals too, but a wild one (3 repeats) must not squash the medians.
        top = max(top, *(min(y + h, 2 * max(ys)) for y, h in zip(ys, hi)))
    ideal_ws = list(range(1, workers[-1] + 1))
    ideal = [min(w, ctx.logical_cpus) if ctx.logical_cpus else w for w in ideal_ws]
    cap = f" up to {ctx.logical_cpus} logical CPUs" if ctx.logical_cpus and workers[-1] > ctx.logical_cpus else ""
    ax.plot(ideal_ws, ideal, linestyle=":", color="0.35", linewidth=1.5, label=f"ideal (linear{cap})")
    top = max(top, max(ideal))
    curve = _amdahl_curve(ctx, n)
    if curve:
        series, fit, ps, predicted = curve
        overhead = f", +{format_seconds(fit.overhead_s_per_worker)}/worker" if fit.overhead_s_per_worker > 0 else ""
        ax.plot(ps, predicted, color=backend_colour(ctx.backend_of(series)), linestyle=(0, (6, 3)), linewidth=1.4,
                alpha=0.8, label=f"Amdahl fit to {series}: serial fraction {fit.serial_fraction:.1%}{overhead}")
    ax.axhline(1.0, color="0.55", linewidth=0.8, zorder=1)
    workers_axis(ax, workers)
    if workers[-1] / workers[0] >= 16:
        # Log-log, like the worker axis: a line towards 128x must not flatten everything under 4x.
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

        ax.set_yscale("log", base=2)
        lo, hi = math.floor(math.log2(max(bottom, 1e-3) / 1.3)), math.ceil(math.log2(top * 1.3))
        ax.yaxis.set_major_locator(FixedLocator([2.0 ** k for k in range(lo, hi + 1)]))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_ylim(2.0 ** lo, top * 1.3)
    else:
        ax.set_ylim(0, top * 1.12)
    marked = mark_logical_cpus(ax, ctx.logical_cpus, workers)
    ax.set_ylabel("speedup vs serial (×)")
    fig.suptitle(f"Speedup vs workers — n = {n:,}", fontweight="bold")
    _legends(fig, [ax])
    return fig, (f"Serial median ÷ median at n = {n:,}; bars are 95% intervals. Above the grey line at 1× a "
                 "backend beats serial. The Amdahl fit T(p) = s + w/p + o·(p−1) is fitted to the best "
                 "process backend's medians." + (CPU_LINE_NOTE if marked else ""))


def efficiency_figure(ctx: "PlotContext"):
    """Parallel efficiency (speedup per worker) vs workers at the largest size."""
    n = ctx.largest_n
    groups = _parallel_groups(ctx, n, "efficiency")
    if not groups:
        return None
    if too_many_series(ctx):
        drawn = by_backend_figure(ctx, lambda r: r.efficiency * 100, ylabel="efficiency (%)",
                                  title="Parallel efficiency", reference="ideal efficiency")
        return None if drawn is None else (drawn[0], "Speedup ÷ workers: 100% is perfect scaling." + drawn[1])
    fig = new_figure(7.2, 5.0)
    ax = fig.add_subplot()
    workers = sorted({r.workers for rs in groups.values() for r in rs})
    top = 100.0
    for series in ctx.series:
        group = groups.get(series)
        if group:
            ys = [r.efficiency * 100 for r in group]
            ax.plot([r.workers for r in group], ys, linewidth=1.6, markersize=5, **ctx.style(series))
            top = max(top, *ys)
    ax.axhline(100, color="0.35", linestyle=":", linewidth=1.5, label="ideal (100%)")
    workers_axis(ax, workers)
    marked = mark_logical_cpus(ax, ctx.logical_cpus, workers)
    ax.set_ylim(0, top * 1.1)
    ax.set_ylabel("efficiency = speedup ÷ workers (%)")
    fig.suptitle(f"Parallel efficiency — n = {n:,}", fontweight="bold")
    _legends(fig, [ax])
    return fig, (f"How much of each added worker turns into speed at n = {n:,}: 100% is perfect scaling; "
                 "a falling line means overhead or contention grows with the worker count."
                 + (CPU_LINE_NOTE if marked else ""))


def size_figure(ctx: "PlotContext"):
    """Best time per backend vs problem size (log-log), with each backend's break-even size."""
    if len(ctx.sizes) < 2:
        return None
    best = best_time_by_size(ctx.runs)
    crossings = break_even_sizes(ctx.runs)
    fig = new_figure(9.5, 5.4 + 0.2 * max(0, len(ctx.series) - 6))
    ax = fig.add_subplot()
    factor, unit = time_unit(max(t for per_n in best.values() for t in per_n.values()))
    serial = baseline_of(best) or {}
    # Text beside each circle helps with a few crossings and turns into clutter with many;
    # the legend carries every value either way.
    label_points = sum(1 for be in crossings.values() if be is not None and be.interpolated) <= 3
    for series in ctx.series:
        per_n = best.get(series)
        if not per_n:
            continue
        ns = sorted(per_n)
        label = series
        if series in crossings:
            be = crossings[series]
            label += (" · never faster" if be is None else f" · faster from n≈{be.n:,.0f}" if be.interpolated
                      else " · faster at every size")
        colour = backend_colour(ctx.backend_of(series))
        ax.plot(ns, [per_n[k] * factor for k in ns], linewidth=2.4 if is_baseline(ctx.backend_of(series)) else 1.5,
                markersize=5, **{**ctx.style(series), "label": label})
        be = crossings.get(series)
        if be is not None and be.interpolated:
            at = _interpolate_loglog(sorted(serial), [serial[k] for k in sorted(serial)], be.n) * factor
            ax.plot([be.n], [at], marker="o", markersize=11, markerfacecolor="none",
                    markeredgecolor=colour, markeredgewidth=2, linestyle="none", zorder=4)
            if label_points:
                ax.annotate(f"n≈{be.n:,.0f}", (be.n, at), xytext=(8, -16), textcoords="offset points", fontsize=8,
                            color=colour,
                            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_axis(ax.xaxis, ctx.sizes if len(ctx.sizes) <= 10 else None)
    times = [t * factor for per_n in best.values() for t in per_n.values()]
    plain_log_axis(ax.yaxis, span=(min(times), max(times)))
    ax.set_xlabel("problem size n (items)")
    ax.set_ylabel(f"best wall time over worker counts ({unit})")
    fig.suptitle(f"Time vs problem size — {ctx.workload}, {ctx.scaling} scaling", fontweight="bold")
    _legends(fig, [ax])
    return fig, ("Each backend's best median over its worker counts, on log-log axes. Circles mark the "
                 "break-even size where a backend starts to beat serial (interpolated between measured sizes).")


def _interpolate_loglog(xs: list[float], ys: list[float], x: float) -> float:
    """y at x on the log-log polyline through (xs, ys), clamped to its ends."""
    if x <= xs[0]:
        return ys[0]
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        if x <= x1:
            f = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
            return math.exp(math.log(y0) + f * (math.log(y1) - math.log(y0)))
    return ys[-1]
