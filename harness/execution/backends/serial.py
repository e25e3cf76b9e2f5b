"""serial: the loop in the calling thread, the baseline every speedup is measured against."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from harness.execution.backends.base import Backend, RunTimeout, WorkerFailure
from harness.execution.backends.worker import TaskFailure, run_task

__all__ = ["SerialBackend", "alarm"]


class _Alarm(BaseException):
    """The deadline, raised inside the workload: a BaseException, so neither the workload's
    own ``except Exception`` nor the task wrapper mistakes it for the workload failing."""


@contextmanager
def alarm(seconds: float):
    """Raise RunTimeout in the main thread after ``seconds`` (a pure-Python hang included).

    Off the main thread (or without SIGALRM) there is no safe way to interrupt the loop,
    so the deadline is checked only between tasks there.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise _Alarm

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    except _Alarm:
        raise RunTimeout(f"timed out after {seconds:.1f} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class SerialBackend(Backend):
    name = "serial"
    plainness = 0
    stdlib_only = True
    in_default_sweep = True
    style = ("#222222", "s")
    description = "the workload in the calling thread, one task after another (the baseline)"
    kind = "inline"
    is_baseline = True

    def run(self, ref, tasks, deadline, fn=None):
        results = []
        with alarm(self.remaining(deadline)):
            for task in tasks:
                if self.remaining(deadline) <= 0:
                    raise RunTimeout("timed out")
                try:  # the workload's sys.exit() becomes a failure, not the end of the sweep
                    results.append(run_task(ref, task, fn))
                except TaskFailure as exc:
                    raise WorkerFailure(str(exc)) from None
        return results
