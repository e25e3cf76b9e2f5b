"""Interpreters a sweep runs in: ``--python PATH[:gil=0|1]``, their labels and GIL modes.

A free-threaded CPython (3.13t, 3.14t) starts without a GIL unless ``PYTHON_GIL=1`` asks for
one, so one binary can be swept with and without it. Runs are told apart by a label made
from the version, the build and the mode, never from the path: ``3.13.15`` (a GIL build),
``3.13.15t`` (free-threaded, GIL off) and ``3.13.15t:gil=1`` (the same binary, GIL on).

Stdlib only: imported inside the other interpreters too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sysconfig
from dataclasses import dataclass

from harness.config.python_spec import PythonSpec

__all__ = [
    "ExternalPythonError",
    "FREE_THREADED_ENV",
    "PACKAGE_ROOT",
    "check_distinct",
    "probe_interpreter",
    "python_environment",
    "GIL_REENABLED",
    "MIN_VERSION",
    "SweepInterpreter",
    "child_environment",
    "default_root",
    "find_built_python",
    "free_threaded_build",
    "gil_mode_from_environment",
    "interpreter_label",
    "module_that_enabled_gil",
    "version_ok",
]

# The phrase results.json's warnings and the verdict use for a free-threaded run whose GIL an
# import switched back on, so one search finds them all.
GIL_REENABLED = "GIL re-enabled by an import"
MIN_VERSION = (3, 10)
# Where `make python-ft` installs; HARNESS_PYTHON_FT names another interpreter for the tests.
FREE_THREADED_ENV = "HARNESS_PYTHON_FT"


def interpreter_label(version: str, free_threaded: bool, gil_mode: int | None) -> str:
    """The name runs carry per interpreter: version, ``t`` for a free-threaded build, and a
    ``:gil=N`` suffix only when the mode differs from the build's default."""
    base = version + ("t" if free_threaded else "")
    default = 0 if free_threaded else 1
    return base if gil_mode is None or gil_mode == default else f"{base}:gil={gil_mode}"


def child_environment(spec: PythonSpec, base: dict) -> dict:
    """The environment for the interpreter of ``spec``: PYTHON_GIL set to its mode, or removed.

    Removed when no mode is given, so the label's "build default" is what really runs, and a
    PYTHON_GIL exported in the user's shell cannot silently change a sweep. Worker processes
    inherit it, so they run in the same mode.
    """
    env = dict(base)
    env.pop("PYTHON_GIL", None)
    if spec.gil is not None:
        env["PYTHON_GIL"] = str(spec.gil)
    return env


def free_threaded_build() -> bool:
    """True when this interpreter was built with ``--disable-gil`` (Py_GIL_DISABLED)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_mode_from_environment() -> int | None:
    """The GIL mode this process was started with (PYTHON_GIL), None for the build's default."""
    value = os.environ.get("PYTHON_GIL")
    return int(value) if value in ("0", "1") else None


@dataclass(frozen=True, slots=True)
class SweepInterpreter:
    """What every run of one interpreter records about it.

    ``gil_enabled`` is the GIL's state when the sweep started, before the workload was
    imported; ``gil_enabled_by`` names the module whose import switched it back on, if any.
    """

    label: str | None = None
    gil_enabled: bool | None = None
    free_threaded_build: bool | None = None
    gil_mode: int | None = None
    gil_enabled_by: str | None = None

    @classmethod
    def current(cls, gil_enabled: bool, gil_enabled_by: str | None = None) -> "SweepInterpreter":
        """This process's interpreter, with the GIL state read before the workload's import."""
        import platform

        mode = gil_mode_from_environment()
        build = free_threaded_build()
        return cls(interpreter_label(platform.python_version(), build, mode), gil_enabled, build, mode,
                   gil_enabled_by)


_GIL_WARNING = re.compile(r"enabled to load module '(?P<module>[^']+)'")


def module_that_enabled_gil(messages) -> str | None:
    """The module named by CPython's RuntimeWarning "The global interpreter lock (GIL) has been
    enabled to load module 'X'..." among warning messages, or None."""
    for message in messages:
        found = _GIL_WARNING.search(str(message))
        if found:
            return found["module"]
    return None


def version_ok(version_info) -> bool:
    """Whether an interpreter's version can run the harness's stdlib part."""
    return tuple(version_info[:2]) >= MIN_VERSION



