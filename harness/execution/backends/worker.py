"""Code that runs inside a worker (thread or process): compute one task and time it.

Stdlib only: it runs in worker processes of any start method and in other interpreters.
A task is a ``harness.execution.tasks.Chunk`` and its result a ``harness.execution.tasks.TaskResult`` (see
there for the clock its start and end are read on).
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback

from harness.execution.backends._compat import gil_enabled
from harness.execution.tasks import Chunk, TaskResult

__all__ = ["load_cached", "worker_gil_enabled", "peak_rss_bytes", "compute", "compute_in_process", "init_worker_process",
           "describe_exception", "describe_system_exit", "warm_up"]


_FUNCTIONS: dict = {}
_PR_SET_PDEATHSIG = 1


def load_cached(ref: str):
    fn = _FUNCTIONS.get(ref)
    if fn is None:
        from harness.workloads import load_function

        fn = _FUNCTIONS[ref] = load_function(ref)
    return fn


def worker_gil_enabled() -> bool | None:
    """The GIL's state as this worker sees it; None where the interpreter cannot say (< 3.13)."""
    return gil_enabled()


def peak_rss_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is KiB on Linux, bytes on macOS.
    return peak if sys.platform == "darwin" else peak * 1024


def describe_exception(exc: BaseException) -> str:
    """One line: the exception type, its message and where it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    text = str(exc).replace("\n", " ").strip()
    return f"{type(exc).__name__}: {text}{where}" if text else f"{type(exc).__name__}{where}"


def describe_system_exit(exc: SystemExit) -> str:
    """'exit code 3 (sys.exit)': the words a process backend uses for a worker that exited.

    A workload calling sys.exit() ends a worker process with that code; in a thread, or in
    an executor that catches it, the same words keep the failure recognisable.
    """
    code = 0 if exc.code is None else exc.code
    if not isinstance(code, int):  # sys.exit("message") prints it and exits with 1
        return f"exit code 1 (sys.exit({str(code)!r}))"
    return f"exit code {int(code)} (sys.exit)"


def compute(ref: str, task: Chunk, fn=None) -> TaskResult:
    """Run one task in the calling thread; CPU time is this thread's."""
    fn = fn or load_cached(ref)
    cpu0 = time.thread_time()
    start = time.perf_counter()
    value = fn(task.lo, task.hi)
    end = time.perf_counter()
    return TaskResult(task.worker, value, start, end, time.thread_time() - cpu0, gil_enabled=worker_gil_enabled())


def compute_in_process(ref: str, task: Chunk, whole_process: bool = False) -> TaskResult:
    """Run one task in a worker process; reports that process's CPU time and peak memory.

    ``whole_process`` counts the CPU the process used since it started (interpreter start-up
    and unpickling included), for backends that start a fresh process per task.
    """
    fn = load_cached(ref)
    cpu0 = 0.0 if whole_process else time.process_time()
    start = time.perf_counter()
    value = fn(task.lo, task.hi)
    end = time.perf_counter()
    return TaskResult(task.worker, value, start, end, time.process_time() - cpu0, peak_rss_bytes(), os.getpid(),
                      worker_gil_enabled())


def warm_up() -> int:
    """Import the worker side now, so a pool's first repeat does not pay for it; the worker's pid."""
    import harness.workloads  # noqa: F401

    return os.getpid()


def init_worker_process(parent_pid: int | None = None) -> None:
    """Initializer for every worker process.

    Ctrl-C reaches the whole process group; workers ignore it so the parent alone decides
    how to stop and kills them itself. PR_SET_PDEATHSIG makes Linux kill a worker when its
    parent dies, even by SIGKILL, so no orphan keeps burning a core.

    ``parent_pid`` is the harness. When it is not our parent, either the harness died
    before prctl (exit now) or our parent is a fork server (forkserver start method) or a
    nanny. A fork server outlives the harness: every worker holds its "alive" pipe open, so
    it never sees EOF, and PDEATHSIG tied to it never fires. Such a worker watches the
    harness itself (``_exit_with``).
    """
    if parent_pid is not None and parent_pid == os.getpid():
        return  # called inside the harness itself (an in-process cluster): not a worker process
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if parent_pid is not None and os.getppid() != parent_pid:
        _exit_with(parent_pid)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except ValueError:  # not the main thread (a dask worker's plugin): nothing to reset there
        pass


def _exit_with(pid: int) -> None:
    """End this process when process ``pid`` ends (at once if it already has).

    A daemon thread blocks on a pidfd (Linux >= 5.3: no polling, immune to pid reuse);
    elsewhere it checks every half second.
    """
    import threading

    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):
        pidfd = None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except OSError:
            pass

    def watch() -> None:
        if pidfd is not None:
            import select

            while not select.select([pidfd], [], [])[0]:
                pass
        else:
            while True:
                time.sleep(0.5)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except OSError:
                    pass
        os._exit(1)

    threading.Thread(target=watch, name="harness-parent-watch", daemon=True).start()
