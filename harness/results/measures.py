"""What one configuration measured besides its times: when each worker computed, the per-core
CPU load and the memory of the harness and its workers. Immutable, validated values."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["CpuLoad", "LoopLag", "MemoryUse", "WorkerSpan"]


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


@dataclass(frozen=True, slots=True)
class LoopLag:
    """How late an asyncio event loop's heartbeat ticked while the work ran (schema 6).

    A heartbeat coroutine asks to wake every few milliseconds; each tick's delay is how much
    later than asked it woke, which is how long any other coroutine (a request handler) would
    have waited then. ``p50_s`` and ``p99_s`` are the nearest-rank percentiles of one repeat's
    delays (of a run: the median over its timed repeats), ``max_s`` the worst delay seen, and
    ``ticks`` how many delays were read (of a run: in all its timed repeats). A loop that a
    computation blocked has few ticks, one of them as late as the computation was long.
    """

    p50_s: float
    p99_s: float
    max_s: float
    ticks: int

    def __post_init__(self) -> None:
        for name in ("p50_s", "p99_s", "max_s"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
                raise ValueError(f"loop_lag.{name} must be a finite number >= 0, got {value!r}")
        if not self.p50_s <= self.p99_s <= self.max_s:
            raise ValueError(f"loop_lag: need p50_s <= p99_s <= max_s, got {self.p50_s}, {self.p99_s}, {self.max_s}")
        if isinstance(self.ticks, bool) or not isinstance(self.ticks, int) or self.ticks < 1:
            raise ValueError(f"loop_lag.ticks must be an integer >= 1, got {self.ticks!r}")

    @classmethod
    def of_delays(cls, delays) -> "LoopLag | None":
        """One repeat's lag from its ticks' delays in seconds; None without a tick."""
        from harness.stats import nearest_rank

        values = [max(float(d), 0.0) for d in delays]
        if not values:
            return None
        return cls(p50_s=round(nearest_rank(values, 0.5), 6), p99_s=round(nearest_rank(values, 0.99), 6),
                   max_s=round(max(values), 6), ticks=len(values))

    @classmethod
    def combine(cls, lags) -> "LoopLag | None":
        """A run's lag from its repeats': the median repeat's percentiles (one odd repeat does
        not move them), the worst tick of all and every tick counted; None without any."""
        from harness.stats import median

        known = [lag for lag in lags if lag is not None]
        if not known:
            return None
        p50, p99 = median([lag.p50_s for lag in known]), median([lag.p99_s for lag in known])
        worst = max(lag.max_s for lag in known)
        return cls(p50_s=round(min(p50, p99), 6), p99_s=round(min(p99, worst), 6), max_s=worst,
                   ticks=sum(lag.ticks for lag in known))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LoopLag":
        return cls(**{f.name: data[f.name] for f in fields(cls)})
