"""Tests for harness.environment.metadata: real facts from this machine, literal text for the parsers."""

import json
import os
import subprocess
import sys

import pytest

from harness.environment import metadata
from harness.environment.metadata import (
    collect_environment,
    format_environment,
    gil_enabled,
    git_commit,
    machine_facts,
    package_versions,
    parse_cgroup_v1_cpu_quota,
    parse_cgroup_v2_cpu_max,
    parse_cpuinfo_model,
    python_facts,
)


def test_exported_names():
    assert sorted(metadata.__all__) == [
        "DEFAULT_PACKAGES", "collect_environment", "format_environment", "gil_enabled",
        "git_commit", "machine_facts", "package_versions", "parse_cgroup_v1_cpu_quota",
        "parse_cgroup_v2_cpu_max", "parse_cpuinfo_model", "python_facts",
    ]
    for name in metadata.__all__:
        assert hasattr(metadata, name)


def test_gil_enabled_is_bool():
    assert isinstance(gil_enabled(), bool)
    if not hasattr(sys, "_is_gil_enabled"):
        assert gil_enabled() is True


def test_python_facts():
    py = python_facts()
    assert py["implementation"] == "CPython" or py["implementation"]
    assert py["version"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
    assert py["version_info"][:3] == list(sys.version_info[:3])
    assert py["executable"] == sys.executable
    assert py["gil_enabled"] is gil_enabled()
    assert isinstance(py["free_threaded_build"], bool)
    assert py["default_start_method"] in py["available_start_methods"]


def test_python_facts_does_not_fix_start_method():
    code = ("import multiprocessing as mp; from harness.environment.metadata import python_facts; "
            "d = python_facts()['default_start_method']; print(mp.get_start_method(allow_none=True)); "
            "print(d == mp.get_start_method())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=_env_with_repo())
    assert out.stdout.split() == ["None", "True"]


def test_machine_facts():
    m = machine_facts()
    assert m["logical_cpus"] >= 1
    assert m["physical_cpus"] is None or 1 <= m["physical_cpus"] <= m["logical_cpus"]
    assert m["cpu_model"] and isinstance(m["cpu_model"], str)
    if m["affinity"] is not None:
        assert m["affinity"] == sorted(m["affinity"])
        assert set(m["affinity"]) <= set(range(m["logical_cpus"]))
        assert m["usable_cpus"] <= len(m["affinity"])
    assert 1 <= m["usable_cpus"] <= m["logical_cpus"]
    assert m["memory_total_bytes"] > 0
    assert m["load_avg"] is None or len(m["load_avg"]) == 3


@pytest.mark.parametrize("text, expected", [
    ("max 100000\n", None),
    ("200000 100000\n", 2.0),
    ("150000 100000", 1.5),
    ("50000", 0.5),
    ("", None),
    ("garbage here", None),
])
def test_parse_cgroup_v2_cpu_max(text, expected):
    assert parse_cgroup_v2_cpu_max(text) == expected


@pytest.mark.parametrize("quota, period, expected", [
    ("-1\n", "100000\n", None),
    ("400000\n", "100000\n", 4.0),
    ("50000", "100000", 0.5),
    ("x", "100000", None),
    ("100000", "0", None),
])
def test_parse_cgroup_v1_cpu_quota(quota, period, expected):
    assert parse_cgroup_v1_cpu_quota(quota, period) == expected


def test_parse_cpuinfo_model():
    text = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 85\nmodel name\t: Intel(R) Xeon(R) 8375C\n"
    assert parse_cpuinfo_model(text) == "Intel(R) Xeon(R) 8375C"
    assert parse_cpuinfo_model("processor\t: 0\nBogoMIPS\t: 50.00\n") is None


def test_package_versions_without_import():
    versions = package_versions(("psutil", "surely-not-installed-pkg-xyz"))
    assert versions["psutil"] and versions["psutil"][0].isdigit()
    assert versions["surely-not-installed-pkg-xyz"] is None


def test_git_commit_outside_repo(tmp_path):
    assert git_commit(cwd=tmp_path) is None


def test_git_commit_missing_dir_never_raises(tmp_path):
    assert git_commit(cwd=tmp_path / "missing") is None


def test_git_commit_in_repo(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)
    try:
        git("init", "-q")
        git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git unavailable")
    clean = git_commit(cwd=tmp_path)
    assert clean is not None and len(clean) == 40
    (tmp_path / "new.txt").write_text("x")
    assert git_commit(cwd=tmp_path) == clean + "-dirty"


def test_collect_environment_is_json_serialisable():
    env = collect_environment()
    assert set(env) == {"machine", "python", "packages", "git_commit"}
    assert json.loads(json.dumps(env)) == env


def test_format_environment_lines():
    env = collect_environment()
    lines = format_environment(env)
    assert all(isinstance(line, str) for line in lines)
    assert any(env["machine"]["cpu_model"] in line for line in lines)
    assert any(line.startswith("CPU model") for line in lines)


def test_format_environment_tolerates_sparse_input():
    lines = format_environment({"machine": {"cpu_model": "Fake CPU", "affinity": [0, 1, 2, 5]}})
    assert "CPU model     : Fake CPU" in lines
    assert "Affinity      : 0-2,5" in lines


def test_import_does_not_import_psutil():
    code = "import sys, harness.environment.metadata; print('psutil' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=_env_with_repo())
    assert out.stdout.strip() == "False"


def _env_with_repo():
    # The subprocess must find the package even when it is not installed into the venv.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env
