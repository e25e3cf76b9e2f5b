"""Results are never lost or corrupted: SIGKILL mid-write, an existing results.json, bad files.

The harness writes results.json atomically (temporary file, fsync, rename) and appends
each run to runs.jsonl; these tests kill a real harness before and in the middle of each
kind of write (deterministic pause points, harness/results/pause_points.py) and check that what is on disk always loads, that --resume picks up from it, that an
existing results.json is never overwritten, and that bad results files are refused with
one line and exit 2.
"""

import json
import os
import signal
import subprocess
import sys

import pytest

from harness.results.journal import JOURNAL_NAME, append_journal, read_journal
from harness.results.storage import RESULTS_NAME, ResultsFileError, load_suite

from tests._processes import children, cli_env, leftover_children, signal_at_pause

# 5 sizes x (serial + threads at 1..6 workers) = 35 tiny runs.
KILL_SWEEP = ["--backends", "serial,threads", "--workers", "1,2,3,4,5,6", "--n", "0,1,2,3,4",
              "--repeat", "1", "--no-interleave", "--warmup", "0", "--no-sampling", "--no-report", "--quiet"]
KILL_PLANNED = 5 * (1 + 6)
# Where each successive harness is killed (harness/results/pause_points.py): the K-th time that process
# reaches the point. Before and in the middle of a journal append and of a results.json save.
# A pause at journal-*:K means K - 1 runs of that process are journaled whole. results.json is
# saved when a harness starts (save 1), at most every few seconds, and at the end: the last
# kill lands in the second save, which for these tiny runs is the final one, after the journal
# already holds every run.
KILL_SCHEDULE = [("journal-mid", 3), ("save-mid", 1), ("journal-before", 2), ("save-before", 1),
                 ("journal-mid", 4), ("journal-before", 1), ("journal-mid", 2), ("save-mid", 2)]
# Generous: a start-up takes about a second here; a loaded machine may take many.
PAUSE_WAIT_S = 120


def run_cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], env=cli_env(), capture_output=True,
                          text=True, timeout=timeout)


def check_consistent(out) -> int:
    """results.json (if any) loads, the journal reads, and every run results.json holds is journaled."""
    journal = read_journal(str(out))
    keys = [r.key for r in journal]
    assert len(keys) == len(set(keys)), "a run was journaled twice"
    results = out / RESULTS_NAME
    if results.exists():
        suite = load_suite(str(results))  # raises on a torn or invalid file
        saved = [r.key for r in suite.runs]
        assert set(saved) <= set(keys), "results.json holds a run the journal lacks"
    return len(journal)


def kill_at(args, point: str, occurrence: int, marker) -> None:
    """Start a harness that pauses at ``point`` for the ``occurrence``-th time, and SIGKILL it there."""
    if marker.exists():
        marker.unlink()
    signal_at_pause(args, f"{point}:{occurrence}", marker, signal.SIGKILL, wait_s=PAUSE_WAIT_S)


def test_sigkill_before_and_inside_every_write_never_loses_a_finished_run(tmp_path):
    out = tmp_path / "out"
    marker = tmp_path / "paused"
    before = children()
    journaled = 0
    for point, occurrence in KILL_SCHEDULE:
        resume = (out / RESULTS_NAME).exists()
        args = ["run", "--resume", out, "--quiet", "--no-report"] if resume else ["run", *KILL_SWEEP, "--out", out]
        kill_at(args, point, occurrence, marker)
        count = check_consistent(out)
        if point.startswith("journal"):  # exactly the runs this harness finished before the pause
            assert count == journaled + occurrence - 1, (point, occurrence, journaled, count)
        assert count >= journaled, "a journaled run was lost"
        journaled = count
    # --resume finishes it: every planned run exactly once, the complete flag set, no debris.
    done = run_cli("run", "--resume", out, "--quiet", "--no-report")
    assert done.returncode == 0, done.stderr
    suite = load_suite(str(out / RESULTS_NAME))
    assert suite.complete is True
    keys = [r.key for r in suite.runs]
    assert len(keys) == len(set(keys)) == KILL_PLANNED
    assert all(r.status == "ok" and r.result_ok for r in suite.runs)
    assert check_consistent(out) == KILL_PLANNED
    assert not [name for name in os.listdir(out) if name.startswith(".tmp-")]
    assert (os.stat(out / RESULTS_NAME).st_mode & 0o777) == (os.stat(out / JOURNAL_NAME).st_mode & 0o777)
    assert not leftover_children(before)


