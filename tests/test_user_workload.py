"""A user's own MODULE:FUNCTION workload, written here, under every stdlib backend and under spawn."""

import json
import textwrap

from harness.execution.backends import STDLIB_BACKENDS, availability

USER_MODULE = textwrap.dedent('''
    """A user's workload: sum of (i * 7) % 13 over [lo, hi), with its exact oracle."""

    def crunch(lo, hi):
        return sum((i * 7) % 13 for i in range(lo, hi))

    def exact(n):
        full, rest = divmod(n, 13)
        return full * sum(range(13)) + sum((i * 7) % 13 for i in range(rest))

    ORACLE = "exact"
''')


def _write_module(tmp_path):
    folder = tmp_path / "userpkg"
    folder.mkdir()
    (folder / "myworkload.py").write_text(USER_MODULE)
    return folder


def test_user_workload_runs_exactly_under_every_stdlib_backend_and_spawn(cli, tmp_path):
    folder = _write_module(tmp_path)
    # asyncio-process's pool is process-executor's (tests/test_asyncio_models.py runs it).
    backends = ",".join(b for b in STDLIB_BACKENDS if b not in ("shared-nolock", "asyncio-process")
                        and availability(b) is None)
    for method in ("fork", "spawn"):
        out = tmp_path / f"out-{method}"
        result = cli("run", "--workload", "myworkload:crunch", "--backends", backends, "--workers", "3",
                     "--n", "0,5,40000", "--repeat", "1", "--warmup", "0", "--start-method", method,
                     "--out", out, "--quiet", "--no-report", env={"PYTHONPATH": f"{folder}"})
        assert result.returncode == 0, result.stderr
        runs = json.loads((out / "results.json").read_text())["runs"]
        assert {r["backend"] for r in runs} == set(backends.split(","))
        for run in runs:
            assert run["workload"] == "myworkload:crunch"
            assert run["status"] == "ok" and run["result_ok"] is True, run


def test_user_workload_without_an_oracle_records_no_verdict(cli, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "plainwork.py").write_text("def work(lo, hi):\n    return hi - lo\n")
    result = cli("run", "--workload", "plainwork:work", "--backends", "serial,pool", "--workers", "2", "--n", "100",
                 "--repeat", "1", "--warmup", "0", "--out", tmp_path / "o", "--quiet", "--no-report",
                 env={"PYTHONPATH": str(folder)})
    assert result.returncode == 0, result.stderr
    runs = json.loads((tmp_path / "o" / "results.json").read_text())["runs"]
    assert all(r["status"] == "ok" and r["result_ok"] is None for r in runs)
