"""The asyncio offload models: CPU work submitted from a running event loop and awaited, with
the loop's lag measured by a heartbeat while it runs (``heartbeat``).

- ``asyncio-thread``: ``asyncio.to_thread`` on the loop's default executor, sized to the
  workers. Under the GIL the loop's thread must win the GIL back from the workers, which hand
  it over only every switch interval (``sys.getswitchinterval()``, 5 ms by default): the loop
  stays responsive only that far.
- ``asyncio-process``: ``loop.run_in_executor`` with a ProcessPoolExecutor: the loop's thread
  only pickles chunks and results, so it stays free, at the cost of that pickling.
- ``asyncio-interpreter``: ``run_in_executor`` with 3.14's InterpreterPoolExecutor.
- ``asyncio-inline``: the mistake, for comparison: the chunks computed straight from a
  coroutine in the loop's own thread. Its lag is the whole computation. One worker (the loop).

Each builds its loop and executor once per configuration (start-up, timed apart) and runs
one ``run_until_complete`` per repeat. They compete on wall time like every model and stay
out of the default sweep.
"""

from __future__ import annotations

import abc
import asyncio
import concurrent.futures as cf
import sys

from harness.execution.backends.base import Backend, RunTimeout, WorkerFailure, kill_processes
from harness.execution.backends.executors import ProcessExecutorBackend, ThreadExecutorBackend, _executor_task
from harness.execution.backends.heartbeat import DEFAULT_INTERVAL_S, Heartbeat
from harness.execution.backends.serial import alarm
from harness.execution.backends.worker import TaskFailure, run_task

__all__ = ["AsyncioInlineBackend", "AsyncioThreadBackend", "AsyncioProcessBackend", "AsyncioInterpreterBackend",
           "interpreter_task"]


class _OnTheLoop(Backend):
    """What every asyncio model shares: the loop, the heartbeat, the repeat's coroutine."""

    stdlib_only = True
    in_default_sweep = False
    heartbeat_s = DEFAULT_INTERVAL_S

    def __init__(self, workers, start_method=None):
        super().__init__(workers, start_method)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lag = None

    def start(self):
        super().start()  # the executor, where the model has one
        self._loop = asyncio.new_event_loop()

    def run(self, ref, tasks, deadline, fn=None):
        if self._loop is None:
            raise WorkerFailure("the event loop is closed (after an earlier failure)")
        self._lag = None
        return self._loop.run_until_complete(self._repeat(ref, tasks, deadline, fn))

    async def _repeat(self, ref, tasks, deadline, fn):
        beat = Heartbeat(self.heartbeat_s)
        beat.start()
        await asyncio.sleep(0)  # the heartbeat's first wake is asked for before any work starts
        try:
            return await self._offload(ref, tasks, deadline, fn)
        finally:
            self._lag = beat.stop()

    @abc.abstractmethod
    async def _offload(self, ref, tasks, deadline, fn) -> list:
        """Each model's own part: how the chunks leave the loop and come back, in order."""

    async def _gather(self, awaitables, deadline) -> list:
        """Await every chunk by the deadline; the first failure fails the run."""
        try:
            return await asyncio.wait_for(asyncio.gather(*awaitables), max(self.remaining(deadline), 0))
        except (asyncio.TimeoutError, cf.TimeoutError):
            self.on_timeout()
            raise RunTimeout(self.timeout_text) from None
        except TaskFailure as exc:
            raise WorkerFailure(str(exc)) from None
        except Exception as exc:  # a dead worker process, an unpicklable item
            raise WorkerFailure(self.describe_failure(exc)) from None

    async def _in_executor(self, call, tasks, deadline) -> list:
        """``call(*args)`` for each chunk's args on this backend's executor, awaited by the deadline."""
        loop = asyncio.get_running_loop()
        return await self._gather([loop.run_in_executor(self._executor, call, *args) for args in tasks], deadline)

    def last_loop_lag(self):
        return self._lag

    def close(self, kill=False):
        super().close(kill)
        loop, self._loop = self._loop, None
        if loop is not None:
            loop.close()


