"""Map workloads and the chunksize axis in the analysis: grouping by series, the verdict's
reasons (each named on a constructed case and not on its counter-case) and the chunksize
recommendation. Literal runs only: nothing is timed."""

from __future__ import annotations

import pytest

from harness.analysis.chunking import AUTO_CLOSE, chunk_order, chunksize_choices, chunksize_lines
from harness.analysis.explain import (
    MAX_REASON_LINES, MEMORY_FLOOR_BYTES, explain_run, explain_runs, reason_lines, worker_balance,
)
from harness.analysis.matrix import model_matrix, scaling_ratings
from harness.analysis.speedup import (
    attach_speedups, best_run, lock_costs, recommendations, verdict_lines,
)
from harness.results.model import MemoryUse, RunResult, WorkerSpan

MiB = 2**20


def run(backend, workers, median, *, chunksize="static", n=100_000, kind="map", python=None, cpu_time=None,
        chunk_items=None, busy=None, serialisation=None, bytes_in=64.0, bytes_out=32.0, memory=None, spans=(),
        startup=None, gil=None, result_ok=True, scaling="strong", workload="poly"):
    """A successful map run with the schema-4 fields given (the rest left unrecorded)."""
    if chunk_items is None and chunksize is not None:
        chunk_items = n // workers if chunksize == "static" else chunksize if isinstance(chunksize, int) else 500
    return RunResult(
        backend=backend, workers=workers, n=n, scaling=scaling, workload=workload, start_method=None, status="ok",
        times_s=(median,), median_s=median, ci_s=(median * 0.97, median * 1.03),
        ci95_s=(median * 0.97, median * 1.03),
        cpu_time_s=cpu_time, result_ok=result_ok, python=python, gil_enabled=gil, startup_s=startup,
        workload_kind=kind, chunksize=chunksize, chunk_items=chunk_items,
        chunks=None if chunk_items is None else -(-n // chunk_items),
        worker_items=None if busy is None else tuple([n // len(busy)] * len(busy)),
        worker_busy_s=None if busy is None else tuple(busy),
        bytes_in_per_item=bytes_in if kind == "map" else None, bytes_out_per_item=bytes_out if kind == "map" else None,
        serialisation_s=serialisation,
        memory=None if memory is None else MemoryUse("uss", int(memory * MiB), int(memory * MiB * 0.8), workers + 1, 20),
        worker_spans=tuple(spans),
    )


def serial(median=2.0, **kw):
    return run("serial", 1, median, cpu_time=median, busy=None, **kw)


def only(explanation):
    assert explanation is not None
    return explanation.kinds


# --- grouping: several chunksizes at the same workers and n -------------------------------------

def test_every_chunksize_is_measured_against_the_one_serial_run():
    runs = attach_speedups([serial(2.0), run("pool", 4, 1.0, chunksize=1), run("pool", 4, 0.6, chunksize=64),
                            run("pool", 4, 0.8, chunksize="auto"), run("pool", 4, 0.7)])
    speedups = {r.series: r.speedup for r in runs}
    assert speedups == pytest.approx({"serial": 1.0, "pool cs=1": 2.0, "pool cs=64": 2.0 / 0.6,
                                      "pool cs=auto": 2.5, "pool": 2.0 / 0.7})
    assert best_run(runs).series == "pool cs=64"
    lines = verdict_lines(runs, True, 4)
    assert lines[0].startswith("Fastest: pool cs=64 with 4 workers")
    assert recommendations(runs) == ["poly n=100000 (strong): pool cs=64 w4, speedup 3.33x, efficiency 83%"]


def test_a_serial_run_at_another_chunksize_never_displaces_the_static_baseline():
    runs = attach_speedups([serial(2.0), serial(9.0, chunksize="auto"), run("pool", 2, 1.0)])
    assert runs[2].speedup == pytest.approx(2.0)


def test_matrix_keeps_one_row_per_chunksize():
    runs = attach_speedups([serial(2.0, python="3.12"), serial(2.0, python="3.13t"),
                            run("pool", 4, 1.0, chunksize=1, python="3.12"), run("pool", 4, 0.5, python="3.12"),
                            run("pool", 4, 0.8, chunksize=1, python="3.13t"), run("pool", 4, 0.6, python="3.13t")])
    labels, rows = model_matrix(runs)
    assert labels == ["3.12", "3.13t"]
    assert [(r.series, r.backend, r.workers) for r in rows] == [("pool", "pool", 4), ("pool cs=1", "pool", 4)]
    assert rows[0].speedups == pytest.approx((4.0, 2.0 / 0.6)) and rows[1].speedups == pytest.approx((2.0, 2.5))
    assert {r.series for r in scaling_ratings(runs)} == {"pool", "pool cs=1"}


def test_lock_twins_pair_at_the_same_chunksize():
    runs = [run("shared", 2, 1.0), run("shared", 2, 1.5, chunksize=8), run("shared-nolock", 2, 0.5),
            run("shared-nolock", 2, 0.9, chunksize=8)]
    pairs = {(p.unlocked.series, p.locked.series) for p in lock_costs(runs)}
    assert pairs == {("shared-nolock", "shared"), ("shared-nolock cs=8", "shared cs=8")}


def test_static_only_sweeps_keep_their_verdict_word_for_word():
    # Schema-3-style runs: no workload kind, no chunksize. Nothing new may appear.
    old = [RunResult(backend=b, workers=w, n=100, scaling="strong", workload="poly", start_method=None, status="ok",
                     times_s=(t,), median_s=t, ci95_s=(t * 0.9, t * 1.1), cpu_time_s=c, result_ok=True)
           for b, w, t, c in (("serial", 1, 2.0, 2.0), ("threads", 2, 2.1, 2.1), ("processes", 2, 1.1, 2.2),
                              ("processes", 4, 3.0, 4.0))]
    lines = verdict_lines(attach_speedups(old), True, 4)
    assert lines == [
        "Fastest: processes with 2 workers at n=100: 1.82x faster than serial, efficiency 91%.",
        "Threads did not scale (threads at 2 workers: speedup 0.95x, 1.0 cores used): the GIL lets one thread run "
        "Python bytecode at a time; they used about one core between them, the GIL's signature. Use processes for "
        "pure-Python CPU-bound work.",
    ]
    assert explain_runs(attach_speedups(old), True, 4) == []


def test_chunk_order_puts_static_first_then_sizes_then_rules():
    assert sorted(["auto", 64, "static", 1, None], key=chunk_order) in (["static", None, 1, 64, "auto"],
                                                                       [None, "static", 1, 64, "auto"])


# --- the reasons ----------------------------------------------------------------------------------

def test_pickling_is_named_with_its_figures_and_not_when_it_is_small():
    base = serial(2.0)
    lost = run("pool", 2, 3.1, chunksize=1, serialisation=1.8, cpu_time=4.0)
    e = explain_run(lost, base, gil_enabled=True, logical_cpus=4)
    assert only(e) == ("pickling",) and e.outcome == "lost"
    assert e.line() == ("pool cs=1 w2 lost to pickling: 1.80 s of its 2.10 s gap over ideal is the estimated "
                        "serialisation of 100,000 items in and out (64 B + 32 B each).")
    cheap = lost.replace(serialisation_s=0.2)
    assert "pickling" not in explain_run(cheap, base, logical_cpus=4).kinds


def test_imbalance_is_named_under_static_chunking_and_not_when_balanced():
    base = serial(2.0)
    uneven = run("pool", 4, 0.9, busy=(0.8, 0.3, 0.3, 0.2), cpu_time=1.6)
    e = explain_run(uneven, base, logical_cpus=4)
    assert only(e) == ("imbalance",) and e.outcome == "won less"
    text = e.line()
    assert text.startswith("pool w4 won less (2.22x of an ideal 4x) because of imbalance: with static chunking")
    assert "busiest worker computed 800 ms against a mean of 400 ms (2.00x)" in text
    assert "worker 3 sat idle 600 ms (67% of the 900 ms wall time)" in text
    balanced = uneven.replace(worker_busy_s=(0.42, 0.40, 0.39, 0.41))
    assert "imbalance" not in explain_run(balanced, base, logical_cpus=4).kinds
    assert worker_balance(balanced).ratio == pytest.approx(0.42 / 0.405)


def test_start_up_in_every_repeat_and_a_one_off_start_up():
    base = serial(2.0)
    late = [WorkerSpan(worker=i, start_s=0.3 + 0.05 * i, end_s=1.1) for i in range(4)]
    processes = run("processes", 4, 1.2, spans=late, cpu_time=3.2)
    e = explain_run(processes, base, logical_cpus=4)
    assert "start-up" in e.kinds
    text = e.line()
    assert "began computing 375 ms into each repeat on average (the last after 450 ms)" in text
    assert "as it starts its workers in every repeat" in text  # processes has no start-up outside the repeats
    prompt = [WorkerSpan(worker=i, start_s=0.001, end_s=1.1) for i in range(4)]
    assert "start-up" not in explain_run(processes.replace(worker_spans=tuple(prompt)), base, logical_cpus=4).kinds
    # A pool that won per call, but whose one-off start-up is more than a call saves.
    pool = run("pool", 4, 0.9, startup=1.5, cpu_time=3.4)
    e = explain_run(pool, base, logical_cpus=4)
    assert e.kinds == ("start-up",)
    assert "start-up (1.50 s, paid once, outside the timed repeats) is more than a call saves over serial " \
           "(1.10 s): one call would lose to serial; it pays off from 2 calls" in e.line()
    assert explain_run(pool.replace(startup_s=0.2), base, logical_cpus=4).kinds == ()


def test_the_gil_is_named_for_threads_on_a_gil_build_and_not_on_a_free_threaded_one():
    base = serial(2.0)
    threads = run("threads", 4, 2.1, cpu_time=2.1, gil=True)
    e = explain_run(threads, base, logical_cpus=4)
    assert e.kinds == ("the GIL",)
    assert e.line() == ("threads w4 lost to the GIL: 0.95x serial at 4 threads with 1.0 cores used: with the GIL on, "
                        "one thread runs Python bytecode at a time and this workload does not release it.")
    free = threads.replace(gil_enabled=False)
    assert "the GIL" not in explain_run(free, base, logical_cpus=4).kinds
    # A workload that releases the GIL scales: no such reason (and no explanation at all).
    assert explain_run(threads.replace(median_s=0.55, cpu_time_s=2.1), base, logical_cpus=4) is None
    # The GIL state the workers saw wins over the interpreter's at the start.
    assert "the GIL" in explain_run(free.replace(workers_gil_enabled=True), base, logical_cpus=4).kinds
    # Processes are never blamed on the GIL.
    assert "the GIL" not in explain_run(run("processes", 4, 2.1, cpu_time=2.1, gil=True), base,
                                        logical_cpus=4).kinds


def test_memory_is_named_against_threads_at_the_same_workers():
    base = serial(2.0)
    threads = run("threads", 8, 2.0, memory=40, cpu_time=2.0, gil=True)
    fat = run("process-executor", 8, 2.4, memory=400, cpu_time=8.0)
    e = explain_run(fat, base, [base, threads, fat], logical_cpus=8)
    assert "memory" in e.kinds
    assert "400 MiB USS at peak, 10.0x the 40 MiB of threads at the same 8 workers (45 MiB more per worker)" in e.line()
    lean = fat.replace(memory=MemoryUse("uss", 100 * MiB, 80 * MiB, 9, 20))
    assert "memory" not in explain_run(lean, base, [base, threads, lean], logical_cpus=8).kinds
    # Three times a tiny threads figure is still below the floor.
    small = fat.replace(memory=MemoryUse("uss", 30 * MiB, 20 * MiB, 9, 20))
    tiny = threads.replace(memory=MemoryUse("uss", 5 * MiB, 4 * MiB, 1, 20))
    assert 30 * MiB - 5 * MiB < MEMORY_FLOOR_BYTES
    assert "memory" not in explain_run(small, base, [base, tiny, small], logical_cpus=8).kinds


def test_a_run_near_its_ideal_needs_no_excuse_and_range_runs_of_old_files_none_either():
    base = serial(2.0)
    assert explain_run(run("pool", 4, 0.55, serialisation=0.05), base, logical_cpus=4) is None
    assert explain_run(run("pool", 4, 3.0, serialisation=2.9).replace(workload_kind=None), base) is None
    unexplained = explain_run(run("pool", 4, 3.0), base, logical_cpus=4)
    assert unexplained.kinds == () and "no recorded figure accounts for it" in unexplained.line()
    # With many small chunks, the arithmetic of the gap per chunk is offered as the next thing to look at.
    tiny = explain_run(run("pool", 4, 3.0, chunksize=1), base, logical_cpus=4)
    assert "dispatched 100,000 chunks, 25.0 us of the gap per chunk" in tiny.line()


def test_the_ideal_is_capped_by_the_cpus_for_computing_runs():
    base = serial(2.0)
    # 8 workers on 4 CPUs, computing: ideal 0.5 s, so 0.55 s is within 80% of it.
    assert explain_run(run("pool", 8, 0.55, cpu_time=4.0), base, logical_cpus=4) is None
    # Without the CPU count the ideal is 0.25 s and it won less.
    assert explain_run(run("pool", 8, 0.55, cpu_time=4.0), base).outcome == "won less"


def test_reason_lines_pick_one_configuration_per_series_and_reach_the_verdict():
    runs = attach_speedups([
        serial(2.0), serial(0.2, n=10_000),
        run("pool", 2, 3.0, chunksize=1, serialisation=2.0, cpu_time=4.0),
        run("pool", 4, 2.6, chunksize=1, serialisation=2.0, cpu_time=4.0),
        run("pool", 8, 2.8, chunksize=1, serialisation=2.0, cpu_time=4.0),   # above the 4 CPUs: not chosen
        run("pool", 4, 0.3, chunksize=1, n=10_000, serialisation=0.2, cpu_time=0.4),  # a smaller size
        run("threads", 4, 2.1, cpu_time=2.1, gil=True),
    ])
    lines = reason_lines(runs, True, 4)
    assert len(lines) == 2
    assert lines[0].startswith("pool cs=1 w4 at n=100,000 lost to pickling: 2.00 s of its 2.10 s gap over ideal")
    assert lines[1].startswith("threads w4 at n=100,000 lost to the GIL")
    verdict = verdict_lines(runs, True, 4)
    assert lines[0] in verdict and lines[1] in verdict


def test_reason_lines_are_capped():
    runs = [serial(2.0)] + [run(f"plugin-{i}", 2, 3.0, serialisation=2.5) for i in range(14)]
    lines = reason_lines(attach_speedups(runs), True, 4)
    assert len(lines) == MAX_REASON_LINES + 1
    assert lines[-1].startswith(f"…and {14 - MAX_REASON_LINES} more model(s) with reasons")
    assert [line.split(" ")[0] for line in lines[:-1]] == [f"plugin-{i}" for i in range(MAX_REASON_LINES)]


# --- the chunksize recommendation ----------------------------------------------------------------

def test_best_chunksize_and_how_auto_compares():
    runs = [serial(2.0), run("pool", 4, 1.20, chunksize=1), run("pool", 4, 0.60, chunksize=64),
            run("pool", 4, 0.63, chunksize="auto", chunk_items=1954), run("pool", 4, 0.80)]
    (choice,) = chunksize_choices(runs)
    assert choice.best.chunksize == 64 and choice.auto.chunksize == "auto" and choice.static.chunksize == "static"
    assert choice.excess(choice.auto) == pytest.approx(0.05)
    (line,) = chunksize_lines(runs, 4)
    assert line == ("Chunksize for pool at 4 workers, n=100,000: best 64, 600 ms; auto (1,954 items a chunk) "
                    f"630 ms, within {AUTO_CLOSE:.0%} of the best (+5%); static (25,000 items a chunk) 800 ms (+33%).")
    slow_auto = [r.replace(median_s=0.9) if r.chunksize == "auto" else r for r in runs]
    assert "50% slower than the best: set the chunksize by hand" in chunksize_lines(slow_auto, 4)[0]
    auto_best = [r.replace(median_s=0.5) if r.chunksize == "auto" else r for r in runs]
    assert 'the "auto" rule chose the best chunksize measured' in chunksize_lines(auto_best, 4)[0]
    assert chunksize_lines(runs, 4)[0] in verdict_lines(attach_speedups(runs), True, 4)


def test_no_recommendation_without_a_chunksize_axis():
    assert chunksize_choices([serial(2.0), run("pool", 4, 0.6), run("pool", 2, 1.1)]) == []
    assert chunksize_lines([serial(2.0), run("pool", 4, 0.6)]) == []


def test_failed_and_wrong_runs_are_not_the_best_chunksize():
    runs = [run("pool", 4, 0.1, chunksize=64, result_ok=False), run("pool", 4, 0.6, chunksize=8), run("pool", 4, 0.7)]
    (choice,) = chunksize_choices(runs)
    assert choice.best.chunksize == 8
