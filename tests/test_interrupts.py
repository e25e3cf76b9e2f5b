"""Interrupting a real ``harness run``: SIGINT, SIGTERM and SIGKILL mid-sweep.

Each test starts ``python -m harness run`` as its own process (its own session, as a shell
job would be), waits until the journal shows completed runs, signals it, and checks the
exit code, how fast it exits, what it saved and that every process it started is gone.
Then ``--resume`` finishes the sweep without redoing what was done.
"""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests._pace import scaled
from harness.results.journal import JOURNAL_NAME, read_journal, read_journal_entries
from harness.results.storage import RESULTS_NAME, load_suite

from tests._processes import (FAULTY_MODULE, alive, cli_env, descendants, signal_at_pause, start_cli,
                              wait_for_empty_session, write_faulty_module)

EXIT_BOUND_S = 5.0
# 13 configurations (serial once, then 4 backends x 3 worker counts) of ~20 ms repeats:
# a few seconds in all, long enough to interrupt in the middle.
SWEEP = ["--backends", "serial,processes,pool,process-executor,shared", "--workers", "1,2,4", "--n", "20000",
         "--repeat", "5", "--no-interleave", "--warmup", "1", "--timeout", "30"]
PLANNED = 13


@pytest.fixture(scope="module")
def faulty_path(tmp_path_factory):
    return write_faulty_module(tmp_path_factory.mktemp("workloads"))


def journal_lines(out) -> int:
    try:
        with open(os.path.join(out, JOURNAL_NAME), encoding="utf-8") as handle:
            return sum(1 for line in handle if line.endswith("\n"))
    except FileNotFoundError:
        return 0


def wait_for(predicate, timeout_s: float, what: str, proc=None):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"harness exited early ({proc.returncode}) waiting for {what}: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def interrupt_mid_sweep(out, faulty_path, signum, *, after: int, to_group: bool):
    """Start the sweep, signal it once ``after`` runs are journaled; returns (proc, seconds to exit, pids, runs seen)."""
    proc = start_cli("run", *SWEEP, "--workload", f"{FAULTY_MODULE}:slow", "--out", out, "--quiet",
                     "--no-report", extra_path=faulty_path, start_new_session=True)
    try:
        wait_for(lambda: journal_lines(out) >= after, 60, f"{after} journaled runs", proc)
        # Wait for the next configuration's workers, so the signal lands mid-run.
        wait_for(lambda: len(descendants(proc.pid)) >= 3, 10, "worker processes", proc)
        pids = [p.pid for p in descendants(proc.pid)]
        seen = journal_lines(out)
        t0 = time.perf_counter()
        if to_group:  # what Ctrl-C in a terminal does: the whole foreground process group
            os.killpg(proc.pid, signum)
        else:  # what kill(1) does
            os.kill(proc.pid, signum)
        proc.wait(timeout=30)
        return proc, time.perf_counter() - t0, pids, seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# The run order is serial w1, processes w1 w2 w4, pool w1 w2 w4, process-executor w1 w2 w4,
