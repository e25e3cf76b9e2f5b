"""``harness ab BASE HEAD``: real git, real worktrees, real runs of a throwaway repository.

The decision rule itself is tested in test_compare.py; here: the protocol around it (sides
checked out and removed, alternated rounds, results kept and readable), bad input, an
interrupt in the middle, and the "unstable, not judged" rule on literal samples. No test
asserts what real timings decide: that depends on the machine.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from harness.compare.ab import Disagreement, mark_unstable, round_disagreement, round_order
from harness.compare import Comparison, Entry, Row, Side, format_markdown, format_table, summary_line
from harness.compare.result import VERDICT_UNSTABLE
from harness.compare.rule import RegressionCheck

from tests._processes import alive, cli_env, descendants, wait_for_empty_session

WORKLOAD = textwrap.dedent('''
    import time


    def poly(lo, hi):
        res = 0
        for i in range(lo, hi):
            res += i + i**2 + i**3
        return res


    def slow(lo, hi):
        """20 ms a call: a round that lasts long enough to be interrupted."""
        time.sleep(0.02)
        return poly(lo, hi)


    def ORACLE(n):
        return n * (n - 1) // 2 + (n - 1) * n * (2 * n - 1) // 6 + (n * (n - 1) // 2) ** 2
''')
SMALL = ["--workload", "abwork:poly", "--backends", "serial,pool", "--workers", "2", "--n", "20000",
         "--repeat", "3", "--warmup", "0"]


def git(repo, *args) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A user's repository: tag base (the workload), aa (only a comment changed), nomodule (it is gone).

    It also has an uncommitted change, which harness ab must leave alone.
    """
    path = tmp_path_factory.mktemp("user-repo")
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "test@example.invalid")
    git(path, "config", "user.name", "test")
    (path / "abwork.py").write_text(WORKLOAD)
    git(path, "add", "abwork.py")
    git(path, "commit", "-qm", "the workload")
    git(path, "tag", "base")
    (path / "abwork.py").write_text("# only a comment differs\n" + WORKLOAD)
    git(path, "commit", "-qam", "a comment")
    git(path, "tag", "aa")
    git(path, "checkout", "-q", "base")
    (path / "abwork.py").write_text(WORKLOAD.replace("return res", "return res + 1"))
    git(path, "commit", "-qam", "a wrong result")
    git(path, "tag", "wrong")
    git(path, "checkout", "-q", "aa")
    git(path, "rm", "-q", "abwork.py")
    git(path, "commit", "-qm", "the workload is gone")
    git(path, "tag", "nomodule")
    git(path, "checkout", "-q", "aa")
    (path / "notes.txt").write_text("uncommitted work\n")
    return path


def ab(*args, cwd, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", "ab", *map(str, args)], cwd=str(cwd), env=cli_env(),
                          capture_output=True, text=True, timeout=timeout)


def assert_clean(repo, status_before: str) -> None:
    """No worktree, no branch left; the user's working tree as it was."""
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1, git(repo, "worktree", "list")
    assert git(repo, "worktree", "prune", "--dry-run", "--verbose") == ""
    assert git(repo, "for-each-ref", "--format=%(refname)").split() == [
        "refs/heads/main", "refs/tags/aa", "refs/tags/base", "refs/tags/nomodule", "refs/tags/wrong"]  # no temporary branch
    assert git(repo, "status", "--porcelain") == status_before
    assert (repo / "notes.txt").read_text() == "uncommitted work\n"


# -- the protocol, for real --------------------------------------------------------------------

