"""RunConfig: what a sweep runs, validated in one place.

Every bad value is a ConfigError naming the option and what it accepts, so the CLI can print
one line and exit 2 before anything is written.
"""

from __future__ import annotations

import math
import multiprocessing
from dataclasses import asdict, dataclass

from harness.chunksizes import CHUNK_RULES, STATIC
from harness.config.parsing import ConfigError
from harness.config.python_spec import parse_python_spec
from harness.config.repetition import AUTO, DEFAULT_MAX_TIME_S, RepeatPolicy

__all__ = ["DEFAULT_REFERENCE_N", "MIN_REFERENCE_N", "MIN_SAMPLE_INTERVAL_S", "RunConfig", "SCALING_MODES",
           "START_METHODS", "default_timeout"]

SCALING_MODES = ("strong", "weak")
START_METHODS = ("fork", "spawn", "forkserver")
# Below this, psutil's per-core percentages are dominated by tick granularity (10 ms).
MIN_SAMPLE_INTERVAL_S = 0.05


# --reference: items per worker of the reference loop. 100000 poly items take 15-30 ms on a
# 2020s core: long enough to time to well under 1%, short enough to cost little per repeat.
DEFAULT_REFERENCE_N = 100_000
MIN_REFERENCE_N = 1000


def default_timeout(n: int, workers: int, scaling: str) -> float:
    """A generous per-run limit from the work size: 60 s plus 10 us per item of the largest task.

    The slowest backend is serial at weak scaling, which does ``workers`` passes over n.
    At about 0.3 us per poly item that is ~30x headroom, so only a real hang trips it.
    """
    items = n * (workers if scaling == "weak" else 1)
    return 60.0 + 10e-6 * items


