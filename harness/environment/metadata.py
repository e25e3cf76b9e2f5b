"""Machine and interpreter facts, as recorded in results.json and shown by `harness env`.

Stdlib only at import time: psutil is imported inside the functions that need it,
so `python -c "import harness"` stays light.
"""

from __future__ import annotations

import importlib.metadata
import multiprocessing
import os
import platform
import subprocess
import sys
import sysconfig
from pathlib import Path

from harness import _compat

__all__ = [
    "DEFAULT_PACKAGES",
    "collect_environment",
    "format_environment",
    "gil_enabled",
    "git_commit",
    "machine_facts",
    "package_versions",
    "parse_cgroup_v1_cpu_quota",
    "parse_cgroup_v2_cpu_max",
    "parse_cpuinfo_model",
    "python_facts",
]

DEFAULT_PACKAGES = (
    "psutil", "pandas", "matplotlib", "scipy", "numpy", "jinja2", "rich",
    "joblib", "loky", "dask", "distributed", "pytest-benchmark",
)

# A hung git (network filesystem, credential prompt) must never stall a benchmark run.
_GIT_TIMEOUT_S = 5.0


def gil_enabled() -> bool:
    """True unless this is a free-threaded build running with the GIL off (3.13+)."""
    return _compat.gil_enabled() is not False


def python_facts() -> dict:
    """The interpreter: what ran the benchmark and how it starts worker processes."""
    build_no, build_date = platform.python_build()
    start = multiprocessing.get_start_method(allow_none=True) or _platform_start_method()
    return {
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
        "version_info": list(sys.version_info),
        "build": f"{build_no} ({build_date}) {platform.python_compiler()}",
        "executable": sys.executable,
        "gil_enabled": gil_enabled(),
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "default_start_method": start,
        "available_start_methods": multiprocessing.get_all_start_methods(),
    }


def _platform_start_method() -> str:
    # Read the platform's default without activating it (see _compat.platform_default_context).
    default = _compat.platform_default_context()
    if default is not None:
        return default.get_start_method()
    if sys.platform in ("win32", "darwin"):
        return "spawn"
    return "forkserver" if sys.version_info >= (3, 14) else "fork"


def parse_cgroup_v2_cpu_max(text: str) -> float | None:
    """`cpu.max` text ("200000 100000") -> CPUs allowed (2.0); "max ..." or garbage -> None."""
    parts = text.split()
    if len(parts) < 1 or parts[0] == "max":
        return None
    try:
        quota = int(parts[0])
        period = int(parts[1]) if len(parts) > 1 else 100000  # kernel default period
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def parse_cgroup_v1_cpu_quota(quota_text: str, period_text: str) -> float | None:
    """cfs_quota_us / cfs_period_us -> CPUs allowed; a quota of -1 means unlimited -> None."""
    try:
        quota, period = int(quota_text.strip()), int(period_text.strip())
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def parse_cpuinfo_model(text: str) -> str | None:
    """First "model name" in /proc/cpuinfo text, or None (e.g. ARM kernels omit it)."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "model name" and value.strip():
            return value.strip()
    return None


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _cgroup_cpu_quota() -> float | None:
    # Containers often cap CPU time with a quota while still showing every host CPU;
    # ignoring it would make "workers=auto" oversubscribe and flatten the speedup curve.
    v2 = _read("/sys/fs/cgroup/cpu.max")
    if v2 is not None:
        return parse_cgroup_v2_cpu_max(v2)
    for base in ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"):
        quota, period = _read(f"{base}/cpu.cfs_quota_us"), _read(f"{base}/cpu.cfs_period_us")
        if quota is not None and period is not None:
            return parse_cgroup_v1_cpu_quota(quota, period)
    return None


def _cpu_model() -> str:
    text = _read("/proc/cpuinfo")
    return (parse_cpuinfo_model(text) if text else None) or platform.processor() or "unknown"


def machine_facts() -> dict:
    """The machine: CPUs (and how many this process may really use), memory, OS, load."""
    import psutil  # lazy: keeps `import harness` light

    logical = os.cpu_count() or 1
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    quota = _cgroup_cpu_quota()
    usable = len(affinity) if affinity else logical
    if quota is not None:
        # A 1.5-CPU quota still lets one worker run flat out, so round up, never below 1.
        usable = min(usable, max(1, int(-(-quota // 1))))
    try:
        freq = psutil.cpu_freq()
    except Exception:  # psutil raises odd errors on some VMs; frequency is nice-to-have
        freq = None
    try:
        load = list(os.getloadavg())
    except (AttributeError, OSError):
        load = None
    return {
        "logical_cpus": logical,
        "physical_cpus": psutil.cpu_count(logical=False),
        "cpu_model": _cpu_model(),
        "affinity": affinity,
        "usable_cpus": usable,
        "cgroup_cpu_quota": quota,
        "cpu_freq_mhz": {"current": freq.current, "min": freq.min, "max": freq.max} if freq else None,
        "memory_total_bytes": psutil.virtual_memory().total,
        "platform": platform.platform(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "hostname": platform.node(),
        "load_avg": load,
    }


def package_versions(names: tuple[str, ...] = DEFAULT_PACKAGES) -> dict[str, str | None]:
    """Installed versions from distribution metadata; nothing is imported (pandas et al. are slow)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(cwd: str | os.PathLike | None = None) -> str | None:
    """HEAD of the repository at cwd, suffixed "-dirty" if it has changes; None if unknown. Never raises."""
    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                                  timeout=_GIT_TIMEOUT_S, check=False)
        except (OSError, subprocess.SubprocessError, ValueError):
            return None
        return proc.stdout if proc.returncode == 0 else None

    head = git("rev-parse", "HEAD")
    if not head or not head.strip():
        return None
    status = git("status", "--porcelain")
    return head.strip() + ("-dirty" if status and status.strip() else "")