def test_ab_alternates_rounds_and_keeps_results_for_compare_and_report(repo, tmp_path):
    status = git(repo, "status", "--porcelain")
    out, markdown = tmp_path / "ab", tmp_path / "summary.md"
    result = ab("base", "aa", "--rounds", "2", "--out", out, "--markdown", markdown, "--quiet", *SMALL, cwd=repo)
    # A/A on real timings may still read as anything; what it decided is not asserted.
    assert result.returncode in (0, 1, 3), result.stderr
    assert "Traceback" not in result.stderr
    assert "serial w1" in result.stdout and "pool w2" in result.stdout
    assert "mann-whitney /ref" in result.stdout  # --reference was added: the rounds are normalized
    assert "## Benchmark comparison" in markdown.read_text()
    assert_clean(repo, status)

    sides = json.loads((out / "sides.json").read_text())
    assert sides["base"]["commit"] == git(repo, "rev-parse", "base").strip()
    assert sides["head"]["commit"] == git(repo, "rev-parse", "aa").strip()
    assert "--reference" in sides["sweep"]
    started = {}
    for side in ("base", "head"):
        for number in (1, 2):
            data = json.loads((out / f"{side}-{number}" / "results.json").read_text())
            assert data["complete"] is True and data["config"]["reference_n"]
            assert all(run["result_ok"] for run in data["runs"])
            started[(side, number)] = data["created"]
    # base, head, then head, base
    assert started[("base", 1)] <= started[("head", 1)] <= started[("head", 2)] <= started[("base", 2)]

    compared = subprocess.run([sys.executable, "-m", "harness", "compare", str(out / "base-*" / "results.json"),
                               str(out / "head-*" / "results.json")], env=cli_env(), capture_output=True, text=True)
    assert compared.returncode in (0, 1), compared.stderr
    assert "pool w2" in compared.stdout
    report = subprocess.run([sys.executable, "-m", "harness", "report", str(out / "head-1" / "results.json"),
                             "--baseline", str(out / "base-1" / "results.json"), "--out", str(tmp_path / "report")],
                            env=cli_env(), capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "report" / "report.html").exists()


def test_setup_runs_in_each_worktree_and_its_python_runs_that_side(repo, tmp_path):
    status = git(repo, "status", "--porcelain")
    out = tmp_path / "ab"
    # A venv stand-in: this interpreter's environment linked into the worktree as .venv.
    setup = f"ln -s {sys.prefix} .venv && echo set up in $(pwd)"
    # From another folder, with --repo, and --out relative to where harness ab was started.
    result = ab("base", "aa", "--repo", repo, "--rounds", "1", "--out", "ab", "--setup", setup, "--quiet", *SMALL,
                cwd=tmp_path)
    assert result.returncode in (0, 1, 3), result.stderr
    sides = json.loads((out / "sides.json").read_text())
    for side in ("base", "head"):
        log = (out / f"setup-{side}.log").read_text()
        assert log.startswith("set up in ") and "harness-ab-" in log
        assert sides[side]["python"].endswith(os.path.join(side, ".venv", "bin", "python"))
        assert (out / f"{side}-1" / "results.json").exists()
    assert_clean(repo, status)


@pytest.mark.parametrize("extra, fragment", [
    (["--setup", "echo trying; exit 7"], "--setup failed in base (base at"),
    (["--setup", "true", "--setup-python", "env/bin/python"], "--setup-python env/bin/python: --setup made no such file"),
    # A bare venv: this harness is put on its path, but harness's dependencies are not there.
    (["--setup", f"{sys.executable} -m venv --without-pip .venv"], "cannot import psutil; install harness's"),
])
def test_failed_setup_exits_2_with_one_line(repo, tmp_path, extra, fragment):
    status = git(repo, "status", "--porcelain")
    result = ab("base", "aa", "--out", tmp_path / "ab", *extra, *SMALL, cwd=repo)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert_clean(repo, status)


def test_a_head_that_computes_a_wrong_result_fails_the_gate(repo, tmp_path):
    result = ab("base", "wrong", "--rounds", "1", "--out", tmp_path / "ab", "--quiet", *SMALL, cwd=repo)
    assert result.returncode == 1, result.stderr
    rows = [line for line in result.stdout.splitlines() if " n=20000 " in line]
    assert len(rows) == 2 and all("failed" in row and "wrong result" in row for row in rows), result.stdout


def test_the_cli_repeats_abs_constants_faithfully():
    import harness.compare.ab
    import harness.cli.parser

    assert (harness.cli.parser._AB_DEFAULT_ROUNDS, harness.cli.parser._AB_EXIT_UNSTABLE) == (harness.compare.ab.DEFAULT_ROUNDS,
                                                                           harness.compare.ab.EXIT_UNSTABLE)


def test_round_order_is_abba():
    assert [round_order(k) for k in (1, 2, 3, 4)] == [("base", "head"), ("head", "base"),
                                                       ("base", "head"), ("head", "base")]


# -- bad input: exit 2, one line, no traceback, nothing left behind ------------------------------