def test_a_torn_journal_line_is_dropped_and_the_next_append_stays_readable(tmp_path):
    done = run_cli("run", "--backends", "serial,threads", "--workers", "1,2", "--n", "10", "--repeat", "1",
                   "--warmup", "0", "--no-sampling", "--no-report", "--quiet", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    runs = read_journal(str(tmp_path))
    assert len(runs) == 3
    journal = tmp_path / JOURNAL_NAME
    whole = journal.read_bytes()
    # A crash mid-append: the last line cut short, without its newline.
    journal.write_bytes(whole[: len(whole) - 40])
    assert [r.key for r in read_journal(str(tmp_path))] == [r.key for r in runs[:2]]
    append_journal(str(tmp_path), runs[2])
    assert [r.key for r in read_journal(str(tmp_path))] == [r.key for r in runs]
    # Only the torn tail is forgiven: a bad line in the middle is an error that names it.
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text(lines[0] + "{not json\n" + "".join(lines[1:]))
    with pytest.raises(ResultsFileError, match="line 2"):
        read_journal(str(tmp_path))


@pytest.fixture(scope="module")
def good_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("good")
    done = run_cli("run", "--backends", "serial,threads", "--workers", "1,2", "--n", "1000", "--repeat", "2",
                   "--warmup", "0", "--no-report", "--quiet", "--out", out)
    assert done.returncode == 0, done.stderr
    return out / RESULTS_NAME


def test_an_existing_results_file_is_never_overwritten(tmp_path, good_results):
    out = tmp_path / "out"
    out.mkdir()
    for content in (good_results.read_bytes(), b"precious, not even JSON\n"):
        (out / RESULTS_NAME).write_bytes(content)
        done = run_cli("run", "--backends", "serial", "--workers", "1", "--n", "10", "--repeat", "1",
                       "--warmup", "0", "--no-report", "--quiet", "--out", out)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "--resume" in lines[0] and "Traceback" not in done.stderr, done.stderr
        assert (out / RESULTS_NAME).read_bytes() == content
        assert sorted(os.listdir(out)) == [RESULTS_NAME]  # nothing else written either


def bad_variants(good: str) -> dict[str, str]:
    """Results files that must be refused, by name, derived from a good one."""

    def edited(change) -> str:
        data = json.loads(good)
        change(data)
        return json.dumps(data)  # writes float nan / inf as bare NaN / Infinity tokens, as a careless tool would

    def first_run(field, value):
        return lambda d: d["runs"][0].__setitem__(field, value)

    return {
        "truncated": good[: len(good) // 2],
        "empty": "",
        "not-json": "this is not JSON {",
        "a-list": "[1, 2, 3]",
        "schema-99": edited(lambda d: d.update(schema_version=99)),
        "schema-text": edited(lambda d: d.update(schema_version="1")),
        "negative-time": edited(first_run("times_s", [-1.0])),
        "negative-median": edited(first_run("median_s", -0.5)),
        "nan": edited(first_run("median_s", float("nan"))),
        "infinity": edited(first_run("times_s", [float("inf")])),
        "unknown-status": edited(first_run("status", "great")),
        "missing-runs": edited(lambda d: d.pop("runs")),
        "run-not-object": edited(lambda d: d.update(runs=[5])),
        "cpu-not-object": edited(first_run("cpu", "busy")),
    }


BAD_NAMES = list(bad_variants(json.dumps({"runs": [{}]})))


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, good_results):
    folder = tmp_path_factory.mktemp("bad")
    paths = {}
    for name, text in bad_variants(good_results.read_text()).items():
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(text)
    return paths


def test_the_good_file_loads(good_results):
    suite = load_suite(str(good_results))
    assert suite.complete is True and len(suite.runs) == 3


@pytest.mark.parametrize("name", BAD_NAMES)
def test_load_suite_refuses_bad_files_with_a_clear_error(bad_files, name):
    path = bad_files[name]
    with pytest.raises(ResultsFileError) as caught:
        load_suite(str(path))
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    if name == "schema-99":
        assert "newer" in message


@pytest.mark.parametrize("name", ["truncated", "not-json", "schema-99", "negative-time", "nan", "run-not-object"])
def test_harness_report_refuses_bad_files_with_one_line_and_exit_2(bad_files, tmp_path, name):
    done = run_cli("report", bad_files[name], "--out", tmp_path / "report")
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert str(bad_files[name]) in lines[0]
    assert not (tmp_path / "report").exists()


def test_harness_report_on_a_missing_file_or_a_folder_exits_2(tmp_path):
    for target in (tmp_path / "nope.json", tmp_path):
        done = run_cli("report", target)
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
