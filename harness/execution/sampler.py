"""Per-core CPU load, sampled from a separate process.

Sampling from a thread of the harness would take turns on the very GIL the ``threads``
backend contends for, and a live thread makes fork() unsafe (Python 3.12+ warns). So the
sampler is its own small process, started once per sweep with fork+exec; the harness only
talks to it between repeats, over a pipe, outside the timed region.

Protocol (one line each way): ``start`` -> ``ok`` (psutil's first, meaningless reading is
taken and discarded here); ``stop`` -> a JSON line ``{"t": [...], "per_core": [[...], ...]}``
with ``time.perf_counter()`` sample times (one clock for all processes on Linux); EOF ends it.

Run as ``python -m harness.execution.sampler INTERVAL``.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass

__all__ = ["CpuSamples", "CpuSampler", "SamplerError", "mean_per_core", "sample_loop"]


class SamplerError(RuntimeError):
    """The sampler process failed or stopped answering."""


@dataclass(frozen=True, slots=True)
class CpuSamples:
    """Per-core busy percent; sample i covers (t[i-1], t[i]], the first from ``start``."""

    start: float
    t: tuple[float, ...]
    per_core: tuple[tuple[float, ...], ...]  # one series per logical CPU


def mean_per_core(samples: CpuSamples) -> tuple[float, ...]:
    """Time-weighted mean load of each core over the whole window."""
    if not samples.t:
        return ()
    edges = (samples.start,) + samples.t
    weights = [max(b - a, 0.0) for a, b in zip(edges, edges[1:])]
    total = sum(weights)
    if total <= 0:
        return tuple(series[-1] for series in samples.per_core)
    return tuple(sum(w * v for w, v in zip(weights, series)) / total for series in samples.per_core)


def sample_loop(interval: float, stdin=None, stdout=None) -> None:
    """The sampler process's main loop (see the module docstring)."""
    import psutil

    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    fd = stdin.fileno()
    buffer = b""
    sampling = False
    times: list[float] = []
    values: list[list[float]] = []
    next_at = 0.0
    while True:
        timeout = max(next_at - time.perf_counter(), 0.0) if sampling else None
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            values.append(psutil.cpu_percent(percpu=True))
            times.append(time.perf_counter())
            next_at += interval
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            command = line.decode().strip()
            if command == "start":
                psutil.cpu_percent(percpu=True)  # the first reading is meaningless: discard it
                start = time.perf_counter()
                times, values, sampling, next_at = [], [], True, start + interval
                stdout.write(json.dumps({"start": start}) + "\n")
            elif command == "stop":
                if sampling:
                    # The partial interval since the last sample, so short repeats get a reading.
                    values.append(psutil.cpu_percent(percpu=True))
                    times.append(time.perf_counter())
                sampling = False
                per_core = [list(series) for series in zip(*values)] if values else []
                stdout.write(json.dumps({"t": times, "per_core": per_core}) + "\n")
            stdout.flush()


class CpuSampler:
    """The harness's handle on the sampler process. Never prints; raises SamplerError."""

    def __init__(self, interval: float, python: str | None = None) -> None:
        self.interval = interval
        env = dict(os.environ)
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = package_root + os.pathsep + env.get("PYTHONPATH", "")
        self._proc = subprocess.Popen(
            [python or sys.executable, "-m", "harness.execution.sampler", repr(interval)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, bufsize=1,
        )
        self._start: float | None = None

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _ask(self, command: str) -> dict:
        try:
            self._proc.stdin.write(command + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise SamplerError(f"the CPU sampler stopped ({exc})") from None
        if not line:
            raise SamplerError(f"the CPU sampler exited (code {self._proc.poll()})")
        return json.loads(line)

    def start(self) -> None:
        self._start = self._ask("start")["start"]

    def stop(self) -> CpuSamples:
        data = self._ask("stop")
        return CpuSamples(self._start or 0.0, tuple(data["t"]), tuple(tuple(s) for s in data["per_core"]))

    def close(self) -> None:
        proc = self._proc
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()

    def __enter__(self) -> "CpuSampler":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harness decides when we stop
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # die with the harness
        except (OSError, AttributeError):
            pass
    sample_loop(float(sys.argv[1]))