# shared ...: after 2, 5 and 8 runs the signal lands in processes, pool and process-executor.
@pytest.mark.parametrize("signum, code, after, to_group", [
    (signal.SIGINT, 130, 2, True),
    (signal.SIGTERM, 143, 5, False),
    (signal.SIGINT, 130, 8, False),
], ids=["SIGINT-group-in-processes", "SIGTERM-in-pool", "SIGINT-in-process-executor"])
def test_interrupt_saves_partial_results_then_resume_finishes(tmp_path, faulty_path, signum, code, after, to_group):
    out = tmp_path / "out"
    proc, elapsed, pids, seen = interrupt_mid_sweep(out, faulty_path, signum, after=after, to_group=to_group)
    stderr = proc.stderr.read()
    assert proc.returncode == code, stderr
    assert elapsed < EXIT_BOUND_S or elapsed < scaled(EXIT_BOUND_S), elapsed
    assert "Traceback" not in stderr, stderr
    assert "--resume" in stderr
    assert not alive(pids, within_s=3), "processes outlived the harness"
    assert not wait_for_empty_session(proc.pid, within_s=3)

    data = json.loads((out / RESULTS_NAME).read_text())
    assert data["complete"] is False
    partial = load_suite(str(out / RESULTS_NAME))
    journal = read_journal(str(out))
    assert len(journal) >= seen >= after
    assert len(journal) < PLANNED
    assert [r.key for r in partial.runs] == [r.key for r in journal]
    assert all(r.status == "ok" and r.result_ok for r in journal), [(r.label, r.error) for r in journal]

    resumed = subprocess.run([sys.executable, "-m", "harness", "run", "--resume", out, "--quiet", "--no-report"],
                             env=cli_env(faulty_path), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    final = load_suite(str(out / RESULTS_NAME))
    assert final.complete is True
    keys = [r.key for r in final.runs]
    assert len(keys) == len(set(keys)) == PLANNED
    assert all(r.status == "ok" and r.result_ok for r in final.runs)
    # Nothing was redone: the journal got exactly the missing runs, and the earlier runs
    # are the very same measurements.
    assert journal_lines(out) == PLANNED
    before = {r.key: r.times_s for r in journal}
    after = {r.key: r.times_s for r in final.runs}
    assert all(after[key] == times for key, times in before.items())


# 3 configurations x 3 passes: 9 journaled repeats, then the 3 finished runs.
INTERLEAVED = ["--backends", "serial,threads,pool", "--workers", "2", "--n", "20000", "--repeat", "3",
               "--interleave", "--warmup", "0", "--no-sampling", "--quiet", "--no-report"]


def test_sigint_mid_interleaved_sweep_keeps_every_finished_repeat_and_resume_completes_it(tmp_path):
    out, marker = tmp_path / "out", tmp_path / "paused"
    # Paused just before the 5th journal append (harness/results/pause_points.py): pass 1's three
    # repeats and one of pass 2 are journaled, no configuration is finished yet.
    code, stderr = signal_at_pause(["run", *INTERLEAVED, "--out", out], "journal-before:5", marker)
    assert code == 130, stderr
    assert "Traceback" not in stderr and "4 finished repeat(s)" in stderr and "--resume" in stderr, stderr
    kept = read_journal_entries(str(out))
    assert kept.runs == () and sorted(len(v) for v in kept.repeats.values()) == [1, 1, 2]
    assert load_suite(str(out / RESULTS_NAME)).complete is False

    resumed = subprocess.run([sys.executable, "-m", "harness", "run", "--resume", out, "--quiet", "--no-report"],
                             env=cli_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    final = load_suite(str(out / RESULTS_NAME))
    assert final.complete is True
    keys = [r.key for r in final.runs]
    assert len(keys) == len(set(keys)) == 3
    assert all(r.status == "ok" and r.result_ok and len(r.times_s) == 3 for r in final.runs)
    # The kept repeats are in the finished runs, measured once: nothing was timed again.
    for run in final.runs:
        walls = tuple(record.repeat.wall_s for record in kept.repeats[run.key])
        assert run.times_s[:len(walls)] == walls
    with open(out / JOURNAL_NAME, encoding="utf-8") as handle:
        kinds = [json.loads(line).get("kind", "run") for line in handle]
    assert kinds.count("repeat") == 9 and kinds.count("run") == 3


START_METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.mark.parametrize("start_method", START_METHODS)
@pytest.mark.parametrize("backend", ["processes", "pool"])
def test_sigkill_of_the_harness_takes_its_workers_with_it(tmp_path, faulty_path, backend, start_method):
    # Nothing in the harness runs after SIGKILL: the workers go because of PR_SET_PDEATHSIG
    # (set in init_worker_process), the sampler because it sets it too (and reads EOF), and
    # multiprocessing's fork server and resource tracker because they read EOF on a pipe
    # from the harness. Under forkserver the workers' parent is the fork server, so they go
    # when it does.
    workers = 3
    proc = start_cli("run", "--backends", backend, "--workers", workers, "--n", "300", "--repeat", "1",
                     "--warmup", "0", "--timeout", "300", "--start-method", start_method,
                     "--workload", f"{FAULTY_MODULE}:sleeps", "--out", tmp_path / "out", "--quiet", "--no-report",
                     extra_path=faulty_path, start_new_session=True)
    try:
        def is_worker(p):
            # A forkserver's children share its command line; the server itself is the harness's child.
            cmdline = " ".join(p.cmdline())
            return not ("harness.execution.sampler" in cmdline or "resource_tracker" in cmdline
                        or ("forkserver import main" in cmdline and p.ppid() == proc.pid))

        def workers_up():
            try:
                return sum(is_worker(p) for p in descendants(proc.pid)) >= workers
            except psutil.Error:
                return False

        wait_for(workers_up, 60, "the workers", proc)
        time.sleep(0.2)  # let them get past their initializer and into the workload
        family = descendants(proc.pid)
        kinds = [" ".join(p.cmdline()) for p in family]
        assert any("harness.execution.sampler" in k for k in kinds), kinds
        if start_method != "fork":
            assert any("forkserver" in k or "resource_tracker" in k for k in kinds), kinds
        proc.kill()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left = alive([p.pid for p in family], within_s=5)
    described = []
    for pid in left:
        try:
            described.append(" ".join(psutil.Process(pid).cmdline()))
        except psutil.NoSuchProcess:
            pass
    assert not left, f"left behind after SIGKILL: {described}"
    assert not wait_for_empty_session(proc.pid, within_s=2)


def _handler_name(handler) -> str:
    return handler.name if isinstance(handler, signal.Handlers) else "a Python handler"


def _report_signal_handlers(queue):
    # Runs right after fork, before any initializer could reset anything.
    queue.put((_handler_name(signal.getsignal(signal.SIGTERM)), _handler_name(signal.getsignal(signal.SIGINT))))


def test_a_child_forked_mid_sweep_does_not_inherit_the_sigterm_handler():
    # Pool.terminate() SIGTERMs a replacement worker it may have just forked; with the
    # harness's handler inherited, that would raise Terminated (and a traceback) in the child.
    from harness.execution.signals import terminate_as_exception

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.SimpleQueue()
    with terminate_as_exception():
        assert callable(signal.getsignal(signal.SIGTERM))
        child = ctx.Process(target=_report_signal_handlers, args=(queue,))
        child.start()
        child.join(10)
    assert child.exitcode == 0
    assert queue.get() == ("SIG_DFL", "SIG_IGN")
    # Outside a sweep nothing is changed: a fork then inherits as usual.
    child = ctx.Process(target=_report_signal_handlers, args=(queue,))
    child.start()
    child.join(10)
    assert queue.get() == (_handler_name(signal.getsignal(signal.SIGTERM)),
                           _handler_name(signal.getsignal(signal.SIGINT)))


def test_an_interrupt_python_swallowed_is_raised_again_at_the_next_check():
    # Python prints and drops an exception raised in an at-fork hook or a __del__; a SIGINT
    # landing there must still stop the sweep (harness.execution.signals remembers it).
    from harness.execution.signals import raise_if_interrupted, terminate_as_exception

    with pytest.raises(KeyboardInterrupt):
        with terminate_as_exception():
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)  # the handler raises here
            except KeyboardInterrupt:
                pass  # swallowed, as logging's at-fork hook swallows it
            raise_if_interrupted()
    with pytest.raises(KeyboardInterrupt):  # never checked for: raised when the block ends
        with terminate_as_exception():
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)
            except KeyboardInterrupt:
                pass
    with terminate_as_exception():  # nothing pending from before
        raise_if_interrupted()


