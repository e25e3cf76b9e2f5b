"""The answer: estimators, the tie rule, the host's noise and the short verdict, on literal runs.

Nothing here is timed: every run is constructed with the times it "measured".
"""

from __future__ import annotations

import itertools
import math
import random

import pytest

from harness.analysis.answer import LINE_WIDTH, MAX_LINES, answer_lines, warning_summary
from harness.analysis.estimates import PAIRED_MIN, _u_counts, paired_ratio, pass_times, ratio_estimate, unpaired_ratio
from harness.analysis.noise import host_noise, spread
from harness.analysis.speedup import attach_baseline_speedups, attach_speedups
from harness.analysis.ties import compare_times, family_confidence, simplest, tied_with
from harness.analysis.verdict import build_verdict
from harness.results.facts import Interpreter
from harness.results.model import RunResult
from harness.results.verdict import Verdict
from harness.analysis.rerun import rerun_coverage


def run(backend, workers, times, *, python="3.11.7", passes=None, n=1000, scaling="strong", **extra) -> RunResult:
    times = tuple(times)
    ordered = sorted(times)
    median = ordered[len(ordered) // 2] if len(ordered) % 2 else (ordered[len(ordered) // 2 - 1] + ordered[len(ordered) // 2]) / 2
    return RunResult(backend=backend, workers=workers, n=n, scaling=scaling, workload="poly", start_method=None,
                     status="ok", times_s=times, median_s=median, ci95_s=(ordered[0], ordered[-1]),
                     ci_s=(ordered[0], ordered[-1]), result_ok=True, python=python,
                     repeat_passes=tuple(passes) if passes is not None else None, workload_kind="range", **extra)


def noisy(center, noise, count, seed):
    rng = random.Random(seed)
    return [center * math.exp(rng.gauss(0, noise)) for _ in range(count)]


# --- estimators ------------------------------------------------------------------------------


def test_u_distribution_matches_brute_force():
    for m, n in [(1, 1), (2, 3), (3, 4), (5, 5)]:
        counts = [0] * (m * n + 1)
        for positions in itertools.combinations(range(m + n), m):
            chosen, u, below = set(positions), 0, 0
            for i in range(m + n):
                if i in chosen:
                    u += below
                else:
                    below += 1
            counts[u] += 1
        assert list(_u_counts(m, n)) == counts


def test_unpaired_ratio_on_literal_samples():
    estimate = unpaired_ratio([2.0] * 6, [1.0] * 6)
    assert estimate.value == pytest.approx(2.0) and estimate.ci == pytest.approx((2.0, 2.0))
    assert estimate.method == "unpaired" and estimate.count == 36
    assert unpaired_ratio([2.0, 2.2, 1.8], [1.0, 1.1, 0.9]).ci is None  # 3 vs 3 cannot reach 95%


def test_paired_ratio_needs_six_common_passes():
    numerator = {p: 2.0 for p in range(1, 7)}
    assert paired_ratio(numerator, {p: 1.0 for p in range(1, 6)}) is None
    estimate = paired_ratio(numerator, {p: 1.0 for p in range(1, 7)})
    assert estimate.method == "paired" and estimate.count == PAIRED_MIN and estimate.value == 2.0
    assert pass_times([1.0, 2.0], [3, None]) == {3: 1.0} and pass_times([1.0], [1, 2]) == {}


def test_paired_estimate_recovers_a_speedup_the_ratio_of_medians_misses():
    """A deterministic fake host: everything runs 2x slower in passes 5-9, and the second core
    vanishes in pass 2 (the parallel run then takes serial's time). Serial's repeat rule let it
    leave after pass 6; the parallel run stayed to pass 9. The true speedup is 2.0."""
    slow = {p: (2.0 if p >= 5 else 1.0) for p in range(1, 10)}
    serial = run("serial", 1, [1.0 * slow[p] for p in range(1, 7)], passes=range(1, 7))
    parallel_times = [(1.0 if p == 2 else 0.5) * slow[p] for p in range(1, 10)]
    pool = run("pool", 2, parallel_times, passes=range(1, 10))
    paired = ratio_estimate(serial.times_s, serial.repeat_passes, pool.times_s, pool.repeat_passes, method="paired")
    assert paired.method == "paired" and paired.value == pytest.approx(2.0, rel=0.02)
    ratio_of_medians = serial.median_s / pool.median_s
    assert abs(ratio_of_medians / 2.0 - 1) > 0.02  # 1.0x: serial's median 1.0 s, the pool's 1.0 s, not 2.0
    (attached,) = [r for r in attach_speedups([serial, pool]) if r.backend == "pool"]
    assert attached.paired_speedup == pytest.approx(2.0, rel=0.02) and attached.speedup == pytest.approx(ratio_of_medians)


# --- the tie rule ----------------------------------------------------------------------------


def test_a_thirty_percent_gap_with_five_percent_noise_names_a_winner():
    fast = run("pool", 2, noisy(1.0, 0.05, 8, 1))
    slow = run("processes", 2, noisy(1.3, 0.05, 8, 2))
    assert compare_times(fast, slow).beyond_noise
    assert tied_with(fast, [fast, slow]) == []


def test_two_percent_apart_with_ten_percent_noise_are_tied_and_the_simplest_is_recommended():
    pool = run("pool", 2, noisy(1.00, 0.10, 8, 3))
    executor = run("process-executor", 2, noisy(1.02, 0.10, 8, 4))
    pool4 = run("pool", 4, noisy(0.99, 0.10, 8, 5))
    best = min([pool, executor, pool4], key=lambda r: r.median_s)
    tied = [c.other for c in tied_with(best, [pool, executor, pool4])]
    assert len(tied) == 2
    assert simplest([best] + tied) is pool  # the fewest workers, then the plainest model


def test_threads_under_the_gil_are_never_tied_with_a_pool_twice_as_fast():
    threads = run("threads", 2, noisy(1.9, 0.2, 6, 6), passes=range(1, 7))
    pool = run("pool", 2, noisy(1.0, 0.2, 6, 7), passes=range(1, 7))
    assert compare_times(pool, threads).beyond_noise


def test_each_of_many_comparisons_is_made_at_the_confidence_that_holds_for_all():
    # One side of each interval decides, so k comparisons at 1 - 10%/k miss the fastest <= 5%.
    assert family_confidence(1) == pytest.approx(0.95)
    assert family_confidence(2) == pytest.approx(0.95)
    assert family_confidence(14) == pytest.approx(1 - 0.10 / 14)
    assert family_confidence(0) == pytest.approx(0.95)


def test_paired_passes_too_few_for_the_family_confidence_fall_back_to_the_repeats():
    base = [1.00, 1.05, 0.98, 1.10, 1.02, 0.99, 1.07, 1.01, 1.03]
    passes = range(1, 10)
    level = family_confidence(14)  # 99.29%
    # Nine passes reach it only with [min, max] (1 - 2/2**9 = 99.6%), one odd pass from anywhere;
    # the Mann-Whitney interval of 9 repeats a side reaches it with inner ranks.
    high = ratio_estimate([t * 1.02 for t in base], passes, base, passes, confidence=level)
    assert high.method == "unpaired" and high.ci is not None and high.confidence == pytest.approx(level)
    # Twelve reach it with [x_(2), x_(11)] (99.37%): paired, and exactly those order statistics.
    twelve = [*base, 1.04, 0.97, 1.06]
    slower = [1.020, 1.031, 1.012, 1.025, 1.018, 1.040, 1.009, 1.022, 1.027, 1.015, 1.035, 1.019]
    stays = ratio_estimate([t * f for t, f in zip(twelve, slower)], range(1, 13), twelve, range(1, 13),
                           confidence=level)
    ordered = sorted(slower)
    assert stays.method == "paired" and stays.ci == pytest.approx((ordered[1], ordered[10]))
    # A zero time has no unpaired estimate: the paired one stands, without an interval at that level.
    zero = [0.0, *base[1:]]
    kept = ratio_estimate([t * 1.02 for t in base], passes, zero, passes, confidence=level)
    assert kept.method == "paired" and kept.ci is None
    # At 95% nine passes pair, as they always did.
    assert ratio_estimate([t * 1.02 for t in base], passes, base, passes).method == "paired"


def test_repeats_too_few_for_the_family_level_use_the_widest_interval_they_give():
    # 6 repeats a side and 300 comparisons: no interval reaches 1 - 10%/300, but the extremes of
    # the pairwise ratios hold 1 - 2/C(12, 6) = 99.8%. Overlapping samples are tied by it, where a
    # fixed 10% margin would call a 12% gap; disjoint ones stay beyond it.
    fast = [1.00, 1.20, 0.90, 1.10, 0.95, 1.15]
    level = family_confidence(300)
    overlapping = ratio_estimate([t * 1.12 for t in fast], None, fast, None, confidence=level)
    assert overlapping.ci is not None and overlapping.ci[0] < 1 < overlapping.ci[1]
    assert overlapping.confidence == pytest.approx(1 - 2 / 924)
    disjoint = ratio_estimate([t * 1.5 for t in fast], None, fast, None, confidence=level)
    assert disjoint.ci is not None and disjoint.ci[0] > 1
    # 3 repeats a side give at most 90%: no interval, the fixed margin decides as at 95%.
    assert ratio_estimate([1.2, 1.3, 1.1], None, [1.0, 1.1, 0.9], None, confidence=level).ci is None


def _steady_two_percent_slower(base):
    passes = range(1, len(base) + 1)
    return (run("pool", 2, base, passes=passes), run("process-executor", 2, [t * 1.02 for t in base], passes=passes))


def test_a_steady_two_percent_gap_is_beyond_noise_alone_and_tied_among_fifteen():
    base = [1.00, 1.05, 0.98, 1.10, 1.02, 0.99, 1.07, 1.01, 1.03]
    best, close = _steady_two_percent_slower(base)
    # As the only comparison: every pass has it 2% slower, beyond noise.
    assert compare_times(best, close).beyond_noise
    assert tied_with(best, [best, close]) == []
    # As one of 14 made at once (the fastest of 15 picked): a 2% shift under repeats that vary
    # 12% is within noise of the family, while candidates twice as slow stay beyond it.
    far = [run("threads", w, [t * 2.0 for t in base], passes=range(1, 10)) for w in range(2, 15)]
    tied = [c.other for c in tied_with(best, [best, close, *far])]
    assert tied == [close]


def test_a_thirty_percent_gap_with_five_percent_noise_names_a_winner_among_fifteen():
    fast = run("pool", 2, noisy(1.0, 0.05, 9, 1), passes=range(1, 10))
    slow = [run("processes", w, noisy(1.3, 0.05, 9, 20 + w), passes=range(1, 10)) for w in range(2, 16)]
    assert tied_with(fast, [fast, *slow]) == []
    verdict = build_verdict([run("serial", 1, noisy(1.9, 0.05, 9, 3), passes=range(1, 10)), fast, *slow])
    assert verdict.best.backend == "pool" and verdict.tied == ()


# --- the verdict -----------------------------------------------------------------------------


def _three_interpreters():
    """A 3.11 GIL build, a 3.13.15t free-threaded build and the same binary with the GIL: 3.11's
    pool is the fastest wall time; the gil=1 build's pool has the best speedup over its own (slow)
    serial, which must not make it the answer."""
    runs = [
        run("serial", 1, noisy(0.600, 0.01, 6, 10), python="3.11.7"),
        run("threads", 2, noisy(0.620, 0.01, 6, 11), python="3.11.7"),
        run("pool", 2, noisy(0.336, 0.01, 6, 12), python="3.11.7"),
        run("serial", 1, noisy(0.750, 0.01, 6, 13), python="3.13.15t"),
        run("threads", 2, noisy(0.385, 0.01, 6, 14), python="3.13.15t"),
        run("pool", 2, noisy(0.400, 0.01, 6, 15), python="3.13.15t"),
        run("serial", 1, noisy(0.717, 0.01, 6, 16), python="3.13.15t:gil=1"),
        run("threads", 2, noisy(0.730, 0.01, 6, 17), python="3.13.15t:gil=1"),
        run("pool", 2, noisy(0.350, 0.01, 6, 18), python="3.13.15t:gil=1"),
    ]
    interpreters = (Interpreter(label="3.11.7", version="3.11.7", free_threaded_build=False),
                    Interpreter(label="3.13.15t", version="3.13.15", free_threaded_build=True, gil_enabled=False),
                    Interpreter(label="3.13.15t:gil=1", version="3.13.15", free_threaded_build=True, gil_mode=1,
                                gil_enabled=True))
    return attach_speedups(runs, 2), interpreters


def test_the_answer_is_the_fastest_wall_time_on_one_baseline_not_the_best_speedup():
    runs, interpreters = _three_interpreters()
    by_speedup = max((r for r in runs if r.backend != "serial"), key=lambda r: r.speedup)
    assert (by_speedup.backend, by_speedup.python) == ("pool", "3.13.15t:gil=1")
    verdict = build_verdict(runs, logical_cpus=2, interpreters=interpreters)
    assert (verdict.best.backend, verdict.best.python) == ("pool", "3.11.7")
    assert verdict.baseline.python == "3.11.7" and verdict.best.speedup == pytest.approx(0.600 / 0.336, rel=0.03)
    text = "\n".join(verdict.lines)
    assert "Fastest: pool@2 on 3.11.7" in verdict.lines[0] and "3.11.7's serial" in verdict.lines[0]
    assert "3.13.15t (free-threaded): threads@2" in text and "(other version and build); threads 1.9" in text
    assert all(len(line) <= LINE_WIDTH for line in verdict.lines) and len(verdict.lines) <= MAX_LINES
    with_baseline = attach_baseline_speedups(runs, "3.13.15t")
    (pool311,) = [r for r in with_baseline if (r.backend, r.python) == ("pool", "3.11.7")]
    assert pool311.baseline_speedup == pytest.approx(0.750 / 0.336, rel=0.03) and pool311.baseline_speedup_ci95


def test_an_other_baseline_python_sets_every_speedup_of_the_verdict():
    runs, interpreters = _three_interpreters()
    verdict = build_verdict(runs, logical_cpus=2, interpreters=interpreters, baseline_python="3.13.15t")
    assert verdict.baseline.python == "3.13.15t" and verdict.best.speedup == pytest.approx(0.750 / 0.336, rel=0.03)


def test_ties_are_called_ties_in_the_short_answer():
    runs = attach_speedups([run("serial", 1, noisy(1.0, 0.03, 8, 20)), run("pool", 2, noisy(0.52, 0.03, 8, 21)),
                            run("processes", 2, noisy(0.53, 0.03, 8, 22)), run("threads", 2, noisy(1.05, 0.03, 8, 23))],
                           2)
    verdict = build_verdict(runs, logical_cpus=2)
    assert {c.backend for c in (verdict.best, *verdict.tied)} == {"pool", "processes"}
    assert verdict.recommended.backend == "pool"
    (answer,) = [line for line in verdict.lines if line.startswith("Fastest, tied within noise at n=1,000 ")]
    assert "use pool@2." in answer


def test_nothing_beats_serial_beyond_noise():
    runs = attach_speedups([run("serial", 1, noisy(1.0, 0.2, 8, 30)), run("threads", 2, noisy(0.97, 0.2, 8, 31))], 2)
    verdict = build_verdict(runs, logical_cpus=2)
    assert verdict.recommended.backend == "serial"
    assert "Nothing beat serial" in verdict.lines[-2] or any("Nothing beat serial" in line for line in verdict.lines)


def test_the_host_noise_is_named_first_when_it_blurs_the_comparison():
    serial = run("serial", 1, [0.651, 1.062, 0.70, 0.98, 0.66, 1.01, 0.72, 1.04])
    runs = attach_speedups([serial, run("pool", 2, [0.36, 0.52, 0.38, 0.50, 0.37, 0.51, 0.36, 0.53])], 2)
    noise = host_noise(runs)
    assert noise.sources[0].name == "serial's repeats" and noise.spread == pytest.approx(spread(serial.times_s), abs=1e-4)
    assert 0.15 < noise.spread < 0.3
    verdict = build_verdict(runs, logical_cpus=2)
    assert verdict.host_noise.blurred and verdict.lines[0].startswith("This host's speed varied ±")
    assert "cannot be told apart here" in verdict.lines[0]


def test_a_quiet_host_is_named_last():
    runs = attach_speedups([run("serial", 1, noisy(1.0, 0.005, 8, 40)), run("pool", 2, noisy(0.5, 0.005, 8, 41))], 2)
    verdict = build_verdict(runs, logical_cpus=2)
    assert not verdict.host_noise.blurred and verdict.lines[-1].startswith("Host noise: ±")


def test_the_rerun_interval_rests_on_each_sides_repeats_even_where_the_passes_pair():
    # Nine interleaved passes: serial and pool share each pass's slow spell, so each pass's
    # ratio is 2 +- a little while the times themselves swing by 40%. The tie rule's interval
    # pairs them and stays narrow; where a rerun lands is asked of each side's own repeats
    # (a rerun has spells of its own): [min serial / max pool, max serial / min pool], held at
    # least 2 x 97.06% - 1 = 94.1% of the time, which the line says.
    spell = [1.0, 1.4, 1.0, 1.2, 1.0, 1.4, 1.1, 1.0, 1.3]
    ratios = [2.00, 1.96, 2.04, 1.98, 2.02, 1.90, 2.10, 1.99, 2.01]
    serial = run("serial", 1, spell, passes=range(1, 10))
    pool = run("pool", 2, [t / r for t, r in zip(spell, ratios)], passes=range(1, 10))
    verdict = build_verdict(attach_speedups([serial, pool], 2), logical_cpus=2)
    best = verdict.best
    assert best.backend == "pool" and best.method == "paired"
    this_run = paired_ratio(pass_times(serial.times_s, serial.repeat_passes),
                            pass_times(pool.times_s, pool.repeat_passes))
    assert this_run.ci == pytest.approx((1.96, 2.04))
    assert best.speedup_rerun == (round(1.0 / (1.4 / 1.90), 4), round(1.4 / (1.0 / 2.04), 4))  # (1.3571, 2.856)
    assert best.rerun_coverage == pytest.approx(2 * rerun_coverage(9, 1) - 1, abs=1e-4)
    line = next(line for line in verdict.lines if line.startswith("Fastest: pool@2"))
    assert "(a rerun, at least 94% of the time: 1.36-2.86x)" in line
    assert Verdict.from_dict(verdict.to_dict()) == verdict


def test_an_unpaired_rerun_spans_both_medians_reruns():
    # Timed one by one (no passes): each median's rerun interval at 97.5%, the ratio over their
    # extremes, held at least as often as the union bound says (9 a side: 94.1%, said in the line).
    serial = run("serial", 1, [1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00, 1.01])
    pool = run("pool", 2, [0.50, 0.51, 0.49, 0.50, 0.52, 0.48, 0.50, 0.51, 0.49])
    best = build_verdict(attach_speedups([serial, pool], 2), logical_cpus=2).best
    assert best.method == "unpaired"
    assert best.speedup_rerun == (round(0.97 / 0.52, 4), round(1.03 / 0.48, 4))
    assert best.rerun_coverage == pytest.approx(2 * rerun_coverage(9, 1) - 1, abs=1e-4)
    verdict = build_verdict(attach_speedups([serial, pool], 2), logical_cpus=2)
    assert "(a rerun, at least 94% of the time: 1.87-2.15x)" in "\n".join(verdict.lines)


def test_the_rerun_interval_holds_the_speedup_shown():
    # Bimodal passes, 13 of them: every per-pass ratio is 1.5 but one (2.5), so the per-pass
    # ratios' own rerun interval is [1.5, 1.5], while the ratio of the medians, which the answer
    # prints, comes to 1.523: the interval from each side's repeats holds it, as it always does
    # (x_(k) <= median <= x_(m+1-k) on both sides).
    spell = [2.01, 1.04, 2.06, 0.95, 0.97, 0.96, 2.06, 1.92, 1.93, 1.97, 2.03, 2.09, 1.96]
    pool = [t / (2.5 if i == 10 else 1.5) for i, t in enumerate(spell)]
    serial, parallel = run("serial", 1, spell, passes=range(1, 14)), run("pool", 2, pool, passes=range(1, 14))
    best = build_verdict(attach_speedups([serial, parallel], 2), logical_cpus=2).best
    assert best.method == "paired" and best.speedup == pytest.approx(1.523, abs=1e-3)
    lo, hi = best.speedup_rerun
    assert lo < best.speedup < hi


def test_too_few_repeats_give_no_rerun_interval_and_few_say_how_often():
    three = build_verdict(attach_speedups([run("serial", 1, [1.0, 1.1, 0.9]), run("pool", 2, [0.5, 0.55, 0.45])], 2),
                          logical_cpus=2)
    assert three.best.speedup_rerun is None and "a rerun" not in "\n".join(three.lines)
    # Six a side hold a rerun's ratio at least 64% of the time: too little to give.
    six = build_verdict(attach_speedups([run("serial", 1, [1.0, 1.2, 1.0, 1.1, 1.0, 1.2], passes=range(6)),
                                         run("pool", 2, [0.5, 0.62, 0.51, 0.55, 0.49, 0.6], passes=range(6))], 2),
                        logical_cpus=2)
    assert six.best.speedup_rerun is None and "a rerun" not in "\n".join(six.lines)
    seven = build_verdict(attach_speedups([run("serial", 1, [1.0, 1.2, 1.0, 1.1, 1.0, 1.2, 1.05], passes=range(7)),
                                           run("pool", 2, [0.5, 0.62, 0.51, 0.55, 0.49, 0.6, 0.52], passes=range(7))],
                                          2), logical_cpus=2)
    assert seven.best.rerun_coverage == pytest.approx(2 * rerun_coverage(7, 1) - 1, abs=1e-4)
    assert any(", at least 86% of the time: " in line for line in seven.lines), seven.lines


def test_the_verdict_round_trips_through_json():
    runs, interpreters = _three_interpreters()
    verdict = build_verdict(runs, logical_cpus=2, interpreters=interpreters)
    assert Verdict.from_dict(verdict.to_dict()) == verdict


def test_warnings_become_one_line_with_the_commonest_cause():
    warnings = [f"pool w{i}: the standard deviation (1 ms) is 12% of the mean (8 ms); the result may be unstable"
                for i in range(5)] + ["the machine was busy before the run: load 3"]
    line = warning_summary(warnings)
    assert line.startswith("6 warnings (5 of them: the repeats spread by 10% of their mean or more)")
    assert warning_summary([]) is None


def test_the_short_answer_is_at_most_six_lines_of_at_most_120_characters():
    runs = [run("serial", 1, noisy(2.0, 0.02, 8, 50), n=2000)]
    seed = 51
    for backend in ("pool", "processes", "threads", "process-executor"):
        for chunksize in ("static", 1, 4, 16, "auto"):
            seed += 1
            center = 2.2 if backend == "threads" else 1.0 + (0.3 if chunksize == "static" else 0.0)
            runs.append(run(backend, 2, noisy(center, 0.03, 8, seed), n=2000, chunksize=chunksize,
                            chunk_items=1000 if chunksize == "static" else 250 if chunksize == "auto" else chunksize))
    runs = attach_speedups(runs, 2)
    verdict = build_verdict(runs, logical_cpus=2)
    assert 1 <= len(verdict.lines) <= MAX_LINES and all(len(line) <= LINE_WIDTH for line in verdict.lines), \
        verdict.lines
    assert answer_lines(verdict, runs, logical_cpus=2) == list(verdict.lines)


_NEWER = {  # fields each schema version added (harness/results/storage.py's history), per run
    5: ("repeat_passes", "paired_speedup", "paired_speedup_ci95", "baseline_speedup", "baseline_speedup_ci95"),
    4: ("workload_kind", "chunksize", "chunk_items", "chunks", "worker_items", "worker_busy_s", "bytes_in_per_item",
        "bytes_out_per_item", "serialisation_s", "memory"),
    3: ("ci_s", "speedup_above_ideal", "free_threaded_build", "gil_mode", "workers_gil_enabled", "gil_reenabled"),
    2: ("reference_times_s",),
}


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_files_of_older_schemas_get_the_new_verdict_in_their_report(cli, tmp_path, version):
    import json

    from harness.results.model import Suite

    runs = attach_speedups([run("serial", 1, noisy(1.0, 0.02, 8, 60)), run("pool", 2, noisy(0.52, 0.02, 8, 61)),
                            run("threads", 2, noisy(1.04, 0.02, 8, 62))], 2)
    data = Suite(schema_version=version, harness_version="0.0.1", created="2024-01-01T00:00:00+00:00",
                 machine={"logical_cpus": 2, "cpu_model": "old"}, python={"version": "3.11.7", "gil_enabled": True},
                 config={"repeat": 8, "backends": ["serial", "pool", "threads"]}, runs=tuple(runs)).to_dict()
    data["schema_version"] = version
    del data["verdict"]
    for newer, names in _NEWER.items():
        if newer > version:
            for entry in data["runs"]:
                for name in names:
                    entry.pop(name, None)
    if version < 3:
        data.pop("interpreters", None)
        data.pop("capacity", None)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    result = cli("report", path, "--out", tmp_path / "report")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report" / "report.html").read_text()
    lead = page[page.index('<p class="lead">'):]
    assert lead.startswith('<p class="lead">Fastest: pool@2, ') and "1.9" in lead[:120]
    assert "The verdict in full" in page


# --- the host's spread as the tie rule's margin ----------------------------------------------


# Times (s) like one back-to-back run of `make bench`'s sweep: pool-async@2 4.4% slower than
# process-executor@2, its interval [1.015, 1.082] wholly above 1; serial's repeats spread +-2.4%.
PROCESS_EXECUTOR = [0.0700, 0.0702, 0.0705, 0.0709, 0.0711, 0.0714, 0.0718, 0.0731, 0.0760]
POOL_ASYNC = [0.0716, 0.0722, 0.0731, 0.0740, 0.0745, 0.0752, 0.0763, 0.0788, 0.0820]
SERIAL = [0.1330, 0.1345, 0.1352, 0.1360, 0.1368, 0.1375, 0.1390, 0.1402, 0.1430]


def test_a_difference_within_the_hosts_spread_is_a_tie_though_the_interval_excludes_one():
    best, close = run("process-executor", 2, PROCESS_EXECUTOR), run("pool-async", 2, POOL_ASYNC)
    alone = compare_times(best, close)
    assert alone.ratio.ci == pytest.approx((1.0155, 1.0823), abs=1e-4) and alone.beyond_noise
    assert spread(SERIAL) == pytest.approx(0.02398, abs=1e-5)
    within = compare_times(best, close, margin=spread(SERIAL))
    assert within.tied and within.resolves == pytest.approx((1.0823 - 1.0155) / 1.0438 / 2 + 0.02398, abs=1e-4)
    assert not compare_times(best, close, margin=0.015).tied  # the interval's lower end, 1.5%, clears it
    verdict = build_verdict(attach_speedups([run("serial", 1, SERIAL), best, close], 2), logical_cpus=2)
    assert [c.backend for c in verdict.tied] == ["pool-async"]
    assert verdict.host_noise.spread == pytest.approx(0.024) and verdict.host_noise.resolvable == pytest.approx(0.056)
    assert verdict.lines[0].startswith("Fastest, tied within noise")
    assert verdict.lines[-1] == "Host noise: ±2% (serial's repeats); differences down to ~6% resolve."
    with pytest.raises(ValueError, match="margin"):
        compare_times(best, close, margin=-0.01)


def test_the_margin_does_not_tie_a_pool_with_threads_twice_as_slow_on_a_noisy_host():
    # Serial's repeats spread +-9.5%: a 2x gap still stands, a 10% one steady in every pass no longer does.
    base = noisy(1.0, 0.12, 9, 7)
    serial = run("serial", 1, [t * 2.0 for t in base], passes=range(1, 10))
    pool = run("pool", 2, [t * 1.0 for t in base], passes=range(1, 10))
    threads = run("threads", 2, [t * 2.0 for t in base], passes=range(1, 10))
    near = run("processes", 2, [t * 1.1 for t in base], passes=range(1, 10))
    verdict = build_verdict(attach_speedups([serial, pool, threads, near], 2), logical_cpus=2)
    assert verdict.host_noise.spread == pytest.approx(0.0951, abs=1e-4)
    assert verdict.best.backend == "pool" and [c.backend for c in verdict.tied] == ["processes"]
    assert verdict.lines[0].startswith("This host's speed varied ±")


def test_threads_match_processes_within_the_hosts_spread():
    from harness.analysis.matrix import threads_vs_processes

    passes = range(1, 10)
    base = [0.50, 0.51, 0.505, 0.515, 0.52, 0.50, 0.51, 0.525, 0.53]
    threads = run("threads", 2, [t * 1.02 for t in base], passes=passes)  # 2% slower in every pass
    processes = run("processes", 2, base, passes=passes)
    steady = run("serial", 1, [1.0, 1.001, 1.0, 0.999, 1.0, 1.001, 1.0, 0.999, 1.0], passes=passes)
    swaying = run("serial", 1, [0.97, 1.0, 1.03, 0.96, 1.0, 1.04, 0.98, 1.02, 1.0], passes=passes)
    (quiet,) = threads_vs_processes(attach_speedups([steady, threads, processes], 2))
    assert quiet.tied is False and not quiet.match
    (noisy_host,) = threads_vs_processes(attach_speedups([swaying, threads, processes], 2))
    assert noisy_host.tied is True and noisy_host.match


def test_the_margin_is_read_at_the_size_the_answer_is_about():
    # A tiny size's serial spreads +-27% with its timer's jitter; at the headline size serial is
    # steady, so processes 25% slower there stays beyond noise.
    passes = range(1, 10)
    jitter = [1.0, 1.4, 0.7, 1.3, 0.8, 1.0, 1.25, 0.75, 1.1]
    tiny = [run("serial", 1, [t * 1e-4 for t in jitter], passes=passes, n=100)]
    base = [1.00, 1.01, 0.99, 1.00, 1.02, 0.98, 1.00, 1.01, 0.99]
    large = [run("serial", 1, [t * 2.0 for t in base], passes=passes, n=10**7),
             run("pool", 2, base, passes=passes, n=10**7),
             run("processes", 2, [t * 1.25 for t in base], passes=passes, n=10**7)]
    verdict = build_verdict(attach_speedups(tiny + large, 2), logical_cpus=2)
    assert verdict.host_noise.spread > 0.2  # the noise line still reads every size
    assert verdict.best.backend == "pool" and verdict.tied == ()


def test_only_slower_beyond_noise_counts_so_a_faster_candidate_is_never_dropped():
    # The family's level assumes one side of each interval: a candidate faster than the one it
    # is compared with (by its passes' median, which can differ from its median's) stays tied.
    reference = run("pool", 2, [1.0] * 9, passes=range(1, 10))
    faster = run("processes", 2, [0.9] * 9, passes=range(1, 10))
    comparison = compare_times(reference, faster)
    assert comparison.ratio.ci == pytest.approx((0.9, 0.9)) and comparison.tied
    assert compare_times(faster, reference).beyond_noise


def test_the_chunksize_advice_ties_within_the_hosts_spread_as_the_answer_does():
    # pool at chunksize 16 is the fastest; "auto" is 3% slower in every pass. Steady serial: the
    # advice says to set the chunksize by hand; serial swaying +-3%: auto ties with it.
    passes = range(1, 10)
    base = [0.50, 0.51, 0.505, 0.515, 0.52, 0.50, 0.51, 0.525, 0.53]

    def advice(serial_times):
        runs = [run("serial", 1, serial_times, passes=passes),
                run("pool", 2, base, passes=passes, chunksize=16),
                run("pool", 2, [t * 1.03 for t in base], passes=passes, chunksize="auto"),
                run("pool", 2, [t * 1.6 for t in base], passes=passes, chunksize="static")]
        verdict = build_verdict(attach_speedups(runs, 2), logical_cpus=2)
        return next(line for line in verdict.lines if line.startswith("Chunksize for pool@2"))

    steady = advice([1.0, 1.001, 1.0, 0.999, 1.0, 1.001, 1.0, 0.999, 1.0])
    assert "auto +3%: set it by hand" in steady and "static +60%" in steady
    swaying = advice([0.97, 1.0, 1.03, 0.96, 1.0, 1.04, 0.98, 1.02, 1.0])
    assert "auto ties with it (+3%)" in swaying and "static +60%" in swaying
