"""The properties a history follows per series, and their samples per commit.

harness records more than wall time, so a history can say *which* property stepped:

* ``time``: the timed repeats. Where every run of the series timed the reference loop beside
  each repeat (``--reference``, as ``history run`` does), each repeat is divided by its
  reference time first, as ``harness compare`` does: a machine that ran slower for one
  commit then does not pose as a step. The reference time is the one matched to how the run
  used its cores (``harness.history.yardstick``: between the loop's slowest worker and the
  loop on one worker alone, schema 9, or its mean worker, schema 7) where every run of the
  series recorded it the same way, else the slowest worker's, as compare divides. Worse is up.
* ``speedup``: serial's median over each repeat (speedup x median / repeat), so a commit has
  as many samples as repeats. Where the time is divided by the reference loop, so is the
  speedup: serial's median time per reference over each repeat's time per reference. The
  reference loop runs on the run's own backend and workers, so a machine that lost a core, or
  half its speed, while the pool ran (and not while serial did) does not pose as a speedup
  step, while a lock that serialises the pool's work still does. Left out for the baseline
  itself (always 1). Worse is down.
* ``busy_cores``: the cores the run kept busy (one value per run): the CPU time of the
  harness and its workers over the wall time, so that other jobs on a shared machine do not
  count (the machine-wide busy cores the run recorded, for runs stored without it). Worse is
  down: the pool stopped running in parallel.
* ``memory``: the peak total memory of the harness and its workers (one value). Worse is up.

Only runs that finished (status ok) give samples; several sweeps at one commit pool theirs.
Built with numpy from the store's columns: a 1,000-commit series is a few array operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.history.records import CommitInfo, SeriesKey
from harness.history.store import COLUMN, SeriesHistory

if TYPE_CHECKING:  # numpy and the detector load only when a series is read
    import numpy as np

    from harness.history.steps import Samples

__all__ = ["METRICS", "Metric", "MetricSeries", "metric_series"]


@dataclass(frozen=True, slots=True)
class Metric:
    """A property followed over commits: its name, how a person reads it, and which way is worse."""

    name: str
    title: str
    unit: str
    worse: str  # "up" or "down"


METRICS = (Metric("time", "time", "s", "up"), Metric("speedup", "speedup", "x", "down"),
           Metric("busy_cores", "busy cores", "cores", "down"), Metric("memory", "memory peak", "bytes", "up"))
_BY_NAME = {m.name: m for m in METRICS}


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One property of one series: its measured commits (oldest first) and their samples, commit
    ``i``'s being ``samples.row(i)``. ``normalized``: time samples divided by their reference
    times (unit "x reference")."""

    key: SeriesKey
    metric: Metric
    commits: tuple[CommitInfo, ...]
    samples: "Samples"
    normalized: bool = False

    @property
    def unit(self) -> str:
        return "x reference" if self.normalized else self.metric.unit


