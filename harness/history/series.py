"""The properties a history follows per series, and their samples per commit.

harness records more than wall time, so a history can say *which* property stepped:

* ``time``: the timed repeats. Where every run of the series timed the reference loop beside
  each repeat (``--reference``, as ``history run`` does), each repeat is divided by its
  reference time first, as ``harness compare`` does: a machine that ran slower for one
  commit then does not pose as a step. The reference time is the one matched to how the run
  used its cores (``harness.history.yardstick``: between the loop's slowest worker and the
  loop on one worker alone, schema 9, or its mean worker, schema 7) where every run of the
  series recorded it the same way, else the slowest worker's, as compare divides), and only
  as far as the series' repeats follow that loop within their runs (:func:`reference_share`):
  on this VM the loop on two workers also varies on its own. Worse is up.
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

__all__ = ["METRICS", "MIN_SHARE_DOF", "Metric", "MetricSeries", "ReferenceShare", "metric_series",
           "reference_share"]


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
    times (unit "x reference"), each by ``reference ** share`` of its side of the yardstick and
    the rest of the way by that side's median reference (:class:`ReferenceShare`; None when
    not normalized)."""

    key: SeriesKey
    metric: Metric
    commits: tuple[CommitInfo, ...]
    samples: "Samples"
    normalized: bool = False
    reference_share: "ReferenceShare | None" = None

    @property
    def unit(self) -> str:
        return "x reference" if self.normalized else self.metric.unit


@dataclass(frozen=True, slots=True)
class ReferenceShare:
    """How much of the reference loop's variation a series' times follow (:func:`reference_share`),
    for its runs on each side of the matched yardstick: ``at_once`` for runs matched mostly to
    the loop's slowest worker (computing at once), ``turns`` for runs matched mostly to the loop
    alone or the mean worker (taking turns). The two loops vary differently (on this VM the loop
    on two workers also varies on its own; the loop alone far less), so each side has its own.
    None: the series has no run on that side."""

    at_once: float | None = None
    turns: float | None = None


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
        self.at_once = self._computing_at_once(history, used)
        self.normalized = None not in references and all(map(lambda r, t: len(r) == len(t), references, samples))
        if self.normalized:
            self.references = np.frombuffer(b"".join(references), dtype=float)
            self.normalized = bool((self.references > 0).all())

    @staticmethod
    def _computing_at_once(history: SeriesHistory, used) -> "np.ndarray":
        """Per run: did its matched reference lean on the loop's slowest worker (computing at once)?"""
        from harness.execution.backends import workers_used
        from harness.history.yardstick import leans_on_slowest

        config = history.key.config
        return leans_on_slowest(used, workers_used(config.backend, config.workers), history.key.machine.logical_cpus)

    @property
    def shares(self) -> "ReferenceShare | None":
        """How much of the reference loop's variation the times follow, per side (None: not normalized)."""
        import numpy as np

        if not self.normalized:
            return None
        if not hasattr(self, "_shares"):
            def share(runs):
                if not runs.any():
                    return None
                repeats = np.repeat(runs, self.counts)
                return reference_share(self.times[repeats], self.references[repeats], self.counts[runs])

            self._shares = ReferenceShare(share(self.at_once), share(~self.at_once))
        return self._shares

    def per_reference(self) -> "np.ndarray":
        """Each repeat over ``reference ** share`` and the rest of the way over its side's median
        reference (``share`` 1: over its reference outright)."""
        import numpy as np

        values = np.empty_like(self.times)
        at_once = np.repeat(self.at_once, self.counts)
        for repeats, share in ((at_once, self.shares.at_once), (~at_once, self.shares.turns)):
            if share is not None:
                loop = self.references[repeats]
                values[repeats] = self.times[repeats] / loop ** share / float(np.median(loop)) ** (1.0 - share)
        return values

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
            values = self.per_reference() if self.normalized else self.times
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


MIN_SHARE_DOF = 30  # repeats beyond each run's first: fewer cannot tell a share from noise


def reference_share(times, references, counts) -> float:
    """The share of the reference loop's variation that the timed repeats follow: in [0, 1].

    Dividing by the reference cancels the machine's drift only as far as the repeat and the
    loop drift together. Where the loop also varies on its own (on this VM the loop on two
    workers ran 12.5-18 ms between the repeats of one run while a pool's own 51 ms repeats did
    not move), dividing outright adds the loop's noise to the series. So the times are divided
    by ``reference ** share``, where ``share`` is the least-squares slope of log time on log
    reference *within* each run (each run's repeats about their own mean, so that a step
    between commits does not enter it): the control variate that leaves the series the least
    variance. Clamped to [0, 1]: a repeat is never divided by more than its loop, and a loop
    that varied against the repeats is ignored. 1 (divide outright) when the runs have fewer
    than ``MIN_SHARE_DOF`` repeats beyond their first, or their loops did not vary.

    Pure: ``times`` and ``references`` are the repeats (> 0) in run order, ``counts`` each
    run's number of repeats.
    """
    import numpy as np

    counts = np.asarray(counts, dtype=np.int64)
    if int(np.sum(np.maximum(counts - 1, 0))) < MIN_SHARE_DOF:
        return 1.0
    run = np.repeat(np.arange(len(counts)), counts)
    log_t, log_r = np.log(np.asarray(times, dtype=float)), np.log(np.asarray(references, dtype=float))
    size = np.maximum(counts, 1)
    d_t = log_t - (np.bincount(run, log_t, minlength=len(counts)) / size)[run]
    d_r = log_r - (np.bincount(run, log_r, minlength=len(counts)) / size)[run]
    spread = float(np.dot(d_r, d_r))
    if not spread > 1e-12 * len(d_r):
        return 1.0
    return min(max(float(np.dot(d_t, d_r)) / spread, 0.0), 1.0)


def metric_series(history: SeriesHistory, metrics: tuple[str, ...] = tuple(_BY_NAME)) -> list[MetricSeries]:
    """The series' properties that have samples at two commits or more."""
    columns = _Columns(history)
    if not columns.rows:
        return []
    out = []
    for name in metrics:
        if name == "speedup" and columns.baseline:
            continue
        commits, samples = columns.metric(name)
        if len(commits) >= 2:
            normalized = columns.normalized and name == "time"
            out.append(MetricSeries(history.key, _BY_NAME[name], commits, samples, normalized,
                                    columns.shares if normalized else None))
    return out
