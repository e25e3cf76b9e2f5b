"""Figures for map workloads and the chunksize axis: the U-curve of time against chunk size,
load balance per worker, memory per model and transfer time against the gap over ideal.

Each returns None when the sweep recorded nothing for it (a range-only or schema-3 sweep has
none of these figures). They hold at 128 cores and 256 workers: panels are capped and
chosen, and per-worker bars turn into a sorted profile above ``PROFILE_ABOVE`` workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.analysis.chunking import chunksize_choices, pick_point
from harness.chunksizes import is_static
from harness.analysis.explain import gap_over_ideal, worker_balance
from harness.analysis.speedup import baseline_key, baseline_runs
from harness.text import format_seconds
from harness.execution.backends import is_baseline
from harness.report.axes import (
    CPU_LINE_NOTE, grid_shape, grouped_positions, mark_logical_cpus, new_figure, plain_log_axis, workers_axis,
)
from harness.report.series import backend_colour, backend_marker, time_unit

if TYPE_CHECKING:
    from harness.report.plots import PlotContext

__all__ = ["MAX_PANELS", "PROFILE_ABOVE", "balance_figure", "chunksize_figure", "memory_figure", "transfer_figure"]

# Small multiples beyond this stop being readable; the panels shown are spread over the range.
MAX_PANELS = 6
# Per-worker bars stay legible up to about 32 workers; beyond that each worker's bar is a few
# pixels and the figure shows the busy times sorted, busiest first (a profile), instead.
PROFILE_ABOVE = 32
# Beyond this many bars a bar chart of configurations is a wall: a line per series scales.
MAX_BARS = 48
MAX_TRANSFER_PANELS = 9  # every process model of the harness (7) and a plugin or two
IDLE_COLOUR = "#f3d9a4"  # the worker timeline's idle sand, for the same meaning


def _spread(values: list, count: int) -> list:
    """At most ``count`` of the sorted ``values``, evenly spread, the first and last included."""
    if len(values) <= count:
        return list(values)
    return [values[round(i * (len(values) - 1) / (count - 1))] for i in range(count)]


def _legend_below(fig, axes, columns: int = 4) -> None:
    handles: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="outside lower center",
                   ncol=max(1, min(columns, len(handles))), frameon=False)


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
    _legend_below(fig, axes[:len(workers)])
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
        else:
            # A profile: each run's busy times sorted busiest first; the sand area is static's idle.
            profile = True
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
    _legend_below(fig, axes[:len(pairs)], columns=3)
    n = pairs[0][0].n
    fig.suptitle(f"Load balance per worker: static vs dynamic chunking — n = {n:,}", fontweight="bold")
    shape = ("Above 32 workers each run's busy times are sorted, busiest first. " if profile else "")
    return fig, ("Seconds each worker spent computing in the median repeat, with the static split (one block per "
                 "worker; faded) and with the backend's fastest other chunksize (solid). Sand is how long static "
                 "left each worker idle waiting for the busiest one; balance is busiest ÷ mean (1.00x is "
                 "perfect). " + shape + "Uneven items make static chunking wait for its slowest block.")


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
        mine = [(r, g) for r, g in points if r.backend == backend]
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
