"""Per-core CPU load and the memory of the harness and its workers, sampled from a separate process.

Sampling from a thread of the harness would take turns on the very GIL the ``threads``
backend contends for, and a live thread makes fork() unsafe (Python 3.12+ warns). So the
sampler is its own small process, started once per sweep with fork+exec; the harness only
talks to it between repeats, over a pipe, outside the timed region.

Protocol (one line each way): ``start`` -> ``{"start": T}`` (psutil's first, meaningless
CPU reading is taken and discarded here); ``stop`` -> a JSON line ``{"t": [...],
"per_core": [[...], ...], "memory": {...} | null}`` with ``time.perf_counter()`` sample
times (one clock for all processes on Linux); EOF ends it. ``memory`` (absent from older
replies: read as none) is :meth:`harness.execution.memory.MemorySamples.to_dict`.

Memory. The sampler reads the total USS (else PSS, else RSS: the reply says which) of the
harness -- its parent -- and all the harness's descendants, recursively, leaving itself out
(see :mod:`harness.execution.memory`). Reading one process's smaps costs ~0.3-2 ms, so at
128 workers a reading can take a quarter of a second: far too slow for every CPU sample.
So each memory reading is timed, and the next one starts no sooner than 10x its duration
after it started (and never more often than the CPU interval): memory sampling takes at
most ~10% of one core, and CPU samples are at most delayed, never lost. One reading is
always taken at ``start`` (before the CPU window opens and the reply goes) and one at
``stop`` (after the last CPU sample, before the reply): both outside the timed region, so
even a repeat shorter than any interval gets two. ``--memory=pss`` prefers PSS (then RSS);
``--memory=off`` turns memory off.

Run as ``python -m harness.execution.sampler INTERVAL [--memory=uss|pss|rss|off]``.
"""

from __future__ import annotations

import json
import math
import os
import select
import subprocess
import sys
import time
import weakref

from harness.execution.memory import TreeReading, read_tree, samples_from_readings
from harness.results.samples import METRICS, CpuSamples, MemorySamples

__all__ = ["MEMORY_SHARE", "CpuSampler", "SamplerError", "next_memory_at", "sample_loop"]

# The most of one core memory readings may take while sampling.
MEMORY_SHARE = 0.1


# The samplers whose pipe a forked child must let go of (see _release_pipes_in_forked_child).
_OPEN: "weakref.WeakSet[CpuSampler]" = weakref.WeakSet()


def _release_pipes_in_forked_child() -> None:
    """Point a forked child's copy of each sampler's command pipe at /dev/null.

    The sampler ends when that pipe reaches EOF, which needs every copy of its write end
    closed; close-on-exec drops the copy only at exec, so a forked worker (or a process the
    user's function forked) holds it for as long as it lives, and ``close()`` waited out its
    2 s. dup2, not close: the child's file object stays valid, and if it is ever closed it
    closes /dev/null, not whatever file reused the descriptor's number.
    """
    for sampler in list(_OPEN):
        pipe = sampler._proc.stdin
        if pipe.closed:
            continue
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, pipe.fileno(), inheritable=False)
        finally:
            os.close(null)


if hasattr(os, "register_at_fork"):  # once, at import: a fork with no sampler open finds _OPEN empty
    os.register_at_fork(after_in_child=_release_pipes_in_forked_child)


class SamplerError(RuntimeError):
    """The sampler process failed or stopped answering."""


def next_memory_at(reading: TreeReading, interval: float, share: float = MEMORY_SHARE) -> float:
    """When the next memory reading may start: ``share`` of one core at most, and no more
    often than the CPU interval."""
    began = reading.t - reading.duration_s / 2
    return began + max(interval, reading.duration_s / share)


