"""Where the time went: per-core CPU load heatmaps, worker timelines and CPU utilisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.report.axes import (
    CPU_LINE_NOTE, GridSpacing, finish_grid, fixed_grid, grid_shape, grouped_positions, mark_logical_cpus, new_figure,
    workers_axis,
)
from harness.report.series import backend_colour, runs_at, time_unit
from harness.text import format_seconds
from harness.results.timeline import busiest_first, busy_cores_over_time

if TYPE_CHECKING:
    from harness.report.plots import PlotContext

__all__ = ["cpu_heatmap_figure", "gantt_figure", "utilisation_figure"]

# Beyond this many bars a horizontal bar chart turns into a wall; a line per backend scales.
MAX_BARS = 48
LAUNCH_COLOUR, IDLE_COLOUR = "#bdbdbd", "#f3d9a4"
# Beyond this many logical CPUs a row per core is a line or two of pixels, too thin to follow
# one core across a panel, and the scheduler moves work between cores anyway: each moment's
# loads are then sorted busiest first, so the bright band's height is how many cores were busy.
RANK_CORES_ABOVE = 32


def _largest_run(group, predicate):
    """The run with the most workers that satisfies ``predicate``, or None."""
    chosen = [r for r in group if predicate(r)]
    return chosen[-1] if chosen else None


def _panel_runs(ctx: "PlotContext", n: int, predicate) -> list:
    """One run per series at size ``n`` (its largest worker count satisfying ``predicate``), in
    series order; a backend swept over chunksizes keeps two panels: its first series (the
    static split) and the fastest of the others, so a chunksize axis does not multiply panels."""
    groups = runs_at(ctx.runs, n)
    picked = [run for series in ctx.series
              if (run := _largest_run(groups.get(series, []), predicate)) is not None]
    out, seen = [], {}
    for run in picked:
        seen.setdefault(run.backend, []).append(run)
    for run in picked:
        mine = seen[run.backend]
        if len(mine) <= 2 or run is mine[0] or run is min(mine[1:], key=lambda r: (-r.workers, r.median_s)):
            out.append(run)
    return out


def _row_ticks(ax, count: int, label: str, *, counts: bool = False) -> None:
    """Row labels 0..count-1 on y (rows at i..i+1), thinned so 128 rows stay readable;
    ``counts``: ticks on the row edges, 0..count, read as "this many rows above"."""
    step = next((s for s in (1, 2, 4, 8, 16, 32, 64) if count / s <= 8), 128)
    ticks = list(range(0, count + (1 if counts else 0), step))
    ax.set_yticks([t if counts else t + 0.5 for t in ticks], [str(t) for t in ticks])
    ax.set_ylim(count, 0)  # row 0 on top, as in a table
    ax.set_ylabel(label)
    ax.grid(False)


def _workers(count: int) -> str:
    return f"{count} worker" if count == 1 else f"{count} workers"


def _bars(ax, ys, lefts, widths, height: float, colour: str) -> None:
    """Horizontal bars as one PolyCollection: thousands of Rectangles (barh) draw ~10x slower."""
    from matplotlib.collections import PolyCollection

    h = height / 2
    boxes = [((x, y - h), (x + w, y - h), (x + w, y + h), (x, y + h)) for y, x, w in zip(ys, lefts, widths) if w > 0]
    if boxes:
        ax.add_collection(PolyCollection(boxes, facecolors=colour, edgecolors="none", zorder=2), autolim=False)


def _load_matrix(run):
    """(time edges in s, cores x samples) for one run; the mean column when no timeline was kept."""
    import numpy as np

    cpu = run.cpu
    if cpu.timeline_t_s and cpu.timeline_per_core:
        # Sample i covers (t[i-1], t[i]] and the first starts at the repeat's start (0).
        return np.array((0.0,) + cpu.timeline_t_s), np.array(cpu.timeline_per_core)
    return np.array([0.0, run.median_s]), np.array(cpu.mean_per_core)[:, None]


def cpu_heatmap_figure(ctx: "PlotContext"):
    """Small multiples: one heatmap (rows = cores, x = time, colour = load) per backend."""
    n = ctx.largest_n
    panels = _panel_runs(ctx, n, lambda r: r.cpu is not None and len(r.cpu.mean_per_core) > 0)
    if not panels:
        return None
    matrices = [_load_matrix(run) for run in panels]
    cores = max(m.shape[0] for _, m in matrices)
    ranked = cores > RANK_CORES_ABOVE
    rows, cols = grid_shape(len(panels), 4)
    # Inches: panel body, then room for two-line titles, tick labels and the colour bar.
    body, title, ticks, top, bottom, right = 1.1 + min(cores, 64) * 0.028, 0.42, 0.3, 0.45, 0.55, 1.0
    fig = new_figure(11, rows * body + (rows - 1) * (title + ticks) + top + title + bottom, constrained=False)
    axes = fixed_grid(fig, rows, cols, GridSpacing(left=0.7, right=right, top=top + title, bottom=bottom, wgap=0.3,
                                                   hgap=title + ticks), sharex=True, sharey=True)
    mesh = None
    for ax, run, (edges, matrix) in zip(axes, panels, matrices):
        # Time as a share of each repeat: a 50 ms pool run and a 2 s threads run both fill
        # their panel, so the load pattern stays visible; the duration is in the title.
        duration = float(edges[-1])
        x = edges / duration * 100 if duration > 0 else edges
        shown = busiest_first(matrix.tolist()) if ranked else matrix
        mesh = ax.pcolormesh(x, range(matrix.shape[0] + 1), shown, vmin=0, vmax=100, cmap="viridis", shading="flat")
        if ranked:  # the busy cores at each moment, as a line on the band they make
            ax.stairs(busy_cores_over_time(matrix.tolist()), x, color="white", linewidth=1.2, baseline=None)
        ax.set_title(f"{run.series} · {_workers(run.workers)}\n"
                     f"{run.cpu.busy_cores:.1f} busy cores · {format_seconds(duration)}", fontsize=8.5)
        _row_ticks(ax, cores, "cores, busiest first" if ranked else "core", counts=ranked)
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 25, 50, 75, 100])
        if ax.get_subplotspec().colspan.start != 0:
            ax.set_ylabel("")
    finish_grid(axes, len(panels), cols, "time (% of the repeat)")
    width, height = fig.get_figwidth(), fig.get_figheight()
    bar_h = min(height - top - title - bottom, 3.5)
    colour_axis = fig.add_axes((1 - (right - 0.2) / width, 1 - (top + title + bar_h) / height, 0.14 / width,
                                bar_h / height))
    fig.colorbar(mesh, cax=colour_axis, label="CPU load (%)")
    cpus = f" ({ctx.logical_cpus} logical CPUs)" if ctx.logical_cpus else ""
    fig.suptitle(f"Per-core CPU load during a typical repeat — n = {n:,}{cpus}", fontweight="bold",
                 y=1 - 0.08 / height, va="top")
    if ranked:
        return fig, (f"At each moment the {cores} cores' loads sorted busiest first (row 0 is whichever core was "
                     "busiest then), darker is idle and yellow is 100% busy, for each backend at its largest "
                     "worker count; the white line is the busy cores (the loads' sum ÷ 100). A band as tall as "
                     "the workers means the work really ran in parallel; a line near 1 under threads is the GIL, "
                     "however many cores its threads took turns on. Short repeats give few samples.")
    return fig, ("One row per logical CPU, darker is idle and yellow is 100% busy, for each backend at its "
                 "largest worker count. A single bright row under threads is the GIL; bright rows across all "
                 "cores mean the work really ran in parallel. Short repeats give few samples.")


def gantt_figure(ctx: "PlotContext"):
    """Per-worker timelines: launch gap, compute, idle until the repeat ended."""
    n = ctx.largest_n
    panels = _panel_runs(ctx, n, lambda r: bool(r.worker_spans))
    if not panels:
        return None
    rows, cols = grid_shape(len(panels), 2 if len(panels) <= 4 else 3)
    most = max(len(r.worker_spans) for r in panels)
    # Inches: panel body, two-line titles, each panel's own time axis, the legend at the bottom.
    body, title, ticks, top, bottom = 0.8 + min(most, 24) * 0.065, 0.42, 0.5, 0.45, 0.95
    fig = new_figure(11, rows * body + (rows - 1) * (title + ticks) + top + title + bottom, constrained=False)
    axes = fixed_grid(fig, rows, cols, GridSpacing(left=0.75, right=0.25, top=top + title, bottom=bottom,
                                                   wgap=0.55, hgap=title + ticks))
    for ax, run in zip(axes, panels):
        # Each panel on its own time axis: a 3 s threads run beside a 50 ms pool run would
        # otherwise squeeze the pool's launch gaps into a sliver.
        spans = sorted(run.worker_spans, key=lambda s: s.worker)
        end = max(run.median_s, *(s.end_s for s in spans))
        factor, unit = time_unit(end)
        ys = [i + 0.5 for i in range(len(spans))]
        starts = [s.start_s * factor for s in spans]
        ends = [s.end_s * factor for s in spans]
        height = 0.8 if len(spans) <= 32 else 1.0  # touching bars read as a block at 128 workers
        _bars(ax, ys, [0.0] * len(spans), starts, height, LAUNCH_COLOUR)
        _bars(ax, ys, starts, [e - b for b, e in zip(starts, ends)], height, backend_colour(run.backend))
        _bars(ax, ys, ends, [max(0.0, end * factor - e) for e in ends], height, IDLE_COLOUR)
        # Against the repeat drawn (the median repeat, whose spans can end after the median of
        # all repeats): a share of the time shown, so never above 100%.
        busy = sum(s.end_s - s.start_s for s in spans) / (len(spans) * end) if end else 0
        ax.set_title(f"{run.series} · {_workers(run.workers)}\ncomputing {busy:.0%} of the time", fontsize=8.5)
        _row_ticks(ax, len(spans), "worker")
        if ax.get_subplotspec().colspan.start != 0:
            ax.set_ylabel("")
        ax.set_xlim(0, end * factor * 1.02)
        ax.set_xlabel(f"time ({unit})", fontsize=8.5)
        ax.grid(True, axis="x", alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    from matplotlib.patches import Patch

    # The compute colour differs per panel (the backend's own), so its swatch is neutral.
    handles = [Patch(color=LAUNCH_COLOUR, label="launch (before the worker starts)"),
               Patch(color="0.45", label="compute (the backend's colour)"),
               Patch(color=IDLE_COLOUR, label="idle (waiting for the slowest worker)")]
    height = fig.get_figheight()
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.04 / height), ncol=3, frameon=False)
    fig.suptitle(f"Worker timelines of the median repeat — n = {n:,}", fontweight="bold", y=1 - 0.08 / height,
                 va="top")
    return fig, ("Each bar is one worker at the backend's largest worker count: grey while it is being "
                 "launched, coloured while it computes, sand while it waits for the slowest worker. The bars "
                 "end with the median repeat; \"computing\" is the share of workers × that time spent computing.")


def utilisation_figure(ctx: "PlotContext"):
    """CPU time ÷ (wall time × workers) for every configuration at the largest size."""
    n = ctx.largest_n
    groups = runs_at(ctx.runs, n)
    configs = [r for b in ctx.series for r in groups.get(b, []) if r.cpu_utilization is not None]
    if not configs:
        return None
    if len(configs) > MAX_BARS:
        return _utilisation_lines(ctx, n, configs)
    fig = new_figure(9.5, 1.3 + 0.24 * len(configs))
    ax = fig.add_subplot()
    ys = grouped_positions([run.series for run in configs])  # a gap between series
    values = [r.cpu_utilization * 100 for r in configs]
    ax.barh(ys, values, height=0.8, color=[backend_colour(r.backend) for r in configs])
    ax.set_yticks(ys, [f"{r.series} × {r.workers}" for r in configs])
    ax.set_ylim(ys[-1] + 0.8, -0.8)
    top = max(110.0, max(values) * 1.12)
    for yy, v in zip(ys, values):
        ax.text(min(v, top) + top * 0.01, yy, f"{v:.0f}%", va="center", fontsize=8)
    ax.axvline(100, color="0.3", linestyle=":", linewidth=1.2)
    ax.set_xlim(0, top)
    ax.set_xlabel("CPU utilisation = CPU time ÷ (wall time × workers) (%)")
    ax.grid(False, axis="y")
    ax.set_title(f"CPU utilisation per configuration — n = {n:,}")
    return fig, ("How busy the workers kept the CPUs they were given: 100% means every worker computed the "
                 "whole time; threads on a GIL build stay near 100% ÷ workers.")


def _utilisation_lines(ctx: "PlotContext", n: int, configs):
    """The large-sweep form: utilisation vs workers, one line per backend."""
    fig = new_figure(9.5, 5.2)
    ax = fig.add_subplot()
    workers = sorted({r.workers for r in configs})
    for series in ctx.series:
        group = [r for r in configs if r.series == series]
        if group:
            ax.plot([r.workers for r in group], [r.cpu_utilization * 100 for r in group], linewidth=1.5,
                    markersize=4, **ctx.style(series))
    ax.axhline(100, color="0.3", linestyle=":", linewidth=1.2)
    workers_axis(ax, workers)
    marked = mark_logical_cpus(ax, ctx.logical_cpus, workers)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("CPU time ÷ (wall time × workers) (%)")
    ax.set_title(f"CPU utilisation per configuration — n = {n:,}")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=4, frameon=False)
    return fig, ("How busy the workers kept the CPUs they were given, per backend and worker count; 100% "
                 "means every worker computed the whole time." + (CPU_LINE_NOTE if marked else ""))