def collect_environment() -> dict:
    """Everything results.json records about where a run happened."""
    return {
        "machine": machine_facts(),
        "python": python_facts(),
        "packages": package_versions(),
        "git_commit": git_commit(),
    }


def format_environment(env: dict) -> list[str]:
    """Human-readable lines for `harness env`; returns strings, never prints."""
    m, py = env.get("machine", {}), env.get("python", {})
    mem = m.get("memory_total_bytes")
    freq = m.get("cpu_freq_mhz") or {}
    rows = [
        ("CPU model", m.get("cpu_model")),
        ("CPUs", f"{m.get('logical_cpus')} logical, {m.get('physical_cpus')} physical, "
                 f"{m.get('usable_cpus')} usable"),
        ("Affinity", _ranges(m.get("affinity"))),
        ("cgroup quota", m.get("cgroup_cpu_quota") or "none"),
        # Many VMs report max 0: show only what is known.
        ("CPU MHz", f"{freq['current']:.0f}" + (f" (max {freq['max']:.0f})" if freq.get("max") else "")
         if freq.get("current") else "unknown"),
        ("Memory", f"{mem / 2**30:.1f} GiB" if mem else "unknown"),
        ("Platform", m.get("platform")),
        ("Hostname", m.get("hostname")),
        ("Load average", " ".join(f"{x:.2f}" for x in m["load_avg"]) if m.get("load_avg") else "unknown"),
        ("Python", f"{py.get('implementation')} {py.get('version')} ({py.get('executable')})"),
        ("GIL", f"{'enabled' if py.get('gil_enabled') else 'disabled'}"
                f"{', free-threaded build' if py.get('free_threaded_build') else ''}"),
        ("Start method", f"{py.get('default_start_method')} "
                         f"(available: {', '.join(py.get('available_start_methods') or [])})"),
        ("Git commit", env.get("git_commit") or "unknown"),
    ]
    packages = env.get("packages") or {}
    rows += [("Packages", "")] if packages else []
    rows += [(f"  {name}", version or "not installed") for name, version in sorted(packages.items())]
    width = max(14, *(len(label) for label, _ in rows))
    return [f"{label:<{width}}: {value}".rstrip() for label, value in rows]


def _ranges(cpus: list[int] | None) -> str:
    # "0-15" reads better than sixteen numbers, and stays short on 128-core machines.
    if not cpus:
        return "unknown"
    spans, start, prev = [], cpus[0], cpus[0]
    for cpu in cpus[1:] + [None]:
        if cpu is not None and cpu == prev + 1:
            prev = cpu
            continue
        spans.append(str(start) if start == prev else f"{start}-{prev}")
        if cpu is not None:
            start = prev = cpu
    return ",".join(spans)
