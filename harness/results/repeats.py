"""One timed repeat, the results of its tasks, and its journal record: what an interleaved sweep
keeps as it goes.

An interleaved sweep finishes a configuration only at its last pass. Journaling every
finished repeat means an interrupt loses at most the repeat in progress, and --resume
continues each configuration from the repeats it already has.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Sequence

from harness.results.key import RunKey
from harness.results.measures import LoopLag
from harness.results.samples import CpuSamples, MemorySamples, compact_memory
from harness.results.timeline import compact_timeline

__all__ = ["REPEAT_KIND", "Repeat", "RepeatRecord", "TaskResult"]

# The journal's line discriminator: a line with "kind": "repeat" is a RepeatRecord; any other
# line is a finished RunResult (the only kind journals of schema 1 and 2 hold).
REPEAT_KIND = "repeat"


@dataclass(frozen=True, slots=True)
class TaskResult:
    """What one chunk reports back.

    ``start`` and ``end`` are ``time.perf_counter()`` readings. On Linux that is
    CLOCK_MONOTONIC, one clock for every process on the machine, so the parent can place
    worker spans on its own timeline. ``value`` is a range workload's total, or a map
    workload's results in item order (the runner checks them and then drops them).
    ``cpu_s`` is the thread's (or process's) CPU time, ``peak_rss`` the worker process's peak
    resident memory in bytes (None in-process), ``pid`` the worker process (None
    in-process), ``gil_enabled`` the GIL's state as the worker saw it after importing the
    workload (None before Python 3.13), and ``thread`` the native id of the thread that ran
    it: (pid, thread) names the worker that took a chunk from a shared queue.
    """

    worker: int
    value: Any
    start: float
    end: float
    cpu_s: float | None
    peak_rss: int | None = None
    pid: int | None = None
    gil_enabled: bool | None = None
    thread: int | None = None
    items: int | None = None
    # Seconds spent computing, when this result stands for several chunks of one worker
    # (merged after the repeat): then start..end also spans its waits between chunks.
    busy_s: float | None = None

    @property
    def busy(self) -> float:
        return self.busy_s if self.busy_s is not None else max(self.end - self.start, 0.0)

    def with_value(self, value: Any) -> "TaskResult":
        """The same result carrying another value (a shared total read by the parent, or None
        once a map workload's results are checked)."""
        return replace(self, value=value)

    @property
    def runner(self) -> tuple:
        """Which worker ran it: its process (None in-process) and thread."""
        return (self.pid, self.thread)

    def to_dict(self) -> dict[str, Any]:
        """The journal's form (format 2): named fields."""
        return {name: getattr(self, name) for name in _TASK_FIELDS}

    @classmethod
    def from_journal(cls, data: dict | Sequence) -> "TaskResult":
        """From the journal: named fields (format 2), or the positional list format 1 wrote, the
        fields in declaration order (7 of them before gil_enabled was kept, 8 before items)."""
        if isinstance(data, dict):
            return cls(**{name: data[name] for name in _TASK_FIELDS if name in data})
        if not isinstance(data, (list, tuple)) or not 5 <= len(data) <= len(_TASK_FIELDS):
            raise ValueError(f"task result: expected an object or a list of 5 to {len(_TASK_FIELDS)} values")
        return cls(**dict(zip(_TASK_FIELDS, data)))


_TASK_FIELDS = tuple(f.name for f in fields(TaskResult))


@dataclass(frozen=True, slots=True)
class Repeat:
    """One timed repeat: wall and CPU time, the tasks' results, and the load while it ran.

    ``task_results`` are the backend's TaskResults; their start and end are on the same
    monotonic clock as ``start``. ``samples`` holds the per-core load and, in its ``memory``
    (also :attr:`memory`), the memory readings of the harness and its workers.
    """

    wall_s: float
    cpu_s: float
    start: float
    task_results: tuple[TaskResult, ...]
    samples: CpuSamples | None = None
    reference_s: float | None = None
    # The same reference loops' mean worker time (reference_s is the slowest worker's), schema 7.
    reference_mean_s: float | None = None
    # The loop on one worker alone (schema 9), the mean of its timings before and after.
    reference_alone_s: float | None = None
    # A map workload's results, checked against serial's and then dropped: None when they
    # agreed, else the one line naming the first differing item.
    check: str | None = None
    # The interleaved pass that timed it (1, 2, ...; None one by one): repeats of two
    # configurations in the same pass ran seconds apart, so their ratio cancels a slow spell.
    pass_index: int | None = None
    # An asyncio offload model's event-loop lag during this repeat (None for other backends).
    loop_lag: LoopLag | None = None

    @property
    def total(self) -> int:
        return sum(r.value for r in self.task_results)

    @property
    def memory(self) -> MemorySamples | None:
        """The memory readings taken while this repeat ran (None where memory was not sampled)."""
        return None if self.samples is None else self.samples.memory

    def to_dict(self) -> dict[str, Any]:
        samples = None
        if self.samples is not None:
            # As compact as results.json keeps a timeline (at most 100 samples, merged
            # time-weighted, whole percents): at 128 cores a raw repeat would be 100 KB.
            ends, loads = compact_timeline(self.samples.start, self.samples.t, self.samples.per_core)
            # Memory likewise: at most 100 readings, the peak and (nearly) the mean kept.
            memory = self.samples.memory
            samples = {"start": self.samples.start, "t": [round(self.samples.start + e, 4) for e in ends],
                       "per_core": [list(s) for s in loads],
                       "memory": None if memory is None else compact_memory(memory).to_dict()}
        return {"wall_s": self.wall_s, "cpu_s": self.cpu_s, "start": self.start,
                "task_results": [r.to_dict() for r in self.task_results], "samples": samples,
                "reference_s": self.reference_s, "reference_mean_s": self.reference_mean_s,
                "reference_alone_s": self.reference_alone_s, "check": self.check,
                "pass_index": self.pass_index,
                "loop_lag": None if self.loop_lag is None else self.loop_lag.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Repeat":
        raw = data.get("samples")
        samples = None if raw is None else CpuSamples(
            start=float(raw["start"]), t=tuple(float(v) for v in raw["t"]),
            per_core=tuple(tuple(float(v) for v in s) for s in raw["per_core"]),
            memory=MemorySamples.from_dict(raw["memory"]) if raw.get("memory") else None)  # older lines: none
        return cls(wall_s=float(data["wall_s"]), cpu_s=float(data["cpu_s"]), start=float(data["start"]),
                   task_results=tuple(TaskResult.from_journal(r) for r in data["task_results"]), samples=samples,
                   reference_s=data.get("reference_s"), reference_mean_s=data.get("reference_mean_s"),
                   reference_alone_s=data.get("reference_alone_s"), check=data.get("check"),
                   pass_index=data.get("pass_index"),
                   loop_lag=LoopLag.from_dict(data["loop_lag"]) if data.get("loop_lag") else None)


@dataclass(frozen=True, slots=True)
class RepeatRecord:
    """A finished repeat of a configuration that is not finished yet, as journaled.

    ``startup_s`` and ``recomputed`` belong to the pass that timed it: each interleaved pass
    starts its own backend.
    """

    key: RunKey
    repeat: Repeat
    startup_s: float | None = None
    recomputed: int | None = None
    # What the repeat cost of --max-time's budget: its wall time plus its reference loops.
    timing_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": REPEAT_KIND, "key": self.key.to_json(), "repeat": self.repeat.to_dict(),
                "startup_s": self.startup_s, "recomputed": self.recomputed, "timing_s": self.timing_s}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RepeatRecord":
        if data.get("kind") != REPEAT_KIND:
            raise ValueError(f"not a repeat record (kind {data.get('kind')!r})")
        return cls(key=RunKey.from_json(data["key"]), repeat=Repeat.from_dict(data["repeat"]),
                   startup_s=data.get("startup_s"), recomputed=data.get("recomputed"),
                   timing_s=data.get("timing_s"))
