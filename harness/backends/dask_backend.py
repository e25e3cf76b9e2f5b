"""dask: dask.distributed, on an embedded LocalCluster or on an existing cluster.

By default each configuration starts its own ``LocalCluster``: one single-threaded worker
process per harness worker (a pure-Python task holds its worker's GIL, so a second thread
per worker would only take turns), bound to 127.0.0.1 with no dashboard. Its start-up,
the Client's connection and a warm-up call on every worker are ``startup_s``; the repeats
reuse the cluster. One ``client.submit`` per chunk; dask decides where each runs.

With ``--dask-scheduler tcp://HOST:PORT`` the harness connects to that cluster instead and
never closes it (only its own client). The worker count then comes from the cluster: the
runner's plan asks ``DaskBackend.fixed_workers(config)``, which connects briefly and counts
the workers, so ``--workers`` does not apply to dask there. Run such workers with
``--nthreads 1`` for the same reason as above.

Faults. A task that raises fails the run with the exception's text. A worker that dies is
not an error to dask: its nanny restarts it and the scheduler runs the lost task again, and
only after ``distributed.scheduler.allowed-failures`` deaths (3 by default) does the task
fail (KilledWorker), which fails the run here too. A recovered death leaves a correct
result whose timing includes the recomputation, so it is counted: a scheduler plugin counts
how often each of this backend's tasks entered "processing", and ``recomputed_by_run``
holds, after ``close()``, the extra executions per ``run()`` call (warm-ups first).
A repeat past its deadline cancels its tasks; on the embedded cluster the worker processes
are killed, on an external one they are not ours to kill and the hung task keeps its worker.

distributed writes its log through its own stderr handlers; they are held at CRITICAL for
the backend's lifetime (here and in the workers), so a worker's death, which dask handles
and this backend reports, does not print a page of warnings over the progress bar.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
import uuid

from harness.backends.base import Backend, RunTimeout, WorkerFailure, describe_exitcode
from harness.backends.worker import (compute_in_process, describe_exception, describe_system_exit,
                                     init_worker_process)

__all__ = ["DaskBackend"]

# Generous: a cluster on a busy machine or across a network takes seconds to answer.
_CONNECT_S = 10.0
# Each LocalCluster worker is a fresh interpreter that imports distributed (~1-2 s).
_WORKERS_S = 60.0
# Bounded shutdown: past it the worker processes are killed.
_CLOSE_S = 10.0
_KILL_CLOSE_S = 2.0
_QUIET = logging.CRITICAL


def _dask_task(ref: str, task: tuple) -> tuple:
    try:
        return compute_in_process(ref, task)
    except SystemExit as exc:  # the worker's thread pool would pass it back, not exit
        raise RuntimeError(f"worker {task[0]}: {describe_system_exit(exc)}") from None
    except Exception as exc:
        # A plain string survives the trip back whatever the user's exception is.
        raise RuntimeError(f"worker {task[0]}: {describe_exception(exc)}") from None


def _warm_worker() -> int:
    # Import the worker side now, so the first repeat does not pay for it.
    import harness.workloads  # noqa: F401

    return os.getpid()


def _plugins():
    """The plugin classes and the counter's reader, built on first use (importing this
    module stays light). Defined inside a function on purpose: cloudpickle then ships them
    by value, so an external scheduler needs distributed, not the harness, to run them."""
    from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin

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


class _QuietLogs:
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
            item.setLevel(_QUIET)

    def restore(self) -> None:
        while self._saved:
            item, level = self._saved.pop()
            item.setLevel(level)


def _deferred_interrupts():
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


def _reap(pids: set[int]) -> None:
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

    deadline = time.monotonic() + _KILL_CLOSE_S
    while (procs := alive()) and time.monotonic() < deadline:
        time.sleep(0.05)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    deadline = time.monotonic() + _KILL_CLOSE_S
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)


def _abandon(cluster) -> None:
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
        cluster.close(timeout=_KILL_CLOSE_S)
    _reap({p.pid for p in processes})


def _refused(address: str) -> str | None:
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
        socket.create_connection((host.strip("[]"), int(port)), timeout=_CONNECT_S).close()
    except ConnectionRefusedError:
        return "connection refused"
    except OSError:
        return None  # unreachable or slow: let distributed try and say why
    return None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class DaskBackend(Backend):
    name = "dask"
    description = ("dask.distributed: one single-threaded worker process per worker on a LocalCluster "
                   "(or --dask-scheduler's cluster), started once per configuration; start-up recorded apart")
    kind = "process"
    has_startup = True

    def __init__(self, workers, start_method=None, dask_scheduler=None, **options):
        super().__init__(workers, start_method, dask_scheduler=dask_scheduler, **options)
        # Imported here, not in start(): the runner times start(), and the one-off import of
        # distributed (about a second) would otherwise land in the first configuration only.
        import distributed  # noqa: F401

        self.address = dask_scheduler
        self._client = None
        self._cluster = None
        self._quiet = _QuietLogs()
        self._prefix = f"harness-{uuid.uuid4().hex[:12]}-"
        self._plugin_name = f"{self._prefix}recomputes"
        self._plugin_registered = False
        self._runs = 0
        self._initial_processes: list = []
        #: Extra task executions dask made per run() call (warm-ups first), known after
        #: close(); None when they could not be counted (e.g. the scheduler refused the plugin).
        self.recomputed_by_run: list[int] | None = None

    @classmethod
    def availability(cls):
        import importlib.util

        missing = [m for m in ("dask", "distributed") if importlib.util.find_spec(m) is None]
        if missing:
            return f"{' and '.join(missing)} not installed (pip install 'dask[distributed]')"
        return None

    @classmethod
    def fixed_workers(cls, config) -> int | None:
        """With --dask-scheduler, the number of workers that cluster has now; else None.

        None also when the cluster cannot be reached: the plan then keeps --workers and
        start() fails that configuration with the reason.
        """
        if not config.dask_scheduler or _refused(config.dask_scheduler):
            return None
        from distributed import Client

        quiet = _QuietLogs()
        quiet.enter()
        try:
            client = Client(config.dask_scheduler, timeout=_CONNECT_S, set_as_default=False)
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

    @classmethod
    def recorded_start_method(cls, config) -> str | None:
        """How the embedded cluster's nannies start workers ("spawn"); None for an external cluster."""
        if config.dask_scheduler:
            return None
        import dask

        return dask.config.get("distributed.worker.multiprocessing-method", "spawn")

    # -- start -------------------------------------------------------------------------

    def start(self):
        self._quiet.enter()
        if self.address:
            self._connect_external()
        else:
            self._start_local()
        self._register_counter()
        try:
            # Every worker imports the harness now; an external one that cannot says so here.
            self._client.run(_warm_worker)
        except Exception as exc:
            text = _one_line(describe_exception(exc))
            raise WorkerFailure(f"dask workers could not load the harness: {text}") from None

    def _start_local(self):
        from distributed import Client, LocalCluster
        from distributed.deploy.spec import SpecCluster

        before = set(SpecCluster._instances)
        try:
            with _deferred_interrupts():
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, host="127.0.0.1", silence_logs=_QUIET,
                    # The scheduler serves HTTP (health, metrics) even without a dashboard, on
                    # 8787 by default; a random loopback port cannot clash with another's.
                    scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                )
        except BaseException:
            if self._cluster is None:
                # A second Ctrl-C (or a failure) inside the constructor: the cluster never
                # reached us, but distributed would close it at exit, with tracebacks.
                for cluster in set(SpecCluster._instances) - before:
                    _abandon(cluster)
            raise
        self._client = Client(self._cluster, set_as_default=False)
        _, worker_init, _ = _plugins()
        self._client.register_plugin(worker_init(self.parent_pid), name=f"{self._prefix}init")
        self._client.wait_for_workers(self.workers, timeout=_WORKERS_S)
        # Their process handles, to name how a worker died if one does.
        self._initial_processes = [n.process.process for n in self._cluster.workers.values()
                                   if n.process is not None and n.process.process is not None]

    def _connect_external(self):
        from distributed import Client

        refused = _refused(self.address)
        if refused:
            raise WorkerFailure(f"cannot connect to the dask scheduler at {self.address}: {refused}")
        try:
            self._client = Client(self.address, timeout=_CONNECT_S, set_as_default=False)
        except Exception as exc:
            raise WorkerFailure(f"cannot connect to the dask scheduler at {self.address}: "
                                f"{_one_line(describe_exception(exc))}") from None
        count = len(self._client.scheduler_info(n_workers=-1)["workers"])
        if count != self.workers:
            raise WorkerFailure(f"the dask cluster at {self.address} has {count} worker(s), not {self.workers}; "
                                "with --dask-scheduler the worker count comes from the cluster "
                                "(did workers join or leave after the sweep was planned?)")

    def _register_counter(self):
        counter, _, _ = _plugins()
        try:
            self._client.register_plugin(counter(self._prefix), name=self._plugin_name)
            self._plugin_registered = True
        except Exception:  # counting is a courtesy; without it recomputed_by_run stays None
            self._plugin_registered = False

    # -- run ---------------------------------------------------------------------------

    def run(self, ref, tasks, deadline, fn=None):
        if self._client is None:
            raise WorkerFailure("the dask client is not running (closed after an earlier failure)")
        from distributed import wait

        index, self._runs = self._runs, self._runs + 1
        # Our own keys: unique per run (never a cached result) and attributable to a run.
        futures = [self._client.submit(_dask_task, ref, task, key=f"{self._prefix}r{index}-w{task[0]}", pure=False)
                   for task in tasks]
        values, pending = {}, list(futures)
        try:
            # One future at a time as each finishes: a failure ends the run at once, and each
            # result is fetched while the others still compute. (distributed.as_completed
            # polls in 100 ms naps that can miss a wake-up, which would show in the timings.)
            with self._client.as_current():  # distributed.wait uses the current client
                while pending:
                    remaining = self.remaining(deadline)
                    if remaining <= 0:
                        raise TimeoutError
                    wait(pending, timeout=remaining, return_when="FIRST_COMPLETED")
                    for future in [f for f in pending if f.status != "pending"]:
                        if future.status != "finished":
                            raise WorkerFailure(self._describe_failure(future))
                        values[future.key] = future.result(timeout=max(self.remaining(deadline), 1e-3))
                        pending.remove(future)
        except TimeoutError:
            with contextlib.suppress(Exception):
                self._client.cancel(futures)
            external = self._cluster is None
            self.close(kill=True)
            raise RunTimeout("timed out; tasks cancelled on the external dask cluster, whose workers are not "
                             "ours to kill" if external else "timed out; dask worker processes killed") from None
        except WorkerFailure:
            self.close(kill=True)
            raise
        except Exception as exc:  # e.g. FuturesCancelledError, or a lost connection to the scheduler
            self.close(kill=True)
            raise WorkerFailure(f"dask: {_one_line(describe_exception(exc))}") from None
        return [values[f.key] for f in futures]

    def _describe_failure(self, future) -> str:
        if future.status == "cancelled":
            return f"dask cancelled task {future.key}"
        try:
            exc = future.exception(timeout=_CONNECT_S)
        except Exception as err:
            return f"dask task {future.key} {future.status}: {_one_line(describe_exception(err))}"
        if type(exc).__name__ == "KilledWorker":
            worker = future.key.rsplit("-w", 1)[-1]
            codes = sorted({p.exitcode for p in self._initial_processes if p.exitcode not in (None, 0)})
            how = ", ".join(describe_exitcode(c) for c in codes) or "no exit status seen"
            allowed = getattr(exc, "allowed_failures", None)
            tries = f"{allowed + 1} " if isinstance(allowed, int) else ""
            return (f"dask workers died running worker {worker}'s task ({how}); "
                    f"dask gave up after {tries}attempts (KilledWorker)")
        if isinstance(exc, RuntimeError):  # _dask_task's one line
            return _one_line(exc)
        return _one_line(describe_exception(exc))

    # -- close -------------------------------------------------------------------------

    def _collect_recomputes(self, client, external: bool):
        if not self._plugin_registered:
            return
        try:
            counts = client.run_on_scheduler(_plugins()[2], self._plugin_name)
        except Exception:
            return
        by_run = [0] * self._runs
        for key, times in counts.items():
            run = key[len(self._prefix):].split("-w", 1)[0]
            if times > 1 and run.startswith("r") and run[1:].isdigit() and int(run[1:]) < self._runs:
                by_run[int(run[1:])] += times - 1
        self.recomputed_by_run = by_run
        if external:  # an external scheduler outlives us: leave it as we found it
            with contextlib.suppress(Exception):
                client.unregister_scheduler_plugin(self._plugin_name)

    def close(self, kill=False):
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        try:
            if client is not None and not kill:
                self._collect_recomputes(client, external=cluster is None)
            killed: set[int] = set()
            if cluster is not None:
                if kill:
                    killed = self._kill_embedded(cluster)
                else:
                    self._settle(cluster)
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close(timeout=_KILL_CLOSE_S if kill else _CLOSE_S)
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close(timeout=_KILL_CLOSE_S if kill else _CLOSE_S)
                _reap(killed | self._live_pids(cluster))
        finally:
            # After a forced close (a failure, a timeout, Ctrl-C) distributed may still log
            # its own clean-up, up to interpreter exit: then the logs stay quiet for good.
            if not kill:
                self._quiet.restore()

    def _live_pids(self, cluster) -> set[int]:
        """Worker processes of the embedded cluster that have not been seen to exit."""
        pids = {p.pid for p in self._initial_processes if p.pid and p.exitcode is None}
        for nanny in list(cluster.workers.values()):
            process = nanny.process.process if nanny.process is not None else None
            if process is not None and process.pid and process.exitcode is None:
                pids.add(process.pid)
        return pids

    def _kill_embedded(self, cluster) -> set[int]:
        """SIGKILL the embedded cluster's workers, and any a nanny is starting right now.

        A nanny restarts a dead worker, and a worker told to stop while still starting
        prints its own tracebacks; one killed prints nothing. So first no nanny may start
        another, then every worker process that appears is killed until all nannies closed.
        """
        self._stop_restarts(cluster)
        killed: set[int] = set()
        deadline = time.monotonic() + 2 * _KILL_CLOSE_S
        while True:
            for pid in self._live_pids(cluster) - killed:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            nannies = list(cluster.workers.values())
            if all(n.status.name in ("closed", "failed") for n in nannies) or time.monotonic() > deadline:
                return killed
            time.sleep(0.02)

    @staticmethod
    def _stop_restarts(cluster) -> None:
        """Tell every nanny not to start a new worker when its process dies."""

        async def stop():
            for nanny in list(cluster.workers.values()):
                nanny.close_gracefully(reason="harness-kill")

        with contextlib.suppress(Exception):
            cluster.sync(stop, callback_timeout=_KILL_CLOSE_S)

    @staticmethod
    def _settle(cluster) -> None:
        """Before a graceful close, let a worker that a nanny is restarting finish starting."""
        deadline = time.monotonic() + _CLOSE_S
        while time.monotonic() < deadline and any(
                n.process is not None and n.process.status.name == "starting" for n in list(cluster.workers.values())):
            time.sleep(0.05)

    def child_pids(self):
        if self._cluster is None:
            return []  # an external cluster's workers are not our children
        return [n.pid for n in list(self._cluster.workers.values()) if n.pid]
