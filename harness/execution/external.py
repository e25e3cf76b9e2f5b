"""Running the sweep inside another Python interpreter (``harness run --python PATH``).

The other interpreter gets nothing installed: it imports this package's stdlib-only part
from our source folder (PYTHONPATH) and runs ``python -m harness.execution.external`` there, which
sweeps the stdlib backends and writes one JSON line per event to stdout. Per-core sampling
still happens in a sampler process of *our* interpreter (which has psutil).

Child -> parent lines: ``{"facts": {...}}`` first, then ``{"progress": [done, total, label]}``
and ``{"run": {...RunResult...}}``, and ``{"error": "..."}`` if the sweep could not start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Callable, Sequence

from harness.environment.pythons import PythonSpec, child_environment, interpreter_label, version_ok

__all__ = ["ExternalPythonError", "check_distinct", "probe_interpreter", "resolve_watching_gil", "run_in_interpreter"]

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ExternalPythonError(RuntimeError):
    """The other interpreter is unusable or its sweep failed to start."""


def _env(spec: PythonSpec | None = None) -> dict:
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
        done = subprocess.run([path, "-c", _PROBE], capture_output=True, text=True, timeout=60, env=_env(spec))
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


def run_in_interpreter(
    spec: PythonSpec | str,
    config_dict: dict,
    *,
    skip: list,
    sampler_python: str | None,
    on_run: Callable,
    on_progress: Callable[[int, int, str], None],
    on_facts: Callable[[dict], None] | None = None,
    resumed: Sequence = (),
    on_repeat: Callable | None = None,
) -> None:
    """Run the sweep in the interpreter of ``spec`` (in its GIL mode), calling back for each
    finished run and repeat, and once with the interpreter's facts as the sweep there saw them.

    ``resumed`` holds the RepeatRecords an interrupted interleaved sweep journaled.

    An interrupt kills the child's whole process group, so its workers go too.
    """
    from harness.results.model import RunResult
    from harness.execution.repeats import RepeatRecord

    spec = PythonSpec(spec) if isinstance(spec, str) else spec
    path = spec.path

    request = json.dumps({"config": config_dict, "skip": skip, "sampler_python": sampler_python,
                          "resumed": [r.to_dict() for r in resumed]})
    proc = subprocess.Popen([path, "-m", "harness.execution.external"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=_env(spec), start_new_session=True)
    try:
        proc.stdin.write(request + "\n")
        proc.stdin.close()
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:  # the workload printed to stdout there: say so, in one line
                raise ExternalPythonError(f"{path}: the sweep there printed something other than harness's events "
                                          f"({line.strip()[:80]!r}); a workload must not write to stdout") from None
            if "run" in event:
                on_run(RunResult.from_dict(event["run"]))
            elif "repeat" in event:
                if on_repeat is not None:
                    on_repeat(RepeatRecord.from_dict(event["repeat"]))
            elif "progress" in event:
                on_progress(*event["progress"])
            elif "facts" in event and on_facts is not None:
                on_facts(event["facts"])
            elif "error" in event:
                raise ExternalPythonError(f"{path}: {event['error']}")
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


def resolve_watching_gil(config):
    """Import the config's workload, noting whether (and by which module) the import switched
    the GIL on: (workload, GIL state before, the module that switched it on or None)."""
    import warnings

    from harness.environment.metadata import gil_enabled
    from harness.workloads import resolve_workload

    before = gil_enabled()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        workload = resolve_workload(config.workload, config.items, config.payload_bytes)
    for warning in caught:  # still shown, as CPython would have
        warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    by = None
    if not before and gil_enabled():
        from harness.environment.pythons import module_that_enabled_gil

        by = module_that_enabled_gil(w.message for w in caught) or "an imported C extension"
    return workload, before, by


def _child_main() -> int:
    """Inside the other interpreter: sweep and stream events. Stdlib only."""
    from harness.execution.backends.worker import init_worker_process
    from harness.config import RunConfig
    from harness.environment.metadata import python_facts
    from harness.environment.pythons import SweepInterpreter
    from harness.execution.repeats import RepeatRecord
    from harness.execution.runner import run_sweep
    from harness.workloads import WorkloadError, sweep_items

    init_worker_process()  # die with the harness, leave Ctrl-C to it
    out = sys.stdout

    def emit(event: dict) -> None:
        out.write(json.dumps(event) + "\n")
        out.flush()

    request = json.loads(sys.stdin.readline())
    try:
        config = RunConfig.from_dict(request["config"])
        workload, gil_at_start, gil_enabled_by = resolve_watching_gil(config)
        items = sweep_items(workload, config)
    except (ValueError, TypeError, WorkloadError) as exc:
        emit({"error": str(exc)})
        return 2
    interpreter = SweepInterpreter.current(gil_at_start, gil_enabled_by)
    facts = {**python_facts(), "gil_enabled": gil_at_start, "gil_enabled_by": gil_enabled_by,
             "gil_mode": interpreter.gil_mode, "label": interpreter.label}
    emit({"facts": facts})
    sampler = None
    if request.get("sampler_python"):
        from harness.execution.sampler import CpuSampler

        from harness.execution.memory import SWEEP_METRIC

        sampler = CpuSampler(config.sample_interval_s, python=request["sampler_python"], memory=SWEEP_METRIC)
    try:
        resumed: dict = {}
        for data in request.get("resumed", ()):
            record = RepeatRecord.from_dict(data)
            resumed.setdefault(record.key, []).append(record)
        run_sweep(config, workload, sampler=sampler, skip={tuple(k) for k in request["skip"]}, resumed=resumed,
                  on_run=lambda run: emit({"run": run.to_dict()}),
                  on_repeat=lambda record: emit({"repeat": record.to_dict()}),
                  on_progress=lambda done, total, label: emit({"progress": [done, total, label]}),
                  interpreter=interpreter, items=items)
    finally:
        if sampler is not None:
            sampler.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(_child_main())
