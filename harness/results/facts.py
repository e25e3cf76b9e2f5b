"""Where a sweep ran, as typed values: the machine, the interpreters and the host's capacity.

results.json keeps each as an object; these values read it back field by field, keep any
field a newer harness added (``extra``), and write it again in the same layout, so a file
round-trips unchanged. A field an older file lacks reads as None.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, Mapping

__all__ = ["Capacity", "CpuFrequency", "Interpreter", "Machine", "PythonFacts", "facts_from", "interpreters_by_label"]


class _Facts:
    """Shared by the fact values: from and to their JSON object, lists kept as tuples."""

    __slots__ = ()

    # Fields stored as JSON arrays (tuples here) and nested fact values, per class.
    _ARRAYS: ClassVar[frozenset[str]] = frozenset()
    _NESTED: ClassVar[Mapping[str, type]] = {}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None):
        """The value a results.json object holds; unknown keys are kept in ``extra``."""
        if isinstance(data, cls):
            return data
        data = dict(data or {})
        known = [f.name for f in fields(cls) if f.name != "extra"]
        values: dict[str, Any] = {}
        for name in known:
            value = data.pop(name, None)
            if value is not None and name in cls._ARRAYS:
                value = tuple(value)
            elif value is not None and name in cls._NESTED:
                value = cls._NESTED[name].from_dict(value)
            values[name] = value
        return cls(**values, extra=data)

    def to_dict(self) -> dict[str, Any]:
        """The results.json object: known fields in order, then the ones kept from a newer file."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, _Facts):
                value = value.to_dict()
            out[f.name] = value
        out.update(self.extra)
        return out

    def replace(self, **changes: Any):
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class CpuFrequency(_Facts):
    """psutil's cpu_freq() in MHz (many VMs report a max of 0)."""

    current: float | None = None
    min: float | None = None
    max: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Machine(_Facts):
    """The machine: its CPUs (and how many this process may use), memory, OS and load."""

    _ARRAYS = frozenset({"affinity", "load_avg"})
    _NESTED = {"cpu_freq_mhz": CpuFrequency}

    logical_cpus: int | None = None
    physical_cpus: int | None = None
    cpu_model: str | None = None
    affinity: tuple[int, ...] | None = None
    usable_cpus: int | None = None
    cgroup_cpu_quota: float | None = None
    cpu_freq_mhz: CpuFrequency | None = None
    memory_total_bytes: int | None = None
    platform: str | None = None
    system: str | None = None
    release: str | None = None
    machine: str | None = None
    hostname: str | None = None
    load_avg: tuple[float, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cpus(self) -> int | None:
        """The CPUs this process may really use (affinity and cgroup quota), else the logical CPUs:
        what caps a speedup here (taskset -c 0 caps it at 1)."""
        return self.usable_cpus or self.logical_cpus


@dataclass(frozen=True, slots=True)
class PythonFacts(_Facts):
    """The interpreter that ran the harness, and how it starts worker processes."""

    _ARRAYS = frozenset({"version_info", "available_start_methods"})

    implementation: str | None = None
    version: str | None = None
    version_info: tuple | None = None
    build: str | None = None
    executable: str | None = None
    gil_enabled: bool | None = None
    free_threaded_build: bool | None = None
    default_start_method: str | None = None
    available_start_methods: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Interpreter(_Facts):
    """One interpreter a sweep ran in (the harness's own first): its label, build and GIL.

    ``gil_mode`` is the PYTHON_GIL it ran with (None: the build's default), ``gil_enabled`` the
    GIL's state when its sweep started, ``gil_enabled_by`` the module whose import switched
    the GIL back on, if one did.
    """

    label: str | None = None
    implementation: str | None = None
    version: str | None = None
    executable: str | None = None
    free_threaded_build: bool | None = None
    gil_enabled: bool | None = None
    gil_mode: int | None = None
    gil_enabled_by: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Capacity(_Facts):
    """``--capacity``: how many processes' worth of the poly loop ``processes`` busy processes
    did together on this host (``capacity``), per block of the probe, and its one-line summary."""

    _ARRAYS = frozenset({"block_capacities"})

    processes: int | None = None
    capacity: float | None = None
    efficiency: float | None = None
    slice_s: float | None = None
    block_capacities: tuple[float, ...] | None = None
    summary: str | None = None
    # Schema 5: the same probe run again after the sweep (None: not run, or an older file).
    capacity_after: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def facts_from(kind: type, data):
    """``kind.from_dict(data)``, with None kept as None (a file without that object)."""
    return None if data is None else kind.from_dict(data)


def interpreters_by_label(interpreters) -> dict[str, Interpreter]:
    """A sweep's interpreters (values, or their results.json objects) by label; unlabelled ones left out."""
    typed = (Interpreter.from_dict(i) for i in interpreters)
    return {i.label: i for i in typed if i.label}
