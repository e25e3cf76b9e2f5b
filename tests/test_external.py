"""--python PATH: the stdlib backends inside another interpreter with nothing installed there."""

import glob
import json
import subprocess
import sys

import pytest


def _other_interpreters():
    found = []
    for path in sorted(glob.glob("/root/.pyenv/versions/3.1[0-9]*/bin/python3") + glob.glob("/usr/bin/python3.1[0-9]")):
        try:
            version = subprocess.run([path, "-c", "import sys; print(sys.version_info[:2] >= (3, 10), sys.version)"],
                                     capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        if version.startswith("True") and version.split()[1] != sys.version.split()[0]:
            found.append(path)
    return found


OTHERS = _other_interpreters()


@pytest.mark.skipif(not OTHERS, reason="no other Python >= 3.10 on this machine")
def test_stdlib_backends_run_inside_another_interpreter(cli, tmp_path):
    other = OTHERS[0]
    # Nothing is installed there: the stdlib part of harness comes from our source folder.
    result = cli("run", "--backends", "serial,threads,processes,pool,shared", "--workers", "2", "--n", "30000",
                 "--repeat", "2", "--warmup", "0", "--python", other, "--out", tmp_path / "o", "--quiet", "--no-report")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "o" / "results.json").read_text())
    pythons = {r["python"] for r in data["runs"]}
    assert len(pythons) == 2
    other_version = subprocess.run([other, "-c", "import platform; print(platform.python_version())"],
                                   capture_output=True, text=True).stdout.strip()
    other_runs = [r for r in data["runs"] if r["python"].rstrip("t") == other_version]
    assert {r["backend"] for r in other_runs} == {"serial", "threads", "processes", "pool", "shared"}
    for run in data["runs"]:
        assert run["status"] == "ok" and run["result_ok"] is True, run
        assert isinstance(run["gil_enabled"], bool)
        assert run["speedup"] is not None  # each interpreter has its own serial baseline
        assert run["cpu"] is not None  # sampled by our interpreter's sampler


def test_unusable_interpreter_is_bad_input(cli, tmp_path):
    result = cli("run", "--python", tmp_path / "nope", "--quiet", "--out", tmp_path / "o")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--python" in result.stderr
    fake = tmp_path / "fakepy"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    result = cli("run", "--python", fake, "--quiet", "--out", tmp_path / "o2")
    assert result.returncode == 2 and "cannot run harness there" in result.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "o2").exists()


@pytest.mark.skipif(not OTHERS, reason="no other Python >= 3.10 on this machine")
def test_sigint_in_the_other_interpreters_interleaved_sweep_keeps_its_repeats_for_resume(tmp_path):
    import os

    from harness.results.journal import read_journal_entries
    from harness.results.storage import load_suite
    from tests._processes import cli_env, signal_at_pause

    out, marker = tmp_path / "out", tmp_path / "paused"
    sweep = ["run", "--backends", "serial,threads", "--workers", "2", "--n", "20000", "--repeat", "3", "--interleave",
             "--warmup", "0", "--no-sampling", "--quiet", "--no-report", "--python", OTHERS[0], "--out", out]
    # Here: 2 configurations x 3 repeats, then their 2 runs (8 appends); the 11th append is
    # the other interpreter's 3rd repeat: it paused with 2 of its repeats journaled.
    code, stderr = signal_at_pause(sweep, "journal-before:11", marker)
    assert code == 130, stderr
    kept = read_journal_entries(str(out))
    assert len(kept.runs) == 2 and sum(len(v) for v in kept.repeats.values()) == 2
    (label,) = {key.python for key in kept.repeats}
    resumed = subprocess.run([sys.executable, "-m", "harness", "run", "--resume", str(out), "--quiet", "--no-report"],
                             env=cli_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    final = load_suite(str(out / "results.json"))
    assert final.complete and len(final.runs) == 4 and len({r.key for r in final.runs}) == 4
    for run in final.runs:
        assert run.status == "ok" and run.result_ok and len(run.times_s) == 3
        walls = tuple(r.repeat.wall_s for r in kept.repeats.get(run.key, ()))
        assert run.times_s[:len(walls)] == walls  # kept, not measured again
    assert {r.python for r in final.runs if r.key in kept.repeats} == {label}
    assert os.path.exists(out / "runs.jsonl")
