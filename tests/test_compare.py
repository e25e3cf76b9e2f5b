"""harness.compare: the decision rule on synthetic samples, both file formats, and the CLI's exit codes.

Samples are drawn with random.Random(seed) so every verdict here is reproducible.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

import harness.compare as compare
from harness.compare import (
    CompareError, Comparison, RegressionCheck, Row, compare_files, compare_sides, compare_suites,
    evidence_from_samples, expand_side_paths, format_markdown, format_table, pool_sides, ratio_interval, side_from,
    smallest_p,
)
from harness.results.key import RunKey
from harness.results.model import RunResult, Suite
from harness.results.storage import SCHEMA_VERSION, save_suite

MACHINE = {"cpu_model": "Test CPU 3000", "logical_cpus": 8, "physical_cpus": 4, "affinity": list(range(8))}
PYTHON = {"implementation": "CPython", "version": "3.11.7", "gil_enabled": True}


def samples(seed: int, center: float, noise: float, count: int) -> list[float]:
    """``count`` timings around ``center`` with relative Gaussian noise ``noise``."""
    rng = random.Random(seed)
    return [center * (1.0 + rng.gauss(0.0, noise)) for _ in range(count)]


def run(backend: str = "serial", workers: int = 1, times=(1.0,), status: str = "ok", n: int = 1000,
        **extra) -> RunResult:
    times = tuple(times) if status == "ok" else ()
    return RunResult(backend=backend, workers=workers, n=n, scaling="strong", workload="poly", start_method=None,
                     status=status, times_s=times, median_s=sorted(times)[len(times) // 2] if times else None,
                     **extra)


def suite(*runs: RunResult, machine=None, python=None, complete: bool = True) -> Suite:
    return Suite(schema_version=SCHEMA_VERSION, harness_version="0.1.0", created="2024-01-01T00:00:00+00:00",
                 machine=dict(MACHINE, **(machine or {})), python=dict(PYTHON, **(python or {})),
                 config={}, runs=tuple(runs), complete=complete)


def one_row(baseline_times, current_times, **kwargs) -> Row:
    comparison = compare_suites(suite(run(times=baseline_times)), suite(run(times=current_times)), **kwargs)
    assert len(comparison.rows) == 1
    return comparison.rows[0]


def test_exported_names():
    assert sorted(compare.__all__) == sorted([
        "CompareError", "Comparison", "Entry", "Evidence", "METHOD_CI_OVERLAP", "METHOD_MANN_WHITNEY",
        "RegressionCheck", "Row", "Side", "VERDICTS", "compare_files", "compare_sides", "compare_suites",
        "evidence_from_samples", "evidence_from_summaries", "expand_side_paths", "format_markdown", "format_table",
        "mann_whitney_p", "pool_sides", "ratio_interval", "read_pooled_side", "read_side", "side_from", "smallest_p",
        "summary_line",
    ])


# --- the decision rule -------------------------------------------------------------------------


def test_identical_distributions_are_no_change():
    row = one_row(samples(1, 1.0, 0.02, 10), samples(2, 1.0, 0.02, 10))
    assert row.verdict == "no change"
    assert row.method == "mann-whitney"
    assert row.p_value > 0.05
    assert row.ratio == pytest.approx(1.0, abs=0.03)


def test_twenty_percent_slower_with_low_noise_is_a_regression():
    row = one_row(samples(3, 1.0, 0.01, 10), samples(4, 1.2, 0.01, 10))
    assert row.verdict == "regression"
    assert row.method == "mann-whitney"
    assert row.p_value < 0.001  # no overlap at all: the exact test's extreme
    assert row.ratio == pytest.approx(1.2, abs=0.02)
    lo, hi = row.ratio_ci
    assert 1.1 < lo <= row.ratio <= hi < 1.3


def test_twenty_percent_slower_with_two_samples_falls_back_to_interval_overlap():
    row = one_row(samples(5, 1.0, 0.01, 2), samples(6, 1.2, 0.01, 2))
    assert row.method == "ci-overlap"
    assert row.p_value is None  # 2 vs 2 can never reach p < 0.05: no test was run
    assert row.verdict == "regression"
    assert "cannot reach" in row.note


def test_two_samples_that_overlap_are_too_noisy_to_tell_when_the_medians_differ():
    # Medians 24% apart, ranges overlapping: the interval (0.87-1.80) holds no change and a
    # change beyond 10% alike. (Before the answer issue this read "no change".)
    row = one_row([1.0, 1.5], [1.3, 1.8])
    assert row.method == "ci-overlap"
    assert row.verdict == "too noisy to tell"
    assert "holds both no change and a change beyond the 10% threshold" in row.note and "harness ab" in row.note


def test_single_samples_are_decided_by_the_threshold_alone():
    assert one_row([1.0], [1.2]).verdict == "regression"
    row = one_row([1.0], [1.05])
    assert row.verdict == "no change" and "threshold alone" in row.note


def test_five_percent_slower_is_significant_but_below_the_threshold():
    row = one_row(samples(7, 1.0, 0.005, 10), samples(8, 1.05, 0.005, 10))
    assert row.p_value < 0.05
    assert row.verdict == "no change"
    assert "within the 10% threshold" in row.note
    # ... and a regression once the threshold is below the change.
    assert one_row(samples(7, 1.0, 0.005, 10), samples(8, 1.05, 0.005, 10), threshold_pct=3).verdict == "regression"


def test_improvement_is_detected():
    row = one_row(samples(9, 1.0, 0.01, 7), samples(10, 0.8, 0.01, 7))
    assert row.verdict == "improvement"
    assert row.ratio == pytest.approx(0.8, abs=0.02)


def test_large_noisy_change_is_too_noisy_to_tell():
    # 15% slower in the medians, but the spread is wider than the change: not a regression, and
    # not "no change" either. (Before the answer issue this read "no change".)
    row = one_row([1.0, 1.5, 0.7, 1.2, 0.9], [1.15, 0.8, 1.6, 1.0, 1.3])
    assert row.verdict == "too noisy to tell"
    assert row.p_value > 0.05


def test_a_pair_whose_interval_spans_the_threshold_is_too_noisy_and_a_narrow_one_is_no_change():
    noisy = one_row(samples(11, 1.0, 0.25, 8), samples(12, 1.05, 0.25, 8))
    assert noisy.ratio_ci[0] <= 1.0 and noisy.ratio_ci[1] > 1.10
    assert noisy.verdict == "too noisy to tell"
    narrow = one_row(samples(13, 1.0, 0.01, 8), samples(14, 1.01, 0.01, 8))
    assert narrow.ratio_ci[1] < 1.10 and narrow.verdict == "no change"
    from harness.compare import summary_line

    comparison = compare_sides(side_from(suite(run(times=list(samples(11, 1.0, 0.25, 8)))), "a"),
                               side_from(suite(run(times=list(samples(12, 1.05, 0.25, 8)))), "b"))
    assert not comparison.has_regression and "harness ab" in summary_line(comparison)


@pytest.mark.parametrize("n1, n2, p", [(2, 2, 1 / 3), (3, 3, 0.1), (4, 4, 2 / 70), (5, 5, 2 / 252), (1, 9, 0.2),
                                        (0, 5, 1.0)])
def test_smallest_achievable_p(n1, n2, p):
    assert smallest_p(n1, n2) == pytest.approx(p)


def test_smallest_p_is_what_scipy_gives_for_fully_separated_samples():
    from harness.compare import mann_whitney_p

    assert mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(smallest_p(5, 5))


def test_ratio_interval_excludes_one_exactly_when_intervals_are_disjoint():
    assert ratio_interval((1.0, 2.0), (3.0, 4.0)) == (1.5, 4.0)
    assert ratio_interval((1.0, 2.0), (1.5, 4.0))[0] < 1.0
    assert ratio_interval((0.0, 2.0), (1.0, 1.0)) is None


def test_evidence_picks_the_test_by_sample_count():
    assert evidence_from_samples([1.0] * 3, [2.0] * 3, 0.05).method == "ci-overlap"  # best p 0.1
    assert evidence_from_samples([1.0, 1.1, 1.2, 1.3], [2.0, 2.1, 2.2, 2.3], 0.05).method == "mann-whitney"


def test_identical_constant_samples_are_no_change():
    row = one_row([1.0] * 5, [1.0] * 5)
    assert row.verdict == "no change"
    assert row.p_value == 1.0


@pytest.mark.parametrize("text, threshold", [("median:10%", 10.0), ("15%", 15.0), ("2.5", 2.5)])
def test_regression_check_parses(text, threshold):
    check = RegressionCheck.parse(text)
    assert check.threshold_pct == threshold
    assert check.verdict(1.0 + threshold / 100 + 0.01, True) == "regression"
    assert check.verdict(1.0 + threshold / 100 + 0.01, False) == "no change"


@pytest.mark.parametrize("text", ["mean:10%", "fast", "median:-5%", ""])
def test_regression_check_refuses(text):
    with pytest.raises(ValueError):
        RegressionCheck.parse(text)


# --- configurations, failures, environments --------------------------------------------------------


def test_configurations_on_one_side_only_are_reported():
    base = suite(run("serial", times=[1.0] * 5), run("pool", 2, times=[0.6] * 5))
    head = suite(run("serial", times=[1.0] * 5), run("threads", 2, times=[1.1] * 5))
    comparison = compare_suites(base, head)
    verdicts = {row.label: row.verdict for row in comparison.rows}
    assert verdicts == {"serial w1 n=1000 strong": "no change", "pool w2 n=1000 strong": "only in baseline",
                        "threads w2 n=1000 strong": "only in current"}
    assert not comparison.has_regression


@pytest.mark.parametrize("side", ["baseline", "current"])
def test_failed_runs_are_reported_not_compared(side):
    ok, failed = run(times=[1.0] * 5), run(status="failed", error="worker 0 killed by signal 9")
    base, head = (failed, ok) if side == "baseline" else (ok, failed)
    comparison = compare_suites(suite(base), suite(head))
    (row,) = comparison.rows
    assert row.verdict == "failed" and row.ratio is None
    assert f"{side} failed: worker 0 killed" in row.note
    assert not comparison.has_regression


def test_wrong_result_counts_as_failed():
    head = run(times=[2.0] * 5, result_ok=False, error="wrong result: expected 1, got 2")
    (row,) = compare_suites(suite(run(times=[1.0] * 5)), suite(head)).rows
    assert row.verdict == "failed"
    assert "wrong result" in row.note


def test_different_machine_warns_and_strict_refuses():
    base = suite(run(times=[1.0] * 5))
    head = suite(run(times=[1.0] * 5), machine={"logical_cpus": 4}, python={"gil_enabled": False})
    comparison = compare_suites(base, head)
    assert any("different machines" in w and "logical CPUs" in w for w in comparison.warnings)
    assert any("different GIL modes" in w for w in comparison.warnings)
    with pytest.raises(CompareError, match="strict.*logical CPUs.*GIL") as info:
        compare_suites(base, head, strict=True)
    assert "\n" not in str(info.value)
    assert compare_suites(base, suite(run(times=[1.0] * 5)), strict=True).warnings == ()


def test_one_interpreter_per_side_is_matched_across_python_versions():
    base = suite(run(times=[1.0] * 5, python="3.11.7"))
    head = suite(run(times=[1.0] * 5, python="3.12.1"), python={"version": "3.12.1"})
    comparison = compare_suites(base, head)
    (row,) = comparison.rows
    assert row.verdict == "no change" and row.label == "serial w1 n=1000 strong"
    assert row.key == RunKey("serial", 1, 1000, "strong", "poly", python="3.11.7")  # the run's own key, for the report
    assert any("different Pythons" in w and "3.12.1" in w for w in comparison.warnings)


def test_files_with_and_without_interpreter_labels_still_match():
    (row,) = compare_suites(suite(run(times=[1.0] * 5)), suite(run(times=[1.0] * 5, python="3.11.7"))).rows
    assert row.verdict == "no change"


def test_sides_with_several_interpreters_match_by_interpreter():
    base = suite(run(times=[1.0] * 5, python="3.11.7"), run(times=[1.0] * 5, python="3.13.0t"))
    head = suite(run(times=[1.0] * 5, python="3.11.7"), run(times=[2.0] * 5, python="3.13.0t"))
    rows = {row.label: row.verdict for row in compare_suites(base, head).rows}
    assert rows == {"serial w1 n=1000 strong [3.11.7]": "no change", "serial w1 n=1000 strong [3.13.0t]": "regression"}


def test_loaded_dicts_are_accepted_and_bad_ones_refused():
    base = suite(run(times=samples(11, 1.0, 0.01, 6))).to_dict()
    head = suite(run(times=samples(12, 1.3, 0.01, 6))).to_dict()
    assert compare_suites(base, head).has_regression
    with pytest.raises(CompareError, match="schema_version 99 is newer"):
        compare_suites(dict(base, schema_version=99), head)
    with pytest.raises(CompareError, match="neither a harness results file"):
        compare_suites({"hello": 1}, head)


def test_incomplete_sweep_warns():
    comparison = compare_suites(suite(run(times=[1.0] * 5), complete=False), suite(run(times=[1.0] * 5)))
    assert any("interrupted sweep" in w for w in comparison.warnings)


def test_comparison_is_frozen_and_validated():
    comparison = compare_suites(suite(run(times=[1.0] * 5)), suite(run(times=[1.0] * 5)))
    assert isinstance(comparison, Comparison)
    with pytest.raises(AttributeError):
        comparison.alpha = 0.1
    with pytest.raises(ValueError):
        Row("x", ("x",), 1.0, 1.0, 1.0, None, None, None, "slower")
    with pytest.raises(CompareError, match="alpha"):
        compare_suites(suite(), suite(), alpha=1.5)


# --- pytest-benchmark JSON ------------------------------------------------------------------------


def benchmark_json(medians: dict, data: bool = True, seed: int = 0, machine=None, extra=None) -> dict:
    benches = []
    for i, (name, center) in enumerate(medians.items()):
        times = samples(seed + i, center, 0.01, 5)
        ordered = sorted(times)
        stats = {"min": ordered[0], "max": ordered[-1], "mean": sum(times) / 5, "median": ordered[2],
                 "iqr": ordered[3] - ordered[1], "rounds": 5, "iterations": 1, "stddev": 0.01}
        if data:
            stats["data"] = times
        benches.append({"group": "strong-w2", "name": f"test_backend[{name}]",
                        "fullname": f"benchmarks/test_backend_benchmarks.py::test_backend[{name}]",
                        "params": {}, "extra_info": dict({"n": 2_000_000, "result_ok": True}, **(extra or {})),
                        "stats": stats})
    info = {"node": "ci", "processor": "x86_64", "python_implementation": "CPython", "python_version": "3.11.7",
            "cpu": {"brand_raw": "Test CPU 3000", "count": 8}, "gil_enabled": True, **(machine or {})}
    return {"machine_info": info, "commit_info": {}, "benchmarks": benches, "datetime": "2024-01-01",
            "version": "5.1.0"}


def write(tmp_path, name: str, data) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_pytest_benchmark_files_use_raw_samples(tmp_path):
    base = write(tmp_path, "base.json", benchmark_json({"serial-w1-strong": 1.0, "pool-w2-strong": 0.6}))
    head = write(tmp_path, "head.json", benchmark_json({"serial-w1-strong": 1.0, "pool-w2-strong": 0.8}, seed=10))
    comparison = compare_files(base, head)
    rows = {row.label: row for row in comparison.rows}
    assert rows["test_backend[pool-w2-strong]"].verdict == "regression"
    assert rows["test_backend[pool-w2-strong]"].method == "mann-whitney"
    assert rows["test_backend[serial-w1-strong]"].verdict == "no change"
    assert comparison.warnings == ()


def test_pytest_benchmark_without_data_falls_back_to_summaries_with_a_warning(tmp_path):
    base = write(tmp_path, "base.json", benchmark_json({"pool-w2-strong": 0.6}, data=False))
    head = write(tmp_path, "head.json", benchmark_json({"pool-w2-strong": 0.8}, data=False, seed=10))
    comparison = compare_files(base, head)
    (row,) = comparison.rows
    assert row.method == "ci-overlap" and row.p_value is None
    assert row.verdict == "regression"
    assert any("no raw samples" in w and "--benchmark-save-data" in w for w in comparison.warnings)


def test_pytest_benchmark_failed_result_and_size_mismatch(tmp_path):
    base = write(tmp_path, "base.json", benchmark_json({"pool-w2-strong": 0.6}))
    wrong = write(tmp_path, "wrong.json", benchmark_json({"pool-w2-strong": 0.6}, extra={"result_ok": False}))
    smaller = write(tmp_path, "small.json", benchmark_json({"pool-w2-strong": 0.6}, extra={"n": 2000}))
    assert compare_files(base, wrong).rows[0].verdict == "failed"
    assert any("n is 2000000 in the baseline but 2000" in w for w in compare_files(base, smaller).warnings)


def test_pytest_benchmark_machine_mismatch_and_mixed_kinds(tmp_path):
    base = write(tmp_path, "base.json", benchmark_json({"serial-w1-strong": 1.0}))
    other = write(tmp_path, "other.json",
                  benchmark_json({"serial-w1-strong": 1.0}, machine={"python_version": "3.13.0"}))
    assert any("different Pythons" in w for w in compare_files(base, other).warnings)
    with pytest.raises(CompareError, match="strict"):
        compare_files(base, other, strict=True)
    harness_file = str(tmp_path / "results.json")
    save_suite(suite(run(times=[1.0] * 5)), harness_file)
    with pytest.raises(CompareError, match="compare files of one kind"):
        compare_files(base, harness_file)


@pytest.mark.parametrize("bad, message", [
    ({"machine_info": {}, "benchmarks": {}}, "benchmarks must be a list"),
    ({"machine_info": {}, "benchmarks": [{"name": "t"}]}, "missing stats"),
    ({"machine_info": {}, "benchmarks": [{"name": "t", "stats": {"median": "fast"}}]}, "stats.median"),
    ({"machine_info": {}, "benchmarks": [{"name": "t", "stats": {"median": 1.0, "data": [1.0, -2.0]}}]}, "stats.data"),
])
def test_malformed_pytest_benchmark_files_are_refused(tmp_path, bad, message):
    with pytest.raises(CompareError, match=message):
        compare_files(write(tmp_path, "bad.json", bad), write(tmp_path, "ok.json", benchmark_json({"a": 1.0})))


# --- formatting -------------------------------------------------------------------------------------


def test_table_and_markdown():
    base = suite(run("serial", times=samples(13, 1.0, 0.01, 6)), run("pool", 2, times=[0.5] * 5))
    head = suite(run("serial", times=samples(14, 1.25, 0.01, 6)), run("threads", 2, times=[1.1] * 5),
                 machine={"cpu_model": "Other CPU"})
    comparison = compare_suites(base, head)
    lines = format_table(comparison)
    assert "significant at alpha 0.05" in lines[0]
    assert any(line.startswith("warning: different machines") for line in lines)
    header = next(i for i, line in enumerate(lines) if line.startswith("configuration"))
    # Every row starts its verdict column where the header's does: aligned.
    column = lines[header].index("verdict")
    for line in lines[header + 1:header + 4]:
        assert line[column:].split()[0] in ("regression", "only")
    assert lines[-1] == "1 regression, 1 only in baseline, 1 only in current: REGRESSION"

    markdown = format_markdown(comparison)
    assert "| Configuration | Baseline | Current |" in markdown
    assert "| **regression** |" in markdown
    assert "> **Warning:** different machines" in markdown
    assert markdown.rstrip().endswith("**1 regression, 1 only in baseline, 1 only in current: REGRESSION**")


def test_import_stays_light():
    code = "import sys, harness.compare; print(sorted(m for m in ('scipy', 'pandas', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- the CLI: exit codes ------------------------------------------------------------------------------


def test_cli_exit_codes_for_no_change_and_regression(tmp_path, cli):
    base, same, slow = (str(tmp_path / name) for name in ("base.json", "same.json", "slow.json"))
    save_suite(suite(run(times=samples(15, 1.0, 0.01, 6))), base)
    save_suite(suite(run(times=samples(16, 1.0, 0.01, 6))), same)
    save_suite(suite(run(times=samples(17, 1.3, 0.01, 6))), slow)
    ok = cli("compare", base, same)
    assert ok.returncode == 0, ok.stderr
    assert "no regression" in ok.stdout
    markdown = tmp_path / "summary.md"
    bad = cli("compare", base, slow, "--markdown", markdown)
    assert bad.returncode == 1, bad.stderr
    assert "REGRESSION" in bad.stdout
    assert "| **regression** |" in markdown.read_text()
    # A threshold above the change makes the same pair pass.
    assert cli("compare", base, slow, "--threshold", "40").returncode == 0


def test_a_threshold_written_as_a_fraction_is_honoured_with_a_warning(tmp_path, cli):
    # 0.1 is a legal 0.1%, but a person who meant 10% is told so, once, and the command goes on.
    base, same = str(tmp_path / "base.json"), str(tmp_path / "same.json")
    save_suite(suite(run(times=samples(15, 1.0, 0.01, 6))), base)
    save_suite(suite(run(times=samples(16, 1.0, 0.01, 6))), same)
    tight = cli("compare", base, same, "--threshold", "0.1")
    assert tight.returncode in (0, 1), tight.stderr
    assert tight.stderr.splitlines() == ["harness: warning: --threshold 0.1 means 0.1%, not 10%: it is a percentage "
                                         "(write 10 for 10%)"]
    assert "0.1%" in tight.stdout
    assert cli("compare", base, same, "--threshold", "10").stderr == ""


@pytest.mark.parametrize("content, message", [
    ('{"schema_version": 1, "harness_version": "0.1.0", "runs": [{"backe', "not valid JSON"),
    ("this is not JSON at all\n", "not valid JSON"),
    (json.dumps({"schema_version": 99, "runs": []}), "schema_version 99 is newer"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, cli, content, message):
    good = str(tmp_path / "good.json")
    save_suite(suite(run(times=[1.0] * 5)), good)
    bad = write(tmp_path, "bad.json", content)
    for args in ((bad, good), (good, bad)):
        result = cli("compare", *args)
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == ""


def test_cli_missing_file_exits_2(tmp_path, cli):
    result = cli("compare", tmp_path / "nope.json", tmp_path / "nope2.json")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no such file" in result.stderr


# --- several runs per side, pooled ------------------------------------------------------------------


def test_pooling_concatenates_samples_per_configuration():
    first = side_from(suite(run(times=[1.0, 1.1, 1.2]), run("pool", 2, times=[0.5, 0.6])), "a.json")
    second = side_from(suite(run(times=[2.0, 2.1]), run("pool", 2, times=[0.7])), "b.json")
    pooled = pool_sides([first, second])
    assert pooled.name == "a.json (+1 more)"
    serial, pool = pooled.entries
    assert serial.times_s == (1.0, 1.1, 1.2, 2.0, 2.1) and serial.count == 5 and serial.median_s == 1.2
    assert pool.times_s == (0.5, 0.6, 0.7) and pool.median_s == 0.6
    assert pool_sides([first]) is first


def test_pooling_reports_one_sided_configurations_failures_and_machines():
    first = side_from(suite(run(times=[1.0, 1.0]), run("pool", 2, times=[0.5, 0.6])), "a.json")
    second = side_from(suite(run(times=[1.0]), run("pool", 2, status="failed", error="worker 1 exited")),
                       "b.json")
    third = side_from(suite(run(times=[1.0]), machine={"cpu_model": "Other CPU"}), "c.json")
    pooled = pool_sides([first, second, third])
    pool = pooled.entries[1]
    # The run that worked is still compared; the failure is said, not hidden.
    assert pool.status == "ok" and pool.times_s == (0.5, 0.6)
    text = " ".join(pooled.warnings)
    assert "pool w2 n=1000 strong failed in b.json (worker 1 exited); pooled from the other 1 run(s)" in text
    assert "pool w2 n=1000 strong is missing from c.json; pooled from the other 2 file(s)" in text
    assert "different machines within one side" in text and "'Other CPU' in c.json" in text
    with pytest.raises(CompareError, match="refusing to pool"):
        pool_sides([first, third], strict=True)
    only_failed = pool_sides([second, side_from(suite(run("pool", 2, status="timeout", error="timed out")), "d")])
    assert only_failed.entries[1].status == "failed" and only_failed.entries[1].error == "in b.json: worker 1 exited"


def test_pooling_refuses_a_mix_of_kinds(tmp_path):
    harness_side = side_from(suite(run(times=[1.0])), "a.json")
    bench = side_from(benchmark_json({"serial-w1-strong": 1.0}), "b.json")
    with pytest.raises(CompareError, match="a mix of harness and pytest-benchmark"):
        pool_sides([harness_side, bench])


def test_expand_side_paths(tmp_path):
    for name in ("base-2.json", "base-1.json", "head-1.json"):
        save_suite(suite(run(times=[1.0])), str(tmp_path / name))
    one = str(tmp_path / "base-1.json")
    assert expand_side_paths(one) == [one]
    assert expand_side_paths(str(tmp_path / "base-*.json")) == [one, str(tmp_path / "base-2.json")]
    assert expand_side_paths(f"{one},{tmp_path / 'head-1.json'}") == [one, str(tmp_path / "head-1.json")]
    with pytest.raises(CompareError, match="no file matches"):
        expand_side_paths(str(tmp_path / "nothing-*.json"))
    with pytest.raises(CompareError, match="named twice"):
        expand_side_paths(f"{one},{one}")
    with pytest.raises(CompareError, match="empty file name"):
        expand_side_paths(f"{one},")


def test_pooled_runs_cancel_drift_that_fools_a_single_run():
    """Runs made in alternation share the machine's drift; pooled, it cancels in the ratio.

    The machine is 30% slow during the first head run only: that run against the first base
    run looks like a regression. Three runs each side, made in alternation (base, head,
    base, head, ...), outvote the one slow spell: the pooled medians agree.
    """
    speeds = [1.0, 1.3, 1.0, 1.0, 1.0, 1.0]  # the time per repeat during each of six runs, in order
    runs = [suite(run(times=samples(40 + i, speed, 0.01, 5))) for i, speed in enumerate(speeds)]
    single = compare_suites(runs[0], runs[1])  # the first base run, then the first head run in a slow spell
    assert single.rows[0].verdict == "regression"
    base = pool_sides([side_from(runs[i], f"base-{i}") for i in (0, 2, 4)])
    head = pool_sides([side_from(runs[i], f"head-{i}") for i in (1, 3, 5)])
    assert compare_sides(base, head).rows[0].verdict == "no change"


def test_cli_pools_several_files_per_side(tmp_path, cli):
    for i in range(3):
        save_suite(suite(run(times=samples(50 + i, 1.0, 0.01, 5))), str(tmp_path / f"base-{i}.json"))
        save_suite(suite(run(times=samples(60 + i, 1.3, 0.01, 5))), str(tmp_path / f"head-{i}.json"))
    result = cli("compare", tmp_path / "base-*.json", f"{tmp_path / 'head-0.json'},{tmp_path / 'head-1.json'}")
    assert result.returncode == 1, result.stderr
    assert "base-0.json (+2 more) -> " in result.stdout and "head-0.json (+1 more)" in result.stdout
    missing = cli("compare", tmp_path / "nothing-*.json", tmp_path / "head-0.json")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "no file matches" in missing.stderr


def test_pooling_summaries_without_samples_counts_each_run_once(tmp_path):
    first = side_from(benchmark_json({"serial-w1-strong": 1.0}, data=False), "a.json")
    second = side_from(benchmark_json({"serial-w1-strong": 1.2}, data=False, seed=5), "b.json")
    pooled = pool_sides([first, second])
    (entry,) = pooled.entries
    medians = (first.entries[0].median_s, second.entries[0].median_s)
    assert not entry.has_samples and entry.count == 2
    assert entry.median_s == pytest.approx(sum(medians) / 2)
    # The drift between the runs (0.2 s) is wider than either run's own IQR (~0.01 s): it is kept.
    assert entry.iqr_s == pytest.approx(abs(medians[1] - medians[0]) / 2)
    assert any("each run's median counts as one sample" in w for w in pooled.warnings)


def test_pooling_refuses_runs_of_different_sizes():
    small = side_from(benchmark_json({"serial-w1-strong": 1.0}, extra={"n": 1000}), "a.json")
    large = side_from(benchmark_json({"serial-w1-strong": 1.0}, extra={"n": 2000}), "b.json")
    with pytest.raises(CompareError, match="runs of different sizes on one side"):
        pool_sides([small, large])


def test_sides_sharing_a_file_are_refused(tmp_path, cli):
    for name in ("base-1.json", "head-1.json", "head-2.json"):
        save_suite(suite(run(times=[1.0, 1.0])), str(tmp_path / name))
    overlap = cli("compare", tmp_path / "*.json", tmp_path / "head-*.json")
    assert overlap.returncode == 2 and overlap.stderr.count("\n") == 1 and "on both sides" in overlap.stderr
    itself = cli("compare", tmp_path / "base-1.json", tmp_path / "base-1.json")
    assert itself.returncode == 0, itself.stderr


def test_a_bracketed_file_name_is_a_name_not_a_pattern(tmp_path):
    plain, bracketed = str(tmp_path / "a.json"), str(tmp_path / "run[1].json")
    for path in (plain, bracketed):
        save_suite(suite(run(times=[1.0])), path)
    assert expand_side_paths(f"{plain},{bracketed}") == [plain, bracketed]
    nested = tmp_path / "runs" / "base-1"
    nested.mkdir(parents=True)
    save_suite(suite(run(times=[1.0])), str(nested / "results.json"))
    assert expand_side_paths(str(tmp_path / "**" / "results.json")) == [str(nested / "results.json")]


def test_runs_of_one_backend_at_several_chunksizes_match_their_own_chunksize():
    """A run's key holds its chunksize before the interpreter's label, which compare strips when
    each side ran in one interpreter: pool cs=1 must meet pool cs=1, not whichever came last."""
    runs = [run("pool", 2, times=(t, t * 1.01, t * 0.99), chunksize=cs) for cs, t in
            (("static", 1.0), (1, 2.0), (16, 0.5), ("auto", 0.8))]
    comparison = compare_suites(suite(*runs), suite(*runs))
    assert len(comparison.rows) == 4
    for row in comparison.rows:
        assert row.verdict == "no change" and row.baseline_median_s == row.current_median_s, row
