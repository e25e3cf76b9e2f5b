"""The trend page's figures: per configuration group, time and speedup over commits, steps marked.

A configuration group is one workload at one size and scaling, in one interpreter on one
machine; its lines are the backends at their worker counts and chunk sizes. Each group with a
step gets a figure of its own (time above, speedup below, every step a vertical line at the
commit where it happened, labelled with the commit's sha and subject). The lines are the levels
the detector and the regressions table read: a commit's median sample, per reference loop
where the series timed one beside each repeat. Every group, stepped or not, is also a panel
of its section's small multiples, so a store of hundreds of configurations is one PNG per
section plus one per group that stepped. matplotlib (Agg) is imported only when a figure is
drawn.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import NamedTuple, Sequence

from harness.history.regressions import StepReport
from harness.history.series import metric_series
from harness.history.store import SeriesHistory
from harness.report.axes import GridSpacing, fixed_grid, grid_shape, new_figure, to_png
from harness.report.plots import Plot
from harness.report.series import backend_colour, backend_marker

__all__ = ["Group", "detail_figure", "group_histories", "overview_figure"]

_MAX_TICK_LABELS = 40  # every commit's sha below the axis up to this many commits
_MAX_OVERVIEW_POINTS = 200
_MAX_MARKED_COMMITS = 100  # a marker per commit up to this many; beyond, lines only (and faster)
_MAX_STEP_LABELS = 60  # step labels side by side across the detail figure's width before they touch


@dataclass(frozen=True, slots=True)
class Group:
    """The series of one workload, size and scaling in one interpreter on one machine."""

    title: str
    anchor: str
    series: tuple[SeriesHistory, ...]


def group_histories(histories: Sequence[SeriesHistory]) -> list[Group]:
    """The histories of one section (machine and interpreter) grouped by workload, size and scaling."""
    grouped: dict[tuple, list[SeriesHistory]] = {}
    for history in histories:
        c = history.key.config
        grouped.setdefault((c.workload, c.n, c.scaling), []).append(history)
    groups = []
    for number, ((workload, n, scaling), members) in enumerate(sorted(grouped.items(), key=lambda kv: str(kv[0]))):
        members.sort(key=lambda h: (h.key.config.backend != "serial", h.key.config.short_label))
        groups.append(Group(f"{workload}, n={n:,}, {scaling} scaling", f"g{number}", tuple(members)))
    return groups


class _Line(NamedTuple):
    xs: list[int]
    ys: list[float]
    normalized: bool  # time per reference loop


def _lines(history: SeriesHistory, metrics: tuple[str, ...]) -> dict[str, _Line]:
    """Per property: each commit's position and the level the detector and the regressions table
    read (the median of its samples: time per reference loop where the series is divided by it,
    and the speedup likewise). One read of the series' columns for every property asked."""
    return {m.metric.name: _Line([c.position for c in m.commits], m.samples.medians().tolist(), m.normalized)
            for m in metric_series(history, metrics, least=1)}


def _line(history: SeriesHistory, metric: str) -> _Line:
    """One property's line (empty where the series has none: the baseline's speedup)."""
    return _lines(history, (metric,)).get(metric, _Line([], [], False))


def _time_label(normalized: Sequence[bool]) -> str:
    if all(normalized):
        return "median time (x reference loop)"
    if any(normalized):
        return "median time (x reference loop; s where marked)"
    return "median time (s)"


