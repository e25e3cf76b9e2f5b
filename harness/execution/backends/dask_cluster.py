"""The dask.distributed cluster under the dask backend: its start, its end, its noise.

Starting a ``LocalCluster`` that a Ctrl-C cannot leave half-built, connecting a Client to
an external scheduler, killing the embedded cluster's workers (and stopping their nannies
from starting new ones), holding distributed's logging quiet, and the two plugins: one on
the scheduler that counts recomputed tasks, one in each embedded worker that runs
``init_worker_process``. What a run is, and what fails it, is ``dask_backend``'s business.

Importing this module imports neither dask nor distributed: both are imported inside the
functions that use them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time

from harness._compat import spec_cluster_instances

__all__ = ["CONNECT_S", "WORKERS_S", "CLOSE_S", "KILL_CLOSE_S", "QUIET", "plugins", "QuietLogs",
           "deferred_interrupts", "guarded_start", "local_cluster", "connect", "count_workers", "refused",
           "live_pids", "kill_embedded", "stop_restarts", "settle", "reap", "abandon"]

# Generous: a cluster on a busy machine or across a network takes seconds to answer.
CONNECT_S = 10.0
# Each LocalCluster worker is a fresh interpreter that imports distributed (~1-2 s).
WORKERS_S = 60.0
# Bounded shutdown: past it the worker processes are killed.
CLOSE_S = 10.0
KILL_CLOSE_S = 2.0
QUIET = logging.CRITICAL


def plugins():
    """The plugin classes and the counter's reader, built on first use (importing this
    module stays light). Defined inside a function on purpose: cloudpickle then ships them
    by value, so an external scheduler needs distributed, not the harness, to run them."""
    from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin

    from harness.execution.backends.worker import init_worker_process

    class RecomputeCounter(SchedulerPlugin):
        """Counts, per task key with our prefix, how often it entered "processing"."""

        def __init__(self, prefix: str) -> None:
            self.prefix = prefix
            self.processing: dict = {}

        def transition(self, key, start, finish, *args, **kwargs):
            if finish == "processing" and isinstance(key, str) and key.startswith(self.prefix):
                self.processing[key] = self.processing.get(key, 0) + 1

    class WorkerInit(WorkerPlugin):
        """init_worker_process in every worker of our LocalCluster, restarted ones too."""

        def __init__(self, parent_pid: int) -> None:
            self.parent_pid = parent_pid

        def setup(self, worker):
            try:
                init_worker_process(self.parent_pid)
            except ValueError:  # signal.signal off the main thread; PDEATHSIG is set first
                pass

    def read_counts(name: str, dask_scheduler=None) -> dict:
        plugin = dask_scheduler.plugins.get(name)
        return {} if plugin is None else dict(plugin.processing)

    return RecomputeCounter, WorkerInit, read_counts


class QuietLogs:
    """Holds distributed's stderr handlers, and asyncio's logger, at CRITICAL until restored.

    asyncio's too: distributed's event loop reports a worker that failed to start ("Task
    exception was never retrieved") through it. Plain level changes rather than
    distributed's silence_logging_cmgr: that is a generator, which restores the levels
    whenever it is garbage-collected, even when we mean to keep them quiet.
    """

    def __init__(self) -> None:
        self._saved: list = []

    def enter(self) -> None:
        loggers = [h for h in logging.getLogger("distributed").handlers if isinstance(h, logging.StreamHandler)]
        for item in loggers + [logging.getLogger("asyncio")]:
            self._saved.append((item, item.level))
            item.setLevel(QUIET)

    def restore(self) -> None:
        while self._saved:
            item, level = self._saved.pop()
            item.setLevel(level)


# -- start -------------------------------------------------------------------------------


def deferred_interrupts():
    """Hold Ctrl-C and SIGTERM back while distributed builds a cluster, then deliver them.

    Interrupted half-way, LocalCluster's constructor leaves worker processes starting in
    its event-loop thread that nothing can reach, to be reaped noisily at exit. Held back,
    the interrupt arrives once the cluster exists and the normal kill path ends it. A
    second signal is not held: it interrupts at once.
    """
    import threading

    @contextlib.contextmanager
    def deferred():
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        pending: list = []
        previous = {}

        def hold(signum, frame):
            if pending:  # the second one: give up waiting
                restore()
                _deliver(previous.get(signum), signum, frame)
            pending.append((signum, frame))

        def restore():
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            previous.clear()

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, hold)
        saved = dict(previous)
        # Ctrl-C at a terminal reaches the whole process group, workers still importing
        # distributed included, and each would print its KeyboardInterrupt. SIGINT blocked
        # here is blocked in the event-loop thread the cluster starts now, and so in every
        # worker process it spawns, restarts included (a blocked mask survives fork and
        # exec). This process still gets it: its other threads do not block it.
        # multiprocessing's resource tracker unblocks SIGINT after it starts, so it starts first.
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            restore()
            if pending:
                signum, frame = pending[0]
                _deliver(saved[signum], signum, frame)

    return deferred()


def _deliver(handler, signum, frame) -> None:
    """Act on a signal as the handler that was installed would have."""
    if callable(handler):
        handler(signum, frame)  # e.g. KeyboardInterrupt, or the CLI's Terminated
    elif handler == signal.SIG_DFL:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


@contextlib.contextmanager
def guarded_start(held):
    """Build a cluster inside this: interrupts are deferred (deferred_interrupts), and if
    the build fails or is interrupted while ``held()`` is still None, every cluster it
    left behind is killed (abandon). Once the caller holds the cluster, a held-back
    interrupt is delivered and the caller's normal kill path ends it.
    """
    before = spec_cluster_instances()
    try:
        with deferred_interrupts():
            yield
    except BaseException:
        if held() is None:
            # A second Ctrl-C (or a failure) inside the constructor: the cluster never
            # reached us, but distributed would close it at exit, with tracebacks.
            for cluster in spec_cluster_instances() - before:
                abandon(cluster)
        raise


def local_cluster(workers: int):
    """A LocalCluster of ``workers`` single-threaded worker processes on 127.0.0.1, no dashboard."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True,
        dashboard_address=None, host="127.0.0.1", silence_logs=QUIET,
        # The scheduler serves HTTP (health, metrics) even without a dashboard, on
        # 8787 by default; a random loopback port cannot clash with another's.
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    )


