"""Backends a user plugs in: an installed package's entry point (``harness.backends``), and
``harness.register_backend`` at run time. Nothing in harness/ names them.

The installed package is tests/plugin_site: a .dist-info with its entry points beside the
package, copied onto a temporary sys.path entry (PYTHONPATH), as pip would leave it; nothing
is pip-installed into the shared .venv.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

import harness
from harness.execution.backends import (DEFAULT_BACKENDS, STDLIB_BACKENDS, BackendRegistryError, backend_class,
                                        backend_names, register_backend)
from harness.execution.backends.threads import ThreadsBackend

PLUGIN_SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugin_site")


@pytest.fixture
def plugin_path(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(PLUGIN_SITE, site, ignore=shutil.ignore_patterns("__pycache__"))
    return {"PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)}


def test_an_installed_plugin_is_listed(cli, plugin_path):
    result = cli("list", env=plugin_path)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    assert "cf-init" in lines and "available" in lines["cf-init"] and "its own initializer" in lines["cf-init"]
    help_text = cli("run", "--help", env=plugin_path).stdout
    assert "cf-init" in " ".join(help_text.split())  # --backends names it among the known ones


def test_an_installed_plugin_runs_is_checked_and_reported(cli, plugin_path, tmp_path):
    out = tmp_path / "range"
    result = cli("run", "--backends", "serial,cf-init", "--workers", "2", "--n", "30000", "--repeat", "2",
                 "--warmup", "0", "--no-sampling", "--quiet", "--out", out, env=plugin_path)
    assert result.returncode == 0, result.stderr
    data = json.loads((out / "results.json").read_text())
    (run,) = [r for r in data["runs"] if r["backend"] == "cf-init"]
    assert run["status"] == "ok" and run["result_ok"] is True and run["speedup"] is not None
    assert run["start_method"] is not None and run["startup_s"] is not None  # its own start, timed apart
    page = (out / "report.html").read_text()
    assert "cf-init" in page

    out = tmp_path / "map"  # a map workload, its results checked item by item against serial's
    result = cli("run", "--workload", "imbalanced", "--n", "40", "--backends", "serial,cf-init", "--workers", "2",
                 "--chunksize", "static,4", "--repeat", "2", "--warmup", "0", "--no-sampling", "--quiet",
                 "--no-report", "--out", out, env=plugin_path)
    assert result.returncode == 0, result.stderr
    runs = [r for r in json.loads((out / "results.json").read_text())["runs"] if r["backend"] == "cf-init"]
    assert {r["chunksize"] for r in runs} == {"static", 4}
    assert all(r["status"] == "ok" and r["result_ok"] is True for r in runs)


def test_a_plugin_that_loses_a_result_is_caught(cli, plugin_path, tmp_path):
    out = tmp_path / "o"
    result = cli("run", "--workload", "imbalanced", "--n", "40", "--backends", "serial,cf-init-lossy", "--workers",
                 "2", "--repeat", "1", "--warmup", "0", "--no-sampling", "--quiet", "--no-report", "--out", out,
                 env=plugin_path)
    assert result.returncode == 1, result.stderr
    (run,) = [r for r in json.loads((out / "results.json").read_text())["runs"] if r["backend"] == "cf-init-lossy"]
    assert run["result_ok"] is False and "differs from serial's" in run["error"]


def test_a_plugin_is_not_run_in_another_interpreter_unless_it_says_it_is_stdlib_only(cli, plugin_path, tmp_path):
    # It imports nothing but the stdlib and harness, but it does not say so: --python leaves it out.
    result = cli("run", "--backends", "cf-init", "--python", "/nonexistent/python", "--quiet",
                 "--out", tmp_path / "o", env=plugin_path)
    assert result.returncode == 2 and "none of the chosen backends is stdlib-only" in result.stderr
    assert not (tmp_path / "o").exists()


class _CountingThreads(ThreadsBackend):
    """A run-time plug-in: the threads backend, counting the repeats it ran."""

    name = ""
    description = "threads, registered at run time by a test"
    runs = 0

    def run(self, ref, tasks, deadline, fn=None):
        type(self).runs += 1
        return super().run(ref, tasks, deadline, fn)


def _square(x):
    return x * x


def test_register_backend_at_run_time_joins_harness_sweep():
    register_backend("counting-threads", _CountingThreads)
    register_backend("counting-threads", _CountingThreads)  # the same again: nothing changes
    assert backend_class("counting-threads") is _CountingThreads and _CountingThreads.name == "counting-threads"
    assert "counting-threads" in backend_names()
    assert "counting-threads" not in DEFAULT_BACKENDS and "counting-threads" not in STDLIB_BACKENDS
    suite = harness.sweep(_square, list(range(200)), backends=["serial", "counting-threads"], workers=[2],
                          repeat=2, warmup=0, sampling=False)
    (run,) = [r for r in suite.runs if r.backend == "counting-threads"]
    assert run.status == "ok" and run.result_ok is True and _CountingThreads.runs >= 2


@pytest.mark.parametrize("name, cls, message", [
    ("threads", _CountingThreads, "built-in backend"),
    ("Bad Name", _CountingThreads, "accepted: lower-case"),
    ("all", _CountingThreads, "not 'all'"),
    ("not-a-backend", dict, "not a subclass"),
    ("named-otherwise", ThreadsBackend, "names itself 'threads'"),
])
def test_bad_registrations_are_refused_in_one_line(name, cls, message):
    with pytest.raises(BackendRegistryError, match=message) as caught:
        register_backend(name, cls)
    assert "\n" not in str(caught.value)


def test_a_name_taken_by_another_class_is_refused():
    class Other(_CountingThreads):
        name = ""

    register_backend("taken-once", type("First", (_CountingThreads,), {"name": ""}))
    with pytest.raises(BackendRegistryError, match="already registered"):
        register_backend("taken-once", Other)