@pytest.mark.parametrize("args, fragment", [
    (["base", "no-such-ref"], "HEAD 'no-such-ref': unknown ref"),
    (["no-such-ref", "aa"], "BASE 'no-such-ref': unknown ref"),
    (["base", "nomodule"], "the workload module 'abwork' is not in that commit"),
    (["base", "aa", "--rounds", "0"], "--rounds"),
    (["base", "aa", "--threshold", "-1"], "--threshold"),
    (["base", "aa", "--alpha", "2"], "--alpha"),
    (["base", "aa", "--workers", "0"], "sweep options (passed on to harness run): --workers"),
    (["base", "aa", "--repeat", "zero"], "sweep options (passed on to harness run): argument --repeat"),
    (["base", "aa", "--bogus"], "unrecognized arguments: --bogus"),
    (["base", "aa", "--resume", "x"], "--resume"),
    (["base", "aa", "--setup-python", "x"], "--setup-python: only with --setup"),
])
def test_bad_input_exits_2_with_one_line(repo, tmp_path, args, fragment):
    status = git(repo, "status", "--porcelain")
    out = tmp_path / "ab"
    result = ab(*args[:2], "--out", out, *SMALL, *args[2:], cwd=repo)  # the bad option last: it wins
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing measured, no empty folder left
    assert_clean(repo, status)


