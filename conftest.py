"""pytest-benchmark hooks and the benchmarks' two sizes.

Smoke mode (plain ``pytest`` / ``make test``): every benchmark runs once at a tiny n, so the
suite is *tested* (each backend starts, computes the oracle's total and closes) in seconds;
pytest-benchmark's timing is switched off then (as ``--benchmark-disable`` would), because a
table of microsecond timings of a tiny n would only mislead (``--benchmark-enable`` keeps it).
Full mode (``pytest --benchmark-only``, or any option that saves or compares results): a
realistic n, one warm-up round and several timed rounds, so the numbers mean something.
``--bench-mode smoke|full`` overrides the guess either way.

The machine_info hook adds what pytest-benchmark leaves out and ``harness compare`` checks
before it trusts a comparison: the GIL mode, the CPUs this process may use, the start method.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

__all__ = ["BenchMode", "FULL", "SMOKE", "bench_mode_for", "pytest_addoption", "pytest_configure",
           "pytest_benchmark_update_machine_info"]

# pytest-benchmark options that mean "I want numbers": measuring at the smoke size would
# save or compare meaningless figures under the real benchmarks' names.
_WANTS_NUMBERS = ("benchmark_only", "benchmark_save", "benchmark_autosave", "benchmark_json",
                  "benchmark_compare", "benchmark_compare_fail", "benchmark_save_data")


@dataclass(frozen=True, slots=True)
class BenchMode:
    """How big the benchmarks run: the poly size, timed rounds and untimed warm-up rounds."""

    name: str
    n: int
    rounds: int
    warmup_rounds: int


# 2_000_000 poly items is ~0.5 s serially on a 2020s core: long enough that a pool's
# dispatch overhead is a small, honest part of it. 5 rounds is the harness's default
# repeat, and the fewest for which a Mann-Whitney test can reach p < 0.05 against itself.
FULL = BenchMode("full", n=2_000_000, rounds=5, warmup_rounds=1)
# Still more items than workers at w4, so no task is empty and every worker really runs.
SMOKE = BenchMode("smoke", n=2_000, rounds=1, warmup_rounds=0)


def pytest_addoption(parser) -> None:
    group = parser.getgroup("harness benchmarks")
    group.addoption("--bench-mode", choices=("auto", "smoke", "full"), default="auto",
                    help="benchmark size: smoke (tiny n, one round: a test), full (realistic n, "
                         "5 rounds) or auto (full with --benchmark-only or when saving/comparing; default)")


def bench_mode_for(config) -> BenchMode:
    """The mode this session runs in (see the module docstring)."""
    chosen = config.getoption("bench_mode", "auto")
    if chosen != "auto":
        return FULL if chosen == "full" else SMOKE
    if config.getoption("benchmark_disable", False):
        return SMOKE
    wants_numbers = any(config.getoption(name, None) for name in _WANTS_NUMBERS)
    return FULL if wants_numbers else SMOKE


@pytest.hookimpl(tryfirst=True)  # before pytest-benchmark's own pytest_configure reads the option
def pytest_configure(config) -> None:
    if not hasattr(config.option, "benchmark_disable"):
        return  # pytest-benchmark is not installed
    guessed = config.getoption("bench_mode") == "auto"
    if guessed and bench_mode_for(config) is SMOKE and not config.getoption("benchmark_enable"):
        config.option.benchmark_disable = True


@pytest.fixture(scope="session")
def bench_mode(request) -> BenchMode:
    return bench_mode_for(request.config)


def pytest_report_header(config) -> str | None:
    try:
        config.getoption("benchmark_only")
    except ValueError:  # pytest-benchmark not installed: nothing to say
        return None
    mode = bench_mode_for(config)
    return f"harness benchmarks: {mode.name} mode (n={mode.n}, rounds={mode.rounds})"


def pytest_benchmark_update_machine_info(config, machine_info) -> None:
    """Record the facts that decide whether two benchmark runs are comparable."""
    from harness.environment.metadata import machine_facts, python_facts

    machine, python = machine_facts(), python_facts()
    machine_info["gil_enabled"] = python["gil_enabled"]
    machine_info["free_threaded_build"] = python["free_threaded_build"]
    machine_info["logical_cpus"] = machine["logical_cpus"]
    machine_info["usable_cpus"] = machine["usable_cpus"]
    machine_info["affinity"] = machine["affinity"]
    machine_info["cpu_model"] = machine["cpu_model"]
    machine_info["start_method"] = python["default_start_method"]
    machine_info["bench_mode"] = bench_mode_for(config).name
