"""RunKey: what identifies one configuration across runs, files, journals and commits.

Resume skips the keys a journal already holds, compare pairs a baseline's run with the
current run of the same key, and the history store files a run's samples under it. One
value, built in one place (``RunKey.of``), with its JSON form and its matching rules here.

The static split is stored as no chunksize at all (``chunksize`` None), so a static run of a
schema-4 file has the key of the same run in a file that predates chunking.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from harness.chunksizes import chunk_suffix, is_static

__all__ = ["RunKey"]

_FIELDS = ("backend", "workers", "n", "scaling", "workload", "chunksize", "python")


@dataclass(frozen=True, slots=True)
class RunKey:
    """One configuration: backend x workers x n x scaling x workload x chunksize, in one interpreter.

    ``chunksize`` is None for the static split; ``python`` is the interpreter's label
    ("3.13.15t"), None in files written before labels existed.
    """

    backend: str
    workers: int
    n: int
    scaling: str
    workload: str
    chunksize: int | str | None = None
    python: str | None = None

    def __post_init__(self) -> None:
        if is_static(self.chunksize) and self.chunksize is not None:
            object.__setattr__(self, "chunksize", None)

    @classmethod
    def of(cls, backend: str, workers: int, n: int, scaling: str, workload: str, chunksize=None,
           python: str | None = None) -> "RunKey":
        """The key of a configuration as a run or a plan describes it."""
        return cls(backend, workers, n, scaling, workload, chunksize, python)

    def without_python(self) -> "RunKey":
        """The same configuration in any interpreter: what compare matches on when each side
        ran in one interpreter (a 3.12 baseline against a 3.13 run of the same sweep)."""
        return replace(self, python=None)

    @property
    def label(self) -> str:
        """"pool w2 cs=16 n=1000 strong": how tables and messages name the configuration."""
        return f"{self.short_label} {self.scaling}"

    @property
    def short_label(self) -> str:
        """"pool w2 cs=16 n=1000": how a run's warnings name it."""
        return f"{self.backend} w{self.workers}{chunk_suffix(self.chunksize)} n={self.n}"

    def to_json(self) -> dict[str, Any]:
        """The journal's and the history store's form: named fields."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_json(cls, data: Any) -> "RunKey":
        """From :meth:`to_json`'s object, or from the positional list journals of format 1 wrote:
        ``[backend, workers, n, scaling, workload, python]``, with a chunksize before the
        interpreter's label when it was not static (7 items). ValueError for anything else."""
        if isinstance(data, dict):
            unknown = set(data) - set(_FIELDS)
            if unknown:
                raise ValueError(f"run key: unknown field(s) {', '.join(sorted(unknown))}")
            return cls(**data)
        if isinstance(data, (list, tuple)) and len(data) in (6, 7):
            *head, python = data
            backend, workers, n, scaling, workload = head[:5]
            return cls(backend, workers, n, scaling, workload, head[5] if len(head) == 6 else None, python)
        raise ValueError(f"run key: expected an object or a list of 6 or 7 values, got {data!r}")
