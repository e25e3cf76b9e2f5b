"""Assembling what a sweep keeps: each finished run with the analysis it carries, and the Suite.

The orchestrator's part between measurement and storage: execution produces RunResults that
say what was measured; the warnings about their timings' stability, the speedups and the
drift warnings are analysis, attached here, so that neither results nor execution imports it.
"""

from __future__ import annotations

from harness._version import __version__
from harness.analysis.speedup import attach_baseline_speedups, attach_speedups, drift_warnings
from harness.analysis.verdict import build_verdict
from harness.analysis.rerun import min_values_for_rerun
from harness.analysis.stability import min_repeats_for, reference_warning, sample_warnings
from harness.chunksizes import STATIC
from harness.config import AUTO, RunConfig
from harness.execution.backends import is_baseline
from harness.results.facts import Capacity, Interpreter, facts_from
from harness.results.model import RunResult, Suite
from harness.results.storage import SCHEMA_VERSION

__all__ = ["build_suite", "in_plan_order", "interpreter_entry", "with_timing_warnings"]


def with_timing_warnings(run: RunResult) -> RunResult:
    """The run with the warnings about its repeat times first: spread and outliers (pyperf's
    rules) and a reference loop that moved (the machine changed speed while it ran)."""
    if run.status != "ok" or not run.times_s:
        return run
    label = run.key.short_label
    found = sample_warnings(run.times_s, label=label, check_repeats=False)
    drift = reference_warning(run.reference_times_s or (), label=label)
    if drift:
        found.append(drift)
    return run.replace(warnings=tuple(found) + run.warnings) if found else run


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
                                       sizes.get(STATIC if r.chunksize is None else r.chunksize, len(sizes))))


def build_suite(config: RunConfig, runs, environment: dict, created: str, warnings=(), complete=True,
                capacity=None) -> Suite:
    """A Suite with speedups attached (once, here) and every run's warnings gathered.

    ``environment`` is what ``harness.environment.metadata.collect_environment`` gathered,
    with the sweep's ``interpreters``; ``capacity`` the host's (a Capacity, or its object).
    """
    machine = environment["machine"]
    # The CPUs this process may use (affinity), not the machine's: taskset -c 0 caps speedups at 1.
    logical_cpus = machine.get("usable_cpus") or machine.get("logical_cpus")
    interpreters = tuple(environment.get("interpreters") or ())
    runs = attach_speedups(in_plan_order(config, runs), logical_cpus)
    baseline = config.baseline_python or (interpreters[0].label if interpreters else None)
    runs = attach_baseline_speedups(runs, baseline if baseline is not None else (runs[0].python if runs else None))
    all_warnings = list(warnings)
    needed, for_rerun = min_repeats_for(0.95), min_values_for_rerun(0.95)
    if config.repeat != AUTO and config.repeat < needed:
        all_warnings.append(f"with {config.repeat} repeats the medians' intervals fall short of 95% confidence; "
                            f"at least {needed} repeats are needed (--repeat {needed})")
    elif config.repeat != AUTO and config.repeat < for_rerun:
        all_warnings.append(f"with {config.repeat} repeats the answer's rerun interval holds a rerun's median less "
                            f"than 95% of the time; at least {for_rerun} repeats are needed (--repeat {for_rerun})")
    all_warnings += [w for r in runs for w in r.warnings]
    all_warnings += drift_warnings(runs, logical_cpus)
    verdict = build_verdict(runs, logical_cpus=logical_cpus, gil_enabled=environment["python"].get("gil_enabled"),
                            interpreters=tuple(Interpreter.from_dict(i) for i in interpreters),
                            capacity=facts_from(Capacity, capacity), baseline_python=baseline)
    return Suite(
        schema_version=SCHEMA_VERSION,
        harness_version=__version__,
        created=created,
        machine=machine,
        python=environment["python"],
        config=config.to_dict(),
        runs=tuple(runs),
        warnings=tuple(all_warnings),
        packages=environment.get("packages", {}),
        git_commit=environment.get("git_commit"),
        complete=complete,
        capacity=capacity,
        interpreters=interpreters,
        verdict=verdict,
    )


def interpreter_entry(facts: dict, label: str, gil_mode: int | None, gil_enabled_by: str | None = None) -> Interpreter:
    """One interpreter as results.json lists it: what ran, its build and its GIL mode and state."""
    return Interpreter(label=label, implementation=facts.get("implementation"), version=facts.get("version"),
                       executable=facts.get("executable"), free_threaded_build=facts.get("free_threaded_build"),
                       gil_enabled=facts.get("gil_enabled"), gil_mode=gil_mode, gil_enabled_by=gil_enabled_by)
