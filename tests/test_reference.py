"""--reference: a fixed loop timed beside every repeat, and compare dividing it out.

The decision-rule tests use literal or seeded synthetic timings of a machine whose speed
switches between two states 2x apart (as the 2-vCPU VM this was built on does): raw times
mislead the rule, normalized times do not. The runner tests time real serial, thread and
process runs.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from harness.compare import compare_files, compare_suites, format_markdown, format_table, pool_sides, side_from
from harness.config import ConfigError, RunConfig
from harness.results.model import RunResult, Suite
from harness.execution.passes import SweepJob, run_sweep
from harness.execution.backends import backend_trait
from harness.analysis.stability import reference_warning
from harness.results.storage import SCHEMA_VERSION, load_suite, save_suite, suite_from_data
from harness.workloads import resolve_workload

MACHINE = {"cpu_model": "Test CPU 3000", "logical_cpus": 2}
PYTHON = {"implementation": "CPython", "version": "3.11.7", "gil_enabled": True}


def run(times, reference=None, backend="serial", workers=1) -> RunResult:
    """A run; its suite's config says reference_n 100000 when it has reference times."""
    times = tuple(times)
    return RunResult(backend=backend, workers=workers, n=1000, scaling="strong", workload="poly", start_method=None,
                     status="ok", times_s=times, median_s=sorted(times)[len(times) // 2],
                     reference_times_s=None if reference is None else tuple(reference))


def suite(*runs: RunResult, reference_n: int | None = 100_000) -> Suite:
    config = {"reference_n": reference_n} if any(r.reference_times_s for r in runs) else {}
    return Suite(schema_version=SCHEMA_VERSION, harness_version="0.1.0", created="2026-01-01T00:00:00+00:00",
                 machine=MACHINE, python=PYTHON, config=config, runs=tuple(runs))


def two_state_machine(seed: int, work: float, fast_fraction: float, count: int = 25):
    """(times, references): each repeat runs in the fast state (speed 1) or the slow one (2x),
    and its reference loop, timed beside it, sees the same state. 2% noise on each."""
    rng = random.Random(seed)
    fast = round(count * fast_fraction)
    states = [1.0] * fast + [2.0] * (count - fast)
    rng.shuffle(states)
    times = [work * s * (1 + rng.gauss(0, 0.02)) for s in states]
    references = [0.2 * s * (1 + rng.gauss(0, 0.02)) for s in states]
    return times, references


def test_a_state_mix_fools_the_raw_rule_but_not_the_normalized_one():
    # Same code; the baseline ran mostly fast, the current run mostly slow.
    base = run(*two_state_machine(1, work=1.0, fast_fraction=0.8))
    head = run(*two_state_machine(2, work=1.0, fast_fraction=0.2))
    (raw,) = compare_suites(suite(base), suite(head), use_reference=False).rows
    assert raw.verdict == "regression" and raw.ratio > 1.5 and not raw.normalized
    (row,) = compare_suites(suite(base), suite(head)).rows
    assert row.normalized and row.verdict == "no change"
    assert row.ratio == pytest.approx(1.0, abs=0.03)
    # The medians shown stay the raw seconds.
    assert row.baseline_median_s == raw.baseline_median_s and row.current_median_s == raw.current_median_s


def test_a_real_slowdown_is_found_whatever_the_state_mix():
    # 15% more work, but the current run happened to run mostly fast: raw times hide it.
    base = run(*two_state_machine(3, work=1.0, fast_fraction=0.2))
    head = run(*two_state_machine(4, work=1.15, fast_fraction=0.8))
    (raw,) = compare_suites(suite(base), suite(head), use_reference=False).rows
    assert raw.verdict != "regression" and raw.ratio < 0.7  # raw: the head looks faster
    (row,) = compare_suites(suite(base), suite(head)).rows
    assert row.verdict == "regression" and row.p_value < 0.001
    assert row.ratio == pytest.approx(1.15, abs=0.03)
    lo, hi = row.ratio_ci
    assert lo > 1.10 and hi < 1.20


def test_normalized_ratio_is_the_ratio_of_normalized_medians():
    base = run([1.0, 2.0, 3.0], reference=[0.5, 1.0, 1.0])    # normalized: 2, 2, 3 -> median 2
    head = run([3.0, 3.0, 9.0], reference=[1.0, 1.0, 3.0])    # normalized: 3, 3, 3 -> median 3
    (row,) = compare_suites(suite(base), suite(head)).rows
    assert row.normalized and row.ratio == pytest.approx(1.5)
    assert row.change_pct == pytest.approx(50.0)


def test_reference_on_one_side_only_is_compared_raw_with_a_warning():
    base = run([1.0] * 5, reference=[0.1] * 5)
    head = run([1.0] * 5)
    comparison = compare_suites(suite(base), suite(head))
    (row,) = comparison.rows
    assert not row.normalized
    assert any("only the baseline has reference times" in w for w in comparison.warnings)


def test_references_of_different_sizes_are_not_divided():
    base = run(*two_state_machine(1, work=1.0, fast_fraction=0.8))
    head = run(*two_state_machine(2, work=1.0, fast_fraction=0.2))
    comparison = compare_suites(suite(base, reference_n=50_000), suite(head))
    (row,) = comparison.rows
    assert not row.normalized
    assert any("the reference loops differ in size (50000 vs 100000)" in w for w in comparison.warnings)
    pooled = pool_sides([side_from(suite(base, reference_n=50_000), "a"), side_from(suite(head), "b")])
    assert pooled.entries[0].reference_s == ()
    assert any("reference loops of different sizes (100000, 50000)" in w for w in pooled.warnings)


def test_an_older_baseline_gives_one_warning_not_one_per_configuration():
    base = suite(run([1.0] * 5), run([1.0] * 5, backend="pool", workers=2))
    head = suite(run([1.0] * 5, reference=[0.1] * 5), run([1.0] * 5, reference=[0.1] * 5, backend="pool", workers=2))
    comparison = compare_suites(base, head)
    assert [w for w in comparison.warnings if "reference" in w] == [
        "2 configurations (serial w1 n=1000 strong, ...): only the current run has reference times "
        "(harness run --reference); compared on raw times"]


def test_the_report_marks_normalized_rows():
    from harness.report.comparison import comparison_section

    base = suite(run(*two_state_machine(5, work=1.0, fast_fraction=0.5)))
    head = suite(run(*two_state_machine(6, work=1.0, fast_fraction=0.5)))
    section = comparison_section(base, head)
    assert section["normalized"] is True
    assert section["rows"][0]["cells"][6] == "mann-whitney /ref"


def test_pooling_keeps_references_only_when_every_run_has_them():
    with_ref = side_from(suite(run([1.0, 1.1], reference=[0.1, 0.2])), "a")
    also = side_from(suite(run([1.2], reference=[0.3])), "b")
    without = side_from(suite(run([1.3, 1.4])), "c")
    (entry,) = pool_sides([with_ref, also]).entries
    assert entry.times_s == (1.0, 1.1, 1.2) and entry.reference_s == (0.1, 0.2, 0.3)
    pooled = pool_sides([with_ref, without])
    assert pooled.entries[0].reference_s == ()
    assert any("only 1 of 2 runs have reference times" in w for w in pooled.warnings)


def test_tables_say_which_rows_were_normalized():
    base = run(*two_state_machine(5, work=1.0, fast_fraction=0.5))
    head = run(*two_state_machine(6, work=1.0, fast_fraction=0.5))
    comparison = compare_suites(suite(base), suite(head))
    text = "\n".join(format_table(comparison))
    assert "mann-whitney /ref" in text and "divide each repeat by the reference loop" in text
    assert "mann-whitney /ref" in format_markdown(comparison)
    raw_text = "\n".join(format_table(compare_suites(suite(base), suite(head), use_reference=False)))
    assert "/ref" not in raw_text and "reference loop" not in raw_text


def test_reference_times_must_match_the_repeats():
    with pytest.raises(ValueError, match="reference_times_s has 2 values for 3 times_s"):
        run([1.0, 1.0, 1.0], reference=[0.1, 0.1])
    with pytest.raises(ValueError, match="reference_times_s"):
        run([1.0], reference=[-0.1])


def test_results_round_trip_and_version_1_files_still_load(tmp_path):
    path = tmp_path / "results.json"
    save_suite(suite(run([1.0, 2.0], reference=[0.1, 0.2])), str(path))
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION == 9
    assert data["runs"][0]["reference_times_s"] == [0.1, 0.2]
    assert load_suite(str(path)).runs[0].reference_times_s == (0.1, 0.2)
    # A version-1 file, as the first release wrote it: read as before, compared raw.
    version_1 = {"schema_version": 1, "harness_version": "0.1.0", "created": "2026-01-01T00:00:00+00:00",
                 "machine": MACHINE, "python": PYTHON, "config": {"backends": ["serial"], "n": 1000},
                 "runs": [{"backend": "serial", "workers": 1, "n": 1000, "scaling": "strong", "workload": "poly",
                           "start_method": None, "status": "ok", "times_s": [1.0, 1.1], "median_s": 1.05}],
                 "warnings": [], "complete": True}
    old = suite_from_data(version_1)
    assert old.runs[0].reference_times_s is None
    (row,) = compare_suites(old, suite(run([1.0, 1.1], reference=[0.1, 0.1]))).rows
    assert not row.normalized


def test_version_2_files_still_load_with_their_interval_as_ci_s():
    version_2 = {"schema_version": 2, "harness_version": "0.1.0", "created": "2026-01-01T00:00:00+00:00",
                 "machine": MACHINE, "python": PYTHON,
                 "config": {"backends": ["serial"], "workers": [1], "n": 1000, "repeat": 5, "interleave": False,
                            "reference_n": None},
                 "runs": [{"backend": "serial", "workers": 1, "n": 1000, "scaling": "strong", "workload": "poly",
                           "start_method": None, "status": "ok", "times_s": [1.0, 1.1, 1.2, 1.3, 1.4],
                           "median_s": 1.2, "ci95_s": [1.0, 1.4], "ci_confidence": 0.9375,
                           "reference_times_s": None}],
                 "warnings": [], "complete": True}
    old = suite_from_data(version_2)
    assert old.runs[0].ci_s == old.runs[0].ci95_s == (1.0, 1.4)
    assert old.capacity is None and old.runs[0].speedup_above_ideal is None
    (row,) = compare_suites(old, suite(run([1.0, 1.1]))).rows
    assert row.verdict


def test_drift_warning_at_its_boundary():
    assert reference_warning([0.100, 0.125], label="x") is None          # exactly 1.25x: no warning
    text = reference_warning([0.100, 0.126], label="serial w1")
    assert text.startswith("serial w1: the reference loop timed beside the repeats ranged 100 ms-126 ms (1.26x)")
    assert reference_warning([], label="x") is None


def test_config_refuses_a_tiny_reference():
    with pytest.raises(ConfigError, match="--reference"):
        RunConfig(backends=("serial",), workers=(1,), n=(10,), reference_n=999)


@pytest.mark.parametrize("interleave", [False, True])
def test_real_runs_time_the_reference_beside_every_repeat(interleave):
    config = RunConfig(backends=("serial", "threads", "pool", "processes", "shared-nolock"), workers=(2,),
                       n=(20_000,), repeat=3, warmup=0, reference_n=5_000, interleave=interleave)
    runs = run_sweep(SweepJob(config, resolve_workload("poly")))
    assert [r.backend for r in runs] == ["serial", "threads", "pool", "processes", "shared-nolock"]
    for r in runs:
        assert r.status == "ok", r.error
        assert len(r.reference_times_s) == len(r.reference_mean_times_s) == len(r.times_s) == 3
        assert all(t > 0 for t in r.reference_times_s)
        # the mean worker's time is never above the slowest worker's; with one worker they are one
        assert all(0 < m <= s for m, s in zip(r.reference_mean_times_s, r.reference_times_s))
        # and the loop on one worker alone (schema 9), where the backend can hand out one task
        # (a backend that only splits statically, one task per worker, gives none); one worker
        # is always alone
        if not backend_trait(r.backend, "can_chunk"):
            assert r.reference_alone_times_s is None
        else:
            assert len(r.reference_alone_times_s) == 3 and all(t > 0 for t in r.reference_alone_times_s)
        if r.backend == "serial":
            assert r.reference_alone_times_s == r.reference_times_s
        if r.backend == "serial":
            assert r.reference_mean_times_s == r.reference_times_s
    assert all(r.result_ok for r in runs if r.backend != "shared-nolock")


def test_the_reference_leaves_process_start_up_out():
    # spawn starts a fresh interpreter per task: tens of ms the repeats include (processes
    # starts its workers every repeat) and the reference, a compute span, must not.
    config = RunConfig(backends=("processes",), workers=(2,), n=(2_000,), repeat=3, warmup=0, reference_n=2_000,
                       start_method="spawn")
    (r,) = run_sweep(SweepJob(config, resolve_workload("poly")))
    assert r.status == "ok", r.error
    assert max(r.reference_times_s) < min(r.times_s) / 3


def test_without_reference_no_reference_times():
    config = RunConfig(backends=("serial",), workers=(1,), n=(1000,), repeat=2, warmup=0)
    (r,) = run_sweep(SweepJob(config, resolve_workload("poly")))
    assert r.reference_times_s is None and r.reference_mean_times_s is None


def test_the_mean_reference_times_must_match_the_repeats_and_round_trip(tmp_path):
    with pytest.raises(ValueError, match="reference_mean_times_s has 1 values for 2 times_s"):
        run([1.0, 1.0], reference=[0.1, 0.1]).replace(reference_mean_times_s=(0.1,))
    path = tmp_path / "results.json"
    save_suite(suite(run([1.0, 2.0], reference=[0.1, 0.2]).replace(reference_mean_times_s=(0.08, 0.15))), str(path))
    assert json.loads(path.read_text())["runs"][0]["reference_mean_times_s"] == [0.08, 0.15]
    assert load_suite(str(path)).runs[0].reference_mean_times_s == (0.08, 0.15)
    save_suite(suite(run([1.0, 2.0], reference=[0.1, 0.2]).replace(reference_alone_times_s=(0.07, 0.14))), str(path))
    assert load_suite(str(path)).runs[0].reference_alone_times_s == (0.07, 0.14)
    with pytest.raises(ValueError, match="reference_alone_times_s has 1 values for 2 times_s"):
        run([1.0, 1.0], reference=[0.1, 0.1]).replace(reference_alone_times_s=(0.1,))


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_cli_reference_end_to_end_and_raw_flag(tmp_path):
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    save_suite(suite(run(*two_state_machine(1, work=1.0, fast_fraction=0.8))), str(base))
    save_suite(suite(run(*two_state_machine(2, work=1.0, fast_fraction=0.2))), str(head))
    normalized = _cli("compare", str(base), str(head))
    assert normalized.returncode == 0, normalized.stdout + normalized.stderr
    assert "/ref" in normalized.stdout
    raw = _cli("compare", str(base), str(head), "--raw")
    assert raw.returncode == 1 and "REGRESSION" in raw.stdout
    assert compare_files(str(base), str(head)).has_regression is False


def test_cli_run_records_the_reference(tmp_path):
    out = tmp_path / "r"
    done = _cli("run", "--backends", "serial,pool", "--workers", "2", "--n", "20000", "--repeat", "2",
                "--warmup", "0", "--reference", "5000", "--quiet", "--no-report", "--out", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads((out / "results.json").read_text())
    assert data["config"]["reference_n"] == 5000
    assert [len(r["reference_times_s"]) for r in data["runs"]] == [2, 2]


@pytest.mark.parametrize("value", ["10", "many", "-5"])
def test_cli_refuses_a_bad_reference_with_one_line(tmp_path, value):
    done = _cli("run", "--backends", "serial", "--reference", value, "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "--reference" in done.stderr
    assert not (tmp_path / "x").exists()


def test_version_3_files_load_and_compare_with_version_4_runs_of_every_chunksize():
    """Schema 4 adds chunking and memory; a version-3 run (no chunksize) is the static split,
    so it matches a new static run, and a new chunked run of the same backend is a row of its own."""
    version_3 = {"schema_version": 3, "harness_version": "0.1.0", "created": "2026-01-01T00:00:00+00:00",
                 "machine": MACHINE, "python": PYTHON,
                 "config": {"backends": ["pool"], "workers": [2], "n": 1000, "repeat": "auto", "max_time_s": 3.0},
                 "runs": [{"backend": "pool", "workers": 2, "n": 1000, "scaling": "strong", "workload": "poly",
                           "start_method": "fork", "status": "ok", "times_s": [1.0, 1.1], "median_s": 1.05,
                           "ci_s": [1.0, 1.1], "ci95_s": None, "ci_confidence": 0.5, "peak_rss_bytes": 123}],
                 "warnings": [], "complete": True, "interpreters": []}
    old = suite_from_data(version_3)
    assert old.runs[0].chunksize is None and old.runs[0].memory is None and old.runs[0].series == "pool"
    static = RunResult(backend="pool", workers=2, n=1000, scaling="strong", workload="poly", start_method="fork",
                       status="ok", times_s=(1.0, 1.1), median_s=1.05, chunksize="static", chunk_items=500, chunks=2)
    chunked = static.replace(chunksize=8, chunk_items=8, chunks=125)
    assert static.key == old.runs[0].key and chunked.key != static.key and chunked.series == "pool cs=8"
    rows = compare_suites(old, suite(static, chunked)).rows
    matched = [row for row in rows if row.verdict and "only" not in row.verdict]
    assert len(matched) == 1


class _RecordedBackend:
    """Answers the reference loop with fixed task spans, one per task (all workers at once), or
    ``alone_span`` for a single task: the arithmetic of ReferenceTime on literal numbers."""

    def __init__(self, spans, value, alone_span=0.020):
        self.spans, self.value, self.alone_span = spans, value, alone_span
        self.calls = []

    def run(self, ref, tasks, deadline, fn):
        from harness.results.repeats import TaskResult

        self.calls.append(len(tasks))
        spans = self.spans if len(tasks) == len(self.spans) else [self.alone_span]
        return [TaskResult(worker=k, start=10.0 + k, end=10.0 + k + span, value=self.value, cpu_s=span)
                for k, span in enumerate(spans)]


def test_the_reference_time_is_the_slowest_workers_span_and_the_mean_of_all():
    from harness.execution.measure import ReferenceLoop, ReferenceTime
    from harness.workloads.builtin import poly_oracle

    loop = ReferenceLoop.for_configuration(1000, "pool", 3, in_process=False)
    timed = loop.time(_RecordedBackend([0.030, 0.045, 0.036], poly_oracle(1000)), deadline=1e9)
    assert isinstance(timed, ReferenceTime)
    assert (timed.slowest_s, timed.mean_s, timed.alone_s) == pytest.approx((0.045, 0.037, 0.020))
    # all three workers at once, then one alone (a pool hands out any number of tasks)
    recorded = _RecordedBackend([0.030, 0.045, 0.036], poly_oracle(1000))
    loop.time(recorded, deadline=1e9)
    assert recorded.calls == [3, 1]

    with pytest.raises(Exception, match="gave .*, expected"):  # a wrong total is refused, not timed
        loop.time(_RecordedBackend([0.030, 0.045, 0.036], 1), deadline=1e9)
