"""What one configuration measured besides its times: when each worker computed, the per-core
CPU load and the memory of the harness and its workers. Immutable, validated values."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["CpuLoad", "MemoryUse", "WorkerSpan"]


@dataclass(frozen=True, slots=True)
class WorkerSpan:
    """When one worker computed, in seconds from the start of its repeat."""

    worker: int
    start_s: float
    end_s: float
    cpu_s: float | None = None
    pid: int | None = None

    def __post_init__(self) -> None:
        if self.end_s < self.start_s:
            raise ValueError(f"worker {self.worker}: end_s {self.end_s} is before start_s {self.start_s}")


@dataclass(frozen=True, slots=True)
class CpuLoad:
    """Per-core CPU load (percent, 0-100 per logical CPU) while the timed repeats ran."""

    interval_s: float
    mean_per_core: tuple[float, ...]
    busy_cores: float
    timeline_t_s: tuple[float, ...] = ()
    timeline_per_core: tuple[tuple[float, ...], ...] = ()

    def __post_init__(self) -> None:
        for value in self.mean_per_core:
            if math.isnan(value) or value < 0 or value > 100.0001:
                raise ValueError(f"per-core load must be within 0..100 percent, got {value!r}")
        if self.timeline_per_core and any(len(series) != len(self.timeline_t_s) for series in self.timeline_per_core):
            raise ValueError("cpu timeline: every core needs one value per sample time")

    def to_dict(self) -> dict[str, Any]:
        return {
            "interval_s": self.interval_s,
            "mean_per_core": list(self.mean_per_core),
            "busy_cores": self.busy_cores,
            "timeline": {"t_s": list(self.timeline_t_s), "per_core": [list(s) for s in self.timeline_per_core]},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CpuLoad":
        timeline = data.get("timeline") or {}
        return cls(
            interval_s=float(data["interval_s"]),
            mean_per_core=tuple(float(v) for v in data["mean_per_core"]),
            busy_cores=float(data["busy_cores"]),
            timeline_t_s=tuple(float(v) for v in timeline.get("t_s", ())),
            # Whole percents stay ints: CPython shares small ints, and 128 cores x 100 samples
            # x 300 runs of floats would take ~100 MB more memory.
            timeline_per_core=tuple(tuple(v if type(v) is int else float(v) for v in s)
                                    for s in timeline.get("per_core", ())),
        )


@dataclass(frozen=True, slots=True)
class MemoryUse:
    """The memory the harness and all its workers held together while the timed repeats ran.

    ``metric`` says what was summed over the processes: "uss" (memory unique to each process:
    what would be freed if it exited), "pss" (shared pages split among their sharers) or "rss"
    (where neither can be read; shared pages then count once per process). Peak and mean are
    over the samples of every timed repeat; ``processes`` is the most processes seen at once.
    """

    metric: str
    peak_bytes: int
    mean_bytes: int
    processes: int
    samples: int

    def __post_init__(self) -> None:
        if self.metric not in ("uss", "pss", "rss"):
            raise ValueError(f"memory metric must be uss, pss or rss, got {self.metric!r}")
        if self.peak_bytes < 0 or self.mean_bytes < 0 or self.mean_bytes > self.peak_bytes:
            raise ValueError(f"memory: need 0 <= mean_bytes <= peak_bytes, got {self.mean_bytes}, {self.peak_bytes}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MemoryUse":
        return cls(**{f.name: data[f.name] for f in fields(cls)})
