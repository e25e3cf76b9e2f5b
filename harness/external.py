"""Running the sweep inside another Python interpreter (``harness run --python PATH``).

The other interpreter gets nothing installed: it imports this package's stdlib-only part
from our source folder (PYTHONPATH) and runs ``python -m harness.external`` there, which
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

__all__ = ["ExternalPythonError", "probe_interpreter", "run_in_interpreter", "python_label"]

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ExternalPythonError(RuntimeError):
    """The other interpreter is unusable or its sweep failed to start."""


def python_label(version: str, gil_enabled: bool) -> str:
    """'3.13.0' or '3.13.0t' (free-threaded, GIL off), the name runs carry per interpreter."""
    return version + ("" if gil_enabled else "t")


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


_PROBE = ("import sys, json; from harness.metadata import python_facts; "
          "print(json.dumps(python_facts()))")


def probe_interpreter(path: str) -> dict:
    """The interpreter's python facts; ExternalPythonError with the reason if it cannot run harness."""
    if not os.path.exists(path):
        raise ExternalPythonError(f"{path}: no such file")
    if not os.access(path, os.X_OK):
        raise ExternalPythonError(f"{path}: not executable")
    try:
        done = subprocess.run([path, "-c", _PROBE], capture_output=True, text=True, timeout=60, env=_env())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExternalPythonError(f"{path}: cannot run it ({exc})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ExternalPythonError(f"{path}: cannot run harness there (needs Python >= 3.10): {last}")
    return json.loads(done.stdout)


def run_in_interpreter(
    path: str,
    config_dict: dict,
    *,
    skip: list,
    sampler_python: str | None,
    on_run: Callable,
    on_progress: Callable[[int, int, str], None],
    resumed: Sequence = (),
    on_repeat: Callable | None = None,
) -> None:
    """Run the sweep in interpreter ``path``, calling back for each finished run and repeat.

    ``resumed`` holds the RepeatRecords an interrupted interleaved sweep journaled.

    An interrupt kills the child's whole process group, so its workers go too.
    """
    from harness.model import RunResult
    from harness.repeats import RepeatRecord

    request = json.dumps({"config": config_dict, "skip": skip, "sampler_python": sampler_python,
                          "resumed": [r.to_dict() for r in resumed]})
    proc = subprocess.Popen([path, "-m", "harness.external"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=_env(), start_new_session=True)
    try:
        proc.stdin.write(request + "\n")
        proc.stdin.close()
        for line in proc.stdout:
            event = json.loads(line)
            if "run" in event:
                on_run(RunResult.from_dict(event["run"]))
            elif "repeat" in event:
                if on_repeat is not None:
                    on_repeat(RepeatRecord.from_dict(event["repeat"]))
            elif "progress" in event:
                on_progress(*event["progress"])
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


def _child_main() -> int:
    """Inside the other interpreter: sweep and stream events. Stdlib only."""
    from harness.backends.worker import init_worker_process
    from harness.config import RunConfig
    from harness.metadata import gil_enabled, python_facts
    from harness.repeats import RepeatRecord
    from harness.runner import run_sweep
    from harness.workloads import WorkloadError, resolve_workload

    init_worker_process()  # die with the harness, leave Ctrl-C to it
    out = sys.stdout

    def emit(event: dict) -> None:
        out.write(json.dumps(event) + "\n")
        out.flush()

    request = json.loads(sys.stdin.readline())
    try:
        config = RunConfig.from_dict(request["config"])
        workload = resolve_workload(config.workload)
    except (ValueError, TypeError, WorkloadError) as exc:
        emit({"error": str(exc)})
        return 2
    facts = python_facts()
    emit({"facts": facts})
    sampler = None
    if request.get("sampler_python"):
        from harness.sampler import CpuSampler

        sampler = CpuSampler(config.sample_interval_s, python=request["sampler_python"])
    try:
        resumed: dict = {}
        for data in request.get("resumed", ()):
            record = RepeatRecord.from_dict(data)
            resumed.setdefault(record.key, []).append(record)
        run_sweep(config, workload, sampler=sampler, skip={tuple(k) for k in request["skip"]}, resumed=resumed,
                  on_run=lambda run: emit({"run": run.to_dict()}),
                  on_repeat=lambda record: emit({"repeat": record.to_dict()}),
                  on_progress=lambda done, total, label: emit({"progress": [done, total, label]}),
                  python_label=python_label(facts["version"], gil_enabled()), gil_enabled=gil_enabled())
    finally:
        if sampler is not None:
            sampler.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(_child_main())
