"""Figures of what a model costs besides compute: memory per model, and transfer time (pickling)
against the gap over ideal. None when the sweep recorded nothing for them (a range-only or
schema-3 sweep has neither)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.analysis.balance import gap_over_ideal
from harness.analysis.baseline import baseline_key, baseline_runs
from harness.execution.backends import is_baseline
from harness.report.axes import (
    CPU_LINE_NOTE, grid_shape, grouped_positions, mark_logical_cpus, new_figure, plain_log_axis, workers_axis,
)
from harness.report.series import backend_colour, backend_marker

if TYPE_CHECKING:
    from harness.report.plots import PlotContext

__all__ = ["MAX_BARS", "MAX_TRANSFER_PANELS", "memory_figure", "transfer_figure"]

# Beyond this many bars a bar chart of configurations is a wall: a line per series scales.
MAX_BARS = 48
MAX_TRANSFER_PANELS = 9  # every process model of the harness (7) and a plugin or two


# --- memory -------------------------------------------------------------------------------------

def _mib(value: float) -> float:
    return value / 2**20


def _memory_points(runs) -> list:
    """Per backend and worker count, the run with the highest peak over its chunksizes, and how
    many chunksizes it was measured at (memory hardly depends on the chunksize; the most is shown)."""
    groups: dict[tuple, list] = {}
    for run in runs:
        groups.setdefault((run.backend, run.workers), []).append(run)
    return [(max(group, key=lambda r: r.memory.peak_bytes), len(group)) for group in groups.values()]


def memory_figure(ctx: "PlotContext"):
    """Peak (and mean) memory of the harness and its workers per backend and worker count."""
    with_memory = [r for r in ctx.runs if r.memory is not None]
    if not with_memory:
        return None
    n = max(r.n for r in with_memory)
    order = {b: i for i, b in enumerate(ctx.backends)}
    points = sorted(_memory_points(r for r in with_memory if r.n == n),
                    key=lambda p: (order.get(p[0].backend, len(order)), p[0].workers))
    configs = [run for run, _ in points]
    metrics = "/".join(dict.fromkeys(r.memory.metric.upper() for r in configs))
    chunked = any(count > 1 for _, count in points)
    note = " Swept over chunksizes, a model shows its largest peak of them." if chunked else ""
    if len(configs) > MAX_BARS:
        return _memory_lines(ctx, n, configs, metrics, note)
    fig = new_figure(9.5, 1.5 + 0.26 * len(configs))
    ax = fig.add_subplot()
    ys = grouped_positions([run.backend for run in configs])  # a gap between backends
    peaks = [_mib(r.memory.peak_bytes) for r in configs]
    means = [_mib(r.memory.mean_bytes) for r in configs]
    colours = [backend_colour(r.backend) for r in configs]
    ax.barh(ys, peaks, height=0.8, color=colours, alpha=0.45, label="peak")
    ax.barh(ys, means, height=0.36, color=colours, label="mean")
    ax.set_yticks(ys, [f"{r.backend} × {r.workers}" for r in configs])
    ax.set_ylim(ys[-1] + 0.8, -0.8)
    top = max(peaks) * 1.25
    several = len({r.memory.metric for r in configs}) > 1
    for yy, run, peak in zip(ys, configs, peaks):
        label = f"{peak:,.0f} MiB" + (f" {run.memory.metric.upper()}" if several else "")
        ax.text(peak + top * 0.01, yy, label, va="center", fontsize=8)
    ax.set_xlim(0, top)
    ax.set_xlabel(f"total memory of the harness and its workers ({metrics}, MiB)")
    ax.grid(False, axis="y")
    ax.legend(loc="upper right", frameon=False, fontsize=8.5)
    ax.set_title(f"Memory per model — n = {n:,}")
    return fig, (f"The {metrics} of the harness and every worker summed, at its peak (faded bar) and on average "
                 "(narrow bar) over the timed repeats. USS is the memory each process alone holds (freed were it "
                 "to exit), PSS splits shared pages among their sharers; RSS counts shared pages once per "
                 "process, so it overstates many processes." + note)


def _memory_lines(ctx: "PlotContext", n: int, configs, metrics: str, note: str):
    """The large-sweep form: peak memory against workers, one line per backend; serial a line."""
    fig = new_figure(9.5, 5.4)
    ax = fig.add_subplot()
    workers = sorted({r.workers for r in configs if not is_baseline(r.backend)})
    for backend in ctx.backends:
        group = sorted((r for r in configs if r.backend == backend), key=lambda r: r.workers)
        if not group:
            continue
        colour = backend_colour(backend)
        if is_baseline(backend):
            ax.axhline(_mib(group[0].memory.peak_bytes), color=colour, linewidth=1.5, label=f"{backend} (peak)")
            continue
        xs = [r.workers for r in group]
        ax.plot(xs, [_mib(r.memory.peak_bytes) for r in group], linewidth=1.5, markersize=4, color=colour,
                marker=backend_marker(backend), label=backend)
        ax.fill_between(xs, [_mib(r.memory.mean_bytes) for r in group], [_mib(r.memory.peak_bytes) for r in group],
                        color=colour, alpha=0.1, linewidth=0)
    workers_axis(ax, workers or [1])
    if workers and workers[-1] / workers[0] >= 16:
        ax.set_yscale("log")
        peaks = [_mib(r.memory.peak_bytes) for r in configs]
        plain_log_axis(ax.yaxis, span=(min(peaks), max(peaks)))
    marked = mark_logical_cpus(ax, ctx.logical_cpus, workers)
    ax.set_ylabel(f"total memory at peak ({metrics}, MiB)")
    ax.set_title(f"Memory per model — n = {n:,}")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=4, frameon=False)
    return fig, (f"The peak {metrics} of the harness and every worker summed, per backend and worker count (the "
                 "band reaches down to the mean); serial, one process, is the horizontal line." + note
                 + (CPU_LINE_NOTE if marked else ""))


# --- transfer time ------------------------------------------------------------------------------

def transfer_figure(ctx: "PlotContext"):
    """Per backend whose workers receive items by pickle: its gap over ideal against workers, a
    line per chunksize, beside the estimated serialisation (grey)."""
    serial = baseline_runs(ctx.runs)
    points = []
    for run in ctx.runs:
        base = serial.get(baseline_key(run))
        if run.serialisation_s is None or base is None or is_baseline(run.backend) or not base.median_s:
            continue
        points.append((run, gap_over_ideal(run, base, ctx.logical_cpus)))
    if not points:
        return None
    n = max(r.n for r, _ in points)
    points = [(r, g) for r, g in points if r.n == n]
    order = {b: i for i, b in enumerate(ctx.backends)}
    backends = sorted({r.backend for r, _ in points}, key=lambda b: order.get(b, len(order)))[:MAX_TRANSFER_PANELS]
    rows, cols = grid_shape(len(backends), 3)
    fig = new_figure(11 if cols > 1 else 7.6, 3.5 * rows + 1.3)
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True).ravel()
    values = [v for r, g in points for v in (r.serialisation_s, g) if v > 0]
    floor = min(values) / 2 if values else 1e-3
    top = max(values) * 1.5 if values else 1.0
    workers = sorted({r.workers for r, _ in points})
    below = False
    for ax, backend in zip(axes, backends):
        below = _transfer_panel(ax, ctx, backend, [(r, g) for r, g in points if r.backend == backend],
                                (floor, top), workers) or below
    for ax in axes[len(backends):]:
        ax.set_visible(False)
    fig.suptitle(f"Transfer time vs the gap over ideal — n = {n:,}", fontweight="bold")
    more = (f" The first {len(backends)} such backends are shown." if len({r.backend for r, _ in points})
            > len(backends) else "")
    return fig, ("For each backend whose workers receive items by pickle: its gap over ideal, the median minus "
                 "the ideal time (serial's median ÷ the workers, at most the logical CPUs), a line per "
                 "chunksize, beside the estimated seconds to pickle and unpickle every item and result once "
                 "(grey, dotted). Where a line meets the grey one, pickling alone accounts for the gap; far above "
                 "it, something else does (a dispatch per chunk, start-up, imbalance)."
                 + (" Hollow triangles on the floor were at or faster than the ideal." if below else "") + more)


def _transfer_panel(ax, ctx: "PlotContext", backend: str, mine, span: tuple[float, float], workers) -> bool:
    """One backend's panel: a gap line per chunksize, the estimate in grey; whether a point sat at
    or below the ideal (drawn hollow on the floor)."""
    floor, top = span
    below = False
    for series in ctx.series:
        line = sorted(((r, g) for r, g in mine if r.series == series), key=lambda p: p[0].workers)
        if not line:
            continue
        style = ctx.style(series)
        ax.plot([r.workers for r, _ in line], [max(g, floor) for _, g in line], linewidth=1.5, markersize=4,
                **{**style, "label": "gap over ideal, " + ("static" if series == backend
                                                           else series[len(backend) + 1:])})
        under = [(r, g) for r, g in line if g <= 0]
        if under:  # at or better than the ideal: on the floor, hollow
            below = True
            ax.scatter([r.workers for r, _ in under], [floor] * len(under), marker="v", s=30,
                       facecolors="white", edgecolors=style["color"], zorder=4)
    # The estimate does not depend on the chunksize (every item once): one grey line per backend.
    estimate: dict[int, list[float]] = {}
    for r, _ in mine:
        estimate.setdefault(r.workers, []).append(r.serialisation_s)
    xs = sorted(estimate)
    ax.plot(xs, [max(sum(estimate[w]) / len(estimate[w]), floor) for w in xs], color="0.35", linestyle=":",
            linewidth=2.0, marker="s", markersize=3.5, label="estimated serialisation")
    ax.set_yscale("log")
    ax.set_ylim(floor * 0.8, top)
    plain_log_axis(ax.yaxis, span=(floor, top))
    workers_axis(ax, workers)
    ax.set_title(backend)
    ax.set_ylabel("seconds per repeat")
    ax.legend(loc="upper right", frameon=False, fontsize=7.5)
    return below
