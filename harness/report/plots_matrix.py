"""The build x model figure: one panel per concurrency model, one line per interpreter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.report.axes import grid_shape, legend_below, new_figure, workers_axis

if TYPE_CHECKING:
    from harness.report.plots import PlotContext

__all__ = ["INTERPRETER_STYLES", "matrix_baseline_figure", "matrix_figure"]

# Interpreters are told apart by colour and line style together (readable in grey print too).
INTERPRETER_STYLES = (("#444444", "-", "s"), ("#d62728", "--", "o"), ("#1f77b4", "-.", "^"),
                      ("#2ca02c", ":", "D"), ("#9467bd", (0, (5, 1, 1, 1)), "v"), ("#8c564b", (0, (1, 1)), "P"))


def matrix_figure(ctx: "PlotContext"):
    """Speedup vs workers per model (panels), per interpreter (series), each against its own
    serial; None for one interpreter."""
    fig = _matrix(ctx, "speedup", "speedup vs serial (×)")
    if fig is None:
        return None
    fig.suptitle("Build × model: speedup per model on each interpreter", fontweight="bold")
    return fig, ("Each panel is one concurrency model; each line one interpreter, against its own serial run "
                 "at the same size. On a GIL build threads stay near 1×; on a free-threaded build they can "
                 "follow processes.")


def matrix_baseline_figure(ctx: "PlotContext"):
    """The same panels on one baseline: every interpreter against the sweep's baseline serial run."""
    drawn = _matrix(ctx, "baseline_speedup", "speedup vs the baseline's serial (×)")
    if drawn is None:
        return None
    baselines = {r.python for r in ctx.runs if r.baseline_speedup == 1.0 and r.workers == 1}
    name = f"Python {sorted(baselines)[0]}'s serial" if len(baselines) == 1 else "one baseline"
    drawn.suptitle(f"Build × model on one baseline: {name}", fontweight="bold")
    return drawn, (f"The same panels, every line against {name}, so interpreters compare by wall time: a line "
                   "above another is faster there, whatever its own serial took. The serial panel is each "
                   "build's single-thread speed against the baseline's.")


def _matrix(ctx: "PlotContext", field: str, ylabel: str):
    from harness.analysis.matrix import model_matrix

    labels, rows = model_matrix(ctx.runs, field=field)
    if len(labels) < 2 or not rows:
        return None
    models = list(dict.fromkeys(r.series for r in rows))
    panel_rows, cols = grid_shape(len(models), 3)
    fig = new_figure(11, 3.3 * panel_rows + 1.0)
    axes = fig.subplots(panel_rows, cols, squeeze=False, sharey=True).ravel()
    workers = sorted({r.workers for r in rows} | {1})
    top = max([1.0] + [v for r in rows for v in r.speedups if v is not None]
              + ([max(workers)] if field == "speedup" else []))
    for ax, model in zip(axes, models):
        mine = [r for r in rows if r.series == model]
        for index, label in enumerate(labels):
            points = [(r.workers, r.speedups[index]) for r in mine if r.speedups[index] is not None]
            if not points:
                continue
            colour, dash, marker = INTERPRETER_STYLES[index % len(INTERPRETER_STYLES)]
            ax.plot([p[0] for p in points], [p[1] for p in points], color=colour, linestyle=dash, marker=marker,
                    linewidth=1.7, markersize=5, label=f"Python {label}")
        if field == "speedup":  # against another interpreter's serial, linear is no ideal
            ax.plot(workers, workers, linestyle=":", color="0.6", linewidth=1.2, label="ideal (linear)")
        ax.axhline(1.0, color="0.75", linewidth=0.8, zorder=1)
        workers_axis(ax, workers)
        ax.set_title(model)
        # One limit for every panel, set once the data is known: a limit set per panel stops the
        # shared axis autoscaling, and the first panel's top would clip the others.
        ax.set_ylim(0, top * 1.08)
        ax.set_ylabel(ylabel)
    for ax in axes[len(models):]:
        ax.set_visible(False)
    legend_below(fig, axes[:len(models)])
    return fig