def test_repo_that_is_not_a_git_repository_exits_2(repo, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    result = ab("base", "aa", "--repo", plain, *SMALL, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"harness ab: error: --repo {plain}: not a git repository (accepted: a folder inside a git repository)"]


def test_a_repo_folder_missing_at_a_ref_exits_2(repo, tmp_path):
    status = git(repo, "status", "--porcelain")
    (repo / "later").mkdir()  # empty, so git tracks nothing there: at neither ref
    try:
        result = ab("base", "aa", "--repo", repo / "later", *SMALL, cwd=tmp_path)
    finally:
        (repo / "later").rmdir()
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the folder later is not in that commit" in lines[0], result.stderr
    assert_clean(repo, status)


def test_out_folder_with_files_is_refused_and_kept(repo, tmp_path):
    out = tmp_path / "ab"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = ab("base", "aa", "--out", out, *SMALL, cwd=repo)
    assert result.returncode == 2 and "--out" in result.stderr and len(result.stderr.splitlines()) == 1
    assert sorted(os.listdir(out)) == ["keep.txt"] and (out / "keep.txt").read_text() == "mine"


# -- an interrupt in the middle --------------------------------------------------------------------

def wait_for(predicate, timeout_s: float, what: str, proc) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"harness ab exited early ({proc.returncode}) waiting for {what}: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_round_removes_worktrees_and_every_process(repo, tmp_path, signum, code):
    status = git(repo, "status", "--porcelain")
    out = tmp_path / "ab"
    # 20 ms calls, 30 repeats: a round lasts seconds, so the signal lands inside one.
    sweep = ["--workload", "abwork:slow", "--backends", "serial,processes", "--workers", "2", "--n", "2000",
             "--repeat", "30", "--warmup", "0"]
    proc = subprocess.Popen([sys.executable, "-m", "harness", "ab", "base", "aa", "--out", str(out), *sweep],
                            cwd=str(repo), env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait_for(lambda: (out / "base-1" / "results.json").exists(), 60, "the first round's results.json", proc)
        wait_for(lambda: len(git(repo, "worktree", "list", "--porcelain").split("worktree ")) == 4, 10,
                 "two worktrees", proc)
        trees = [line.split(" ", 1)[1] for line in git(repo, "worktree", "list", "--porcelain").splitlines()
                 if line.startswith("worktree ")][1:]
        run_leader = next(p for p in descendants(proc.pid) if "run" in p.cmdline())
        wait_for(lambda: len(descendants(run_leader.pid)) >= 1, 20, "the round's worker processes", proc)
        pids = [p.pid for p in descendants(proc.pid)]
        os.kill(proc.pid, signum)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert not alive(pids, within_s=5), "processes outlived harness ab"
    # The round's harness run led a session of its own: nothing of it may linger either.
    assert not wait_for_empty_session(run_leader.pid, within_s=5)
    assert not any(os.path.exists(tree) for tree in trees)
    assert_clean(repo, status)
    assert not (out / "head-1").exists()  # the interrupt came in round 1's base run


# -- "unstable, not judged", on literal samples ------------------------------------------------------

CHECK = RegressionCheck(10.0)


def test_rounds_that_agree_are_not_a_disagreement():
    rounds = [(1.00, 1.01, 0.99, 1.02, 0.98), (1.01, 1.00, 1.02, 0.99, 1.00), (0.99, 1.02, 1.00, 1.01, 0.98)]
    assert round_disagreement(rounds, CHECK, 0.05, "base") is None


def test_later_rounds_significantly_beyond_the_threshold_disagree():
    steady, slow = (1.00, 1.01, 0.99, 1.02, 0.98), (1.20, 1.21, 1.19, 1.22, 1.18)
    found = round_disagreement([steady, steady, steady, slow, slow], CHECK, 0.05, "head")
    assert found == Disagreement("head", (1, 2, 3), (4, 5), found.ratio, found.p_value, "mann-whitney")
    assert 1.19 < found.ratio < 1.21 and found.p_value < 0.05
    assert found.describe().startswith("head rounds 4-5 ran 20.")
    assert found.describe().endswith("slower than its rounds 1-3 (p=%.2g)" % found.p_value)


def test_a_lone_odd_round_is_outvoted_not_instability():
    steady, odd = (1.00, 1.01, 0.99, 1.02, 0.98), (1.30, 1.31, 1.29, 1.32, 1.28)
    assert round_disagreement([steady, steady, odd, steady, steady], CHECK, 0.05, "base") is None


def test_beyond_the_threshold_but_not_significant_is_noise_not_a_disagreement():
    rounds = [(1.00, 0.70, 1.40, 0.90, 1.30), (1.30, 0.80, 1.45, 1.15, 0.95)]
    assert round_disagreement(rounds, CHECK, 0.05, "base") is None


def test_faster_later_rounds_disagree_too_and_failed_or_single_rounds_do_not_count():
    steady, fast = (1.00, 1.01, 0.99, 1.02, 0.98), (0.80, 0.81, 0.79, 0.80, 0.82)
    found = round_disagreement([steady, (), fast], CHECK, 0.05, "base")
    assert (found.earlier, found.later) == ((1,), (3,)) and 0.79 < found.ratio < 0.81
    assert "base round 3 ran 20.0% faster than its round 1" in found.describe()
    assert round_disagreement([(1.0, 1.1, 0.9), ()], CHECK, 0.05, "base") is None
    assert round_disagreement([], CHECK, 0.05, "base") is None
    with pytest.raises(ValueError):
        Disagreement("base", (), (2,), 1.2, None, "ci-overlap")


def side(name: str, times: tuple[float, ...]) -> Side:
    entry = Entry(key=("serial", 1, 100), label="serial w1 n=100", times_s=times, median_s=sorted(times)[2],
                  count=len(times), n=100)
    return Side(name, "harness", (entry,))


def test_mark_unstable_overturns_a_verdict_when_one_sides_rounds_disagree():
    row = Row("serial w1 n=100", ("serial", 1, 100), 1.0, 1.3, 1.3, (1.2, 1.4), 0.001, "mann-whitney", "regression")
    comparison = Comparison((row,), (), 10.0, 0.05, "base", "head")
    steady = [side("b1", (1.00, 1.01, 0.99, 1.02, 0.98)), side("b2", (1.01, 1.00, 1.02, 0.99, 1.00))]
    drifting = [side("h1", (1.00, 1.01, 0.99, 1.02, 0.98)), side("h2", (1.60, 1.61, 1.59, 1.62, 1.58))]
    judged = mark_unstable(comparison, steady, drifting)
    assert judged.rows[0].verdict == VERDICT_UNSTABLE
    assert judged.rows[0].note.startswith("not judged: head round 2 ran 60.")
    assert judged.rows[0].note.endswith("beyond the 10% threshold; pooled, it would read 'regression'")
    assert not judged.has_regression and judged.has_unstable
    assert summary_line(judged) == "1 unstable: no regression found, but UNSTABLE configurations were not judged"
    assert "**unstable**" in format_markdown(judged)
    assert any("unstable" in line for line in format_table(judged))
    # Steady on both sides: the verdict stands.
    kept = mark_unstable(comparison, steady, steady)
    assert kept.rows[0].verdict == "regression" and kept.has_regression and not kept.has_unstable
    # A failed row is never overturned.
    failed = Comparison((Row("serial w1 n=100", ("serial", 1, 100), None, None, None, None, None, None, "failed"),),
                        (), 10.0, 0.05)
    assert mark_unstable(failed, steady, drifting).rows[0].verdict == "failed"


@pytest.mark.parametrize("tokens, repeat_given, interleave_given", [
    (["--rep", "7"], True, False), (["--repeat=3"], True, False), (["--reference"], False, False),
    (["--no-inter"], False, True), (["--interleave"], False, True), (["--n", "5"], False, False),
])
def test_ab_adds_repeat_and_interleave_only_where_the_sweep_leaves_them(tokens, repeat_given, interleave_given):
    from harness.cli.ab import _given

    assert _given(tokens, "--repeat", ["--repeat", "1"], ["--repeat", "2"]) is repeat_given
    assert _given(tokens, "--interleave", ["--interleave"], ["--no-interleave"]) is interleave_given
