"""The typed seams between layers: RunKey, the journal's format versions, the suite's facts.

tests/data/journal-format-1 holds two sweeps the harness before journal format 2 wrote and a
SIGTERM interrupted (range: serial, threads and pool; map: serial and pool at chunksize
static and 4): positional keys, positional task results. They must still resume.
"""

from __future__ import annotations

import json
import os
import platform
import shutil

import pytest

import harness
from harness.environment.pythons import free_threaded_build, interpreter_label
from harness.results.facts import Capacity, Interpreter, Machine
from harness.results.journal import JOURNAL_FORMAT, JOURNAL_NAME, journal_line, read_journal_entries
from harness.results.key import RunKey
from harness.results.repeats import TaskResult
from harness.results.storage import RESULTS_NAME, ResultsFileError, load_suite, save_suite

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "journal-format-1")
RECORDED_LABEL = "3.11.7"  # the interpreter that wrote the data


def test_run_key_reads_both_journal_forms_and_names_itself():
    key = RunKey.of("pool", 2, 24, "strong", "imbalanced", 4, "3.13.15t")
    assert RunKey.from_json(key.to_json()) == key
    assert RunKey.from_json(["pool", 2, 24, "strong", "imbalanced", 4, "3.13.15t"]) == key
    static = RunKey.from_json(["pool", 2, 24, "strong", "imbalanced", "3.13.15t"])
    assert static.chunksize is None and static == RunKey.of("pool", 2, 24, "strong", "imbalanced", "static", "3.13.15t")
    assert key.label == "pool w2 cs=4 n=24 strong" and key.short_label == "pool w2 cs=4 n=24"
    assert key.without_python() == RunKey("pool", 2, 24, "strong", "imbalanced", 4)
    for bad in ([1, 2, 3], {"backend": "pool", "colour": "red"}, "pool"):
        with pytest.raises((ValueError, TypeError)):
            RunKey.from_json(bad)


def test_task_results_are_journaled_by_name_and_old_lists_still_read():
    result = TaskResult(worker=1, value=None, start=1.0, end=2.0, cpu_s=0.9, peak_rss=10, pid=7, gil_enabled=None,
                        thread=7, items=12, busy_s=0.8)
    assert TaskResult.from_journal(result.to_dict()) == result
    assert TaskResult.from_journal([1, None, 1.0, 2.0, 0.9, 10, 7, None, 7, 12, 0.8]) == result
    assert TaskResult.from_journal([1, 5, 1.0, 2.0, 0.9, 10, 7]) == TaskResult(1, 5, 1.0, 2.0, 0.9, 10, 7)


def _current_label() -> str:
    return interpreter_label(platform.python_version(), free_threaded_build(), None)


def _copy(name: str, tmp_path) -> str:
    """The recorded sweep, relabelled for this interpreter (test-all runs under other Pythons)."""
    folder = tmp_path / name
    shutil.copytree(os.path.join(DATA, name), folder)
    for file in (JOURNAL_NAME, RESULTS_NAME):
        path = folder / file
        path.write_text(path.read_text().replace(f'"{RECORDED_LABEL}"', json.dumps(_current_label())))
    return str(folder)


@pytest.mark.parametrize("name, planned", [("range", 3), ("map", 3)])
def test_a_journal_of_format_1_resumes(tmp_path, name, planned):
    folder = _copy(name, tmp_path)
    kept = read_journal_entries(folder)
    assert kept.runs == () and kept.repeats, "the recorded sweep stopped between repeats"
    walls = {key: [r.repeat.wall_s for r in records] for key, records in kept.repeats.items()}
    outcome = harness.Sweep(harness.SweepRequest(resume=folder, sampling=False, report=False)).run()
    suite = outcome.suite
    assert outcome.interrupted_by is None and suite.complete and len(suite.runs) == planned
    assert len({r.key for r in suite.runs}) == planned
    for run in suite.runs:
        assert run.status == "ok" and run.result_ok is True and len(run.times_s) == 3
        assert list(run.times_s[:len(walls.get(run.key, []))]) == walls.get(run.key, [])  # kept, not re-measured
    if name == "map":
        assert {r.key.chunksize for r in suite.runs if r.backend == "pool"} == {None, 4}
    lines = [json.loads(line) for line in open(os.path.join(folder, JOURNAL_NAME))]
    assert "journal" not in lines[0] and lines[-1]["journal"] == JOURNAL_FORMAT  # old lines, then new ones
    assert {r.key for r in read_journal_entries(folder).runs} == {r.key for r in suite.runs}
    from harness.compare import compare_files

    again = compare_files(os.path.join(folder, RESULTS_NAME), os.path.join(folder, RESULTS_NAME))
    assert not again.has_regression and {row.ratio for row in again.rows} == {1.0}


def test_a_run_line_of_format_1_is_the_run_itself(tmp_path):
    run = harness.RunResult(backend="serial", workers=1, n=10, scaling="strong", workload="poly",
                            start_method=None, status="ok", times_s=(0.1,), python="3.12.1")
    (tmp_path / JOURNAL_NAME).write_text(json.dumps(run.to_dict()) + "\n" + json.dumps(journal_line(run)) + "\n")
    journal = read_journal_entries(str(tmp_path))
    assert journal.runs == (run, run)


def test_a_journal_of_a_newer_format_is_refused_by_name(tmp_path):
    (tmp_path / JOURNAL_NAME).write_text(json.dumps({"journal": JOURNAL_FORMAT + 1, "kind": "run"}) + "\n"
                                         + json.dumps({"journal": 1}) + "\n")
    with pytest.raises(ResultsFileError, match=f"journal format {JOURNAL_FORMAT + 1} is newer"):
        read_journal_entries(str(tmp_path))


def test_a_suites_facts_are_typed_and_round_trip_unchanged(tmp_path):
    data = json.loads(open(os.path.join(DATA, "range", RESULTS_NAME)).read())
    data["machine"]["a_field_from_a_newer_harness"] = {"kept": True}
    data["capacity"] = {"processes": 2, "capacity": 1.93, "efficiency": 0.965, "slice_s": 0.1,
                        "block_capacities": [1.9, 1.96], "summary": "Parallel capacity: ..."}
    data["interpreters"] = [{"label": "3.13.15t", "version": "3.13.15", "free_threaded_build": True,
                             "gil_enabled": False, "gil_mode": None, "gil_enabled_by": None,
                             "implementation": "CPython", "executable": "/x/python3"}]
    (tmp_path / "in.json").write_text(json.dumps(data))
    suite = load_suite(tmp_path / "in.json")
    assert isinstance(suite.machine, Machine) and suite.machine.cpus == suite.machine.usable_cpus
    assert suite.machine.extra == {"a_field_from_a_newer_harness": {"kept": True}}
    assert isinstance(suite.capacity, Capacity) and suite.capacity.block_capacities == (1.9, 1.96)
    assert suite.interpreters == (Interpreter.from_dict(data["interpreters"][0]),)
    save_suite(suite, str(tmp_path / "out.json"))
    written = json.loads((tmp_path / "out.json").read_text())
    for section in ("machine", "python", "interpreters", "config"):
        assert written[section] == data[section], section
    assert written["capacity"] == {**data["capacity"], "capacity_after": None}  # schema 5's field, unknown here
