"""``harness history report``: the self-contained HTML trend page and a PNG per figure.

One section per machine and interpreter (the page's selector links to each), each with its
configuration groups' figures (:mod:`harness.history.figures`), then the regressions table
(the open steps) and the commits. Built like the sweep report (:mod:`harness.report.html`):
jinja2 with autoescaping, the figures embedded as data URIs, no script, so the file opens
from disk offline; each file is written atomically.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Callable, Sequence

from harness.history.figures import Group, detail_figure, group_histories, overview_figure
from harness.history.regressions import StepReport, find_steps
from harness.history.store import HistoryStore, SeriesHistory
from harness.report.html import figure_view
from harness.report.plots import Plot
from harness.results.storage import atomic_write_bytes

__all__ = ["ALL_FIGURES_UP_TO", "build_history_report"]

HISTORY_TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
# A section of at most this many groups gets a figure for every group; a larger one only for
# the groups that stepped (the small multiples show the rest).
ALL_FIGURES_UP_TO = 8
_PREFIXES = ("trend-", "overview-")


def _value(value: float, unit: str) -> str:
    if unit == "s":
        from harness.text import format_seconds

        return format_seconds(value)
    if unit == "bytes":
        return f"{value / 2**20:.1f} MiB"
    return f"{value:.3g}{'x' if unit == 'x' else ''}"


def _step_row(step: StepReport) -> dict:
    return {"cls": "bad" if step.worse else "good", "series": step.series.config.without_python().label,
            "python": step.series.interpreter.label, "metric": step.metric.title,
            "kind": step.kind, "commit": step.where,
            "subject": step.commit.subject or "", "position": step.commit.position,
            "levels": f"{_value(step.before, step.unit)} → {_value(step.after, step.unit)}",
            "change": f"{step.change * 100:+.1f}%", "p": "-" if step.p_value is None else f"{step.p_value:.2g}",
            "unit": step.unit}


def _section(number: int, histories: Sequence[SeriesHistory], steps: Sequence[StepReport]) -> dict:
    key = histories[0].key
    groups = group_histories(histories)
    group_of = {h.key: g for g in groups for h in g.series}
    by_group: dict[str, list[StepReport]] = {}
    for step in steps:
        group = group_of.get(step.series)
        if group is not None:
            by_group.setdefault(group.anchor, []).append(step)
    shown: list[Group] = [g for g in groups if g.anchor in by_group or len(groups) <= ALL_FIGURES_UP_TO]
    # Figures to draw, drawn later all together (see _draw): the overview, the slowest, first.
    figures = [partial(detail_figure, g, by_group.get(g.anchor, ()), f"trend-{number}-{g.anchor}") for g in shown]
    if len(groups) > 1:
        figures.insert(0, partial(overview_figure, groups, set(by_group), f"overview-{number}",
                                  "All configuration groups"))
    return {"anchor": f"s{number}", "machine": key.machine.label, "python": key.interpreter.label,
            "groups": len(groups), "series": len(histories), "stepped": len(by_group), "figures": figures}


def _sections(histories: Sequence[SeriesHistory], steps: Sequence[StepReport]) -> list[dict]:
    keyed: dict[tuple, list[SeriesHistory]] = {}
    for history in histories:
        keyed.setdefault((history.key.machine, history.key.interpreter.label), []).append(history)
    return [_section(number, members, [s for s in steps if (s.series.machine, s.series.interpreter.label) == key])
            for number, (key, members) in enumerate(sorted(keyed.items(), key=lambda kv: str(kv[0])), 1)]


def _draw(sections: list[dict], processes: int | None) -> None:
    """Every section's figures drawn, shared among forked processes (one figure each at a time):
    a store's figures are independent, and matplotlib draws on one core."""
    from harness.history.fanout import fan_out

    pending = [figure for section in sections for figure in section["figures"]]
    drawn = iter(fan_out(_call, pending, processes, preload=("matplotlib.backends.backend_agg", "matplotlib.figure")))
    for section in sections:
        section["figures"] = [next(drawn) for _ in section["figures"]]


def _call(figure: Callable[[], Plot]) -> Plot:
    return figure()


def _write_figures(out: str, sections: list[dict]) -> None:
    made = set()
    for section in sections:
        for figure in section["figures"]:
            atomic_write_bytes(os.path.join(out, f"{figure.name}.png"), figure.png)
            made.add(f"{figure.name}.png")
        section["figures"] = [figure_view(f) for f in section["figures"]]
    for entry in os.listdir(out):  # figures of an earlier page that this one no longer has
        if entry.endswith(".png") and entry.startswith(_PREFIXES) and entry not in made:
            os.unlink(os.path.join(out, entry))


def build_history_report(store: HistoryStore, out: str, threshold: float, alpha: float,
                         branch: str | None = None, processes: int | None = None) -> str:
    """Write history.html and its PNGs into ``out``; the page's path.

    ``processes``: how many forked processes may find the steps and draw the figures (default:
    the usable CPUs; 1 does it all in this process); the page is the same either way.
    """
    from harness._version import __version__
    from harness.report.html import render_html

    os.makedirs(out, exist_ok=True)
    histories = store.load(branch)
    steps = find_steps(histories, threshold, alpha, only_open=False, processes=processes)
    sections = _sections(histories, steps)
    _draw(sections, processes)
    _write_figures(out, sections)
    commits = sorted({c for h in histories for c in h.commits}, key=lambda c: c.position)
    context = {
        "title": "Benchmark history", "store": store.where, "branch": branch, "threshold": threshold * 100,
        "sections": sections, "regressions": [_step_row(s) for s in steps if s.open],
        "closed": sum(1 for s in steps if not s.open),
        "commits": [{"sha": c.short, "position": c.position, "date": c.author_date[:10],
                     "subject": c.subject or ""} for c in reversed(commits)],
        "harness_version": __version__,
    }
    page = render_html(context, "history.html", [HISTORY_TEMPLATES])
    path = os.path.join(out, "history.html")
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