@dataclass(frozen=True, slots=True)
class RunConfig:
    """One sweep: sizes x backends x worker counts, each repeated ``repeat`` times."""

    backends: tuple[str, ...]
    workers: tuple[int, ...]
    n: tuple[int, ...]
    scaling: str = "strong"
    # Timed repeats per configuration: a count, or "auto" (harness/config/repetition.py), which
    # repeats until the median's 95% interval is narrow or ``max_time_s`` is spent.
    repeat: int | str = AUTO
    max_time_s: float = DEFAULT_MAX_TIME_S
    warmup: int = 1
    start_method: str | None = None
    sample_interval_s: float = 0.1
    workload: str = "poly"
    timeout_s: float | None = None
    flush_every: int | None = None
    dask_scheduler: str | None = None
    # Other interpreters (--python PATH[:gil=0|1]) that also run the stdlib backends, side by side.
    pythons: tuple[str, ...] = ()
    # Round-robin the repeats across configurations, so drift in machine speed hits all alike.
    interleave: bool = True
    # Items per worker of the reference loop timed before and after every repeat (--reference),
    # so a comparison can divide out the machine's speed at that moment; None: not timed.
    reference_n: int | None = None
    # The chunksize axis (harness.chunksizes, harness.execution.partition): "static", "auto" or integers >= 1.
    chunksize: tuple[int | str, ...] = (STATIC,)
    # A user's map workload: MODULE:PROVIDER of its items; the payload workload's item size.
    items: str | None = None
    payload_bytes: int | None = None
    # The interpreter whose serial run every verdict speedup is against (its label, or the
    # --python value that names it); None: the harness's own.
    baseline_python: str | None = None

    def __post_init__(self) -> None:
        if not self.backends:
            raise ConfigError("--backends", "no backend selected")
        if not self.workers or any(w < 1 for w in self.workers):
            raise ConfigError("--workers", "accepted: integers >= 1, or auto")
        if not self.n or any(n < 0 for n in self.n):
            raise ConfigError("--n", "accepted: integers >= 0")
        if self.scaling not in SCALING_MODES:
            raise ConfigError("--scaling", f"unknown mode {self.scaling!r} (accepted: {', '.join(SCALING_MODES)})")
        if self.repeat != AUTO and (isinstance(self.repeat, bool) or not isinstance(self.repeat, int)):
            raise ConfigError("--repeat", f"{self.repeat!r} (accepted: integers >= 1, or auto)")
        if self.repeat != AUTO and self.repeat < 1:
            raise ConfigError("--repeat", f"{self.repeat} is below 1 (accepted: integers >= 1, or auto)")
        if isinstance(self.max_time_s, bool) or not isinstance(self.max_time_s, (int, float)) \
                or not math.isfinite(self.max_time_s) or self.max_time_s <= 0:
            raise ConfigError("--max-time", f"{self.max_time_s!r} (accepted: seconds > 0)")
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, int):
            raise ConfigError("--warmup", f"{self.warmup!r} (accepted: integers >= 0)")
        for option, value in (("--sample-interval", self.sample_interval_s), ("--timeout", self.timeout_s)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ConfigError(option, f"{value!r} (accepted: seconds, a number)")
        if self.warmup < 0:
            raise ConfigError("--warmup", f"{self.warmup} is below 0 (accepted: integers >= 0)")
        if self.start_method is not None and self.start_method not in START_METHODS:
            raise ConfigError(
                "--start-method", f"unknown method {self.start_method!r} (accepted: {', '.join(START_METHODS)})"
            )
        if self.start_method is not None and self.start_method not in multiprocessing.get_all_start_methods():
            raise ConfigError(
                "--start-method",
                f"{self.start_method!r} is not available on this platform "
                f"(accepted here: {', '.join(multiprocessing.get_all_start_methods())})",
            )
        if not math.isfinite(self.sample_interval_s) or self.sample_interval_s < MIN_SAMPLE_INTERVAL_S:
            raise ConfigError(
                "--sample-interval",
                f"{self.sample_interval_s} s is too short (accepted: seconds >= {MIN_SAMPLE_INTERVAL_S})",
            )
        if self.timeout_s is not None and (not math.isfinite(self.timeout_s) or self.timeout_s <= 0):
            raise ConfigError("--timeout", f"{self.timeout_s} (accepted: seconds > 0)")
        if self.dask_scheduler is not None and not self.dask_scheduler.startswith(("tcp://", "tls://", "inproc://")):
            raise ConfigError("--dask-scheduler", f"{self.dask_scheduler!r} (accepted: an address like tcp://HOST:PORT)")
        if self.flush_every is not None and self.flush_every < 1:
            raise ConfigError("--flush-every", f"{self.flush_every} (accepted: integers >= 1)")
        for text in self.pythons:
            try:
                parse_python_spec(text)
            except ValueError as exc:
                raise ConfigError("--python", str(exc)) from None
        if not self.chunksize:
            raise ConfigError("--chunksize", "empty (accepted: integers >= 1, auto or static)")
        for value in self.chunksize:
            if value not in CHUNK_RULES and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError("--chunksize", f"{value!r} (accepted: integers >= 1, auto or static)")
        if self.scaling == "weak" and tuple(self.chunksize) != (STATIC,):
            raise ConfigError("--chunksize", "only static runs at weak scaling (every worker computes all of [0, n))")
        if self.payload_bytes is not None and (isinstance(self.payload_bytes, bool) or self.payload_bytes < 1):
            raise ConfigError("--payload-bytes", f"{self.payload_bytes!r} (accepted: integers >= 1)")
        if self.reference_n is not None and (isinstance(self.reference_n, bool) or self.reference_n < MIN_REFERENCE_N):
            raise ConfigError("--reference", f"{self.reference_n} (accepted: integers >= {MIN_REFERENCE_N})")

    @property
    def repeat_policy(self) -> RepeatPolicy:
        return RepeatPolicy(fixed=None if self.repeat == AUTO else self.repeat, max_time_s=self.max_time_s)

    def timeout_for(self, n: int, workers: int) -> float:
        return self.timeout_s if self.timeout_s is not None else default_timeout(n, workers, self.scaling)

    @classmethod
    def from_dict(cls, data: dict) -> "RunConfig":
        """The inverse of to_dict (lists back to tuples); fields a newer file adds are refused by TypeError."""
        values = dict(data)
        for name in ("backends", "workers", "pythons", "chunksize"):
            if name in values:
                values[name] = tuple(values[name])
        values["n"] = tuple(values["n"]) if isinstance(values["n"], list) else (values["n"],)
        return cls(**values)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["n"] = list(self.n) if len(self.n) > 1 else self.n[0]
        data["backends"] = list(self.backends)
        data["workers"] = list(self.workers)
        data["pythons"] = list(self.pythons)
        data["chunksize"] = list(self.chunksize)
        return data