def default_root() -> str:
    """Where ``make python-ft`` and ``make python-gil`` install: $HARNESS_PYTHON_ROOT, else
    ~/.cache/harness-python (the same rule as scripts/build-python.sh)."""
    return os.environ.get("HARNESS_PYTHON_ROOT") or os.path.join(os.path.expanduser("~"), ".cache",
                                                                 "harness-python")


def find_built_python(kind: str) -> tuple[str | None, str]:
    """(path, reason): the interpreter ``make python-ft`` (kind "ft") or ``make python-gil``
    ("gil") built, else None and why not (the build's own failure reason when it left one).

    $HARNESS_PYTHON_FT (or $HARNESS_PYTHON_GIL) names another interpreter instead.
    """
    override = os.environ.get(FREE_THREADED_ENV if kind == "ft" else "HARNESS_PYTHON_GIL")
    if override:
        if os.access(override, os.X_OK):
            return override, f"from ${FREE_THREADED_ENV if kind == 'ft' else 'HARNESS_PYTHON_GIL'}"
        return None, f"{override} (from the environment) is not an executable interpreter"
    root = default_root()
    path = os.path.join(root, kind, "bin", "python3")
    if os.access(path, os.X_OK):
        return path, f"built by make python-{kind}"
    failed = os.path.join(root, f"{kind}.failed")
    why = ""
    if os.path.isfile(failed):
        with open(failed, encoding="utf-8", errors="replace") as handle:
            why = f"; its build failed: {handle.read().strip()}"
    return None, f"no interpreter at {path} (make python-{kind} builds one{why})"


# The folder holding the harness package: another interpreter imports it from here.
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ExternalPythonError(RuntimeError):
    """The other interpreter is unusable or its sweep failed to start."""


def python_environment(spec: PythonSpec | None = None) -> dict:
    """The environment another interpreter runs the harness in: this source first on its
    PYTHONPATH (nothing is installed there) and PYTHON_GIL set to the spec's mode."""
    env = child_environment(spec, os.environ) if spec is not None else dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


_PROBE = ("import sys, json; from harness.environment.metadata import python_facts; "
          "print(json.dumps(python_facts()))")


def probe_interpreter(spec: PythonSpec | str) -> dict:
    """The interpreter's python facts in the spec's GIL mode, plus its ``label`` and ``gil_mode``.

    ExternalPythonError with the reason when it cannot run the harness: no such file, not an
    interpreter, older than 3.10, or ``gil=0`` asked of a build that has the GIL built in.
    """
    spec = PythonSpec(spec) if isinstance(spec, str) else spec
    path = spec.path
    if not os.path.exists(path):
        raise ExternalPythonError(f"{path}: no such file")
    if not os.access(path, os.X_OK) or os.path.isdir(path):
        raise ExternalPythonError(f"{path}: not executable")
    try:
        done = subprocess.run([path, "-c", _PROBE], capture_output=True, text=True, timeout=60, env=python_environment(spec))
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExternalPythonError(f"{path}: cannot run it ({exc})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ExternalPythonError(f"{path}: cannot run harness there (needs Python >= 3.10): {last}")
    try:
        facts = json.loads(done.stdout)
        version_info, version = facts["version_info"], facts["version"]
    except (ValueError, KeyError, TypeError):
        raise ExternalPythonError(f"{path}: not a Python interpreter (its answer was not the facts asked for)") from None
    if not version_ok(version_info):
        raise ExternalPythonError(f"{path}: Python {version} is older than 3.10 (accepted: Python >= 3.10)")
    free_threaded = bool(facts.get("free_threaded_build"))
    if spec.gil == 0 and not free_threaded:
        raise ExternalPythonError(f"{spec.text}: gil=0 needs a free-threaded build, and Python {version} there has "
                                  "the GIL built in (accepted on it: no gil= or gil=1; make python-ft builds one)")
    return {**facts, "gil_mode": spec.gil, "label": interpreter_label(version, free_threaded, spec.gil)}


def check_distinct(labels: list[tuple[str, str]]) -> None:
    """ExternalPythonError when two interpreters (``(spec text, label)``) would share a label.

    Runs are keyed by label (speedups, resume, compare), so two of them under one name would mix.
    """
    seen: dict[str, str] = {}
    for text, label in labels:
        if label in seen:
            raise ExternalPythonError(f"{text}: runs as Python {label}, like {seen[label]}; each interpreter "
                                      "needs its own version, build or gil= mode")
        seen[label] = text
