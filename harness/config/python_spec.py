"""``--python PATH[:gil=0|1]``: another interpreter to sweep in, and the GIL mode to run it in.

Parsed here, with the other options; ``harness.environment.pythons`` probes and labels the
interpreter itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["GIL_MODES", "PythonSpec", "parse_python_spec"]

GIL_MODES = (0, 1)
_OPTION = re.compile(r"^(?P<path>.+):(?P<key>[A-Za-z_]+)=(?P<value>[^:/]*)$")


@dataclass(frozen=True, slots=True)
class PythonSpec:
    """One ``--python`` value: the interpreter and the GIL mode asked for (None: the build's default)."""

    path: str
    gil: int | None = None

    def __post_init__(self) -> None:
        if self.gil is not None and self.gil not in GIL_MODES:
            raise ValueError(f"gil must be one of {GIL_MODES} or None, got {self.gil!r}")

    @property
    def text(self) -> str:
        """The spec as written on the command line (and stored in the config)."""
        return self.path if self.gil is None else f"{self.path}:gil={self.gil}"


def parse_python_spec(text: str) -> PythonSpec:
    """``PATH`` or ``PATH:gil=0|1`` -> PythonSpec; ValueError naming what is accepted."""
    match = _OPTION.match(str(text))
    if match is None:
        if not str(text).strip():
            raise ValueError("empty (accepted: PATH or PATH:gil=0|1)")
        return PythonSpec(str(text))
    if match["key"] != "gil":
        raise ValueError(f"{text!r}: unknown option {match['key']!r} (accepted: PATH or PATH:gil=0|1)")
    if match["value"] not in ("0", "1"):
        raise ValueError(f"{text!r}: gil={match['value']!r} is not a GIL mode (accepted: gil=0 or gil=1)")
    return PythonSpec(match["path"], int(match["value"]))