def connect(address: str):
    """A Client (not the default one) on the scheduler at ``address``."""
    from distributed import Client

    return Client(address, timeout=CONNECT_S, set_as_default=False)


def count_workers(address: str) -> int | None:
    """How many workers the cluster at ``address`` has now; None when it cannot be reached
    (or has none)."""
    if refused(address):
        return None
    quiet = QuietLogs()
    quiet.enter()
    try:
        client = connect(address)
    except Exception:
        quiet.restore()
        return None
    try:
        return len(client.scheduler_info(n_workers=-1)["workers"]) or None
    except Exception:
        return None
    finally:
        client.close()
        quiet.restore()


def refused(address: str) -> str | None:
    """Why a TCP scheduler address refuses connections, or None (also when unsure).

    distributed keeps retrying a refused connection until its timeout, in case a scheduler
    is still starting; a plain connect says at once that nobody listens there.
    """
    import socket

    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls") or not port.isdigit():
        return None
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_S).close()
    except ConnectionRefusedError:
        return "connection refused"
    except OSError:
        return None  # unreachable or slow: let distributed try and say why
    return None


# -- end ---------------------------------------------------------------------------------


def live_pids(cluster, initial_processes) -> set[int]:
    """Worker processes of the embedded cluster that have not been seen to exit."""
    pids = {p.pid for p in initial_processes if p.pid and p.exitcode is None}
    for nanny in list(cluster.workers.values()):
        process = nanny.process.process if nanny.process is not None else None
        if process is not None and process.pid and process.exitcode is None:
            pids.add(process.pid)
    return pids


def kill_embedded(cluster, initial_processes) -> set[int]:
    """SIGKILL the embedded cluster's workers, and any a nanny is starting right now.

    A nanny restarts a dead worker, and a worker told to stop while still starting
    prints its own tracebacks; one killed prints nothing. So first no nanny may start
    another, then every worker process that appears is killed until all nannies closed.
    """
    stop_restarts(cluster)
    killed: set[int] = set()
    deadline = time.monotonic() + 2 * KILL_CLOSE_S
    while True:
        for pid in live_pids(cluster, initial_processes) - killed:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        nannies = list(cluster.workers.values())
        if all(n.status.name in ("closed", "failed") for n in nannies) or time.monotonic() > deadline:
            return killed
        time.sleep(0.02)


def stop_restarts(cluster) -> None:
    """Tell every nanny not to start a new worker when its process dies."""

    async def stop():
        for nanny in list(cluster.workers.values()):
            nanny.close_gracefully(reason="harness-kill")

    with contextlib.suppress(Exception):
        cluster.sync(stop, callback_timeout=KILL_CLOSE_S)


def settle(cluster) -> None:
    """Before a graceful close, let a worker that a nanny is restarting finish starting."""
    deadline = time.monotonic() + CLOSE_S
    while time.monotonic() < deadline and any(
            n.process is not None and n.process.status.name == "starting" for n in list(cluster.workers.values())):
        time.sleep(0.05)


def reap(pids: set[int]) -> None:
    """SIGKILL those of ``pids`` still alive and still our children, and wait until they are.

    cluster.close gives up on a worker past its timeout; none may outlive the backend.
    The parent check keeps a recycled pid, now someone else's process, safe. A zombie
    counts as gone: it is never waited for here, because multiprocessing reaps its own
    children and, robbed of an exit status, would think them alive and "reap" them again.
    """
    import psutil

    me = os.getpid()

    def alive() -> list:
        procs = []
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if proc.ppid() == me and proc.status() != psutil.STATUS_ZOMBIE:
                    procs.append(proc)
        return procs

    deadline = time.monotonic() + KILL_CLOSE_S
    while (procs := alive()) and time.monotonic() < deadline:
        time.sleep(0.05)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    deadline = time.monotonic() + KILL_CLOSE_S
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)


def abandon(cluster) -> None:
    """Kill a cluster we hold no handle on (its constructor was interrupted) and stop
    distributed's exit hook from closing it again."""
    processes = []
    for nanny in list(getattr(cluster, "workers", {}).values()):
        process = getattr(getattr(nanny, "process", None), "process", None)
        if process is not None and process.pid:
            processes.append(process)
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGKILL)
    cluster.shutdown_on_close = False
    with contextlib.suppress(BaseException):
        cluster.close(timeout=KILL_CLOSE_S)
    reap({p.pid for p in processes})
