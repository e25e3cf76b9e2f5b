"""The verdict as a value (schema 5; 8 adds the rerun interval): the answer a sweep gives, kept in results.json.

``harness.analysis.verdict`` works it out from the runs; the orchestrator attaches it to the
Suite, and ``harness report`` works it out again, so files of older schemas get one too.
These are only the values and their JSON form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["Baseline", "Choice", "HostNoise", "NoiseSource", "Verdict", "VerdictReason"]


def _pair(value) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


@dataclass(frozen=True, slots=True)
class Choice:
    """One configuration the verdict names: the fastest, or one tied with it.

    ``median_s`` and ``ci_s`` are its wall time and that median's interval; ``speedup`` is
    against the verdict's baseline, with its interval (``speedup_ci``) and how it was
    estimated (``method``: "paired" per-pass ratios, or "unpaired"). ``speedup_rerun`` is
    where a rerun's speedup would land (schema 8), with the share of reruns an interval so
    made holds at least on a steady host (``rerun_coverage``; from each side's repeats on
    their own): wider than ``speedup_ci``, which is about this run's true speedup only.
    """

    backend: str
    workers: int
    chunksize: int | str | None
    python: str | None
    n: int
    median_s: float
    ci_s: tuple[float, float] | None
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None
    method: str | None = None
    speedup_rerun: tuple[float, float] | None = None
    rerun_coverage: float | None = None

    @property
    def series(self) -> str:
        from harness.chunksizes import series_name

        return series_name(self.backend, self.chunksize)

    @property
    def name(self) -> str:
        """"pool@2" or "pool cs=16@2": how the short answer names it."""
        return f"{self.series}@{self.workers}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("ci_s", "speedup_ci", "speedup_rerun"):
            data[key] = None if data[key] is None else list(data[key])
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Choice":
        values = {f.name: data.get(f.name) for f in fields(cls)}
        for key in ("ci_s", "speedup_ci", "speedup_rerun"):
            values[key] = _pair(values[key])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Baseline:
    """What every speedup of the verdict is against: serial on one interpreter, at one size."""

    python: str | None
    backend: str
    n: int
    median_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Baseline":
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class NoiseSource:
    """One reading of how much the host's speed moved: ``spread`` is the half-range (10th to
    90th percentile) over the median, as a fraction (0.22: +-22%)."""

    name: str  # "serial's repeats", "the reference loop", "the capacity probe"
    spread: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "NoiseSource":
        return cls(str(data["name"]), float(data["spread"]))


@dataclass(frozen=True, slots=True)
class HostNoise:
    """How much the host itself varied while the sweep ran, and what that lets it resolve.

    ``spread`` is the largest of the sources'; ``resolvable`` the smallest difference between
    two configurations' times the verdict's rule could still tell apart (as a fraction: 0.3
    for 30%); ``blurred``: the noise was enough to blur the comparison, so the answer says so
    first.
    """

    spread: float
    resolvable: float | None
    blurred: bool
    sources: tuple[NoiseSource, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"spread": self.spread, "resolvable": self.resolvable, "blurred": self.blurred,
                "sources": [s.to_dict() for s in self.sources]}

    @classmethod
    def from_dict(cls, data: dict) -> "HostNoise":
        return cls(float(data["spread"]), data.get("resolvable"), bool(data.get("blurred")),
                   tuple(NoiseSource.from_dict(s) for s in data.get("sources") or ()))


@dataclass(frozen=True, slots=True)
class VerdictReason:
    """Why one model lost or won less: the run it is about, the causes found, one short line."""

    backend: str
    workers: int
    chunksize: int | str | None
    python: str | None
    outcome: str  # "lost" or "won less"
    kinds: tuple[str, ...]  # "pickling", "imbalance", "start-up", "the GIL", "memory"
    text: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kinds"] = list(self.kinds)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "VerdictReason":
        values = {f.name: data.get(f.name) for f in fields(cls)}
        values["kinds"] = tuple(values["kinds"] or ())
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer: the fastest configuration (or None), those tied with it, the baseline the
    speedups are against, the host's noise, the reasons other models lost, and the short
    answer in words (``lines``: what the CLI prints and the report's verdict box shows)."""

    best: Choice | None
    tied: tuple[Choice, ...] = ()
    recommended: Choice | None = None
    baseline: Baseline | None = None
    host_noise: HostNoise | None = None
    reasons: tuple[VerdictReason, ...] = ()
    lines: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "best": None if self.best is None else self.best.to_dict(),
            "tied": [c.to_dict() for c in self.tied],
            "recommended": None if self.recommended is None else self.recommended.to_dict(),
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "host_noise": None if self.host_noise is None else self.host_noise.to_dict(),
            "reasons": [r.to_dict() for r in self.reasons],
            "lines": list(self.lines),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Verdict":
        def one(kind, value):
            return None if value is None else kind.from_dict(value)

        return cls(best=one(Choice, data.get("best")), tied=tuple(Choice.from_dict(c) for c in data.get("tied") or ()),
                   recommended=one(Choice, data.get("recommended")), baseline=one(Baseline, data.get("baseline")),
                   host_noise=one(HostNoise, data.get("host_noise")),
                   reasons=tuple(VerdictReason.from_dict(r) for r in data.get("reasons") or ()),
                   lines=tuple(data.get("lines") or ()))
