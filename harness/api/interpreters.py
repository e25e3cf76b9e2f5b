"""Each interpreter's part of a sweep: the harness's own, and every ``--python`` interpreter.

Both go the same way: :class:`InterpreterPart` prepares a part where it runs (the workload
imported, watching whether that switched the GIL on; a map workload's items made; what the
runs record about the interpreter) and runs it through ``harness.execution.passes``. The
harness's own part runs here; another interpreter's runs in a child process of that
interpreter (:mod:`harness.api.child`, a thin shell around the same InterpreterPart), which
streams each event back as a JSON line: ``{"facts": {...}}`` first, then ``{"progress":
[done, total, label]}``, ``{"repeat": {...}}`` and ``{"run": {...}}``, or ``{"error": "..."}``
if its part could not start. :class:`OtherInterpreter` is this side of that pipe.

Per-core sampling still happens in a sampler process of *this* interpreter (which has psutil).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Collection, Mapping, Sequence

from harness.config import PythonSpec, RunConfig
from harness.environment.pythons import ExternalPythonError, SweepInterpreter, python_environment
from harness.execution.passes import SweepEvents, SweepJob, run_sweep
from harness.results.key import RunKey
from harness.results.model import RunResult
from harness.results.repeats import RepeatRecord
from harness.workloads import Workload

__all__ = ["InterpreterPart", "OtherInterpreter", "resolve_watching_gil", "unavailable_there"]

# What each named backend's availability() says in another interpreter (one JSON line).
_AVAILABILITY = ("import json, sys; from harness.execution.backends import availability; "
                 "print(json.dumps({name: availability(name) for name in sys.argv[1:]}))")


def unavailable_there(spec: PythonSpec, names: Sequence[str]) -> dict[str, str]:
    """The backends of ``names`` that cannot run in the interpreter of ``spec``, each with why
    (its own ``availability()``, asked there: a subinterpreter pool needs 3.12+ there, not
    here). Only backends that can be unavailable are asked about; ExternalPythonError."""
    from harness.execution.backends import Backend, backend_class

    conditional = [n for n in names if getattr(backend_class(n).availability, "__func__", None)
                   is not Backend.availability.__func__]
    if not conditional:
        return {}
    try:
        done = subprocess.run([spec.path, "-c", _AVAILABILITY, *conditional], capture_output=True, text=True,
                              timeout=120, env=python_environment(spec))
        answers = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        answers = None
    if not isinstance(answers, dict):
        raise ExternalPythonError(f"{spec.path}: could not ask which backends run there")
    return {name: reason for name, reason in answers.items() if reason}


def resolve_watching_gil(config: RunConfig):
    """Import the config's workload, noting whether (and by which module) the import switched
    the GIL on: (workload, GIL state before, the module that switched it on or None)."""
    import warnings

    from harness.environment.metadata import gil_enabled
    from harness.environment.pythons import module_that_enabled_gil
    from harness.workloads import resolve_workload

    before = gil_enabled()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        workload = resolve_workload(config.workload, config.items, config.payload_bytes)
    for warning in caught:  # still shown, as CPython would have
        warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    by = None
    if not before and gil_enabled():
        by = module_that_enabled_gil(w.message for w in caught) or "an imported C extension"
    return workload, before, by


@dataclass(frozen=True, slots=True)
class InterpreterPart:
    """One interpreter's part of a sweep, prepared where it runs."""

    config: RunConfig
    workload: Workload
    items: Mapping[int, Sequence] | None
    interpreter: SweepInterpreter

    @classmethod
    def prepare(cls, config: RunConfig) -> "InterpreterPart":
        """Import the config's workload here and make its items; WorkloadError says why not."""
        from harness.workloads import sweep_items

        workload, gil_at_start, by = resolve_watching_gil(config)
        # A map workload's items, made and checked now: a provider that raises or returns the
        # wrong thing is refused before anything is measured.
        items = sweep_items(workload, config)
        return cls(config, workload, items, SweepInterpreter.current(gil_at_start, by))

    @classmethod
    def of_function(cls, config: RunConfig, workload: Workload, items: Sequence) -> "InterpreterPart":
        """harness.sweep's part: its own function object and items, here."""
        from harness.environment.metadata import gil_enabled

        return cls(config, workload, {len(items): items}, SweepInterpreter.current(gil_enabled()))

    def facts(self) -> dict:
        """This interpreter's facts as the sweep here saw them (its label, build and GIL)."""
        from harness.environment.metadata import python_facts

        return {**python_facts(), "gil_enabled": self.interpreter.gil_enabled,
                "gil_enabled_by": self.interpreter.gil_enabled_by, "gil_mode": self.interpreter.gil_mode,
                "label": self.interpreter.label}

    def run(self, sampler, skip: Collection[RunKey], resumed: Mapping[RunKey, Sequence[RepeatRecord]],
            events: SweepEvents) -> None:
        """Measure every configuration not in ``skip``; each event goes to ``events``."""
        run_sweep(SweepJob(self.config, self.workload, self.items, self.interpreter, sampler, skip, resumed, events))


@dataclass(frozen=True, slots=True)
class OtherInterpreter:
    """Another interpreter's part: ``spec`` (``--python PATH[:gil=0|1]``) as probed, running
    ``config`` (the stdlib backends) in a child process of that interpreter."""

    spec: PythonSpec
    probed: dict
    config: RunConfig

    @property
    def label(self) -> str:
        return self.probed["label"]

    def run(self, sampler, skip: Collection[RunKey], resumed: Mapping[RunKey, Sequence[RepeatRecord]],
            events: SweepEvents, on_facts: Callable[[dict], None] = lambda facts: None) -> None:
        """As InterpreterPart.run, there; ``on_facts`` gets its facts as its sweep saw them.

        ExternalPythonError when its part cannot start or ends badly. An interrupt kills the
        child's whole process group, so its workers go too.
        """
        mine = [r.to_dict() for key, records in resumed.items() if key.python == self.label for r in records]
        request = json.dumps({"config": self.config.to_dict(), "skip": [k.to_json() for k in skip],
                              "sampler_python": None if sampler is None else sys.executable, "resumed": mine})
        path = self.spec.path
        proc = subprocess.Popen([path, "-m", "harness.api.child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, env=python_environment(self.spec), start_new_session=True)
        try:
            proc.stdin.write(request + "\n")
            proc.stdin.close()
            for line in proc.stdout:
                self._deliver(line, events, on_facts)
            code = proc.wait()
            if code != 0:
                raise ExternalPythonError(f"{path}: the sweep there exited with code {code}")
        finally:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

    def _deliver(self, line: str, events: SweepEvents, on_facts: Callable[[dict], None]) -> None:
        try:
            event = json.loads(line)
        except ValueError:  # the workload printed to stdout there: say so, in one line
            raise ExternalPythonError(f"{self.spec.path}: the sweep there printed something other than harness's "
                                      f"events ({line.strip()[:80]!r}); a workload must not write to stdout") from None
        if "run" in event:
            events.on_run(RunResult.from_dict(event["run"]))
        elif "repeat" in event:
            events.on_repeat(RepeatRecord.from_dict(event["repeat"]))
        elif "progress" in event:
            events.on_progress(*event["progress"])
        elif "facts" in event:
            on_facts(event["facts"])
        elif "error" in event:
            raise ExternalPythonError(f"{self.spec.path}: {event['error']}")
