"""Figures of the chunksize axis: the U-curve of time against chunk size, and load balance per
worker (memory and transfer: ``plots_memory``).

Each returns None when the sweep recorded nothing for it (a range-only or schema-3 sweep has
neither). They hold at 128 cores and 256 workers: panels are capped and
chosen, and per-worker bars turn into a sorted profile above ``PROFILE_ABOVE`` workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.analysis.chunking import chunksize_choices, pick_point
from harness.chunksizes import is_static
from harness.analysis.balance import worker_balance
from harness.analysis.baseline import baseline_key, baseline_runs
from harness.text import format_seconds
from harness.report.axes import grid_shape, legend_below, new_figure, plain_log_axis
from harness.report.series import backend_colour, backend_marker, time_unit

if TYPE_CHECKING:
    from harness.report.plots import PlotContext

__all__ = ["MAX_PANELS", "PROFILE_ABOVE", "balance_figure", "chunksize_figure"]

# Small multiples beyond this stop being readable; the panels shown are spread over the range.
MAX_PANELS = 6
# Per-worker bars stay legible up to about 32 workers; beyond that each worker's bar is a few
# pixels and the figure shows the busy times sorted, busiest first (a profile), instead.
PROFILE_ABOVE = 32
IDLE_COLOUR = "#f3d9a4"  # the worker timeline's idle sand, for the same meaning


def _spread(values: list, count: int) -> list:
    """At most ``count`` of the sorted ``values``, evenly spread, the first and last included."""
    if len(values) <= count:
        return list(values)
    return [values[round(i * (len(values) - 1) / (count - 1))] for i in range(count)]


def _workers(count: int) -> str:
    return f"{count} worker" if count == 1 else f"{count} workers"


def _compact(value: float, _pos=None) -> str:
    """1, 10, 100, 1k, 10k, 1M: item counts that fit under a narrow panel."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def _chunk_axis(ax, lo: float, hi: float) -> None:
    """Items per chunk on a log axis: powers of ten, every other one past five decades."""
    import math

    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    step = 1 if last - first <= 5 else 2
    ax.xaxis.set_major_locator(FixedLocator([10.0 ** k for k in range(first, last + 1, step)]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(_compact))
    ax.set_xlim(lo / 1.6, hi * 1.6)


# --- time against chunksize ---------------------------------------------------------------------

def _chunk_curve(ax, choice, index: int, factor: float) -> None:
    """One backend's line of the chunksize figure: its points with intervals, its best
    chunksize circled, "auto" and "static" labelled (stacked by ``index``)."""
    points = sorted((r for r in choice.runs if r.chunk_items is not None), key=lambda r: r.chunk_items)
    colour = backend_colour(choice.backend)
    xs = [r.chunk_items for r in points]
    ys = [r.median_s * factor for r in points]
    lo = [max(0.0, (r.median_s - r.ci_s[0]) * factor) if r.ci_s else 0.0 for r in points]
    hi = [max(0.0, (r.ci_s[1] - r.median_s) * factor) if r.ci_s else 0.0 for r in points]
    ax.errorbar(xs, ys, yerr=[lo, hi], color=colour, marker=backend_marker(choice.backend), markersize=5,
                linewidth=1.6, capsize=2, elinewidth=0.8, label=choice.backend)
    best = choice.best
    if best.chunk_items is not None:
        ax.plot([best.chunk_items], [best.median_s * factor], marker="o", markersize=13,
                markerfacecolor="none", markeredgecolor=colour, markeredgewidth=2, linestyle="none",
                zorder=4)
    for run in points:
        if run.chunksize == "auto" or is_static(run.chunksize):
            # Backends' labels stacked, so two curves through one point keep both readable.
            ax.annotate("auto" if run.chunksize == "auto" else "static", (run.chunk_items,
                        run.median_s * factor), xytext=(-4, 7 + 10 * index), textcoords="offset points",
                        fontsize=8, ha="right", color=colour,
                        fontweight="bold" if run.chunksize == "auto" else "normal")


def chunksize_figure(ctx: "PlotContext"):
    """Median time against items per chunk (log), one line per backend, a panel per worker count."""
    choices = [c for c in chunksize_choices(ctx.runs) if sum(r.chunk_items is not None for r in c.runs) >= 2]
    if not choices:
        return None
    n = max(c.n for c in choices)
    choices = [c for c in choices if c.n == n]
    counts = sorted({c.workers for c in choices})
    # One worker has no balance to gain from chunking: its panel only when it is all there is.
    workers = _spread([w for w in counts if w > 1] or counts, MAX_PANELS)
    rows, cols = grid_shape(len(workers), 3)
    fig = new_figure(11 if cols > 1 else 8, 3.6 * rows + 1.1)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    serial = baseline_runs(ctx.runs)
    order = {b: i for i, b in enumerate(ctx.backends)}
    for ax, w in zip(axes, workers):
        mine = sorted((c for c in choices if c.workers == w), key=lambda c: order.get(c.backend, len(order)))
        times = [r.median_s for c in mine for r in c.runs]
        base = serial.get(baseline_key(mine[0].runs[0]))
        if base is not None:
            times.append(base.median_s)
        factor, unit = time_unit(max(times))
        for index, choice in enumerate(mine):
            _chunk_curve(ax, choice, index, factor)
        if base is not None:
            ax.axhline(base.median_s * factor, color=backend_colour(base.backend), linewidth=1.5,
                       label=f"{base.backend} (median)", zorder=2)
            cpus = ctx.logical_cpus
            ideal = base.median_s / min(w, cpus) if cpus else base.median_s / w
            ax.axhline(ideal * factor, color="0.45", linestyle=":", linewidth=1.3,
                       label="ideal (serial ÷ workers, at most the CPUs)", zorder=2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        chunk_sizes = sorted({r.chunk_items for c in mine for r in c.runs if r.chunk_items})
        _chunk_axis(ax, chunk_sizes[0], chunk_sizes[-1])
        shown = [t * factor for t in times]
        plain_log_axis(ax.yaxis, span=(min(shown), max(shown)))
        ax.set_xlabel("items per chunk")
        ax.set_ylabel(f"median wall time ({unit})")
        ax.set_title(_workers(w))
    for ax in axes[len(workers):]:
        ax.set_visible(False)
    axes[0].plot([], [], marker="o", markersize=11, markerfacecolor="none", markeredgecolor="0.3",
                 markeredgewidth=2, linestyle="none", label="best chunksize (circled)")
    legend_below(fig, axes[:len(workers)])
    fig.suptitle(f"Time vs chunksize — n = {n:,}, {ctx.workload}", fontweight="bold")
    more = (f" Panels for {len(workers)} of the {len({c.workers for c in choices})} worker counts."
            if len({c.workers for c in choices}) > len(workers) else "")
    return fig, ("Median wall time (bars: the median's interval) against the items each chunk held, per backend "
                 "at each worker count: tiny chunks pay a dispatch per chunk, huge ones leave workers idle at "
                 "the end, so the curve is a U. The circle marks each backend's best chunksize; \"auto\" and "
                 "\"static\" (one block per worker) are labelled. The solid line is serial, the dotted one the "
                 "ideal." + more)


# --- load balance -------------------------------------------------------------------------------

def _balance_pairs(ctx: "PlotContext"):
    """(static run, best dynamic run) per backend at one size and worker count, both with busy times."""
    pairs = []
    for choice in chunksize_choices(ctx.runs):
        static = choice.static
        dynamic = [r for r in choice.runs if not is_static(r.chunksize) and worker_balance(r) is not None]
        if static is not None and worker_balance(static) is not None and dynamic:
            pairs.append((choice, static, min(dynamic, key=lambda r: r.median_s)))
    if not pairs:
        return []
    n = max(c.n for c, _, _ in pairs)
    by_backend: dict[str, list] = {}
    for pair in pairs:
        if pair[0].n == n:
            by_backend.setdefault(pair[0].backend, []).append(pair)
    order = {b: i for i, b in enumerate(ctx.backends)}
    chosen = [pick_point(group, ctx.logical_cpus, workers=lambda p: p[0].workers) for group in by_backend.values()]
    chosen.sort(key=lambda p: order.get(p[0].backend, len(order)))
    return chosen[:MAX_PANELS]


def _balance_bars(ax, still, moved, factor: float, colour, count: int) -> None:
    """Per-worker bars: static's busy (faded) with its idle (sand) on top, the best dynamic's beside."""
    xs = list(range(count))
    width = 0.4
    left = [x - width / 2 for x in xs[:len(still.busy_s)]]
    right = [x + width / 2 for x in xs[:len(moved.busy_s)]]
    ax.bar(left, [b * factor for b in still.busy_s], width=width, color=colour, alpha=0.45,
           label="static: busy")
    ax.bar(left, [i * factor for i in still.idle_s], width=width, bottom=[b * factor for b in still.busy_s],
           color=IDLE_COLOUR, hatch="///", edgecolor="#c9a55c", linewidth=0,
           label="static: idle, waiting for the busiest")
    ax.bar(right, [b * factor for b in moved.busy_s], width=width, color=colour, label="best dynamic: busy")
    step = next(s for s in (1, 2, 4, 8) if count / s <= 16)
    ax.set_xticks(xs[::step])
    ax.set_xlabel("worker")


def _balance_profile(ax, still, moved, factor: float, colour, count: int) -> None:
    """Above PROFILE_ABOVE workers: each run's busy times sorted, busiest first; static's idle in sand."""
    # A profile: each run's busy times sorted busiest first; the sand area is static's idle.
    ranked_still = sorted(still.busy_s, reverse=True)
    ranked_moved = sorted(moved.busy_s, reverse=True)
    xs_still = list(range(len(ranked_still)))
    ax.fill_between(xs_still, [b * factor for b in ranked_still], still.busiest_s * factor, step="mid",
                    facecolor=IDLE_COLOUR, hatch="///", edgecolor="#c9a55c", linewidth=0,
                    label="static: idle, waiting for the busiest")
    ax.step(xs_still, [b * factor for b in ranked_still], where="mid", color=colour, alpha=0.55,
            linewidth=1.6, label="static: busy (sorted)")
    ax.step(range(len(ranked_moved)), [b * factor for b in ranked_moved], where="mid", color=colour,
            linewidth=1.8, label="best dynamic: busy (sorted)")
    ax.set_xlabel("workers, busiest first")
    ax.set_xlim(0, count - 1)


def balance_figure(ctx: "PlotContext"):
    """Per-worker busy seconds, static chunking against the best dynamic chunksize."""
    pairs = _balance_pairs(ctx)
    if not pairs:
        return None
    rows, cols = grid_shape(len(pairs), 2 if len(pairs) <= 4 else 3)
    fig = new_figure(11, 3.8 * rows + 1.2)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    profile = False
    for ax, (choice, static, dynamic) in zip(axes, pairs):
        still, moved = worker_balance(static), worker_balance(dynamic)
        factor, unit = time_unit(max(still.busiest_s, moved.busiest_s))
        colour = backend_colour(choice.backend)
        count = max(len(still.busy_s), len(moved.busy_s))
        if count <= PROFILE_ABOVE:
            _balance_bars(ax, still, moved, factor, colour, count)
        else:
            profile = True
            _balance_profile(ax, still, moved, factor, colour, count)
        ax.set_ylim(0, max(still.busiest_s, moved.busiest_s) * factor * 1.08)
        ax.set_ylabel(f"busy ({unit})")
        ax.set_title(f"{choice.backend} · {_workers(choice.workers)}: static vs cs={dynamic.chunksize}\n"
                     f"static left worker {still.idlest} idle {format_seconds(still.longest_idle_s)} "
                     f"({still.longest_idle_share:.0%} of the {format_seconds(still.wall_s)} wall)\n"
                     f"busiest ÷ mean: {still.ratio:.2f}x static, {moved.ratio:.2f}x cs={dynamic.chunksize}",
                     fontsize=8.5)
        ax.grid(False, axis="x")
    for ax in axes[len(pairs):]:
        ax.set_visible(False)
    legend_below(fig, axes[:len(pairs)], columns=3)
    n = pairs[0][0].n
    fig.suptitle(f"Load balance per worker: static vs dynamic chunking — n = {n:,}", fontweight="bold")
    shape = ("Above 32 workers each run's busy times are sorted, busiest first. " if profile else "")
    return fig, ("Seconds each worker spent computing in the median repeat, with the static split (one block per "
                 "worker; faded) and with the backend's fastest other chunksize (solid). Sand is how long static "
                 "left each worker idle waiting for the busiest one; balance is busiest ÷ mean (1.00x is "
                 "perfect). " + shape + "Uneven items make static chunking wait for its slowest block.")