def _commit_axis(ax, group: Group) -> None:
    commits = {c.position: c for h in group.series for c in h.commits}
    positions = sorted(commits)
    if len(positions) > _MAX_TICK_LABELS:
        positions = positions[:: max(1, len(positions) // 20)]
    ax.set_xticks(positions)
    ax.set_xticklabels([commits[p].sha[:7] for p in positions], rotation=90, fontsize=6, family="monospace")
    ax.set_xlabel("commit (first-parent order)")


def _step_x(step: StepReport) -> float:
    return step.commit.position - 0.5 if step.contiguous else (step.commit.position + step.previous.position) / 2


def _mark_steps(ax, steps: Sequence[StepReport], top: bool) -> int:
    """Draw each step's line; on the top panel label them. Returns how many labels were left out."""
    for step in steps:
        ax.axvline(_step_x(step), color="#b42318" if step.worse else "#067647", linestyle="--", linewidth=1.1,
                   alpha=0.8)
    if not top:
        return 0
    # A label is a rotated line of text about 1/_MAX_STEP_LABELS of the axis wide: a step closer
    # than that to one already labelled would print over it, so it keeps its line but no text.
    low, high = ax.get_xlim()
    gap = (high - low) / _MAX_STEP_LABELS
    placed: list[float] = []
    left_out = 0
    for step in sorted({s.commit.sha: s for s in steps}.values(), key=_step_x):
        x = _step_x(step)
        if placed and x - placed[-1] < gap:
            left_out += 1
            continue
        placed.append(x)
        text = f"{step.commit.sha[:7]} {(step.commit.subject or '')[:28]}"
        ax.annotate(text, (x, 1.0), xycoords=("data", "axes fraction"), rotation=90, fontsize=6.5,
                    va="top", ha="right", color="#5b6472")
    return left_out


def detail_figure(group: Group, steps: Sequence[StepReport], name: str) -> Plot:
    """Time (top) and speedup (bottom) of every line of the group over commits, steps marked."""
    # A fixed layout: constrained layout measures every tick label, a second per figure.
    fig = new_figure(10.5, 6.4, constrained=False)
    time_ax, speed_ax = fixed_grid(fig, 2, 1, GridSpacing(left=0.8, right=0.2, top=0.2, bottom=0.95, wgap=0.0,
                                                          hgap=0.15), sharex=True)
    many = max(len(h.commits) for h in group.series) > _MAX_MARKED_COMMITS
    lines = [_lines(history, ("time", "speedup")) for history in group.series]
    times = [found.get("time", _Line([], [], False)) for found in lines]
    mixed = len({time.normalized for time in times}) > 1
    for history, time, found in zip(group.series, times, lines):
        c = history.key.config
        label = c.short_label.rsplit(" n=", 1)[0] + (" (s)" if mixed and not time.normalized else "")
        style = {"color": backend_colour(c.backend), "marker": None if many else backend_marker(c.backend),
                 "markersize": 3, "linewidth": 1.2, "label": label}
        time_ax.plot(time.xs, time.ys, **style)
        if "speedup" in found:
            speed_ax.plot(found["speedup"].xs, found["speedup"].ys, **style)
    # The levels the steps were found in: a slow spell of the host, divided out, does not show.
    time_ax.set_ylabel(_time_label([time.normalized for time in times]))
    speed_ax.set_ylabel("speedup vs serial")
    time_ax.legend(fontsize=7, loc="upper left", ncols=3)
    for ax in (time_ax, speed_ax):
        ax.grid(alpha=0.3)
    left_out = _mark_steps(time_ax, [s for s in steps if s.metric.name == "time"], top=True)
    _mark_steps(speed_ax, [s for s in steps if s.metric.name in ("speedup", "busy_cores")], top=False)
    _commit_axis(speed_ax, group)
    others = sorted({f"{s.metric.title} at {s.commit.sha[:7]}" for s in steps if s.metric.name in ("busy_cores", "memory")})
    caption = (f"{len(steps)} step(s): red dashed lines make the property worse, green better; the line falls "
               "between the last commit before the step and the first after it. Each point is the median of the "
               "commit's repeats as the regressions table reads them: where a series timed the reference loop "
               "beside each repeat, its time and speedup are per reference loop, so the host's slow spells "
               "divide out.")
    if others:
        caption += " Also stepped: " + ", ".join(others) + "."
    if left_out:
        caption += (f" {left_out} step label(s) beside another are left out so the labels stay legible; "
                    "the regressions table lists every step.")
    return Plot(name, group.title, caption, to_png(fig), wide=True)


def _thinned(xs: list[int], ys: list[float], most: int = _MAX_OVERVIEW_POINTS) -> tuple[list, list]:
    """At most ``most`` points: the median of each run of consecutive commits, so a step stays a step."""
    if len(xs) <= most:
        return xs, ys
    size = -(-len(xs) // most)
    return ([xs[i] for i in range(0, len(xs), size)],
            [statistics.median(ys[i:i + size]) for i in range(0, len(ys), size)])


def overview_figure(groups: Sequence[Group], stepped: set[str], name: str, title: str) -> Plot:
    """Small multiples: per group, each line's median time relative to its first commit's.

    A fixed grid (constrained layout costs seconds on 30 panels), each line thinned to at most
    200 points (medians of consecutive commits): 300 lines of 1,000 commits draw in about a second.
    """
    rows, cols = grid_shape(len(groups), 4)
    fig = new_figure(11, 1.7 * rows + 0.5, constrained=False)
    axes = fixed_grid(fig, rows, cols, GridSpacing(left=0.45, right=0.15, top=0.3, bottom=0.35, wgap=0.45, hgap=0.45))
    for ax, group in zip(axes, groups):
        for history in group.series:
            xs, ys, _ = _line(history, "time")
            if ys and ys[0] > 0:
                xs, ys = _thinned(xs, [y / ys[0] for y in ys])
                ax.plot(xs, ys, linewidth=0.8, color=backend_colour(history.key.config.backend))
        ax.set_title(group.title + ("  (steps)" if group.anchor in stepped else ""), fontsize=7,
                     color="#b42318" if group.anchor in stepped else "#1d2330")
        ax.tick_params(labelsize=6)
        ax.grid(alpha=0.3)
    for ax in axes[len(groups):]:
        ax.set_visible(False)
    caption = ("Every configuration group at a glance: each line's median time over commits (by first-parent "
               "position; per reference loop where the series timed one), relative to its first measured commit "
               "(1.0). Groups with steps are titled in red and have a figure of their own.")
    return Plot(name, title, caption, to_png(fig), wide=True)
