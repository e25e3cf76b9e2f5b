"""The one small interface every concurrency model implements: built in, or plugged in
(``harness.register_backend``, or the entry-point group ``harness.backends``).

A backend is created for one (workers, start method) configuration. ``start`` builds any
pool or cluster (timed by the runner as ``startup_s``, outside the repeats); ``run`` executes
one repeat's tasks and returns one TaskResult per task; ``close`` releases everything, and
with ``kill=True`` does so at once (after a failure, a timeout or an interrupt).

``run`` must return within its deadline: it raises RunTimeout after killing what it can,
and WorkerFailure when a worker raised, exited or was killed. It must never wait forever
on a result that cannot come.
"""

from __future__ import annotations

import abc
import multiprocessing
import os
import threading
import time
import weakref
from typing import ClassVar, Iterable, Sequence

from harness.execution.partition import Chunk
from harness.results.repeats import TaskResult

__all__ = ["Backend", "BackendError", "FORKSERVER_LOST", "WorkerFailure", "RunTimeout", "describe_exitcode",
           "kill_processes", "kill_stray_children", "abandon_threads", "abandoned_threads", "FlushEveryOption"]

# Threads a backend gave up on after a timeout (they cannot be killed).
_ABANDONED: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()


class BackendError(Exception):
    """A run could not complete; the message is one line fit for results.json."""


class WorkerFailure(BackendError):
    """A worker raised, exited early, crashed or was killed."""


class RunTimeout(BackendError):
    """A run went past its deadline; its workers were killed (or abandoned, for threads)."""


# Under forkserver a child's status travels back through the forkserver; when that read fails
# (under load: CPython issue 140867), multiprocessing reports 255 whatever ended the child, a
# SIGKILL included. Said so, since the true status cannot be recovered: the child is not ours.
FORKSERVER_LOST = 255


def describe_exitcode(exitcode: int | None, start_method: str | None = None) -> str:
    """'exit code 3' or 'killed by signal 9 (SIGKILL)'; under forkserver, 255 says it may be either."""
    if exitcode == FORKSERVER_LOST and start_method == "forkserver":
        return ("exit code 255 (under forkserver also what a worker killed by a signal reports when the "
                "forkserver loses its status)")
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        import signal

        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown"
        return f"killed by signal {-exitcode} ({name})"
    return f"exit code {exitcode}"


def kill_processes(processes) -> None:
    """SIGKILL every live process and reap it, so nothing is left behind."""
    for proc in processes:
        try:
            if proc.is_alive():
                proc.kill()
        except (OSError, ValueError, AttributeError):
            pass
    for proc in processes:
        try:
            proc.join(timeout=2)
        except (OSError, ValueError, AssertionError):
            pass


def kill_stray_children(spared: Iterable = ()) -> None:
    """SIGKILL and reap every multiprocessing child of this process still alive but ``spared``
    (those that were there before the sweep: a caller's own pool in a notebook).

    After an interrupt's cleanup there should be none; one a backend lost track of would
    hold multiprocessing's exit hook, which joins every child without a time limit (a
    pool worker waits for work forever), and keep the sampler's pipe open.
    """
    spared = set(spared)
    kill_processes([child for child in multiprocessing.active_children() if child not in spared])


def abandon_threads(threads: Iterable[threading.Thread]) -> None:
    """Record worker threads left running after a timeout."""
    _ABANDONED.update(t for t in list(threads) if t.is_alive())


def abandoned_threads(include_daemon: bool = False) -> list[threading.Thread]:
    """Abandoned threads still running; by default only those that would block interpreter exit."""
    return [t for t in list(_ABANDONED) if t.is_alive() and (include_daemon or not t.daemon)]


class FlushEveryOption:
    """Mixin for the shared-total lessons: --flush-every reaches these backends alone."""

    def __init__(self, workers: int, start_method: str | None = None, flush_every: int | None = None) -> None:
        super().__init__(workers, start_method)
        self.flush_every = flush_every

    @classmethod
    def options_from(cls, config) -> dict:
        return {"flush_every": config.flush_every}


