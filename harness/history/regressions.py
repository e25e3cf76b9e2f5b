"""Steps of every series, with the commits where they happened, and the CI gate on one commit.

A step is reported with the commit range where it happened: the last measured commit before
it (``previous``) and the first after it (``commit``, the first bad one); when the measured
commits are contiguous in first-parent order (positions one apart) the step is at ``commit``.
A step is *open* while the series' latest level is still beyond the threshold from its level
before the step, in the step's direction (a regression later fixed is closed).

``check``: does a commit open a regression? Yes when a step that makes its property worse
starts at that commit. Near the newest commit the detector cannot see a step yet (it needs
``min_size`` commits after it), so there the commit's samples are also judged against the
samples of its current segment (since the last step before it) by ``harness compare``'s rule:
beyond the threshold and significant (Mann-Whitney U, or the medians' intervals with few samples).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Iterable, Sequence

from harness.compare.rule import RegressionCheck, evidence_from_samples
from harness.history.records import CommitInfo, SeriesKey
from harness.history.series import Metric, MetricSeries, metric_series
from harness.history.store import SeriesHistory
from harness.stats import median

__all__ = ["SERIES_PER_PROCESS", "StepReport", "check_commit", "find_steps"]

# Below this many series per process, finding their steps takes less time than forking for them.
SERIES_PER_PROCESS = 50


@dataclass(frozen=True, slots=True)
class StepReport:
    """One step of one property of one series."""

    series: SeriesKey
    metric: Metric
    unit: str
    commit: CommitInfo  # the first measured commit after the step
    previous: CommitInfo  # the last measured commit before it
    before: float
    after: float
    change: float
    p_value: float | None
    open: bool
    method: str = "step"  # "step": the detector; "tip": the newest commits against their segment

    @property
    def direction(self) -> str:
        return "up" if self.change > 0 else "down"

    @property
    def worse(self) -> bool:
        return self.direction == self.metric.worse

    @property
    def contiguous(self) -> bool:
        return self.commit.position - self.previous.position == 1

    @property
    def kind(self) -> str:
        """'regression' or 'improvement'."""
        return "regression" if self.worse else "improvement"

    @property
    def where(self) -> str:
        """The step's commit, or the range it happened in when commits between were not measured."""
        return self.commit.short if self.contiguous else f"{self.previous.short}..{self.commit.short}"

    def to_json(self) -> dict:
        """``harness history regressions --json``'s object for this step."""
        key = self.series
        return {
            "series": key.label, "machine": key.machine.label, "python": key.interpreter.label,
            "config": key.config.to_json(), "metric": self.metric.name, "unit": self.unit,
            "commit": self.commit.sha, "previous_commit": self.previous.sha, "contiguous": self.contiguous,
            "position": self.commit.position, "subject": self.commit.subject,
            "before": self.before, "after": self.after, "change": self.change, "p_value": self.p_value,
            "direction": self.direction, "kind": self.kind,
            "open": self.open, "method": self.method,
        }


def _steps_of(series: MetricSeries, threshold: float, alpha: float) -> list[StepReport]:
    from harness.history.steps import detect_steps

    steps = detect_steps(series.samples, threshold, alpha)
    final = steps[-1].after if steps else None
    out = []
    for step in steps:
        since = final / step.before - 1.0 if step.before else 0.0
        still = since * step.change > 0 and abs(since) >= threshold
        out.append(StepReport(series.key, series.metric, series.unit, series.commits[step.index],
                              series.commits[step.index - 1], step.before, step.after, step.change, step.p_value, still))
    return out


def _steps_of_histories(histories: Sequence[SeriesHistory], threshold: float, alpha: float,
                        only_open: bool) -> list[StepReport]:
    found = []
    for history in histories:
        for series in metric_series(history):
            found.extend(s for s in _steps_of(series, threshold, alpha) if s.open or not only_open)
    return found


def find_steps(histories: Iterable[SeriesHistory], threshold: float, alpha: float,
               only_open: bool = True, processes: int | None = None) -> list[StepReport]:
    """Every step of every property of every series (the open ones only, by default).

    A large store's series are shared among ``processes`` forked processes (by default the
    usable CPUs, and only from ``SERIES_PER_PROCESS`` series each, below which a fork costs
    more than it saves); the steps are the same, in the same order, however many there are.
    """
    from harness.history.fanout import fan_out, split, usable_cpus

    histories = list(histories)
    if processes is None:
        processes = min(usable_cpus(), len(histories) // SERIES_PER_PROCESS)
    pieces = split(histories, processes)
    found = fan_out(partial(_steps_of_histories, threshold=threshold, alpha=alpha, only_open=only_open), pieces,
                    processes, preload=("harness.history.steps", "scipy.stats"))
    return [step for piece in found for step in piece]


def _tip(series: MetricSeries, index: int, steps: list[StepReport], check: RegressionCheck,
         alpha: float) -> StepReport | None:
    """The commit at ``index`` against its segment, by compare's rule (see the module docstring)."""
    start = max([series.commits.index(s.commit) for s in steps if series.commits.index(s.commit) < index], default=0)
    offsets = series.samples.offsets
    baseline = series.samples.values[offsets[start]:offsets[index]].tolist()
    current = series.samples.row(index).tolist()
    if not baseline or not current or median(baseline) <= 0:
        return None
    before, after = median(baseline), median(current)
    ratio = after / before
    evidence = evidence_from_samples(baseline, current, alpha)
    worse_ratio = ratio if series.metric.worse == "up" else 1.0 / ratio
    if check.verdict(worse_ratio, evidence.significant) != "regression":
        return None
    return StepReport(series.key, series.metric, series.unit, series.commits[index], series.commits[index - 1],
                      before, after, ratio - 1.0, evidence.p_value, True, "tip")


def check_commit(histories: Iterable[SeriesHistory], sha: str, threshold: float, alpha: float,
                 min_size: int = 3) -> list[StepReport]:
    """The regressions the commit ``sha`` opens (empty: it opens none)."""
    check = RegressionCheck(threshold * 100.0)
    found = []
    for history in histories:
        for series in metric_series(history):
            index = next((i for i, c in enumerate(series.commits) if c.sha == sha), None)
            if index is None or index == 0:
                continue
            steps = _steps_of(series, threshold, alpha)
            hits = [s for s in steps if s.commit.sha == sha and s.worse]
            if not hits and index >= len(series.commits) - min_size:
                tip = _tip(series, index, steps, check, alpha)
                hits = [tip] if tip is not None else []
            found.extend(hits)
    return found
