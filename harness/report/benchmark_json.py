"""Runs as pytest-benchmark's JSON: the format ``pytest --benchmark-json`` writes, so
``pytest-benchmark compare`` reads harness sweeps like its own benchmarks (one entry per
run, its timed repeats as the stats, what harness knows in ``extra_info``).

Used by the ``concurrency`` fixture (harness.pytest_plugin); pytest itself is not needed here.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import statistics
import subprocess
from bisect import bisect_left, bisect_right
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

from harness.chunksizes import STATIC, is_static

if TYPE_CHECKING:
    from harness.results.model import Suite

__all__ = ["FORMAT_VERSION", "benchmark_stats", "benchmark_entries", "benchmark_document", "json_safe", "param_id"]

# The pytest-benchmark release whose JSON format this follows, written as "version" when
# pytest-benchmark itself is not installed (when it is, its own version goes there).
FORMAT_VERSION = "5.1.0"


def benchmark_stats(times: Iterable[float]) -> dict[str, Any]:
    """pytest-benchmark's ``stats`` of these timings (its ``Stats.as_dict()`` plus ``data`` and
    ``iterations`` = 1: one timing is one whole sweep of the items), computed as it computes them."""
    data = [float(t) for t in times]
    if not data:
        raise ValueError("no timings")
    ordered = sorted(data)
    rounds = len(data)
    mean = statistics.mean(data)
    stddev = statistics.stdev(data) if rounds > 1 else 0
    if rounds == 1:
        q1 = q3 = ordered[0]
    elif rounds % 2:  # pytest-benchmark's quartiles: method 3 for odd counts...
        n, q = rounds // 4, rounds % 4
        if q == 1:
            q1 = 0.25 * ordered[n - 1] + 0.75 * ordered[n]
            q3 = 0.75 * ordered[3 * n] + 0.25 * ordered[3 * n + 1]
        else:
            q1 = 0.75 * ordered[n] + 0.25 * ordered[n + 1]
            q3 = 0.25 * ordered[3 * n + 1] + 0.75 * ordered[3 * n + 2]
    else:  # ... and method 2 for even ones
        q1 = statistics.median(ordered[: rounds // 2])
        q3 = statistics.median(ordered[rounds // 2:])
    iqr = q3 - q1
    if rounds == 1:
        ld15iqr = hd15iqr = data[0]
    else:
        ld15iqr = ordered[bisect_left(ordered, q1 - 1.5 * iqr)]
        hd15iqr = ordered[bisect_right(ordered, q3 + 1.5 * iqr) - 1]
    iqr_outliers = sum(1 for v in data if v < q1 - 1.5 * iqr or v > q3 + 1.5 * iqr)
    stddev_outliers = sum(1 for v in data if v < mean - stddev or v > mean + stddev)
    total = sum(data)
    return {
        "min": ordered[0],
        "max": ordered[-1],
        "mean": mean,
        "stddev": stddev,
        "rounds": rounds,
        "median": statistics.median(data),
        "iqr": iqr,
        "q1": q1,
        "q3": q3,
        "iqr_outliers": iqr_outliers,
        "stddev_outliers": stddev_outliers,
        "outliers": f"{stddev_outliers};{iqr_outliers}",
        "ld15iqr": ld15iqr,
        "hd15iqr": hd15iqr,
        "ops": rounds / total if total else 0,
        "total": total,
        "data": data,
        "iterations": 1,
    }


def param_id(value: Any) -> str:
    return re.sub(r"\s+", "_", str(value))


def _plain(value: Any) -> Any:
    """A test parameter as JSON can hold it (its repr otherwise)."""
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return repr(value)


def extra_info(run) -> dict[str, Any]:
    """What harness knows of a run, for pytest-benchmark's ``extra_info``."""
    extra = {
        "backend": run.backend,
        "series": run.series,
        "workers": run.workers,
        "chunksize": STATIC if run.chunksize is None else run.chunksize,
        "chunk_items": run.chunk_items,
        "chunks": run.chunks,
        "items": run.n,
        "workload": run.workload,
        "start_method": run.start_method,
        "status": run.status,
        "speedup": run.speedup,
        "efficiency": run.efficiency,
        "busy_cores": run.cpu.busy_cores if run.cpu else None,
        "result_ok": run.result_ok,
        "median_s": run.median_s,
        "ci_s": list(run.ci_s) if run.ci_s else None,
        "cpu_time_ratio": run.cpu_time_ratio,
        "bytes_in_per_item": run.bytes_in_per_item,
        "serialisation_s": run.serialisation_s,
        "gil_enabled": run.gil_enabled,
    }
    if run.memory is not None:
        extra["memory_peak_bytes"] = run.memory.peak_bytes
        extra["memory_mean_bytes"] = run.memory.mean_bytes
        extra["memory_metric"] = run.memory.metric
    if run.error:
        extra["error"] = run.error
    if run.warnings:
        extra["warnings"] = list(run.warnings)
    return extra


