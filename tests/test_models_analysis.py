"""The verdict's lines on the event loop's lag and on each model's mechanism, and the report's
section for them, on literal RunResults."""

from __future__ import annotations

from harness.analysis.loop_lag import (blocked, items_per_second, loop_lag_lines, loop_lag_summary,
                                      switch_interval_lines)
from harness.analysis.mechanisms import (crossing_lines, interpreter_memory_lines, model_lines, own_gil_lines)
from harness.analysis.speedup import attach_speedups, verdict_lines
from harness.results.model import LoopLag, MemoryUse, RunResult, Suite

MIB = 1024 * 1024


def _run(backend, workers, median, *, lag=None, startup=None, memory=None, python="3.13.15", gil=True,
         serialisation=None, n=10_000_000):
    return RunResult(backend, workers, n, "strong", "poly", None, "ok", times_s=(median,) * 3, median_s=median,
                     startup_s=startup, cpu_time_s=median * workers, result_ok=True, python=python, gil_enabled=gil,
                     loop_lag=lag, serialisation_s=serialisation,
                     memory=None if memory is None else MemoryUse("pss", memory[0] * MIB, memory[0] * MIB, memory[1], 9))


def _loop_sweep(gil=True, python="3.13.15"):
    return attach_speedups([
        _run("serial", 1, 1.00, python=python, gil=gil),
        _run("asyncio-inline", 1, 1.02, lag=LoopLag(1.01, 1.01, 1.03, 3), python=python, gil=gil),
        _run("asyncio-thread", 2, 1.05, lag=LoopLag(0.007, 0.052, 0.061, 300), python=python, gil=gil),
        _run("asyncio-process", 2, 0.55, lag=LoopLag(0.0004, 0.003, 0.004, 330), serialisation=0.18,
             python=python, gil=gil),
    ], 2)


def test_loop_lag_lines_compare_the_models_least_lag_first():
    runs = _loop_sweep()
    assert [blocked(r) for r in runs] == [False, True, False, False]
    assert items_per_second(runs[3]) == 10_000_000 / 0.55
    (line,) = loop_lag_lines(runs)
    assert line.startswith("Event-loop lag, poly at n=10,000,000: asyncio-process@2 (18.2 M items/s, 1.82x serial's "
                           "throughput) kept the loop within p99 3.00 ms (max 4.00 ms, p50 400 us), at 180 ms of "
                           "pickling per repeat; asyncio-thread@2 (9.52 M items/s, 0.95x serial's throughput) within "
                           "p99 52.0 ms")
    assert line.endswith("asyncio-inline@1 (9.8 M items/s, 0.98x serial's throughput) blocked it: p99 1.01 s "
                         "(max 1.03 s), 99% of its 1.02 s, the whole computation, as CPU work called straight from a "
                         "coroutine does.")


def test_a_thread_offload_starved_by_the_gil_is_not_called_blocked():
    """Under the GIL, two computing threads can keep the loop's thread waiting for nearly the
    whole repeat (measured: p99 49.7 ms of 55.1 ms). That is the switch interval's doing, not
    CPU work on the loop's thread, so the lines say so; only a backend this harness cannot
    describe is judged by the figure alone."""
    starved = _run("asyncio-thread", 2, 0.0551, lag=LoopLag(0.01, 0.0497, 0.0551, 6), n=300_000)
    assert not blocked(starved)
    (why,) = switch_interval_lines([starved])
    assert "offloads to threads under the GIL" in why and "p99 49.7 ms late" in why
    assert "blocked it" not in loop_lag_lines([starved])[0]
    unknown = _run("someone-elses-model", 2, 0.0551, lag=LoopLag(0.01, 0.0497, 0.0551, 6), n=300_000)
    assert blocked(unknown)


def test_the_short_answer_gives_each_models_p99_lag_on_one_line():
    from harness.analysis.answer import LINE_WIDTH, MAX_LINES, answer_lines
    from harness.analysis.verdict import build_verdict

    runs = _loop_sweep()
    line = loop_lag_summary(runs)
    assert line == ("Event-loop lag p99: asyncio-process@2 3.00 ms, asyncio-thread@2 52.0 ms, "
                    "asyncio-inline@1 1.01 s (blocked).")
    assert loop_lag_summary(runs[:1]) is None  # no model ran from a loop: no line
    lines = answer_lines(build_verdict(runs), runs)
    assert line in lines and len(lines) <= MAX_LINES and all(len(x) <= LINE_WIDTH for x in lines)


