"""The interpreters of this machine the subinterpreter tests run in: every CPython 3.12+ that
pyenv, make python-gil and make python-ft installed (not a test module)."""

from __future__ import annotations

import glob
import os
import subprocess

from harness.environment.pythons import find_built_python

__all__ = ["OLDER", "PYTHONS", "version_of"]


def version_of(path: str) -> tuple[int, int] | None:
    """(major, minor) of the interpreter at ``path``; None when it does not answer."""
    try:
        out = subprocess.run([path, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                             text=True, timeout=30).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (int(out[0]), int(out[1])) if len(out) == 2 else None


def _pythons_312_plus() -> list[str]:
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")))
    candidates += [p for p in (find_built_python("gil")[0], find_built_python("ft")[0]) if p]
    return [p for p in candidates if (version_of(p) or (0, 0)) >= (3, 12)]


PYTHONS = _pythons_312_plus()
OLDER = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[01]*/bin/python3")))
