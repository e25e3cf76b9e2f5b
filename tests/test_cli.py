"""The CLI as a user meets it: bad values exit 2 with one line, good runs write results.json."""

import json
import os

import pytest

from harness.results.storage import load_suite


@pytest.mark.parametrize("args, fragment", [
    (["--n", "-5"], "--n"),
    (["--n", "ten"], "--n"),
    (["--n", "1.5"], "--n"),
    (["--workers", "0"], "--workers"),
    (["--workers", "two"], "--workers"),
    (["--backends", "gpu"], "--backends"),
    (["--start-method", "teleport"], "--start-method"),
    (["--scaling", "diagonal"], "--scaling"),
    (["--repeat", "0"], "--repeat"),
    (["--warmup", "-1"], "--warmup"),
    (["--sample-interval", "0.001"], "--sample-interval"),
    (["--sample-interval", "abc"], "--sample-interval"),
    (["--timeout", "-3"], "--timeout"),
    (["--workload", "nope"], "workload"),
    (["--workload", "no_such_mod:f"], "cannot import"),
    (["--flush-every", "0"], "--flush-every"),
    (["--dask-scheduler", "localhost"], "--dask-scheduler"),
    (["--bogus"], "unrecognized arguments"),
    (["--workers", "1,,2"], "--workers"),
    (["--backends", "serial,,threads"], "--backends"),
    (["--n", "1,,2"], "--n"),
    (["--n", "10,"], "--n"),
])
def test_bad_run_options_exit_2_with_one_line(cli, tmp_path, args, fragment):
    out = tmp_path / "out"
    result = cli("run", *args, "--out", out, "--quiet")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing written


def test_bad_option_message_names_what_is_accepted(cli):
    result = cli("run", "--workers", "0")
    assert "accepted: integers >= 1" in result.stderr
    result = cli("run", "--start-method", "x")
    assert "fork" in result.stderr and "spawn" in result.stderr


@pytest.mark.parametrize("args, accepted", [
    (["compare", "a.json", "b.json", "--threshold", "x"], "accepted: a percentage > 0: 10 means 10%"),
    (["ab", "--threshold", "-3"], "accepted: a percentage > 0: 10 means 10%"),
    (["history", "check", "--threshold", "inf"], "accepted: a percentage > 0: 10 means 10%"),
    (["history", "regressions", "--alpha", "abc"], "accepted: a probability 0 < P < 1"),
    (["run", "--max-time", "0"], "accepted: seconds > 0"),
])
def test_a_bad_number_names_the_unit_its_option_takes(cli, args, accepted):
    # A threshold is a percentage and alpha a probability: an error that says "seconds" misleads.
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and accepted in lines[0] and args[-2] in lines[0], result.stderr


def test_unknown_command_and_report_of_missing_file(cli, tmp_path):
    result = cli("frobnicate")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    result = cli("report", tmp_path / "missing.json")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_help_for_every_subcommand(cli):
    for command in ("run", "report", "compare", "ab", "list", "env"):
        result = cli(command, "--help")
        assert result.returncode == 0
        assert "usage:" in result.stdout
    run_help = cli("run", "--help").stdout
    for option in ("--backends", "--workers", "--n", "--scaling", "--repeat", "--warmup", "--start-method",
                   "--sample-interval", "--workload", "--timeout", "--out", "--no-report", "--quiet", "--resume"):
        assert option in run_help
    assert "include that start-up" in " ".join(run_help.split())


def test_a_small_run_writes_results_with_the_contract_fields(cli, tmp_path):
    out = tmp_path / "run"
    result = cli("run", "--backends", "serial,threads,processes,pool", "--workers", "1,2", "--n", "20000",
                 "--repeat", "2", "--warmup", "0", "--out", out, "--no-report")
    assert result.returncode == 0, result.stderr
    assert "Fastest" in result.stdout or "Nothing beat serial" in result.stdout
    data = json.loads((out / "results.json").read_text())
    from harness.results.storage import SCHEMA_VERSION

    assert data["schema_version"] == SCHEMA_VERSION == 9
    for field in ("harness_version", "created", "machine", "python", "config", "runs", "warnings", "capacity"):
        assert field in data
    for field in ("logical_cpus", "physical_cpus", "cpu_model", "affinity", "platform"):
        assert field in data["machine"]
    for field in ("implementation", "version", "executable", "gil_enabled"):
        assert field in data["python"]
    for field in ("backends", "workers", "n", "scaling", "repeat", "warmup", "start_method",
                  "sample_interval_s", "workload", "timeout_s", "max_time_s", "interleave"):
        assert field in data["config"]
    assert data["config"]["interleave"] is True  # the default
    run_fields = ("backend", "workers", "n", "scaling", "workload", "start_method", "status", "error", "times_s",
                  "median_s", "mean_s", "stdev_s", "iqr_s", "ci_s", "ci95_s", "ci_confidence", "startup_s",
                  "cpu_time_s", "speedup", "speedup_above_ideal", "efficiency", "result_ok", "cpu", "worker_spans")
    assert len(data["runs"]) == 1 + 3 * 2
    for run in data["runs"]:
        for field in run_fields:
            assert field in run
        assert run["status"] == "ok" and run["result_ok"] is True
        assert len(run["times_s"]) == 2
        # Two repeats cannot give a 95% interval: ci95_s says so; ci_s holds what they give.
        assert run["ci95_s"] is None and run["ci_s"] is not None and run["ci_confidence"] < 0.95
        assert set(run["cpu"]) >= {"interval_s", "mean_per_core", "busy_cores", "timeline"}
    serial = next(r for r in data["runs"] if r["backend"] == "serial")
    assert serial["speedup"] == 1.0
    suite = load_suite(str(out / "results.json"))
    assert suite.complete
    assert os.path.exists(out / "runs.jsonl")


def test_existing_results_are_never_overwritten(cli, tmp_path):
    out = tmp_path / "keep"
    out.mkdir()
    (out / "results.json").write_text("precious")
    result = cli("run", "--backends", "serial", "--n", "10", "--out", out, "--quiet", "--no-report")
    assert result.returncode == 2
    assert "--resume" in result.stderr
    assert (out / "results.json").read_text() == "precious"


def test_default_out_links_reports_latest(cli, tmp_path):
    result = cli("run", "--backends", "serial", "--workers", "1", "--n", "100", "--repeat", "1", "--warmup", "0",
                 "--quiet", "--no-report", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "reports" / "latest" / "results.json").exists()


def test_list_and_env(cli):
    listing = cli("list")
    assert listing.returncode == 0
    for name in ("serial", "threads", "processes", "pool", "pool-async", "thread-executor", "process-executor",
                 "shared", "poly", "MODULE:FUNCTION"):
        assert name in listing.stdout
    env = cli("env")
    assert env.returncode == 0 and "CPU" in env.stdout
