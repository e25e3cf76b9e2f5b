"""loky: joblib's robust process pool, one ``loky.ProcessPoolExecutor`` per configuration.

loky differs from concurrent.futures where this harness cares: its default start method
("loky", fork+exec) is safe with threads in the parent, and it names the exit codes of
workers that died (TerminatedWorkerError) instead of only saying the pool broke.

A dedicated executor, not ``get_reusable_executor``: the reusable one is a process-wide
singleton that outlives the configuration and is resized behind our back, so its start-up
could not be charged to one configuration, and a killed pool would break the next one.

Workers always start with loky's own method, as joblib starts them; ``--start-method``
does not apply (loky discourages "fork", and the platform default the CLI fills in is
"fork" on Linux, which would measure a configuration joblib users never run).
"""

from __future__ import annotations

import concurrent.futures as cf
import re
import time

from harness._compat import executor_processes
from harness.execution.backends.base import Backend, WorkerFailure, describe_exitcode
from harness.execution.backends.worker import describe_exception, init_worker_process, run_task, warm_up

__all__ = ["LokyBackend"]

# loky's own start method: fork immediately followed by exec of a fresh interpreter.
_START_METHOD = "loky"
# How long close(kill=True) waits for killed workers to be gone.
_REAP_S = 5.0


def _loky_task(ref, task):
    # loky would pass sys.exit() back as a result: run_task reports it as a failure.
    return run_task(ref, task, in_process=False)


def _wait_gone(processes, timeout: float) -> None:
    """Wait until every process has exited (reaped by anyone), at most ``timeout`` seconds."""
    from multiprocessing.connection import wait

    sentinels = []
    for proc in processes:
        try:
            sentinels.append(proc.sentinel)
        except (ValueError, AttributeError):
            pass
    deadline = time.monotonic() + timeout
    while sentinels and time.monotonic() < deadline:
        ready = wait(sentinels, timeout=max(deadline - time.monotonic(), 0))
        sentinels = [s for s in sentinels if s not in ready]


class LokyBackend(Backend):
    name = "loky"
    plainness = 40
    style = ("#8c564b", "h")
    description = "loky.ProcessPoolExecutor (joblib's pool), started once per configuration; start-up recorded apart"
    kind = "process"
    has_startup = True
    uses_start_method = False
    timeout_text = "timed out; loky worker processes killed"

    def __init__(self, workers, start_method=None):
        super().__init__(workers, start_method)
        # Imported here, not in start(): the runner times start(), and the one-off import of
        # loky would otherwise land in the first configuration's startup_s only.
        import loky  # noqa: F401

        self._executor = None
        self._processes: list = []

    @classmethod
    def availability(cls):
        import importlib.util

        if importlib.util.find_spec("loky") is None:
            return "loky is not installed (pip install loky)"
        return None

    def start(self):
        import loky
        from loky.backend.context import get_context

        # timeout=None: idle workers never exit, so the pool stays whole across repeats.
        self._executor = loky.ProcessPoolExecutor(
            self.workers, context=get_context(_START_METHOD), timeout=None,
            initializer=init_worker_process, initargs=(self.parent_pid,),
        )
        # The first submit starts every worker (from this thread, which matters for
        # PR_SET_PDEATHSIG); waiting on one trivial task per worker makes them all ready.
        cf.wait([self._executor.submit(warm_up) for _ in range(self.workers)])
        self._processes = executor_processes(self._executor)

    @classmethod
    def recorded_start_method(cls, config) -> str | None:
        """The start method this backend really uses, for results.json."""
        return _START_METHOD

    def describe_failure(self, exc: BaseException) -> str:
        from loky.process_executor import BrokenProcessPool, TerminatedWorkerError

        if isinstance(exc, TerminatedWorkerError):
            # loky lists the exit codes it saw when it noticed the death, e.g. "{SIGKILL(-9)}",
            # before it kills the other workers itself; our own handles would show those too.
            found = re.search(r"exit codes of the workers are \{(.*?)\}", str(exc))
            codes = [int(c) for c in re.findall(r"\((-?\d+)\)", found.group(1))] if found else []
            if not codes:
                codes = [p.exitcode for p in self._processes if p.exitcode not in (None, 0)]
            text = ", ".join(describe_exitcode(c) for c in sorted(set(codes))) or "abruptly"
            return f"a loky worker process died ({text})"
        if isinstance(exc, BrokenProcessPool):  # e.g. a worker's initializer failed
            return f"the loky pool broke: {describe_exception(exc)}"
        return str(exc) if isinstance(exc, RuntimeError) else describe_exception(exc)

    def run(self, ref, tasks, deadline, fn=None):
        if self._executor is None:
            raise WorkerFailure("the loky executor is not running (closed after an earlier failure)")
        return self.collect_futures([self._executor.submit(_loky_task, ref, task) for task in tasks], deadline)

    def close(self, kill=False):
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if kill:
            # SIGKILL first: a hung worker never reads loky's shutdown message. loky's manager
            # thread reaps them, so we wait on their sentinels rather than join() them (a join
            # racing that reaper sees no exit status and would sit out its whole timeout).
            for proc in self._processes:
                try:
                    proc.kill()
                except (OSError, ValueError, AttributeError):
                    pass
            executor.shutdown(wait=True, kill_workers=True)
            _wait_gone(self._processes, _REAP_S)
        else:
            executor.shutdown(wait=True)
        self._processes = []
