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
import uuid

from harness.execution.backends.base import Backend, RunTimeout, WorkerFailure, describe_exitcode
from harness.execution.backends.dask_cluster import (CLOSE_S, CONNECT_S, KILL_CLOSE_S, WORKERS_S, QuietLogs, connect,
                                           count_workers, guarded_start, kill_embedded, live_pids, local_cluster,
                                           plugins, reap, refused, settle)
from harness.execution.backends.worker import describe_exception, run_task, warm_up
from harness.text import one_line

__all__ = ["DaskBackend"]


def _dask_task(ref, task):
    # The worker's thread pool would pass sys.exit() back: run_task reports it as a failure.
    return run_task(ref, task, in_process=False)


class DaskBackend(Backend):
    name = "dask"
    plainness = 60
    style = ("#393b79", "*")
    description = ("dask.distributed: one single-threaded worker process per worker on a LocalCluster "
                   "(or --dask-scheduler's cluster), started once per configuration; start-up recorded apart")
    kind = "process"
    has_startup = True

    def __init__(self, workers, start_method=None, dask_scheduler=None):
        super().__init__(workers, start_method)
        # Imported here, not in start(): the runner times start(), and the one-off import of
        # distributed (about a second) would otherwise land in the first configuration only.
        import distributed  # noqa: F401

        self.address = dask_scheduler
        self._client = None
        self._cluster = None
        self._quiet = QuietLogs()
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
    def options_from(cls, config) -> dict:
        return {"dask_scheduler": config.dask_scheduler}

    @classmethod
    def fixed_workers(cls, config) -> int | None:
        """With --dask-scheduler, the number of workers that cluster has now; else None.

        None also when the cluster cannot be reached: the plan then keeps --workers and
        start() fails that configuration with the reason.
        """
        if not config.dask_scheduler:
            return None
        return count_workers(config.dask_scheduler)

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
            self._client.run(warm_up)
        except Exception as exc:
            text = one_line(describe_exception(exc))
            raise WorkerFailure(f"dask workers could not load the harness: {text}") from None

    def _start_local(self):
        from distributed import Client

        # Held as soon as it exists: an interrupt held back during the build then reaches
        # a cluster that close(kill=True) ends.
        with guarded_start(lambda: self._cluster):
            self._cluster = local_cluster(self.workers)
        self._client = Client(self._cluster, set_as_default=False)
        _, worker_init, _ = plugins()
        self._client.register_plugin(worker_init(self.parent_pid), name=f"{self._prefix}init")
        self._client.wait_for_workers(self.workers, timeout=WORKERS_S)
        # Their process handles, to name how a worker died if one does.
        self._initial_processes = [n.process.process for n in self._cluster.workers.values()
                                   if n.process is not None and n.process.process is not None]

    def _connect_external(self):
        reason = refused(self.address)
        if reason:
            raise WorkerFailure(f"cannot connect to the dask scheduler at {self.address}: {reason}")
        try:
            self._client = connect(self.address)
        except Exception as exc:
            raise WorkerFailure(f"cannot connect to the dask scheduler at {self.address}: "
                                f"{one_line(describe_exception(exc))}") from None
        count = len(self._client.scheduler_info(n_workers=-1)["workers"])
        if count != self.workers:
            raise WorkerFailure(f"the dask cluster at {self.address} has {count} worker(s), not {self.workers}; "
                                "with --dask-scheduler the worker count comes from the cluster "
                                "(did workers join or leave after the sweep was planned?)")

    def _register_counter(self):
        counter, _, _ = plugins()
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
        futures = [self._client.submit(_dask_task, ref, task, key=f"{self._prefix}r{index}-w{task.worker}", pure=False)
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
            raise WorkerFailure(f"dask: {one_line(describe_exception(exc))}") from None
        return [values[f.key] for f in futures]

    def _describe_failure(self, future) -> str:
        if future.status == "cancelled":
            return f"dask cancelled task {future.key}"
        try:
            exc = future.exception(timeout=CONNECT_S)
        except Exception as err:
            return f"dask task {future.key} {future.status}: {one_line(describe_exception(err))}"
        if type(exc).__name__ == "KilledWorker":
            worker = future.key.rsplit("-w", 1)[-1]
            codes = sorted({p.exitcode for p in self._initial_processes if p.exitcode not in (None, 0)})
            how = ", ".join(describe_exitcode(c) for c in codes) or "no exit status seen"
            allowed = getattr(exc, "allowed_failures", None)
            tries = f"{allowed + 1} " if isinstance(allowed, int) else ""
            return (f"dask workers died running worker {worker}'s task ({how}); "
                    f"dask gave up after {tries}attempts (KilledWorker)")
        if isinstance(exc, RuntimeError):  # _dask_task's one line
            return one_line(exc)
        return one_line(describe_exception(exc))

    # -- close -------------------------------------------------------------------------

    def _collect_recomputes(self, client, external: bool):
        if not self._plugin_registered:
            return
        try:
            counts = client.run_on_scheduler(plugins()[2], self._plugin_name)
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
                    killed = kill_embedded(cluster, self._initial_processes)
                else:
                    settle(cluster)
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close(timeout=KILL_CLOSE_S if kill else CLOSE_S)
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close(timeout=KILL_CLOSE_S if kill else CLOSE_S)
                reap(killed | live_pids(cluster, self._initial_processes))
        finally:
            # After a forced close (a failure, a timeout, Ctrl-C) distributed may still log
            # its own clean-up, up to interpreter exit: then the logs stay quiet for good.
            if not kill:
                self._quiet.restore()