class Backend(abc.ABC):
    """Base class of every backend: subclasses set the class attributes and override ``run``.

    The contract a backend (built in or plugged in) keeps. Generic code never asks a backend's
    name; it asks these:

    - ``name``, ``description``: what ``--backends`` and ``harness list`` call it;
    - ``kind``: "inline" (the calling thread), "thread" (threads of the harness) or "process"
      (child processes: the function is looked up by name there, and their CPU time counted);
    - ``has_startup``: ``start()`` builds something reused across repeats (timed as startup_s);
    - ``uses_start_method``: it honours ``--start-method``;
    - ``thread_based``: its workers are threads sharing this interpreter's GIL;
    - ``interpreter_per_worker``: each worker is an isolated subinterpreter with its own GIL
      (PEP 684), in one process: parallel like processes, what crosses to it pickled;
    - ``exact_by_design``: False for a lesson in lost updates (a wrong total is then expected,
      not a failure), with ``locked_twin`` naming the same model with its Lock;
    - ``can_chunk``: it hands chunks of any size to whichever worker is free (``--chunksize``);
    - ``refuses_maps``: None, or the one-line reason it cannot run map workloads;
    - ``stdlib_only``: it imports nothing outside the standard library, so ``--python`` runs it
      in another interpreter with nothing installed;
    - ``in_default_sweep``: it runs when ``--backends`` is not given;
    - ``plainness``: how much machinery it takes (lower is plainer), the tie-breaker of the
      verdict's recommendation among configurations tied within noise;
    - ``style``: (colour, marker) in every figure, or None for one picked from the name;
    - ``pickles_items()``: items and results cross to its workers by pickle;
    - ``last_loop_lag()``: the event-loop lag its last ``run`` measured, for a model that
      runs its work from an asyncio event loop (``results.model.LoopLag``), else None;
    - ``options_from(config)``: its own constructor keywords from a RunConfig;
    - ``availability()``: None, or why it cannot run here (``harness list`` shows it).

    ``is_baseline`` belongs to serial alone: every speedup is measured against it.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    # (colour, marker) in every figure, so "pool" is the same green in every report; None: the
    # report picks a stable one from the name.
    style: ClassVar[tuple[str, str] | None] = None
    # "inline": the calling thread; "thread": threads of the harness; "process": child processes.
    kind: ClassVar[str] = "inline"
    # True when start() builds something reused across repeats (its cost is startup_s).
    has_startup: ClassVar[bool] = False
    uses_start_method: ClassVar[bool] = False
    # The baseline every speedup is measured against (serial): one worker, so at strong
    # scaling it runs once per size, and first.
    is_baseline: ClassVar[bool] = False
    # Workers are threads of this interpreter sharing its GIL, if it has one: on a GIL build
    # pure-Python work does not scale, and the GIL, not the cores, explains it.
    thread_based: ClassVar[bool] = False
    # Each worker is an isolated subinterpreter with a GIL of its own, all in one process.
    interpreter_per_worker: ClassVar[bool] = False
    # False for a lesson in lost updates (shared state without its Lock): a wrong total is its
    # expected outcome, not a failure of the sweep; locked_twin names the same model with the Lock.
    exact_by_design: ClassVar[bool] = True
    locked_twin: ClassVar[str | None] = None
    # Can hand its workers chunks of any size, each to whichever worker is free (the
    # --chunksize axis); False: only the static split, one chunk per worker.
    can_chunk: ClassVar[bool] = True
    # Runs map workloads (fn(item), a result per item). None: yes; else why not, in one line.
    refuses_maps: ClassVar[str | None] = None
    # Imports nothing outside the standard library (and the harness's own stdlib part), so it
    # runs in another interpreter with nothing installed (--python). A plug-in says so itself.
    stdlib_only: ClassVar[bool] = False
    # Runs when --backends is not given (the default sweep).
    in_default_sweep: ClassVar[bool] = False
    # How much machinery it takes (lower is plainer): among configurations tied within noise the
    # verdict recommends the fewest workers, then the plainest model. Threads before processes,
    # a pool before hand-made processes, the standard library before third-party clusters.
    plainness: ClassVar[int] = 100

    @classmethod
    def pickles_items(cls) -> bool:
        """Whether items and results cross to its workers by pickle: every process-based
        backend (and a subinterpreter pool, which overrides this)."""
        return cls.kind == "process"

    def __init__(self, workers: int, start_method: str | None = None) -> None:
        self.workers = workers
        self.start_method = start_method
        # Workers die with this process (see init_worker_process); under forkserver their
        # parent is the fork server, which outlives us, so they watch this pid themselves.
        self.parent_pid = os.getpid()

    @classmethod
    def options_from(cls, config) -> dict:
        """This backend's own constructor keywords from a RunConfig (shared's flush_every, dask's
        dask_scheduler): only the backend they concern receives them. None by default."""
        return {}

    @property
    def context(self):
        return multiprocessing.get_context(self.start_method)

    @classmethod
    def availability(cls) -> str | None:
        """None when usable here, else the reason it is not."""
        return None

    def start(self) -> None:
        """Build the pool or cluster; the default has nothing to build."""

    @abc.abstractmethod
    def run(self, ref: str, tasks: Sequence[Chunk], deadline: float, fn=None) -> list[TaskResult]:
        """Execute one repeat: one TaskResult per task, by the ``perf_counter`` deadline."""

    def close(self, kill: bool = False) -> None:
        """Release everything; ``kill`` means at once, without waiting for work."""

    def last_loop_lag(self):
        """The ``LoopLag`` of the last ``run()``: how late an event loop's heartbeat ticked while
        the work ran (asyncio offload models); None for a backend without an event loop."""
        return None

    # For backends built on a concurrent.futures-style executor (see collect_futures).
    timeout_text: ClassVar[str] = "timed out; workers killed"

    def describe_failure(self, exc: BaseException) -> str:
        """One line for a task's exception; executor backends refine it (exit codes, signals)."""
        return " ".join(f"{type(exc).__name__}: {exc}".split())

    def on_timeout(self) -> None:
        """Called before close(kill=True) when futures miss the deadline."""

    def collect_futures(self, futures, deadline: float) -> list:
        """Wait for executor futures until the deadline; fail fast on the first exception.

        The failure is described before close() forgets the workers (their exit codes name
        the cause); on a timeout the backend is closed with kill=True so nothing hangs on.
        """
        import concurrent.futures as cf

        _, not_done = cf.wait(futures, timeout=max(self.remaining(deadline), 0), return_when=cf.FIRST_EXCEPTION)
        for future in futures:
            if future.done() and future.exception() is not None:
                message = self.describe_failure(future.exception())
                self.close(kill=True)
                raise WorkerFailure(message)
        if not_done:
            self.on_timeout()
            self.close(kill=True)
            raise RunTimeout(self.timeout_text)
        return [f.result() for f in futures]

    @staticmethod
    def remaining(deadline: float) -> float:
        return deadline - time.perf_counter()
