"""Interrupts that land where cleanup cannot reach: held back, or swept up after.

A SIGTERM inside multiprocessing.Pool's constructor once left a pool nobody held; its
worker-handler thread kept it populated and multiprocessing's exit hook joined its workers
forever, so ``harness run`` hung past 30 s instead of exiting with 143. Here the signal is
made to land at that very moment: a one-shot wrapper around the real ``Pool._repopulate_pool``
raises it the instant the real workers are forked, inside the constructor. The pool, its
processes and the signal are all real; only the moment is chosen.
"""

import multiprocessing
import multiprocessing.pool
import multiprocessing.util
import os
import signal
import time

import pytest

from harness.execution.backends.base import kill_processes, kill_stray_children
from harness.execution.signals import Terminated, interrupts_deferred, raise_if_interrupted, terminate_as_exception


def _new_children(before) -> list:
    return [child for child in multiprocessing.active_children() if child not in before]


@pytest.mark.parametrize("signum, kind", [(signal.SIGTERM, Terminated), (signal.SIGINT, KeyboardInterrupt)],
                         ids=["SIGTERM", "SIGINT"])
def test_an_interrupt_inside_a_deferred_block_is_raised_when_the_outermost_block_ends(signum, kind):
    reached = []
    with pytest.raises(kind):
        with terminate_as_exception():
            with interrupts_deferred():
                with interrupts_deferred():
                    signal.raise_signal(signum)  # the handler runs here, and only remembers it
                    reached.append("inner")
                reached.append("outer")  # an inner block's end raises nothing
            reached.append("after")  # never: the outermost block raised it
    assert reached == ["inner", "outer"]


def test_a_deferred_interrupt_outlives_an_error_in_its_block_and_stops_at_the_next_check():
    with terminate_as_exception():
        with pytest.raises(ValueError):
            with interrupts_deferred():
                signal.raise_signal(signal.SIGTERM)
                raise ValueError("the pool could not start")
        with pytest.raises(Terminated):
            raise_if_interrupted()


def _signal_once_at(monkeypatch, where: str, fired: list) -> None:
    """Make SIGTERM land inside Pool's constructor: right after it forked its workers, or
    after it started its three handler threads but before it registered its finalizer (the
    state of the hung run: nothing would ever end that pool)."""
    if where == "workers-forked":
        real = multiprocessing.pool.Pool._repopulate_pool

        def repopulate_then_signal(pool):
            result = real(pool)
            if not fired:  # once: the worker-handler thread calls it again to replace a dead worker
                fired.append(len(pool._pool))
                signal.raise_signal(signal.SIGTERM)
            return result

        monkeypatch.setattr(multiprocessing.pool.Pool, "_repopulate_pool", repopulate_then_signal)
    else:
        real = multiprocessing.util.Finalize

        def signal_then_finalize(obj, *args, **kwargs):
            if isinstance(obj, multiprocessing.pool.Pool) and not fired:
                fired.append(len(obj._pool))
                signal.raise_signal(signal.SIGTERM)
            return real(obj, *args, **kwargs)

        monkeypatch.setattr(multiprocessing.util, "Finalize", signal_then_finalize)


@pytest.mark.parametrize("where", ["workers-forked", "threads-started"])
def test_sigterm_inside_pool_construction_leaves_no_worker_behind(monkeypatch, where):
    from harness.execution.backends.pool import PoolBackend

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    fired: list = []
    _signal_once_at(monkeypatch, where, fired)
    before = multiprocessing.active_children()
    backend = PoolBackend(2, "fork")
    try:
        with pytest.raises(Terminated):
            with terminate_as_exception():
                try:
                    backend.start()
                except BaseException:
                    backend.close(kill=True)  # what measure() does on an interrupt
                    raise
        assert fired == [2]
        # Workers of a pool nobody holds may still end once it is garbage (its task queue
        # closes); a pool whose threads run never ends. Generous: a healthy kill takes ms.
        deadline = time.monotonic() + 5
        while _new_children(before) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _new_children(before) == [], "pool workers outlived the interrupted start"
    finally:
        kill_processes(_new_children(before))


def _sleep_long():
    time.sleep(60)


def test_stray_children_are_killed_and_children_from_before_are_spared():
    ctx = multiprocessing.get_context()
    mine = ctx.Process(target=_sleep_long, daemon=True)
    mine.start()
    stray = ctx.Process(target=_sleep_long, daemon=True)
    try:
        stray.start()
        kill_stray_children(spared=[mine])
        assert stray.exitcode == -signal.SIGKILL
        assert mine.is_alive()
    finally:
        kill_processes([mine, stray])
