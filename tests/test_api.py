"""The public surface: explicit exports, and a light import."""

import json
import subprocess
import sys

import harness


def test_exported_names_are_pinned():
    assert sorted(harness.__all__) == sorted([
        "__version__", "ConfigError", "RunConfig", "CpuLoad", "RunResult", "Suite", "WorkerSpan",
        "Workload", "WorkloadError", "poly", "poly_oracle", "resolve_workload",
    ])
    for name in harness.__all__:
        assert hasattr(harness, name)


def test_import_harness_stays_light():
    code = ("import sys, json, harness, harness.cli, harness.runner, harness.backends; "
            "print(json.dumps(sorted(m for m in ('pandas', 'matplotlib', 'scipy', 'dask', 'distributed', 'numpy', "
            "'jinja2', 'rich', 'loky', 'joblib') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
