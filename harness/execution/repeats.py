"""One timed repeat, and its journal record: what an interleaved sweep keeps as it goes.

An interleaved sweep finishes a configuration only at its last pass. Journaling every
finished repeat means an interrupt loses at most the repeat in progress, and --resume
continues each configuration from the repeats it already has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.execution.memory import MemorySamples, compact_memory
from harness.execution.sampler import CpuSamples
from harness.execution.tasks import TaskResult
from harness.results.timeline import compact_timeline

__all__ = ["REPEAT_KIND", "Repeat", "RepeatRecord"]

# The journal's line discriminator: a line with "kind": "repeat" is a RepeatRecord; any other
# line is a finished RunResult (the only kind journals of schema 1 and 2 hold).
REPEAT_KIND = "repeat"


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
    # A map workload's results, checked against serial's and then dropped: None when they
    # agreed, else the one line naming the first differing item.
    check: str | None = None

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
                "task_results": [r.to_list() for r in self.task_results], "samples": samples,
                "reference_s": self.reference_s, "check": self.check}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Repeat":
        raw = data.get("samples")
        samples = None if raw is None else CpuSamples(
            start=float(raw["start"]), t=tuple(float(v) for v in raw["t"]),
            per_core=tuple(tuple(float(v) for v in s) for s in raw["per_core"]),
            memory=MemorySamples.from_dict(raw["memory"]) if raw.get("memory") else None)  # older lines: none
        return cls(wall_s=float(data["wall_s"]), cpu_s=float(data["cpu_s"]), start=float(data["start"]),
                   task_results=tuple(TaskResult.from_list(r) for r in data["task_results"]), samples=samples,
                   reference_s=data.get("reference_s"), check=data.get("check"))


@dataclass(frozen=True, slots=True)
class RepeatRecord:
    """A finished repeat of a configuration that is not finished yet, as journaled.

    ``startup_s`` and ``recomputed`` belong to the pass that timed it: each interleaved pass
    starts its own backend.
    """

    key: tuple
    repeat: Repeat
    startup_s: float | None = None
    recomputed: int | None = None
    # What the repeat cost of --max-time's budget: its wall time plus its reference loops.
    timing_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": REPEAT_KIND, "key": list(self.key), "repeat": self.repeat.to_dict(),
                "startup_s": self.startup_s, "recomputed": self.recomputed, "timing_s": self.timing_s}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RepeatRecord":
        if data.get("kind") != REPEAT_KIND:
            raise ValueError(f"not a repeat record (kind {data.get('kind')!r})")
        return cls(key=tuple(data["key"]), repeat=Repeat.from_dict(data["repeat"]),
                   startup_s=data.get("startup_s"), recomputed=data.get("recomputed"),
                   timing_s=data.get("timing_s"))