def benchmark_entries(suite: "Suite", node, *, prefix: str | None = None, group: str | None = None,
                      quick: bool = False) -> list[dict[str, Any]]:
    """One pytest-benchmark ``benchmarks[]`` entry per run of ``suite`` that has timings (a run
    that failed or timed out has none, and no entry: pytest-benchmark keeps none for an error)."""
    func = getattr(node, "originalname", None) or node.name.split("[", 1)[0]
    callspec = getattr(node, "callspec", None)
    test_param = callspec.id if callspec is not None else None
    test_params = {k: _plain(v) for k, v in callspec.params.items()} if callspec is not None else {}
    base = node.nodeid[: len(node.nodeid) - len(node.name)] + func if node.nodeid.endswith(node.name) \
        else node.nodeid.split("[", 1)[0]
    config = suite.config
    options = {
        "repeat": config.get("repeat"),
        "warmup": config.get("warmup"),
        "max_time": config.get("max_time_s"),
        "start_method": config.get("start_method"),
        "timeout": config.get("timeout_s"),
        "quick": quick,
        "timer": "perf_counter",
        "harness_version": suite.harness_version,
    }
    default_group = node.nodeid + (f" {prefix}" if prefix else "")
    entries = []
    for run in suite.runs:
        if not run.times_s:
            continue
        config_id = f"{run.backend}-w{run.workers}" + ("" if is_static(run.chunksize) else f"-cs{run.chunksize}")
        param = "-".join(p for p in (test_param, prefix, config_id) if p)
        extra = extra_info(run)
        entries.append({
            "group": group or default_group,
            "name": f"{func}[{param}]",
            "fullname": f"{base}[{param}]",
            "params": {**test_params, "backend": run.backend, "workers": run.workers,
                       "chunksize": extra["chunksize"]},
            "param": param,
            "extra_info": extra,
            "options": dict(options),
            "stats": benchmark_stats(run.times_s),
        })
    return entries


def benchmark_document(entries: list[dict[str, Any]], config=None, suites=()) -> dict[str, Any]:
    """The whole document, as ``pytest --benchmark-json`` writes it. With pytest-benchmark
    loaded, machine_info and commit_info come from its hooks (so a conftest's
    ``pytest_benchmark_update_machine_info`` applies); otherwise from here, with the same keys."""
    if config is not None and config.pluginmanager.hasplugin("benchmark"):
        hook = config.hook
        machine_info = hook.pytest_benchmark_generate_machine_info(config=config)
        hook.pytest_benchmark_update_machine_info(config=config, machine_info=machine_info)
        commit_info = hook.pytest_benchmark_generate_commit_info(config=config)
        hook.pytest_benchmark_update_commit_info(config=config, commit_info=commit_info)
    else:
        machine_info = _machine_info()
        commit_info = _commit_info(str(config.rootpath) if config is not None else os.getcwd())
    if suites:
        machine_info = dict(machine_info)
        machine_info.setdefault("harness", suites[0].machine.to_dict())
    try:
        from pytest_benchmark import __version__ as version
    except ImportError:
        version = FORMAT_VERSION
    return {
        "machine_info": machine_info,
        "commit_info": commit_info,
        "benchmarks": list(entries),
        "datetime": datetime.now(timezone.utc).isoformat(),
        "version": version,
    }


def _machine_info() -> dict[str, Any]:
    """pytest-benchmark's machine_info keys, from the platform module."""
    implementation = platform.python_implementation()
    cpu: dict[str, Any] = {"count": os.cpu_count(), "arch_string_raw": platform.machine()}
    try:
        from harness.environment.metadata import machine_facts

        cpu["brand_raw"] = machine_facts().get("cpu_model")
    except Exception:  # the CPU's name is a nicety
        pass
    return {
        "node": platform.node(),
        "processor": platform.processor(),
        "machine": platform.machine(),
        "python_compiler": platform.python_compiler(),
        "python_implementation": implementation,
        "python_implementation_version": platform.python_version(),
        "python_version": platform.python_version(),
        "python_build": list(platform.python_build()),
        "release": platform.release(),
        "system": platform.system(),
        "cpu": cpu,
    }


def _commit_info(root: str) -> dict[str, Any]:
    """pytest-benchmark's commit_info keys, from git where ``root`` is in a work tree."""
    info: dict[str, Any] = {"id": "unversioned", "time": None, "author_time": None, "dirty": False,
                            "project": os.path.basename(os.path.abspath(root)), "branch": "(unknown)"}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()

    try:
        info["id"] = git("rev-parse", "HEAD")
        info["time"] = git("show", "-s", "--pretty=format:%cI") or None
        info["author_time"] = git("show", "-s", "--pretty=format:%aI") or None
        info["dirty"] = bool(git("status", "--porcelain", "--untracked-files=no"))
        branch = git("rev-parse", "--abbrev-ref", "HEAD")
        info["branch"] = "(detached head)" if branch == "HEAD" else branch
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def json_safe(value: Any) -> Any:
    """JSON without NaN or infinity (null instead), tuples as lists, anything else by its repr."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return repr(value)