def test_switch_interval_under_the_gil_and_without_it():
    (line,) = switch_interval_lines(_loop_sweep())
    assert line.startswith("asyncio-thread@2 offloads to threads under the GIL: the loop's thread runs only when a "
                           "computing worker hands the GIL over, which it does every switch interval "
                           "(sys.getswitchinterval(), 5.00 ms by default), so the heartbeat ran p50 7.00 ms, "
                           "p99 52.0 ms late")
    (line,) = switch_interval_lines(_loop_sweep(gil=False, python="3.13.15t"))
    assert line.startswith("asyncio-thread@2 offloads to threads on a build without the GIL: the loop's thread waits "
                           "for no lock")


def _interpreter_sweep():
    return attach_speedups([
        _run("serial", 1, 1.30, memory=(12, 1)),
        _run("threads", 2, 1.26, memory=(12.5, 1)),
        _run("processes", 2, 0.674, memory=(30, 3)),
        _run("process-executor", 2, 0.680, startup=0.045, memory=(31, 3)),
        _run("interpreters", 2, 0.70, startup=0.48, memory=(40, 2)),
    ], 2)


def test_one_gil_per_interpreter_against_threads_and_processes():
    (line,) = own_gil_lines(_interpreter_sweep())
    assert line == ("interpreters@2 ran 1.86x serial: each isolated subinterpreter has its own GIL (PEP 684), so 2 of "
                    "them ran Python bytecode at once in one process; threads@2, sharing one GIL, reached 1.03x; "
                    "processes@2 reached 1.93x (96% of it).")


def test_crossing_and_memory_say_what_they_cost_and_what_the_sampler_sees():
    (line,) = crossing_lines(_interpreter_sweep())
    assert line == ("Crossing into interpreters (interpreters@2): start-up 480 ms (a host process, then 2 "
                    "interpreter(s), each importing the workload afresh), against 45.0 ms for process-executor@2; a "
                    "range chunk crosses as two integers, so the crossing is the start-up.")
    (line,) = interpreter_memory_lines(_interpreter_sweep())
    assert line.startswith("Memory (PSS, the harness and its child processes): interpreters@2 40 MiB in 2 "
                           "process(es): the sampler sees the harness and the one host process holding all 2 "
                           "interpreters")
    assert line.endswith("; against threads@2 12 MiB in 1 process(es) and processes@2 30 MiB in 3 process(es).")


def test_the_verdict_ends_with_them_and_other_models_get_none():
    runs = _interpreter_sweep() + _loop_sweep(python="3.12.1")
    lines = verdict_lines(runs, True, 2)
    assert lines[-len(model_lines(runs)):] == model_lines(runs)
    assert any(line.startswith("Event-loop lag, poly at n=10,000,000 on Python 3.12.1") for line in lines)
    plain = attach_speedups([_run("serial", 1, 1.0), _run("processes", 2, 0.55, memory=(30, 3))], 2)
    assert model_lines(plain) == []


def test_report_section_lists_the_lag_and_the_startup_and_memory():
    from harness.report.build import page_context
    from harness.report.html import render_html

    suite = Suite(schema_version=6, harness_version="test", created="2026-01-01T00:00:00+00:00",
                  machine={"logical_cpus": 2}, python={"version": "3.13.15", "gil_enabled": True},
                  config={"repeat": 3}, runs=tuple(_interpreter_sweep() + _loop_sweep()))
    context = page_context(suite, [], [], [], None, [])
    models = [row["cells"][1] for row in context["loop_lag"]["rows"]]
    assert models == ["asyncio-process", "asyncio-thread", "asyncio-inline"]  # least lag first
    listed = [row["cells"][1] for row in context["startup_memory"]["rows"]]
    assert {"interpreters", "threads", "processes"} <= set(listed)
    page = render_html(context)
    assert 'id="loop-lag"' in page and 'id="startup-memory"' in page and "blocked by the work" in page


def test_the_cli_verdict_and_the_figures_cap_at_the_cpus_the_sweep_could_use():
    """Under ``taskset -c 0,1`` on a 4-CPU machine the sweep could use two CPUs: four workers are
    more than it had, and the figures' ideal line stops at 2, as the speedups' ideal already did."""
    from harness.cli.run import _conclusions
    from harness.report.plots import plot_context

    runs = attach_speedups([_run("serial", 1, 1.0), _run("processes", 4, 0.52)], 2)
    suite = Suite(schema_version=6, harness_version="test", created="2026-01-01T00:00:00+00:00",
                  machine={"logical_cpus": 4, "usable_cpus": 2}, python={"version": "3.13.15", "gil_enabled": True},
                  config={"repeat": 3}, runs=tuple(runs))
    assert suite.machine.cpus == 2
    assert "It used more workers (4) than CPUs this process could use (2)." in _conclusions(suite)
    assert plot_context(suite).logical_cpus == 2
