"""``harness history`` from the command line: real git repositories, real SQLite files, real sweeps.

Histories with a known step are real results.json files (one tiny sweep) at each commit of a
real repository, their timings scaled; ``history run`` and ``history find`` measure for real
(tiny n). Nothing asserts what real timings decide except a 4x slowdown.
"""

import json
import re
import os
import signal
import time

import pytest

from harness.cli.history_options import _AB_DEFAULT_ROUNDS
from harness.compare.ab import DEFAULT_ROUNDS

from tests._history import git, harness, make_repo, real_results, scaled_results
from tests._processes import start_cli

WORKLOAD = '''
def poly(lo, hi):
    res = 0
    for i in range(lo, hi):
        res += i + i**2 + i**3
    return res
'''
SLOWER = WORKLOAD.replace("    return res", "    for _ in range(3):\n        poly_extra = sum(i * i for i in range(lo, hi))\n    return res")
TINY = ["--workload", "work:poly", "--backends", "serial", "--n", "20000", "--repeat", "3", "--warmup", "0"]
# One round a side of 6 repeats: enough for the Mann-Whitney test (6 vs 6 reaches p = 0.002). At
# n=100,000 a repeat takes tens of ms, so a stall of the shared host (a core lost for a few ms)
# cannot make one GOOD repeat as slow as the 4x slower commit's, as it once did at n=20,000.
FIND = [*TINY[:-6], "--n", "100000", "--repeat", "6", "--warmup", "0"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return real_results(tmp_path_factory.mktemp("cli-sweep"))


@pytest.fixture(scope="module")
def stepped(tmp_path_factory, results):
    """12 commits, their sweeps at level 1.0 up to commit 6 and 1.5 from commit 7, added to a store."""
    folder = tmp_path_factory.mktemp("stepped")
    repo, db = folder / "repo", folder / "history.sqlite"
    shas = make_repo(repo, 13)
    files = [scaled_results(results, str(folder / f"r{k}.json"), shas[k - 1], 1.0 if k <= 6 else 1.5, seed=k)
             for k in range(1, 13)]
    done = harness("history", "add", *files, "--repo", repo, "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("added 2 run(s)") == 12
    return repo, db, shas, folder


def one_line_error(done, fragment: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("harness history"), done.stderr
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in done.stderr


def test_the_cli_repeats_abs_default_rounds():
    assert _AB_DEFAULT_ROUNDS == DEFAULT_ROUNDS


def test_regressions_lists_the_step_with_its_commit_range(stepped):
    repo, db, shas, _ = stepped
    done = harness("history", "regressions", "--db", db, "--json")
    assert done.returncode == 0, done.stderr
    steps = json.loads(done.stdout)
    assert {(s["config"]["backend"], s["metric"], s["direction"]) for s in steps} == {
        ("serial", "time", "up"), ("threads", "time", "up")}
    for step in steps:
        assert step["commit"] == shas[6] and step["previous_commit"] == shas[5] and step["contiguous"]
        assert step["change"] == pytest.approx(0.5, abs=0.03) and step["after"] > step["before"]
        assert step["p_value"] < 0.05 and step["kind"] == "regression" and step["open"]
        assert step["unit"] == "x reference" and step["subject"] == "commit 7"
        assert {"series", "metric", "commit", "previous_commit", "before", "after", "change"} <= set(step)
    table = harness("history", "regressions", "--db", db)
    assert "time regression at " + shas[6][:10] in table.stdout and re.search(r"\(\+(4[5-9]|5[0-5])\.\d%", table.stdout)


def test_check_fails_the_commit_that_opens_the_step_and_passes_the_others(stepped, results):
    repo, db, shas, folder = stepped
    assert harness("history", "check", "--db", db, "--repo", repo, "--commit", shas[6]).returncode == 1
    assert harness("history", "check", "--db", db, "--repo", repo, "--commit", shas[11]).returncode == 0  # the tip
    # A new commit, 40% slower still: too new for a step (3 commits after it are needed), caught at the tip.
    copy = folder / "tip.sqlite"
    copy.write_bytes(db.read_bytes())
    added = harness("history", "add", scaled_results(results, str(folder / "r13.json"), shas[12], 2.1, seed=13),
                    "--repo", repo, "--db", copy)
    assert added.returncode == 0, added.stderr
    done = harness("history", "check", "--db", copy, "--repo", repo)  # --commit HEAD
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"time regression at {shas[12][:10]}" in done.stdout and "regression(s) beyond 10%" in done.stdout


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, results):
    folder = tmp_path_factory.mktemp("bad")
    repo = folder / "repo"
    shas = make_repo(repo, 2)
    files = {"none": scaled_results(results, str(folder / "none.json"), None),
             "dirty": scaled_results(results, str(folder / "dirty.json"), shas[0] + "-dirty"),
             "good": scaled_results(results, str(folder / "good.json"), shas[0])}
    corrupt = folder / "corrupt.sqlite"
    corrupt.write_bytes(b"not a database" * 100)
    return folder, repo, files, corrupt


@pytest.mark.parametrize("case, fragment", [
    ("none", "name no git commit; say which commit they measured with --commit SHA"),
    ("dirty", "measured uncommitted changes"),
    ("unknown", "unknown ref"),
    ("not-git", "not a git repository"),
    ("corrupt", "not a readable history database"),
    ("postgresql", "cannot connect"),
])
def test_history_add_refuses_bad_input_with_one_line_and_leaves_the_store(bad_inputs, case, fragment, tmp_path):
    folder, repo, files, corrupt = bad_inputs
    db = tmp_path / "h.sqlite"
    args = {"none": [files["none"]], "dirty": [files["dirty"]], "unknown": [files["good"], "--commit", "0" * 40],
            "not-git": [files["good"], "--repo", tmp_path], "corrupt": [files["good"], "--db", corrupt],
            "postgresql": [files["good"], "--db", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=3"]}[case]
    before = corrupt.read_bytes()
    done = harness("history", "add", "--repo", repo, "--db", db, *args)
    one_line_error(done, fragment)
    assert not db.exists()  # nothing was created
    assert corrupt.read_bytes() == before
    assert sorted(os.listdir(folder)) == ["corrupt.sqlite", "dirty.json", "good.json", "none.json", "repo"]


def test_commit_overrides_what_the_results_recorded(bad_inputs, tmp_path):
    folder, repo, files, _ = bad_inputs
    db = tmp_path / "h.sqlite"
    done = harness("history", "add", files["dirty"], "--commit", "HEAD", "--branch", "topic", "--repo", repo, "--db", db)
    assert done.returncode == 0, done.stderr
    assert "added 2 run(s)" in done.stdout


@pytest.mark.parametrize("args, fragment", [
    (["run", "HEAD..HEAD", "--repo", "{repo}", "--db", "{db}", *TINY], "no commits in this range"),
    (["run", "HEAD", "--repo", "{tmp}", "--db", "{db}", *TINY], "not a git repository"),
    (["run", "nosuchref..HEAD", "--repo", "{repo}", "--db", "{db}", *TINY], "unknown ref"),
    (["run", "HEAD", "--repo", "{repo}", "--db", "{db}", *TINY, "--workers", "0"], "sweep options"),
    (["run", "HEAD", "--passes", "0", "--repo", "{repo}", "--db", "{db}", *TINY], "--passes"),
    (["regressions", "--db", "{tmp}/missing.sqlite"], "no such history database"),
    (["check", "--commit", "HEAD", "--repo", "{repo}", "--db", "{db}"], "is not in the store"),
    (["find", "HEAD", "nosuchref", "--repo", "{repo}", *TINY], "unknown ref"),
    (["find", "HEAD", "HEAD", "--repo", "{repo}", *TINY], "no commits in this range"),
])
def test_other_subcommands_refuse_bad_input_with_one_line(bad_inputs, tmp_path, args, fragment):
    _, repo, files, _ = bad_inputs
    db = tmp_path / "h.sqlite"
    if args[0] == "check":  # a store without HEAD's sweep
        assert harness("history", "add", files["good"], "--commit", "HEAD~1", "--repo", repo, "--db", db).returncode == 0
    args = [str(a).replace("{tmp}", str(tmp_path)).replace("{repo}", str(repo)).replace("{db}", str(db)) for a in args]
    one_line_error(harness("history", *args), fragment)
    assert args[0] == "check" or not db.exists()


def test_harness_run_history_adds_the_sweep_at_the_checked_out_commit(tmp_path):
    repo = tmp_path / "repo"
    shas = make_repo(repo, 1, "work.py", lambda k: WORKLOAD)
    db = tmp_path / "h.sqlite"
    done = harness("run", *TINY, "--no-report", "--quiet", "--out", tmp_path / "out", "--history", db, cwd=repo,
                   env={"PYTHONPATH": str(repo)})
    assert done.returncode == 0, done.stderr
    listed = harness("history", "regressions", "--db", db, "--json")
    assert json.loads(listed.stdout) == []
    from harness.history.store import HistoryStore

    with HistoryStore.open(str(db)) as store:
        assert store.commit(shas[0]) is not None and store.counts()["points"] == 1


def interrupted_while_storing(args, sweep: int, tmp_path) -> str:
    """``args`` run until its ``sweep``-th sweep is being stored (not yet committed), then SIGINT: its stderr."""
    marker = tmp_path / "paused"
    proc = start_cli(*args, extra_env={"HARNESS_PAUSE_AT": f"history-commit:{sweep}", "HARNESS_PAUSE_MARKER": str(marker)})
    deadline = time.monotonic() + 240
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), proc.communicate()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    return stderr


def test_history_run_measures_each_commit_once_and_resumes_after_an_interrupt(tmp_path):
    repo = tmp_path / "repo"
    shas = make_repo(repo, 3, "work.py", lambda k: WORKLOAD + f"# revision {k}\n")
    status = git(repo, "status", "--porcelain")
    db, out = tmp_path / "h.sqlite", tmp_path / "runs"
    args = ["history", "run", "HEAD", "--repo", repo, "--db", db, "--out", out, "--quiet", *TINY]
    # Interrupted while the second commit's sweep is being stored: the first stays, the second is rolled back.
    assert "2 commit(s) still to measure" in interrupted_while_storing(args, 2, tmp_path)
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    again = harness(*args)
    assert again.returncode == 0, again.stderr
    assert "measured 2 commit(s), skipped 1 already stored" in again.stdout
    assert "measured 0 commit(s), skipped 3" in harness(*args).stdout
    from harness.history.store import HistoryStore

    with HistoryStore.open(str(db)) as store:
        assert [store.commit(sha).position for sha in shas] == [1, 2, 3]
        assert store.counts() == {"commits": 3, "sweeps": 3, "series": 1, "points": 3}
    assert git(repo, "status", "--porcelain") == status
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_history_run_passes_measure_each_commit_once_per_pass_in_alternate_directions_and_resume_in_their_pass(tmp_path):
    repo = tmp_path / "repo"
    shas = make_repo(repo, 2, "work.py", lambda k: WORKLOAD + f"# revision {k}\n")
    db, out = tmp_path / "h.sqlite", tmp_path / "runs"
    args = ["history", "run", "HEAD", "--repo", repo, "--db", db, "--out", out, "--quiet", "--passes", "2", *TINY]
    # Interrupted while pass 2's first sweep (the newest commit: pass 2 runs newest first) is being stored.
    assert "2 commit(s) still to measure" in interrupted_while_storing(args, 3, tmp_path)
    again = harness(*args)
    assert again.returncode == 0, again.stderr
    assert "measured 2 commit(s) in 2 sweep(s) (--passes 2), skipped 0 already stored" in again.stdout
    assert "measured 0 commit(s) in 0 sweep(s) (--passes 2), skipped 2" in harness(*args).stdout
    assert sorted(os.listdir(out)) == sorted(f"{sha[:10]}-{k}" for sha in shas for k in (1, 2))
    from harness.history.series import metric_series
    from harness.history.store import HistoryStore

    with HistoryStore.open(str(db)) as store:
        order = store.db.query("SELECT k.sha FROM sweeps s JOIN commits k ON k.id = s.commit_id ORDER BY s.id")
        assert [row[0] for row in order] == [shas[0], shas[1], shas[1], shas[0]]
        (history,) = store.load()
    time_series = next(m for m in metric_series(history) if m.metric.name == "time")
    assert [c.sha for c in time_series.commits] == shas
    assert [len(time_series.samples.row(i)) for i in range(2)] == [6, 6]  # 3 repeats x 2 passes, pooled per commit


def test_history_run_measures_the_commits_beside_a_step_again(tmp_path):
    """8 commits, the last 4 about 4x slower: the step at commit 5 has neighbours 4 and 5, each
    measured once more (--confirm 1); the step stays at 5, and a run again measures nothing."""
    repo = tmp_path / "repo"
    shas = make_repo(repo, 8, "work.py", lambda k: (SLOWER if k > 4 else WORKLOAD) + f"# revision {k}\n")
    db, out = tmp_path / "h.sqlite", tmp_path / "runs"
    args = ["history", "run", "HEAD", "--repo", repo, "--db", db, "--out", out, "--quiet", "--confirm", "1", *TINY]
    done = harness(*args)
    assert done.returncode == 0, done.stderr
    # Busy cores or memory may step too on a noisy host: their neighbours are confirmed as well.
    assert "measured 8 commit(s), then " in done.stdout and " commit(s) beside steps again in " in done.stdout
    assert {f"{shas[3][:10]}-2", f"{shas[4][:10]}-2"} <= set(os.listdir(out))
    assert not any(name.endswith("-3") for name in os.listdir(out))  # one more sweep each, no more
    assert "measured 0 commit(s), skipped 8" in harness(*args).stdout
    steps = json.loads(harness("history", "regressions", "--db", db, "--json").stdout)
    assert [s["commit"] for s in steps if s["metric"] == "time"] == [shas[4]]


def test_history_find_bisects_to_the_commit_that_made_it_slower(tmp_path):
    repo = tmp_path / "repo"
    sources = {1: WORKLOAD, 2: SLOWER, 3: SLOWER + "# a comment\n"}
    shas = make_repo(repo, 3, "work.py", sources.get)
    common = ["--repo", repo, "--rounds", "1", "--quiet", *FIND]
    done = harness("history", "find", shas[0], shas[2], "--out", tmp_path / "f1", *common)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == shas[1]  # GOOD against BAD, then the one midpoint: commit 2
    assert "1 commit(s) measured besides GOOD and BAD" in lines[-2]
    probes = [line for line in lines if "than GOOD: " in line]  # both 4x slower: decided in their one round
    assert len(probes) == 2 and all(line.endswith("(1 round(s) a side)") for line in probes), probes
    same = harness("history", "find", shas[1], shas[2], "--threshold", "100", "--out", tmp_path / "f2", *common)
    assert same.returncode == 1, same.stdout + same.stderr
    assert "is not slower than GOOD" in same.stdout.strip().splitlines()[-1]
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
