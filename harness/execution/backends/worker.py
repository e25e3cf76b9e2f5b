"""Code that runs inside a worker (thread or process): compute one task and time it.

Stdlib only: it runs in worker processes of any start method and in other interpreters.
A task is a ``harness.execution.partition.Chunk`` and its result a ``harness.results.repeats.TaskResult`` (see
there for the clock its start and end are read on).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback

from harness._compat import gil_enabled
from harness.execution.partition import Chunk
from harness.results.repeats import TaskResult

__all__ = ["load_cached", "worker_gil_enabled", "peak_rss_bytes", "TaskFailure", "execute", "run_task",
           "init_worker_process", "describe_exception", "describe_system_exit", "warm_up"]


_FUNCTIONS: dict = {}
_PR_SET_PDEATHSIG = 1


def load_cached(ref):
    """The workload function: imported by ``module:qualname``, or unpickled from the bytes
    cloudpickle made of a function defined in ``__main__``, a notebook or a lambda. Once per
    worker."""
    fn = _FUNCTIONS.get(ref)
    if fn is None:
        if isinstance(ref, bytes):
            import pickle  # cloudpickle's output loads with plain pickle (cloudpickle installed)

            fn = pickle.loads(ref)
        else:
            from harness.workloads import load_function

            fn = load_function(ref)
        _FUNCTIONS[ref] = fn
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


class TaskFailure(RuntimeError):
    """A chunk's failure as one line of text ("worker 1: ValueError: bad (at job.py:4)").

    Plain text, so it pickles back through any pool, executor, cluster or interpreter
    boundary whatever the user's exception was (unpicklable ones included).
    """


def execute(ref, chunk: Chunk, fn=None, *, in_process: bool = True, whole_process: bool = False) -> TaskResult:
    """Compute one chunk and time it: ``fn(lo, hi)`` for a range workload, ``[fn(item) ...]``
    for a map workload's items.

    In-process (serial, threads) the CPU time is this thread's; in a worker process it is
    the process's, with its peak memory and pid. ``whole_process`` counts the CPU the process
    used since it started (interpreter start-up and unpickling included), for backends that
    start a fresh process per task. ``ref`` names the function (``module:qualname``) or holds
    it cloudpickled (bytes); ``fn``, when given, is the function itself.
    """
    fn = fn or load_cached(ref)
    clock = time.thread_time if in_process else time.process_time
    cpu0 = 0.0 if whole_process else clock()
    start = time.perf_counter()
    if chunk.items is None:
        value = fn(chunk.lo, chunk.hi)
    else:
        value = _map_items(fn, chunk)
    end = time.perf_counter()
    cpu = clock() - cpu0
    if in_process:
        return TaskResult(chunk.index, value, start, end, cpu, gil_enabled=worker_gil_enabled(),
                          thread=threading.get_native_id(), items=chunk.size)
    return TaskResult(chunk.index, value, start, end, cpu, peak_rss_bytes(), os.getpid(), worker_gil_enabled(),
                      threading.get_native_id(), chunk.size)


class _ItemFailed(Exception):
    def __init__(self, index: int, exc: BaseException) -> None:
        super().__init__(index)
        self.index, self.exc = index, exc


def _map_items(fn, chunk: Chunk) -> list:
    results = []
    append = results.append
    index = chunk.lo
    try:
        for item in chunk.items:
            append(fn(item))
            index += 1
    except Exception as exc:  # name the item: "item 17 of [16, 24)" is what a user can act on
        raise _ItemFailed(index, exc) from exc
    return results


def run_task(ref, chunk: Chunk, fn=None, *, in_process: bool = True, whole_process: bool = False,
             exit_ends_process: bool = False) -> TaskResult:
    """The one wrapper every backend runs a chunk through: ``execute``, with any failure
    turned into a TaskFailure naming the worker (or the item) and the exception.

    ``exit_ends_process``: a workload's sys.exit() is let through to end the worker process
    with its code, which the parent then names (``processes``, ``pool``); elsewhere (a thread,
    or an executor that would pass it back as a result) it is reported in the same words.
    """
    where = chunk.where
    try:
        return execute(ref, chunk, fn, in_process=in_process, whole_process=whole_process)
    except _ItemFailed as failed:
        exc = failed.exc
        where = f"item {failed.index}"
        if isinstance(exc, SystemExit):
            raise TaskFailure(f"{where}: {describe_system_exit(exc)}") from None
        raise TaskFailure(f"{where}: {describe_exception(exc)}") from None
    except SystemExit as exc:
        if exit_ends_process:
            raise
        raise TaskFailure(f"{where}: {describe_system_exit(exc)}") from None
    except Exception as exc:
        raise TaskFailure(f"{where}: {describe_exception(exc)}") from None


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