class _Columns:
    """One series' ok runs as arrays: per run its commit group and sample count, and every sample.

    The rows are transposed once (``zip``) so that each column becomes an array in one call.
    """

    def __init__(self, history: SeriesHistory) -> None:
        import numpy as np

        pairs = [(c, row) for c, row in zip(history.commits, history.rows) if row[1] == "ok"]
        self.rows = len(pairs)
        if not pairs:
            return
        commits = [c for c, _ in pairs]
        # Consecutive runs of one commit share one CommitInfo as the store loads them.
        starts = [j == 0 or (commits[j] is not commits[j - 1] and commits[j].sha != commits[j - 1].sha)
                  for j in range(len(commits))]
        self.commits = tuple(c for c, start in zip(commits, starts) if start)
        self.group = np.cumsum(starts) - 1
        columns = list(zip(*(row for _, row in pairs)))

        def column(name: str) -> "np.ndarray":
            return np.array(columns[COLUMN[name]], dtype=float)

        samples, references = columns[COLUMN["samples"]], columns[COLUMN["reference"]]
        matched = columns[COLUMN["matched_reference"]]
        # Every run has its matched yardstick, and those whose workers took turns agree on its
        # turn-taking side: divide by it; else all by the slowest worker, never a mix.
        if None not in matched and len(self._turn_taking_sides(history, columns)) <= 1:
            references = matched
        self.counts = np.fromiter(map(len, samples), dtype=np.int64, count=len(samples)) >> 3
        self.times = np.frombuffer(b"".join(samples), dtype=float)
        self.median, self.speedup, self.memory = column("median_s"), column("speedup"), column("memory_peak_bytes")
        self.baseline_per_reference = column("baseline_per_reference")
        used = column("cores_used")
        self.busy = used if not np.isnan(used).any() else column("busy_cores")
        self.normalized = None not in references and all(map(lambda r, t: len(r) == len(t), references, samples))
        if self.normalized:
            self.references = np.frombuffer(b"".join(references), dtype=float)
            self.normalized = bool((self.references > 0).all())

    @staticmethod
    def _turn_taking_sides(history: SeriesHistory, columns) -> set[str]:
        """The turn-taking sides of the matched references of runs that did not keep every core
        busy (a store before version 5 recorded none: those took the mean worker's)."""
        from harness.execution.backends import workers_used
        from harness.history.yardstick import takes_turns

        config, cpus = history.key.config, history.key.machine.logical_cpus
        workers = workers_used(config.backend, config.workers)
        sides = set()
        for side, used in zip(columns[COLUMN["matched_yardstick"]], columns[COLUMN["cores_used"]]):
            if side is None and takes_turns(used, workers, cpus):
                side = "mean"
            if side is not None:
                sides.add(side)
        return sides

    def samples(self, values, point_ok, counts) -> tuple[tuple[CommitInfo, ...], "Samples"]:
        """Per commit group the samples of its runs with ``point_ok``; groups left with none are dropped."""
        import numpy as np

        from harness.history.steps import Samples

        keep = np.repeat(point_ok, counts)
        groups = np.repeat(self.group, counts)[keep]
        per_group = np.bincount(groups, minlength=len(self.commits))
        present = np.flatnonzero(per_group)
        offsets = np.concatenate([[0], np.cumsum(per_group[present])])
        commits = self.commits if len(present) == len(self.commits) else tuple(self.commits[i] for i in present.tolist())
        return commits, Samples(np.asarray(values)[keep], offsets)

    @property
    def baseline(self) -> bool:
        """The baseline's own series: its speedup is 1 (or unknown) by definition."""
        import numpy as np

        return bool(np.all(np.isnan(self.speedup) | (self.speedup == 1.0)))

    def metric(self, name: str):
        import numpy as np

        if name == "time":
            values = self.times / self.references if self.normalized else self.times
            return self.samples(values, np.ones(self.rows, dtype=bool), self.counts)
        if name == "speedup":
            if self.normalized and not np.isnan(self.baseline_per_reference).any():
                serial, per_repeat = self.baseline_per_reference, self.times / self.references
            else:  # no reference loop (or points stored before schema 3): undivided
                serial, per_repeat = self.speedup * self.median, self.times
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.repeat(serial, self.counts) / per_repeat
            return self.samples(values, ~np.isnan(serial), self.counts)
        values = self.busy if name == "busy_cores" else self.memory
        return self.samples(values, ~np.isnan(values), np.ones(self.rows, dtype=np.int64))


def metric_series(history: SeriesHistory, metrics: tuple[str, ...] = tuple(_BY_NAME),
                  least: int = 2) -> list[MetricSeries]:
    """The series' properties that have samples at ``least`` commits or more (the detector needs
    two; the trend page draws one)."""
    columns = _Columns(history)
    if not columns.rows:
        return []
    out = []
    for name in metrics:
        if name == "speedup" and columns.baseline:
            continue
        commits, samples = columns.metric(name)
        if len(commits) >= least:
            out.append(MetricSeries(history.key, _BY_NAME[name], commits, samples,
                                    columns.normalized and name == "time"))
    return out
