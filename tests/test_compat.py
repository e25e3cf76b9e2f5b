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


# -- isolated subinterpreters: each private call, in every 3.12+ interpreter on this machine ----
# The venv may be older (3.11 here), so each canary runs in those interpreters as a subprocess.

def _subinterpreter_pythons() -> list[str]:
    from tests._pythons import PYTHONS

    return sorted(set(PYTHONS + ([sys.executable] if sys.version_info >= (3, 12) else [])))


SUBINTERPRETER_PYTHONS = _subinterpreter_pythons()


def _canary(python: str, body: str) -> None:
    import os
    import subprocess
    import textwrap

    from harness.execution.backends.subinterp_host import LIGHT_PACKAGE

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = LIGHT_PACKAGE + "from harness import _compat\nimport sys\n" + textwrap.dedent(body)
    result = subprocess.run([python, "-c", code], env=dict(os.environ, PYTHONPATH=repo), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, f"{python}: {result.stderr.strip().splitlines()[-1:]}"


needs_subinterpreters = pytest.mark.skipif(not SUBINTERPRETER_PYTHONS, reason="no Python 3.12+ on this machine")
each_python = pytest.mark.parametrize("python", SUBINTERPRETER_PYTHONS)


@needs_subinterpreters
@each_python
def test_subinterpreter_module_is_the_one_for_the_version(python):
    _canary(python, """
        module = _compat.subinterpreter_module()
        expected = {(3, 12): "_xxsubinterpreters", (3, 13): "_interpreters"}.get(sys.version_info[:2],
                                                                                  "concurrent.interpreters")
        assert module.__name__ == expected, module.__name__
        needed = {(3, 12): ("create", "destroy", "run_string", "RunFailedError"),
                  (3, 13): ("create", "destroy", "exec", "new_config", "get_config")}.get(
                      sys.version_info[:2], ("create", "ExecutionFailed"))
        missing = [name for name in needed if not hasattr(module, name)]
        assert not missing, f"{expected} lost {missing}"
    """)


@needs_subinterpreters
@each_python
def test_new_isolated_interpreter_is_isolated(python):
    # The behavioural proof of the isolated config (own GIL, check_multi_interp_extensions):
    # a single-phase-init extension is refused there.
    _canary(python, """
        handle = _compat.new_isolated_interpreter()
        failure = _compat.interpreter_exec(handle, "import _curses", {})
        assert failure and "does not support loading in subinterpreters" in failure, failure
        _compat.destroy_interpreter(handle)
    """)


@needs_subinterpreters
@each_python
def test_interpreter_exec_binds_shared_values_and_returns_the_failure_line(python):
    _canary(python, """
        handle = _compat.new_isolated_interpreter()
        ok = _compat.interpreter_exec(handle, "assert payload == b'x' and n == 3 and word == 'w'",
                                      {"payload": b"x", "n": 3, "word": "w"})
        assert ok is None, ok
        assert _compat.interpreter_exec(handle, "assert n == 3", {}) is None  # __main__ persists between runs
        failure = _compat.interpreter_exec(handle, "raise ValueError('boom')", {})
        assert failure == "ValueError: boom", failure
        _compat.destroy_interpreter(handle)
    """)


@needs_subinterpreters
@each_python
def test_destroy_interpreter_destroys_it(python):
    _canary(python, """
        handle = _compat.new_isolated_interpreter()
        _compat.destroy_interpreter(handle)
        try:
            _compat.interpreter_exec(handle, "pass", {})
        except Exception as exc:  # the interpreter is gone: its id is refused
            assert "interpreter" in str(exc).lower() or "closed" in str(exc).lower(), exc
        else:
            raise AssertionError("an interpreter ran code after destroy_interpreter")
    """)


@needs_subinterpreters
@each_python
def test_interpreter_has_own_gil(python):
    _canary(python, """
        handle = _compat.new_isolated_interpreter()
        own = _compat.interpreter_has_own_gil(handle)
        assert own is (True if sys.version_info[:2] == (3, 13) else None), own
        _compat.destroy_interpreter(handle)
    """)
