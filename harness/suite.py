"""Assembling a Suite: the environment, the configuration and the runs, with speedups attached."""

from __future__ import annotations

from harness import __version__
from harness.analysis import attach_speedups
from harness.config import RunConfig
from harness.model import Suite
from harness.stability import min_repeats_for
from harness.storage import SCHEMA_VERSION

__all__ = ["build_suite"]


def build_suite(config: RunConfig, runs, environment: dict, created: str, warnings=(), complete=True):
    """A Suite with speedups attached and every run's warnings gathered."""
    runs = attach_speedups(list(runs))
    all_warnings = list(warnings)
    needed = min_repeats_for(0.95)
    if config.repeat < needed:
        all_warnings.append(f"with {config.repeat} repeats the medians' intervals fall short of 95% confidence; "
                            f"at least {needed} repeats are needed (--repeat {needed})")
    all_warnings += [w for r in runs for w in r.warnings]
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
        interpreters=tuple(environment.get("interpreters") or ()),
    )