class AsyncioInlineBackend(_OnTheLoop):
    name = "asyncio-inline"
    style = ("#7f7f7f", "x")
    description = ("the mistake, for comparison: CPU work called straight from a coroutine, in the event loop's "
                   "thread, which it blocks for the whole computation (one worker)")
    kind = "inline"
    can_chunk = False

    @classmethod
    def fixed_workers(cls, config) -> int:
        return 1  # the loop's one thread

    def run(self, ref, tasks, deadline, fn=None):
        # Nothing on a blocked loop can time it out: the deadline interrupts the computation.
        with alarm(self.remaining(deadline)):
            return super().run(ref, tasks, deadline, fn)

    async def _offload(self, ref, tasks, deadline, fn):
        results = []
        for task in tasks:
            try:
                results.append(run_task(ref, task, fn))
            except TaskFailure as exc:
                raise WorkerFailure(str(exc)) from None
        return results


class AsyncioThreadBackend(_OnTheLoop, ThreadExecutorBackend):
    name = "asyncio-thread"
    style = ("#9edae5", "<")
    description = ("asyncio.to_thread from a running event loop, on a default executor of N threads; the loop's "
                   "lag recorded (under the GIL: the switch interval)")

    def start(self):
        super().start()
        self._loop.set_default_executor(self._executor)  # what asyncio.to_thread runs on

    async def _offload(self, ref, tasks, deadline, fn):
        return await self._gather([asyncio.to_thread(run_task, ref, task, fn) for task in tasks], deadline)


class AsyncioProcessBackend(_OnTheLoop, ProcessExecutorBackend):
    name = "asyncio-process"
    style = ("#ffbb78", "X")
    description = ("loop.run_in_executor with a ProcessPoolExecutor from a running event loop; the loop's lag "
                   "recorded (it only pickles)")

    async def _offload(self, ref, tasks, deadline, fn):
        return await self._in_executor(_executor_task, [(ref, task) for task in tasks], deadline)

    def on_timeout(self):
        kill_processes(self._all_processes())  # nothing computes on; close() follows, off the loop


def interpreter_task(ref, task):
    """Runs inside a 3.14 InterpreterPoolExecutor's interpreter: the chunk via ``run_task``."""
    return run_task(ref, task)


def _path_script(paths: list[str]) -> str:
    """Source that puts the parent's sys.path entries first in a new interpreter."""
    return f"import sys\nsys.path[:0] = [p for p in {paths!r} if p not in sys.path]\n"


class AsyncioInterpreterBackend(_OnTheLoop, ThreadExecutorBackend):
    name = "asyncio-interpreter"
    thread_based = False  # each worker thread runs its own interpreter, with its own GIL
    interpreter_per_worker = True
    style = ("#c49c94", "h")
    description = ("loop.run_in_executor with concurrent.futures.InterpreterPoolExecutor (Python 3.14+) from a "
                   "running event loop; the loop's lag recorded")
    timeout_text = ("timed out; the executor's interpreters run in threads of this process and cannot be killed, "
                    "so the hung one was abandoned")

    @classmethod
    def availability(cls):
        if not hasattr(cf, "InterpreterPoolExecutor"):
            return ("needs Python 3.14+ (concurrent.futures.InterpreterPoolExecutor); "
                    f"this is Python {sys.version.split()[0]}")
        return None

    @classmethod
    def pickles_items(cls) -> bool:  # items cross into each interpreter pickled
        return True

    def _make_executor(self) -> cf.Executor:
        # The initializer is pickled into each interpreter; the builtin exec travels by name.
        return cf.InterpreterPoolExecutor(self.workers, thread_name_prefix="harness-interp",
                                          initializer=exec, initargs=(_path_script(list(sys.path)), {}))

    def start(self):
        reason = self.availability()
        if reason:
            raise WorkerFailure(f"{self.name}: {reason}")
        self._executor = self._make_executor()
        cf.wait([self._executor.submit(int) for _ in range(self.workers)])  # each interpreter started now
        self._loop = asyncio.new_event_loop()

    async def _offload(self, ref, tasks, deadline, fn):
        return await self._in_executor(interpreter_task, [(ref, task) for task in tasks], deadline)

    def describe_failure(self, exc):
        # The task's TaskFailure comes back as an ExecutionFailed (or itself): its own line.
        return " ".join(str(exc).split())
