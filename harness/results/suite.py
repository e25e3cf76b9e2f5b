"""Assembling a Suite: the environment, the configuration and the runs, with speedups attached."""

from __future__ import annotations

from harness import __version__
from harness.analysis.speedup import attach_speedups, drift_warnings
from harness.execution.backends import is_baseline
from harness.config import RunConfig
from harness.results.model import Suite
from harness.analysis.repetition import AUTO
from harness.analysis.stability import min_repeats_for
from harness.results.storage import SCHEMA_VERSION

__all__ = ["build_suite", "in_plan_order"]


def in_plan_order(config: RunConfig, runs) -> list:
    """Runs in the order the sweep plans them, whatever order they finished in.

    An interleaved sweep finishes a failed configuration at once and the rest at their last
    pass; results.json lists them as planned: per interpreter (in the order first seen), per
    size, serial first, then the backends and worker counts as given.
    """
    runs = list(runs)
    pythons = {python: rank for rank, python in enumerate(dict.fromkeys(r.python for r in runs))}
    backends = {name: i for i, name in enumerate(config.backends)}
    sizes = {size: i for i, size in enumerate(getattr(config, "chunksize", ()) or ())}
    return sorted(runs, key=lambda r: (pythons[r.python], r.n, not is_baseline(r.backend),
                                       backends.get(r.backend, len(backends)), r.workers,
                                       sizes.get(r.chunksize if r.chunksize is not None else "static", len(sizes))))


def build_suite(config: RunConfig, runs, environment: dict, created: str, warnings=(), complete=True,
                capacity: dict | None = None):
    """A Suite with speedups attached (once, here) and every run's warnings gathered."""
    # The CPUs this process may use (affinity), not the machine's: taskset -c 0 caps speedups at 1.
    logical_cpus = environment["machine"].get("usable_cpus") or environment["machine"].get("logical_cpus")
    runs = attach_speedups(in_plan_order(config, runs), logical_cpus)
    all_warnings = list(warnings)
    needed = min_repeats_for(0.95)
    if config.repeat != AUTO and config.repeat < needed:
        all_warnings.append(f"with {config.repeat} repeats the medians' intervals fall short of 95% confidence; "
                            f"at least {needed} repeats are needed (--repeat {needed})")
    all_warnings += [w for r in runs for w in r.warnings]
    all_warnings += drift_warnings(runs, logical_cpus)
    return Suite(
        schema_version=SCHEMA_VERSION,
        harness_version=__version__,
        created=created,
        machine=environment["machine"],
        python=environment["python"],
        config=config.to_dict(),
        runs=tuple(runs),
        warnings=tuple(all_warnings),
        packages=environment.get("packages", {}),
        git_commit=environment.get("git_commit"),
        complete=complete,
        capacity=capacity,
        interpreters=tuple(environment.get("interpreters") or ()),
    )
