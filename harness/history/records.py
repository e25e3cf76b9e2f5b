"""The history store's values: what identifies a series, a commit, and what one run adds.

A series is one configuration (:class:`~harness.results.key.RunKey`) in one interpreter on one
machine. Histories of different machines or interpreters never share a series: the
:class:`MachineKey` (CPU model, logical CPUs, OS and architecture) and the
:class:`InterpreterKey` (the run's interpreter label: version, build and GIL mode, as in
``3.13.15t:gil=1``) are part of the :class:`SeriesKey`.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from harness.analysis.baseline import baseline_key, baseline_runs, cores_used
from harness.execution.backends import workers_used
from harness.history.yardstick import matched_reference, takes_turns
from harness.results.facts import Machine, interpreters_by_label
from harness.results.key import RunKey
from harness.results.model import RunResult, Suite

__all__ = ["CommitInfo", "InterpreterKey", "MachineKey", "Point", "PointValues", "SeriesKey", "SweepRecord",
           "per_reference_median", "points_of"]


@dataclass(frozen=True, slots=True)
class MachineKey:
    """The machine's fingerprint: runs on machines that differ here never share a series."""

    cpu_model: str
    logical_cpus: int
    system: str
    arch: str

    @classmethod
    def of(cls, machine: Machine) -> "MachineKey":
        return cls(machine.cpu_model or "unknown CPU", int(machine.logical_cpus or 0), machine.system or "unknown OS",
                   machine.machine or "unknown arch")

    @property
    def label(self) -> str:
        """'AMD EPYC 7B13, 2 CPUs, Linux x86_64'."""
        return f"{self.cpu_model}, {self.logical_cpus} CPUs, {self.system} {self.arch}"


@dataclass(frozen=True, slots=True)
class InterpreterKey:
    """The interpreter a run ran in: its label (version, build and GIL mode) and what it means."""

    label: str
    implementation: str | None = None
    free_threaded_build: bool | None = None
    gil_mode: int | None = None


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """One history: a configuration in one interpreter on one machine."""

    machine: MachineKey
    interpreter: InterpreterKey
    config: RunKey

    @property
    def label(self) -> str:
        """'pool w2 n=20000 strong [3.11.7] on AMD EPYC 7B13, 2 CPUs, Linux x86_64'."""
        return f"{self.config.without_python().label} [{self.interpreter.label}] on {self.machine.label}"


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """A commit as the history orders it: ``position`` counts its first-parent ancestors (itself included)."""

    sha: str
    position: int
    author_date: str
    subject: str | None = None

    @property
    def short(self) -> str:
        return self.sha[:10]


@dataclass(frozen=True, slots=True)
class PointValues:
    """What one run of a configuration measured, as the store keeps it: samples and summaries."""

    status: str
    times_s: tuple[float, ...] = ()
    reference_s: tuple[float, ...] = ()
    median_s: float | None = None
    ci_s: tuple[float, float] | None = None
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None
    busy_cores: float | None = None
    memory_peak_bytes: int | None = None
    error: str | None = None
    # The cores the run's own processes kept busy: their CPU time over the wall time. busy_cores
    # is the machine-wide figure, which other jobs on a shared machine raise.
    cores_used: float | None = None
    # The sweep's baseline (serial) run: the median of its repeats each divided by its reference
    # loop. A speedup sample is then this over the run's own repeat per reference, so that host
    # speed divides out of the speedup as it does out of the time. None without reference times.
    baseline_per_reference: float | None = None

    # Per repeat, the reference time matched to how the run used its cores (harness.history.yardstick):
    # what time is divided by. Empty for runs stored from results without the mean worker's time.
    matched_reference_s: tuple[float, ...] = ()
    # Its turn-taking side: "alone" (one worker's loop alone, results of schema 9) or "mean" (the
    # mean worker's while all computed at once, older results); None where the run kept every
    # core busy, so that its matched reference is the slowest worker's whichever side it had.
    matched_yardstick: str | None = None

    @classmethod
    def of(cls, run: RunResult, baseline_per_reference: float | None = None, cpus: int | None = None) -> "PointValues":
        """``cpus``: how many CPUs the sweep's machine let run at once (Machine.cpus), for the matched reference."""
        reference = run.reference_times_s or ()
        workers, used = workers_used(run.backend, run.workers), cores_used(run)
        timed = len(reference) == len(run.times_s)
        alone = run.reference_alone_times_s
        means = alone or run.reference_mean_times_s
        matched = matched_reference(reference, means, used, workers, cpus) if timed and means else ()
        turns = bool(matched) and takes_turns(used, workers, cpus)
        return cls(run.status, tuple(run.times_s), tuple(reference) if timed else (),
                   run.median_s, run.ci_s, run.speedup, run.speedup_ci95,
                   run.cpu.busy_cores if run.cpu else None, run.memory.peak_bytes if run.memory else None, run.error,
                   used, baseline_per_reference, matched, ("alone" if alone else "mean") if turns else None)


@dataclass(frozen=True, slots=True)
class Point:
    """One run of a sweep, filed under its interpreter and configuration."""

    interpreter: InterpreterKey
    config: RunKey
    values: PointValues


@dataclass(frozen=True, slots=True)
class SweepRecord:
    """One results.json at one commit, ready to add: where it came from and every run in it."""

    commit: CommitInfo
    machine: MachineKey
    harness_version: str
    created: str
    results_path: str
    results_sha256: str
    points: tuple[Point, ...]
    branch: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _interpreter(run: RunResult, suite: Suite) -> InterpreterKey:
    label = run.python or suite.python.version or "unknown"
    known = interpreters_by_label(suite.interpreters).get(label)
    if known is not None:
        return InterpreterKey(label, known.implementation, known.free_threaded_build, known.gil_mode)
    return InterpreterKey(label, suite.python.implementation, run.free_threaded_build, run.gil_mode)


def per_reference_median(run: RunResult) -> float | None:
    """The median of the run's repeats each divided by the reference loop timed beside it;
    None unless every repeat has a positive reference time."""
    references = run.reference_times_s or ()
    if not run.times_s or len(references) != len(run.times_s) or min(references) <= 0:
        return None
    return statistics.median(t / r for t, r in zip(run.times_s, references))


def points_of(suite: Suite) -> tuple[Point, ...]:
    """Every run of the sweep as a Point; a run skipped by design (status skipped) is left out."""
    # Each baseline's time per reference once, however many runs it is the baseline of.
    per_reference = {key: per_reference_median(base) for key, base in baseline_runs(suite.runs).items()}
    cpus = suite.machine.cpus
    return tuple(Point(_interpreter(run, suite), run.key,
                       PointValues.of(run, per_reference.get(baseline_key(run)), cpus))
                 for run in suite.runs if run.status != "skipped")