class _Window:
    """The sampler's state: the CPU samples and memory readings of the window now open."""

    def __init__(self, interval: float, memory: str | None, root: int) -> None:
        import psutil

        self._cpu_percent = psutil.cpu_percent
        self.interval, self.memory, self.root, self.me = interval, memory, root, {os.getpid()}
        self.sampling = False
        self.times: list[float] = []
        self.values: list[list[float]] = []
        self.readings: list[TreeReading] = []
        self.next_at = 0.0
        self.memory_at = math.inf

    def timeout(self) -> float | None:
        return max(min(self.next_at, self.memory_at) - time.perf_counter(), 0.0) if self.sampling else None

    def _read_memory(self) -> None:
        reading = read_tree(self.root, self.me)
        self.readings.append(reading)
        self.memory_at = next_memory_at(reading, self.interval)

    def _sample_cpu(self) -> None:
        self.values.append(self._cpu_percent(percpu=True))
        self.times.append(time.perf_counter())

    def tick(self) -> None:
        """A sample (or a memory reading) is due."""
        if time.perf_counter() >= self.next_at:
            self._sample_cpu()
            self.next_at += self.interval
            if self.next_at <= self.times[-1]:  # fell behind (a stall, a slow memory reading): no bunched samples
                self.next_at = self.times[-1] + self.interval
        if self.memory and time.perf_counter() >= self.memory_at:
            self._read_memory()

    def start(self) -> dict:
        self.readings, self.memory_at = [], math.inf
        if self.memory:
            self._read_memory()  # before the CPU window opens: its cost delays no CPU sample
        self._cpu_percent(percpu=True)  # the first reading is meaningless: discard it
        start = time.perf_counter()
        self.times, self.values, self.sampling, self.next_at = [], [], True, start + self.interval
        return {"start": start}

    def stop(self) -> dict:
        if self.sampling:
            # The partial interval since the last sample, so short repeats get a reading.
            self._sample_cpu()
            if self.memory:
                self._read_memory()
        self.sampling, self.memory_at = False, math.inf
        per_core = [list(series) for series in zip(*self.values)] if self.values else []
        mem = samples_from_readings(self.readings, self.memory) if self.memory else None
        self.readings = []
        return {"t": self.times, "per_core": per_core, "memory": None if mem is None else mem.to_dict()}


def sample_loop(interval: float, stdin=None, stdout=None, memory: str | None = "uss",
                root_pid: int | None = None) -> None:
    """The sampler process's main loop (see the module docstring).

    ``memory``: the metric to prefer ("uss", "pss" or "rss"; the weaker ones after it are the
    fallbacks), or None for no memory readings. ``root_pid``: whose process tree is read
    (default: the parent, the harness).
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    window = _Window(interval, memory, os.getppid() if root_pid is None else root_pid)
    fd = stdin.fileno()
    buffer = b""
    while True:
        ready, _, _ = select.select([fd], [], [], window.timeout())
        if not ready:
            window.tick()
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            command = line.decode().strip()
            if command in ("start", "stop"):
                reply = window.start() if command == "start" else window.stop()
                stdout.write(json.dumps(reply) + "\n")
            stdout.flush()


class CpuSampler:
    """The harness's handle on the sampler process. Never prints; raises SamplerError."""

    def __init__(self, interval: float, python: str | None = None, memory: str | None = "uss") -> None:
        """``memory``: the memory metric to prefer ("uss", "pss" or "rss"), or None for none."""
        if memory is not None and memory not in METRICS:
            raise ValueError(f"memory must be one of {', '.join(METRICS)} or None, got {memory!r}")
        self.interval = interval
        self.memory = memory
        env = dict(os.environ)
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = package_root + os.pathsep + env.get("PYTHONPATH", "")
        self._proc = subprocess.Popen(
            [python or sys.executable, "-m", "harness.execution.sampler", repr(interval)]
            + [f"--memory={memory or 'off'}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, bufsize=1,
        )
        self._start: float | None = None
        _OPEN.add(self)

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
        memory = data.get("memory")
        return CpuSamples(self._start or 0.0, tuple(data["t"]), tuple(tuple(s) for s in data["per_core"]),
                          None if memory is None else MemorySamples.from_dict(memory))

    def close(self) -> None:
        _OPEN.discard(self)
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
    choice = next((a.split("=", 1)[1] for a in sys.argv[2:] if a.startswith("--memory=")), "uss")
    sample_loop(float(sys.argv[1]), memory=None if choice == "off" else choice)
