"""The public surface: explicit exports, and a light import."""

import json
import subprocess
import sys

import harness


def test_exported_names_are_pinned():
    assert sorted(harness.__all__) == sorted([
        "__version__", "ConfigError", "RunConfig", "CpuLoad", "RunResult", "Suite", "WorkerSpan",
        "Sweep", "SweepError", "SweepOutcome", "SweepRequest",
        "Workload", "WorkloadError", "poly", "poly_oracle", "resolve_workload",
        "sweep", "build_report", "load_suite", "MemoryUse", "register_backend",
    ])
    for name in harness.__all__:
        assert hasattr(harness, name)


def test_import_harness_stays_light():
    code = ("import sys, json, harness, harness.cli, harness.execution.passes, harness.execution.backends; "
            "print(json.dumps(sorted(m for m in ('pandas', 'matplotlib', 'scipy', 'dask', 'distributed', 'numpy', "
            "'jinja2', 'rich', 'loky', 'joblib') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_a_sweep_from_python_measures_saves_and_reports_without_printing(tmp_path, capsys):
    config = harness.RunConfig(backends=("serial", "threads"), workers=(2,), n=(20_000,), repeat=2, warmup=0)
    seen = []
    sweep = harness.Sweep(harness.SweepRequest(config=config, out=str(tmp_path / "out"), sampling=False),
                          on_progress=lambda done, total, label: seen.append((done, total, label)))
    outcome = sweep.run()
    assert capsys.readouterr() == ("", "")  # the library never prints
    assert outcome.interrupted_by is None and outcome.error is None and outcome.failed_runs == []
    assert [r.backend for r in outcome.suite.runs] == ["serial", "threads"]
    assert all(r.result_ok for r in outcome.suite.runs) and outcome.suite.complete
    assert (tmp_path / "out" / "results.json").exists() and (tmp_path / "out" / "report.html").exists()
    assert outcome.report_seconds is not None and seen and seen[-1][2] == "done"


def test_a_sweep_refuses_bad_input_before_writing_anything(tmp_path):
    import pytest

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.json").write_text("precious")
    config = harness.RunConfig(backends=("serial",), workers=(1,), n=(10,), repeat=1)
    with pytest.raises(harness.SweepError, match="already holds results.json"):
        harness.Sweep(harness.SweepRequest(config=config, out=str(tmp_path / "out")))
    with pytest.raises(harness.SweepError, match="cannot import"):
        harness.Sweep(harness.SweepRequest(config=harness.RunConfig(backends=("serial",), workers=(1,), n=(10,),
                                                                    workload="no_such_module:f"),
                                           out=str(tmp_path / "new")))
    assert (tmp_path / "out" / "results.json").read_text() == "precious" and not (tmp_path / "new").exists()