def test_an_interrupt_python_drops_prints_no_traceback_and_still_stops(monkeypatch):
    # Measured: a SIGTERM landing in logging's at-fork hook (_releaseLock) printed "Exception
    # ignored in ... Traceback" on the CLI's stderr, although the sweep stopped and saved.
    # Python reports such a dropped exception through sys.unraisablehook (the default prints
    # it), recorded here. A weakref callback is another place where Python drops an
    # exception; raise_signal runs the handler at once, inside it.
    import weakref

    from harness.execution.signals import Terminated, raise_if_interrupted, terminate_as_exception

    reported: list[type[BaseException]] = []
    def recorder(unraisable):
        reported.append(type(unraisable.exc_value))
    monkeypatch.setattr(sys, "unraisablehook", recorder)

    class Target:
        pass

    with pytest.raises(Terminated):
        with terminate_as_exception():
            target = Target()
            ref = weakref.ref(target, lambda _: signal.raise_signal(signal.SIGTERM))
            del target  # the callback runs here, and Python drops the Terminated it raises
            assert ref() is None
            raise_if_interrupted()  # still stops
    assert reported == []

    class Loud:
        def __del__(self):
            raise ValueError("reported")

    with terminate_as_exception():
        Loud()  # any other dropped exception is reported as before
    assert reported == [ValueError]
    assert sys.unraisablehook is recorder  # and the hook is given back
