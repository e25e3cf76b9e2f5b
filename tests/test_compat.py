"""Canaries for the private attributes in harness._compat.

Each builds the real object and checks that the private attribute still holds what the
backends read from it: a library release that renames or drops one fails here, by name,
rather than as a hang or a lost exit code in a sweep.
"""

import concurrent.futures as cf
import multiprocessing
import sys
import threading

import pytest

from harness import _compat


def test_pool_workers_lists_the_pools_processes():
    pool = multiprocessing.get_context("fork").Pool(2)
    try:
        workers = _compat.pool_workers(pool)
        assert len(workers) == 2, "multiprocessing.Pool._pool no longer lists the worker processes"
        assert all(isinstance(p, multiprocessing.process.BaseProcess) and p.pid for p in workers)
    finally:
        pool.terminate()
        pool.join()


def test_pool_task_queue_lock_is_a_lock():
    pool = multiprocessing.get_context("fork").Pool(1)
    try:
        lock = _compat.pool_task_queue_lock(pool)
        assert lock is not None, "multiprocessing.Pool._inqueue._rlock is gone"
        assert callable(lock.acquire) and callable(lock.release)
    finally:
        pool.terminate()
        pool.join()


def test_process_executor_processes():
    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as executor:
        cf.wait([executor.submit(int) for _ in range(2)])
        processes = _compat.executor_processes(executor)
        assert processes, "concurrent.futures.ProcessPoolExecutor._processes no longer maps its workers"
        assert all(p.pid and p.is_alive() for p in processes)


def test_thread_executor_threads():
    with cf.ThreadPoolExecutor(1) as executor:
        executor.submit(int).result()
        threads = _compat.executor_threads(executor)
        assert threads, "concurrent.futures.ThreadPoolExecutor._threads no longer holds its threads"
        assert all(isinstance(t, threading.Thread) for t in threads)


def test_loky_executor_processes():
    loky = pytest.importorskip("loky")
    from loky.backend.context import get_context

    executor = loky.ProcessPoolExecutor(1, context=get_context("loky"), timeout=None)
    try:
        executor.submit(int).result(timeout=60)
        processes = _compat.executor_processes(executor)
        assert processes, "loky.ProcessPoolExecutor._processes no longer maps its workers"
        assert all(p.pid for p in processes)
    finally:
        executor.shutdown(wait=True, kill_workers=True)


@pytest.mark.skipif(not hasattr(cf, "InterpreterPoolExecutor"), reason="needs Python 3.14+")
def test_interpreter_executor_threads():
    executor = cf.InterpreterPoolExecutor(1)
    try:
        executor.submit(int).result(timeout=60)
        assert _compat.executor_threads(executor), "InterpreterPoolExecutor._threads is gone"
    finally:
        executor.shutdown(wait=True)


def test_gil_enabled_reads_the_interpreter():
    state = _compat.gil_enabled()
    if sys.version_info >= (3, 13):
        assert state in (True, False), "sys._is_gil_enabled is gone"
    else:
        assert state is None


def test_spec_cluster_instances_sees_a_new_cluster():
    distributed = pytest.importorskip("distributed")

    before = _compat.spec_cluster_instances()
    cluster = distributed.LocalCluster(n_workers=0, processes=True, dashboard_address=None,
                                       host="127.0.0.1")
    try:
        assert cluster in _compat.spec_cluster_instances() - before, \
            "distributed's SpecCluster._instances no longer tracks live clusters"
    finally:
        cluster.close()


def test_platform_default_context_is_a_context_and_fixes_nothing():
    context = _compat.platform_default_context()
    assert context is not None, "multiprocessing.context._default_context._default_context is gone"
    assert context.get_start_method() in multiprocessing.get_all_start_methods()


def test_figure_suptitle_is_the_text_of_suptitle():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    figure = Figure()
    assert _compat.figure_suptitle(figure) is None
    figure.suptitle("a title")
    title = _compat.figure_suptitle(figure)
    assert title is not None and title.get_text() == "a title", "matplotlib's Figure._suptitle is gone"
