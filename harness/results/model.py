"""Results as immutable, validated values: what one configuration measured, and a whole sweep.

Bad values are refused in ``__post_init__`` so a corrupt or hand-edited results file cannot
reach the statistics or the report (storage turns the ValueError into a clear message).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from harness.chunksizes import series_name
from harness.results.measures import CpuLoad, LoopLag, MemoryUse, WorkerSpan
from harness.results.facts import Capacity, Interpreter, Machine, PythonFacts, facts_from
from harness.results.key import RunKey
from harness.results.verdict import Verdict

__all__ = ["STATUSES", "WorkerSpan", "CpuLoad", "MemoryUse", "LoopLag", "RunResult", "Suite"]

STATUSES = ("ok", "failed", "timeout", "skipped")


def _check_time(name: str, value: float | None, *, allow_none: bool = True) -> None:
    if value is None:
        if not allow_none:
            raise ValueError(f"{name} is missing")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if math.isnan(value) or math.isinf(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


# The (low, high) intervals a run holds, written as two-item lists.
_PAIRS = ("ci_s", "ci95_s", "speedup_ci95", "paired_speedup_ci95", "baseline_speedup_ci95")


@dataclass(frozen=True, slots=True)
class RunResult:
    """One configuration (backend x workers x n x scaling x workload), all its timed repeats."""

    backend: str
    workers: int
    n: int
    scaling: str
    workload: str
    start_method: str | None
    status: str
    error: str | None = None
    times_s: tuple[float, ...] = ()
    median_s: float | None = None
    mean_s: float | None = None
    stdev_s: float | None = None
    iqr_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    # The median's interval at ci_confidence: the narrowest order-statistic pair covering at
    # least 95%, or [min, max] when the repeats are too few for that (5 give 93.75%).
    ci_s: tuple[float, float] | None = None
    # The same interval, but only when it really is a 95% one (null with fewer than 6 repeats).
    ci95_s: tuple[float, float] | None = None
    ci_confidence: float | None = None
    startup_s: float | None = None
    cpu_time_s: float | None = None
    cpu_utilization: float | None = None
    peak_rss_bytes: int | None = None
    speedup: float | None = None
    speedup_ci95: tuple[float, float] | None = None
    # The speedup exceeds the ideal (min of the workers and the logical CPUs) beyond its
    # interval: physically impossible, so the machine's speed drifted during the sweep.
    speedup_above_ideal: bool | None = None
    efficiency: float | None = None
    karp_flatt: float | None = None
    # CPU time over serial's CPU time for the same work: > 1 means the work itself got
    # dearer in parallel (slower shared cores, start-up, contention), not just waiting.
    cpu_time_ratio: float | None = None
    result_ok: bool | None = None
    cpu: CpuLoad | None = None
    worker_spans: tuple[WorkerSpan, ...] = ()
    python: str | None = None
    gil_enabled: bool | None = None
    recomputed_tasks: int | None = None  # dask only: tasks re-run after a worker was lost
    # --reference: per timed repeat, the mean time of the reference loop run just before and
    # just after it on the same backend and workers (the machine's speed at that moment).
    reference_times_s: tuple[float, ...] | None = None
    # Schema 7, beside reference_times_s (whose loops' slowest worker it holds): the same loops'
    # mean worker time. A run whose workers take turns (a lock) follows the mean, not the slowest.
    reference_mean_times_s: tuple[float, ...] | None = None
    # Schema 9: the loop timed on one worker alone, beside each repeat (null where the backend
    # only splits statically). On a shared VM two threads computing at once can each run 1.7x
    # slower while one alone does not: a run whose workers take turns follows this one.
    reference_alone_times_s: tuple[float, ...] | None = None
    # The interpreter's build (Py_GIL_DISABLED) and the GIL mode it was run in (PYTHON_GIL:
    # 0 or 1; None for the build's default); gil_enabled above is its state at the start.
    free_threaded_build: bool | None = None
    gil_mode: int | None = None
    # Whether any worker saw the GIL on after importing the workload (sys._is_gil_enabled()),
    # and whether that was an import switching it back on in a free-threaded build.
    workers_gil_enabled: bool | None = None
    gil_reenabled: bool | None = None
    # Map workloads and chunking (schema 4). workload_kind: "range" (fn(lo, hi), additive) or
    # "map" (fn(item), a result per item). chunksize: as asked ("static": one contiguous block
    # per worker; "auto": the documented rule; or an integer); chunk_items: the items per chunk
    # it came to; chunks: how many chunks each repeat dispatched.
    workload_kind: str | None = None
    chunksize: int | str | None = None
    chunk_items: int | None = None
    chunks: int | None = None
    # Per worker (threads: by thread; processes: by process, in order of first start), in the
    # median repeat: the items it computed and the seconds it spent computing them.
    worker_items: tuple[int, ...] | None = None
    worker_busy_s: tuple[float, ...] | None = None
    # Map workloads: mean pickled size of an item and of a result (bytes, from a sample of
    # them), and the estimated seconds per repeat to pickle and unpickle every item and result
    # once (only for backends whose workers receive items by pickle; else null).
    bytes_in_per_item: float | None = None
    bytes_out_per_item: float | None = None
    serialisation_s: float | None = None
    # Total USS (or PSS) of the harness and all its workers during the timed repeats.
    memory: MemoryUse | None = None
    # Schema 5. The interleaved pass of each of times_s (None where timed one by one): two
    # configurations' repeats of one pass ran side by side, so their ratio is a paired estimate.
    repeat_passes: tuple[int | None, ...] | None = None
    # Speedup from the per-pass ratios to serial's repeat of the same pass (with its interval),
    # where at least PAIRED_MIN passes pair up; else null.
    paired_speedup: float | None = None
    paired_speedup_ci95: tuple[float, float] | None = None
    # Against the sweep's one baseline (the verdict's baseline: serial on the harness's own
    # interpreter, or --baseline-python's): how much faster than that, with its interval.
    baseline_speedup: float | None = None
    baseline_speedup_ci95: tuple[float, float] | None = None
    # The asyncio offload models: their event loop's lag while the work ran (schema 6); null
    # for every other backend, and in older files.
    loop_lag: LoopLag | None = None
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {self.status!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be an integer >= 1, got {self.workers!r}")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise ValueError(f"n must be an integer >= 0, got {self.n!r}")
        for t in self.times_s:
            _check_time("times_s", t, allow_none=False)
        for name in ("median_s", "mean_s", "stdev_s", "iqr_s", "min_s", "max_s", "startup_s", "cpu_time_s"):
            _check_time(name, getattr(self, name))
        for name in ("reference_times_s", "reference_mean_times_s", "reference_alone_times_s"):
            values = getattr(self, name)
            if values is None:
                continue
            for t in values:
                _check_time(name, t, allow_none=False)
            if len(values) != len(self.times_s):
                raise ValueError(f"{self.backend}: {name} has {len(values)} values for {len(self.times_s)} times_s")
        if self.status == "ok" and not self.times_s:
            raise ValueError(f"{self.backend}: status ok but no times_s")

    @property
    def key(self) -> RunKey:
        """What identifies a configuration across runs and files (for compare, resume and history)."""
        return RunKey.of(self.backend, self.workers, self.n, self.scaling, self.workload, self.chunksize, self.python)

    @property
    def series(self) -> str:
        """The line this run belongs to in tables and plots: the backend, and its chunksize when
        it is not the static split (pool cs=8 and pool cs=auto are two ways to run pool)."""
        return series_name(self.backend, self.chunksize)

    @property
    def label(self) -> str:
        return self.key.label

    def replace(self, **changes: Any) -> "RunResult":
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["times_s"] = list(self.times_s)
        for name in _PAIRS:
            value = getattr(self, name)
            data[name] = list(value) if value else None
        data["repeat_passes"] = None if self.repeat_passes is None else list(self.repeat_passes)
        data["cpu"] = self.cpu.to_dict() if self.cpu else None
        data["worker_spans"] = [asdict(s) for s in self.worker_spans]
        for name in ("reference_times_s", "reference_mean_times_s", "reference_alone_times_s"):
            values = getattr(self, name)
            data[name] = None if values is None else list(values)
        data["worker_items"] = None if self.worker_items is None else list(self.worker_items)
        data["worker_busy_s"] = None if self.worker_busy_s is None else list(self.worker_busy_s)
        data["memory"] = self.memory.to_dict() if self.memory else None
        data["loop_lag"] = self.loop_lag.to_dict() if self.loop_lag else None
        data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunResult":
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["times_s"] = tuple(data.get("times_s") or ())
        for name in _PAIRS:
            if data.get(name) is not None:
                lo, hi = data[name]
                kwargs[name] = (lo, hi)
        if "ci_s" not in data:  # schema 1 and 2 kept only ci95_s, at ci_confidence (maybe below 95%)
            kwargs["ci_s"] = kwargs.get("ci95_s")
        kwargs["cpu"] = CpuLoad.from_dict(data["cpu"]) if data.get("cpu") else None
        kwargs["worker_spans"] = tuple(WorkerSpan(**s) for s in data.get("worker_spans") or ())
        for name in ("reference_times_s", "reference_mean_times_s", "reference_alone_times_s", "worker_items",
                     "worker_busy_s", "repeat_passes"):
            if data.get(name) is not None:
                kwargs[name] = tuple(data[name])
        kwargs["memory"] = MemoryUse.from_dict(data["memory"]) if data.get("memory") else None
        kwargs["loop_lag"] = LoopLag.from_dict(data["loop_lag"]) if data.get("loop_lag") else None
        kwargs["warnings"] = tuple(data.get("warnings") or ())
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class Suite:
    """A whole sweep: the environment it ran in, its configuration and every run."""

    schema_version: int
    harness_version: str
    created: str
    machine: Machine
    python: PythonFacts
    config: dict[str, Any]
    runs: tuple[RunResult, ...] = ()
    warnings: tuple[str, ...] = ()
    packages: dict[str, Any] = field(default_factory=dict)
    git_commit: str | None = None
    complete: bool = True
    # harness run --capacity: the parallel throughput this host delivered (harness.execution.capacity).
    capacity: Capacity | None = None
    # Every interpreter the sweep ran in, the harness's own first.
    interpreters: tuple[Interpreter, ...] = ()
    # Schema 5: the answer (harness.results.verdict), worked out from the runs when saved.
    verdict: Verdict | None = None

    def __post_init__(self) -> None:
        # The facts may come as the objects results.json holds (tests, older callers): typed here.
        object.__setattr__(self, "machine", Machine.from_dict(self.machine))
        object.__setattr__(self, "python", PythonFacts.from_dict(self.python))
        object.__setattr__(self, "capacity", facts_from(Capacity, self.capacity))
        object.__setattr__(self, "interpreters", tuple(Interpreter.from_dict(i) for i in self.interpreters))
        if isinstance(self.verdict, dict):
            object.__setattr__(self, "verdict", Verdict.from_dict(self.verdict))

    def replace(self, **changes: Any) -> "Suite":
        return replace(self, **changes)

    def to_dataframe(self):
        """One row per run as a pandas DataFrame (harness.results.frame; pandas loads only now)."""
        from harness.results.frame import suite_dataframe

        return suite_dataframe(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "harness_version": self.harness_version,
            "created": self.created,
            "complete": self.complete,
            "machine": self.machine.to_dict(),
            "python": self.python.to_dict(),
            "packages": self.packages,
            "git_commit": self.git_commit,
            "config": self.config,
            "capacity": None if self.capacity is None else self.capacity.to_dict(),
            "runs": [r.to_dict() for r in self.runs],
            "warnings": list(self.warnings),
            "interpreters": [i.to_dict() for i in self.interpreters],
            "verdict": None if self.verdict is None else self.verdict.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Suite":
        return cls(
            schema_version=data["schema_version"],
            harness_version=data["harness_version"],
            created=data["created"],
            machine=data["machine"],
            python=data["python"],
            config=data["config"],
            runs=tuple(RunResult.from_dict(r) for r in data["runs"]),
            warnings=tuple(data.get("warnings") or ()),
            packages=data.get("packages") or {},
            git_commit=data.get("git_commit"),
            complete=bool(data.get("complete", True)),
            capacity=data.get("capacity"),
            interpreters=tuple(data.get("interpreters") or ()),
            verdict=data.get("verdict"),
        )
