"""Parsing the sweep's list options (``--workers 1,2,4``, ``--n 1e6``, ``--chunksize static,16``,
``--backends``): strings in, validated values out.

Every parse error is a ConfigError naming the option and what it accepts, so the CLI can
print one line and exit 2 before anything is written.
"""

from __future__ import annotations

import math
import os

from harness.chunksizes import CHUNK_RULES

__all__ = ["ConfigError", "auto_workers", "parse_backends", "parse_chunksizes", "parse_sizes", "parse_workers"]


class ConfigError(ValueError):
    """A bad option value; ``option`` names the flag so the message can say which."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


def _split(text: str, option: str, accepted: str) -> list[str]:
    """A comma list's items; an empty one (``1,,2``, a trailing comma) is refused, not skipped.

    Skipping it would run a sweep other than the one typed, most likely a typo's.
    """
    if not str(text).strip():
        raise ConfigError(option, f"empty (accepted: {accepted})")
    parts = [part.strip() for part in str(text).split(",")]
    if "" in parts:
        raise ConfigError(option, f"{text!r} has an empty item (accepted: {accepted})")
    return parts


def _parse_int(option: str, text: str, *, minimum: int) -> int:
    raw = text.strip().replace("_", "")
    try:
        value = int(raw)
    except ValueError:
        try:  # accept 1e7 or 10e6 when it denotes an integer
            as_float = float(raw)
        except ValueError:
            raise ConfigError(option, f"{text!r} is not an integer (accepted: integers >= {minimum})") from None
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise ConfigError(option, f"{text!r} is not an integer (accepted: integers >= {minimum})")
        value = int(as_float)
    if value < minimum:
        raise ConfigError(option, f"{value} is below {minimum} (accepted: integers >= {minimum})")
    return value


def auto_workers(logical_cpus: int) -> tuple[int, ...]:
    """``--workers auto``: powers of two below the CPU count, the CPU count, and twice it.

    The CPU count itself is where the ideal speedup peaks, so it is always measured, even on
    a 12- or 96-CPU machine; one point at twice it shows what oversubscription costs. Powers
    of two keep the list short at any size: 9 counts at 128 CPUs (1, 2, 4, ..., 128, 256).
    """
    if isinstance(logical_cpus, bool) or not isinstance(logical_cpus, int) or logical_cpus < 1:
        raise ValueError(f"logical_cpus must be an integer >= 1, got {logical_cpus!r}")
    counts = [1 << k for k in range(logical_cpus.bit_length()) if 1 << k < logical_cpus]
    return tuple(counts + [logical_cpus, 2 * logical_cpus])


def parse_workers(text: str, logical_cpus: int | None = None) -> tuple[int, ...]:
    """``"1,2,4"`` or ``"auto"`` -> sorted unique worker counts (each >= 1)."""
    parts = _split(text, "--workers", "a comma list of integers >= 1, or auto")
    counts: set[int] = set()
    for part in parts:
        if part == "auto":
            counts.update(auto_workers(logical_cpus or os.cpu_count() or 1))
        else:
            counts.add(_parse_int("--workers", part, minimum=1))
    return tuple(sorted(counts))


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"10000000"`` or ``"1e5,1e6,1e7"`` -> sorted unique sizes (each >= 0)."""
    parts = _split(text, "--n", "an integer >= 0 or a comma list of them")
    return tuple(sorted({_parse_int("--n", part, minimum=0) for part in parts}))


def parse_chunksizes(text: str) -> tuple[int | str, ...]:
    """``"static,auto,1,8,64"`` -> the chunksizes in the order given (duplicates dropped)."""
    accepted = "a comma list of integers >= 1, auto (Pool's rule) or static (one block per worker)"
    values: list[int | str] = []
    for part in _split(text, "--chunksize", accepted):
        if part in CHUNK_RULES:
            value: int | str = part
        else:
            try:
                value = _parse_int("--chunksize", part, minimum=1)
            except ConfigError:
                raise ConfigError("--chunksize", f"{part!r} (accepted: {accepted})") from None
        if value not in values:
            values.append(value)
    return tuple(values)


def parse_backends(text: str, known: tuple[str, ...]) -> tuple[str, ...]:
    """A comma list of backend names (or ``all``), in the order given, duplicates dropped."""
    parts = _split(text, "--backends", f"a comma list of {', '.join(known)}, or all")
    names: list[str] = []
    for part in parts:
        expanded = known if part == "all" else (part,)
        for name in expanded:
            if name not in known:
                raise ConfigError("--backends", f"unknown backend {name!r} (accepted: {', '.join(known)}, or all)")
            if name not in names:
                names.append(name)
    return tuple(names)
