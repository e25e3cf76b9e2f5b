"""The recorder: every run and repeat journaled at once, results.json at most every few seconds."""

import pytest

from harness.config import RunConfig
from harness.results.model import RunResult
from harness.results.recorder import Recorder
from harness.results.repeats import Repeat, RepeatRecord
from harness.results.samples import CpuSamples, mean_per_core
from harness.results.journal import JOURNAL_NAME, read_journal_entries
from harness.results.storage import RESULTS_NAME, load_suite
from harness.api.assemble import build_suite
from harness.results.repeats import TaskResult


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


ENVIRONMENT = {"machine": {"logical_cpus": 2}, "python": {"version": "3.11.7"}}


def run(backend, workers=1, times=(1.0, 1.1, 0.9, 1.0, 1.05, 0.95)):
    return RunResult(backend=backend, workers=workers, n=10, scaling="strong", workload="poly", start_method=None,
                     status="ok", times_s=tuple(times), median_s=sorted(times)[len(times) // 2])


def make_recorder(tmp_path, clock, save_every_s=5.0):
    config = RunConfig(backends=("serial", "threads"), workers=(1, 2), n=(10,))
    return Recorder(str(tmp_path), str(tmp_path / RESULTS_NAME),
                    lambda runs, complete: build_suite(config, runs, ENVIRONMENT, "2026-01-01", complete=complete),
                    save_every_s=save_every_s, clock=clock)


def saved_runs(tmp_path) -> int:
    return len(load_suite(str(tmp_path / RESULTS_NAME)).runs)


def test_every_run_is_journaled_at_once_and_results_json_follows_at_most_every_interval(tmp_path):
    clock = FakeClock()
    recorder = make_recorder(tmp_path, clock)
    recorder.save()
    assert saved_runs(tmp_path) == 0
    for workers in (1, 2, 3):
        clock.now += 1.0
        recorder.record_run(run("threads", workers))
        assert len(read_journal_entries(str(tmp_path)).runs) == workers  # the journal: at once
    assert saved_runs(tmp_path) == 0  # 3 s since the last save: not yet
    clock.now += 2.0
    recorder.record_run(run("threads", 4))
    assert saved_runs(tmp_path) == 4  # 5 s: saved, with every run so far
    suite = recorder.save(complete=True)
    assert suite.complete and saved_runs(tmp_path) == 4


def test_speedups_are_attached_when_the_suite_is_built(tmp_path):
    recorder = make_recorder(tmp_path, FakeClock())
    recorder.record_run(run("serial", times=(2.0,) * 6))
    recorder.record_run(run("threads", 2, times=(1.0,) * 6))
    suite = recorder.save(complete=True)
    assert [r.speedup for r in suite.runs] == [1.0, 2.0]
    assert all(r.speedup is None for r in read_journal_entries(str(tmp_path)).runs)  # the journal holds raw runs


def test_repeats_round_trip_through_the_journal_and_a_finished_run_supersedes_them(tmp_path):
    recorder = make_recorder(tmp_path, FakeClock())
    repeat = Repeat(wall_s=0.5, cpu_s=0.4, start=100.0, task_results=(TaskResult(0, 12345678901234567890123, 100.1, 100.4, 0.3,
                                                                                None, 77),),
                    samples=CpuSamples(start=100.0, t=(100.2, 100.5), per_core=((50.0, 100.0), (0.0, 3.0))),
                    reference_s=0.02)
    finished = run("threads", 2)
    recorder.record_repeat(RepeatRecord(finished.key, repeat, startup_s=0.01, recomputed=None))
    recorder.record_repeat(RepeatRecord(run("serial").key, repeat))
    journal = read_journal_entries(str(tmp_path))
    assert journal.runs == () and journal.repeats[finished.key] == [RepeatRecord(finished.key, repeat, 0.01, None)]
    recorder.record_run(finished)
    journal = read_journal_entries(str(tmp_path))
    assert list(journal.repeats) == [run("serial").key] and journal.runs == (finished,)
    assert (tmp_path / JOURNAL_NAME).read_text().count("\n") == 3


def test_a_journaled_repeat_keeps_its_samples_as_compact_as_results_json(tmp_path):
    # 128 cores sampled 600 times: journaled as at most 100 time-weighted samples, same mean load.
    t = tuple(100.0 + 0.1 * k for k in range(1, 601))
    per_core = tuple(tuple(float((core * 7 + k) % 101) for k in range(600)) for core in range(128))
    repeat = Repeat(wall_s=60.0, cpu_s=1.0, start=100.0, task_results=(), samples=CpuSamples(100.0, t, per_core))
    recorder = make_recorder(tmp_path, FakeClock())
    recorder.record_repeat(RepeatRecord(run("serial").key, repeat))
    (back,) = read_journal_entries(str(tmp_path)).repeats[run("serial").key]
    assert len(back.repeat.samples.t) <= 100 and back.repeat.samples.t[-1] == pytest.approx(t[-1])
    assert mean_per_core(back.repeat.samples) == pytest.approx(mean_per_core(repeat.samples), abs=0.6)
    assert (tmp_path / JOURNAL_NAME).stat().st_size < 60_000


def test_a_repeat_journaled_with_task_results_as_lists_still_reads():
    # Journals hold each task's result as a list; those written before gil_enabled have seven fields.
    data = {"wall_s": 0.5, "cpu_s": 0.4, "start": 100.0, "samples": None,
            "task_results": [[0, 42, 100.1, 100.4, 0.3, None, 77], [1, 8, 100.1, 100.3, 0.2, 2048, 78, True]]}
    repeat = Repeat.from_dict(data)
    assert repeat.task_results == (TaskResult(0, 42, 100.1, 100.4, 0.3, None, 77),
                                   TaskResult(1, 8, 100.1, 100.3, 0.2, 2048, 78, True))
    assert repeat.total == 50 and Repeat.from_dict(repeat.to_dict()) == repeat
