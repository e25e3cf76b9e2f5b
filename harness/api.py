"""The one orchestrator: ``Sweep`` runs a whole sweep and keeps its results, printing nothing.

It validates everything before it writes anything (``SweepError``: one line, for exit 2),
chooses and guards the output folder, journals and saves through the Recorder, samples
per-core load, turns SIGTERM into an exception, runs the other interpreters (--python) and
builds the report. Progress and notices go to callbacks; the CLI (``harness.cli.run``) only
parses, shows a progress bar, prints and picks the exit code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Sequence

from harness.config import ConfigError, RunConfig
from harness.results.model import Suite
from harness.execution.signals import Terminated, terminate_as_exception

if TYPE_CHECKING:
    from harness.workloads import Workload

__all__ = ["REPORTS_DIR", "Sweep", "SweepError", "SweepOutcome", "SweepRequest"]

REPORTS_DIR = "reports"
# --capacity in a sweep: 4 blocks of 0.1 s slices, about 2 s with start-up; `harness env
# --capacity` measures longer (10 blocks) for a closer figure.
SWEEP_CAPACITY_BLOCKS = 4


class SweepError(ValueError):
    """Bad input found before anything was written; the message is one line naming it."""


@dataclass(frozen=True, slots=True)
class SweepRequest:
    """What to sweep and where: a new sweep (``config``) or an interrupted one (``resume``)."""

    config: RunConfig | None = None
    out: str | None = None  # None: reports/<UTC timestamp>/, mirrored to reports/latest
    resume: str | None = None
    capacity: bool = False
    sampling: bool = True
    report: bool = True
    # The Python API's own function and items (harness.sweep): used instead of resolving
    # config.workload by name. A new sweep only: a function object cannot be resumed.
    workload: "Workload | None" = None
    items: Sequence | None = None

    def __post_init__(self) -> None:
        if (self.config is None) == (self.resume is None):
            raise ValueError("give a config for a new sweep, or resume=FOLDER, not both")
        if (self.workload is None) != (self.items is None) or (self.workload is not None and self.resume):
            raise ValueError("a workload object comes with its items, in a new sweep")


@dataclass(frozen=True, slots=True)
class SweepOutcome:
    """What a sweep left: the suite saved in ``out``, and how it ended."""

    suite: Suite
    out: str
    interrupted_by: type[BaseException] | None = None  # KeyboardInterrupt or Terminated
    unfinished_repeats: int = 0  # interrupted interleaved sweeps: repeats kept for --resume
    report_seconds: float | None = None
    report_error: str | None = None
    error: str | None = None  # another interpreter's sweep failed (--python)

    @property
    def failed_runs(self) -> list:
        """Runs that failed, timed out or computed a wrong result they should not have."""
        from harness.execution.backends import backend_class

        return [r for r in self.suite.runs if r.status in ("failed", "timeout")
                or (r.result_ok is False and backend_class(r.backend).exact_by_design)]


class Sweep:
    """Plan, check, measure, save and report one sweep. ``run()`` returns a SweepOutcome.

    Construction validates (SweepError) and writes nothing. ``on_progress(done, total, label)``
    follows the sweep; ``on_notice(text)`` gets the few things worth telling before it starts.
    """

    def __init__(self, request: SweepRequest, *, on_progress: Callable[[int, int, str], None] | None = None,
                 on_notice: Callable[[str], None] | None = None) -> None:
        from harness.results.storage import Journal

        self.request = request
        self._on_progress = on_progress or (lambda done, total, label: None)
        self._on_notice = on_notice or (lambda text: None)
        self.previous = None
        if request.resume:
            self.config, self.journal, self.created = self._load_resumed(request.resume)
        else:
            self.config, self.journal = request.config, Journal()
            self.created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.workload, self._gil_at_start, self._gil_enabled_by = self._import_workload()
        self._check_backends()
        self.probed, self.other_config = self._probe_pythons()
        self.out, self._link_latest = self._choose_out()

    # -- validation: nothing is written ------------------------------------------------------

    def _load_resumed(self, folder: str):
        from harness.results.storage import RESULTS_NAME, ResultsFileError, load_suite, read_journal_entries

        try:
            self.previous = load_suite(os.path.join(folder, RESULTS_NAME))
            return RunConfig.from_dict(self.previous.config), read_journal_entries(folder), self.previous.created
        except (ResultsFileError, ConfigError) as exc:
            raise SweepError(str(exc)) from None
        except (TypeError, KeyError) as exc:
            raise SweepError(f"--resume {folder}: its saved configuration is not usable ({exc})") from None

    def _import_workload(self):
        if self.request.workload is not None:  # harness.sweep: the function is here already
            from harness.environment.metadata import gil_enabled

            self.items = {len(self.request.items): self.request.items}
            return self.request.workload, gil_enabled(), None
        # Read the GIL before the import: a C extension not marked free-threading safe turns it
        # back on, and the runs must say so (as they do in another --python interpreter).
        from harness.execution.external import resolve_watching_gil
        from harness.workloads import WorkloadError

        from harness.workloads import sweep_items

        try:
            workload, gil_at_start, by = resolve_watching_gil(self.config)
            # A map workload's items, made and checked now: a provider that raises or returns
            # the wrong thing is refused before anything is written.
            self.items = sweep_items(workload, self.config)
        except WorkloadError as exc:
            raise SweepError(str(exc)) from None
        return workload, gil_at_start, by

    def _check_backends(self) -> None:
        from harness.execution.backends import DEFAULT_BACKENDS, availability, backend_trait

        for name in self.config.backends:
            reason = availability(name)
            if reason:
                raise SweepError(f"--backends: {name} is not available here: {reason} (see harness list)")
        refusing = [name for name in self.config.backends if backend_trait(name, "refuses_maps")]
        if not self.workload.is_map or not refusing:
            return
        if self.config.backends != DEFAULT_BACKENDS or self.request.resume:
            name = refusing[0]
            raise SweepError(f"--backends: {name} cannot run the map workload {self.workload.name}: "
                             f"{backend_trait(name, 'refuses_maps')}")
        # The default list holds the shared-total lessons; a map sweep leaves them out and says so.
        self.config = dataclasses.replace(self.config, backends=tuple(b for b in self.config.backends
                                                                      if b not in refusing))
        self._on_notice(f"{', '.join(refusing)} left out: {backend_trait(refusing[0], 'refuses_maps')}")

    def _probe_pythons(self) -> tuple[list, RunConfig | None]:
        """(spec, facts) per --python value, and the config they run (the stdlib backends)."""
        if not self.config.pythons:
            return [], None
        import platform

        from harness.execution.backends import STDLIB_BACKENDS
        from harness.execution.external import ExternalPythonError, check_distinct, probe_interpreter
        from harness.environment.pythons import free_threaded_build, interpreter_label, parse_python_spec

        stdlib_only = tuple(b for b in self.config.backends if b in STDLIB_BACKENDS)
        if not stdlib_only:
            raise SweepError("--python: none of the chosen backends is stdlib-only (accepted there: "
                             f"{', '.join(STDLIB_BACKENDS)})")
        try:
            probed = [(spec, probe_interpreter(spec)) for spec in map(parse_python_spec, self.config.pythons)]
            main = interpreter_label(platform.python_version(), free_threaded_build(), None)
            check_distinct([("this interpreter", main)] + [(spec.text, facts["label"]) for spec, facts in probed])
        except ExternalPythonError as exc:
            raise SweepError(f"--python {exc}") from None
        return probed, replace(self.config, backends=stdlib_only, pythons=())

    def _choose_out(self) -> tuple[str, bool]:
        """The output folder and whether to point reports/latest at it; never one holding results."""
        from harness.results.storage import RESULTS_NAME

        request = self.request
        if request.resume:
            out = request.resume
            link = os.path.realpath(os.path.dirname(os.path.abspath(out))) == os.path.realpath(REPORTS_DIR)
        elif request.out:
            out, link = request.out, False
        else:
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            out, link = os.path.join(REPORTS_DIR, stamp), True
        if not request.resume and os.path.exists(os.path.join(out, RESULTS_NAME)):
            raise SweepError(f"--out {out}: already holds {RESULTS_NAME}; choose another folder or continue it "
                             f"with --resume {out}")
        if os.path.exists(out) and not os.path.isdir(out):
            raise SweepError(f"--out {out}: exists and is not a folder")
        return out, link

    # -- the sweep ----------------------------------------------------------------------------

    def run(self) -> SweepOutcome:
        """Measure and save. KeyboardInterrupt or Terminated escape only from the capacity probe,
        before anything is written; later ones end the sweep with its results saved."""
        from harness.environment.metadata import collect_environment

        environment = collect_environment()
        warnings = _busy_machine_warnings(environment)
        capacity = self.previous.capacity if self.previous is not None else None
        if self.request.capacity and capacity is None:
            with terminate_as_exception():
                capacity = self._probe_capacity(environment, warnings)
        recorder = self._start_recording(environment, warnings, capacity)
        interrupted, error = self._measure(environment, recorder)
        suite = recorder.save(complete=interrupted is None)
        if interrupted is not None:
            from harness.results.storage import read_journal_entries

            kept = sum(len(v) for v in read_journal_entries(self.out).repeats.values())  # of runs still unfinished
            return SweepOutcome(suite, self.out, interrupted, kept if self.config.interleave else 0, error=error)
        return SweepOutcome(suite, self.out, error=error, **self._build_report(suite))

    def _probe_capacity(self, environment: dict, warnings: list) -> dict | None:
        """The host's parallel throughput at the usable CPUs, as stored in results.json; None if it failed."""
        from harness.environment.capacity import CapacityError, format_capacity, probe_parallel_capacity

        cpus = environment["machine"].get("usable_cpus") or environment["machine"].get("logical_cpus") or 1
        self._on_notice(f"measuring what {cpus} busy processes deliver on this host...")
        try:
            probe = probe_parallel_capacity(cpus, blocks=SWEEP_CAPACITY_BLOCKS)
        except CapacityError as exc:
            warnings.append(f"--capacity: the probe could not measure ({exc})")
            return None
        return {"processes": probe.processes, "capacity": round(probe.capacity, 4),
                "efficiency": round(probe.efficiency, 4), "slice_s": probe.slice_s,
                "block_capacities": [round(c, 4) for c in probe.capacities],
                "summary": format_capacity(probe, cpus)}

    def _start_recording(self, environment: dict, warnings: list, capacity: dict | None):
        """The Recorder, its first results.json written, reports/latest pointed; SweepError if unwritable."""
        from harness.environment.pythons import SweepInterpreter
        from harness.results.recorder import Recorder
        from harness.results.storage import RESULTS_NAME, remove_stale_temporaries
        from harness.results.suite import build_suite

        config, created = self.config, self.created
        self.main = SweepInterpreter.current(self._gil_at_start, self._gil_enabled_by)
        # Each interpreter as probed; replaced by what its sweep reports once it has started.
        self.interpreters = [_interpreter_entry(environment["python"], self.main.label, self.main.gil_mode)]
        self.interpreters += [_interpreter_entry(facts, facts["label"], spec.gil) for spec, facts in self.probed]
        environment["interpreters"] = self.interpreters
        recorder = Recorder(self.out, os.path.join(self.out, RESULTS_NAME), lambda runs, complete: build_suite(
            config, runs, environment, created, warnings, complete=complete, capacity=capacity), self.journal.runs)
        try:
            os.makedirs(self.out, exist_ok=True)
            if self.request.resume:  # a killed run can leave half-written temporaries beside results.json
                remove_stale_temporaries(self.out)
            recorder.save()
            if self._link_latest:
                _point_latest(self.out)
        except OSError as exc:
            raise SweepError(f"--out {self.out}: cannot write there ({exc.strerror or exc})") from None
        return recorder

    def _measure(self, environment: dict, recorder) -> tuple[type[BaseException] | None, str | None]:
        """Run every interpreter's part; (the interrupt that ended it, another interpreter's error)."""
        from harness.execution.external import ExternalPythonError
        from harness.execution.memory import SWEEP_METRIC
        from harness.execution.sampler import CpuSampler

        sampler = None
        try:
            with terminate_as_exception():
                try:
                    # Memory as PSS (SWEEP_METRIC says why).
                    sampler = CpuSampler(self.config.sample_interval_s, memory=SWEEP_METRIC) \
                        if self.request.sampling else None
                    self._run_interpreters(sampler, recorder)
                finally:
                    if sampler is not None:
                        sampler.close()
        except ExternalPythonError as exc:
            return None, f"--python {exc}"
        except (KeyboardInterrupt, Terminated) as exc:
            return type(exc), None
        return None, None

    def _run_interpreters(self, sampler, recorder) -> None:
        from harness.execution.external import run_in_interpreter
        from harness.execution.runner import run_sweep

        journal = self.journal
        skip = {r.key for r in journal.runs}
        run_sweep(self.config, self.workload, sampler=sampler, skip=skip, resumed=journal.repeats,
                  on_run=recorder.record_run, on_repeat=recorder.record_repeat, on_progress=self._on_progress,
                  interpreter=self.main, items=self.items)
        for index, (spec, probed) in enumerate(self.probed, start=1):
            # Each interpreter gets only its own repeats back: a key ends with its label.
            resumed = [r for key, records in journal.repeats.items() if key[-1] == probed["label"] for r in records]
            run_in_interpreter(spec, self.other_config.to_dict(), skip=[list(k) for k in skip],
                               sampler_python=None if sampler is None else sys.executable,
                               on_run=recorder.record_run, on_repeat=recorder.record_repeat,
                               on_progress=self._on_progress, resumed=resumed,
                               on_facts=lambda facts, i=index: self._on_facts(i, facts))

    def _on_facts(self, index: int, facts: dict) -> None:
        entry = self.interpreters[index]
        self.interpreters[index] = _interpreter_entry(facts, facts.get("label") or entry["label"], entry["gil_mode"],
                                                      facts.get("gil_enabled_by"))

    def _build_report(self, suite) -> dict:
        if not self.request.report:
            return {}
        try:
            from harness.report import build_report

            t0 = time.perf_counter()
            build_report(suite, self.out)
            return {"report_seconds": time.perf_counter() - t0}
        except Exception as exc:  # the results are saved; a report failure must say so, not hide them
            from harness.execution.backends.worker import describe_exception

            return {"report_error": describe_exception(exc)}


def _busy_machine_warnings(environment: dict) -> list[str]:
    from harness.analysis.stability import busy_machine_warning

    try:
        import psutil

        load = environment["machine"].get("load_avg")
        before = psutil.cpu_percent(interval=0.3, percpu=True)
        busy = busy_machine_warning(load[0] if load else None, environment["machine"]["logical_cpus"], before)
        return [busy] if busy else []
    except Exception:  # a missing reading is not worth failing a sweep for
        return []


def _point_latest(out: str) -> None:
    """reports/latest -> the newest sweep, swapped atomically (a symlink renamed into place)."""
    reports = os.path.dirname(os.path.abspath(out))
    latest = os.path.join(reports, "latest")
    if os.path.exists(latest) and not os.path.islink(latest):
        return  # a real folder someone made: never replace what a user saved
    tmp = os.path.join(reports, f".latest-{os.getpid()}")
    os.symlink(os.path.basename(os.path.abspath(out)), tmp)
    os.replace(tmp, latest)


def _interpreter_entry(facts: dict, label: str, gil_mode: int | None, gil_enabled_by: str | None = None) -> dict:
    """One interpreter as results.json lists it: what ran, its build and its GIL mode and state."""
    keys = ("implementation", "version", "executable", "free_threaded_build", "gil_enabled")
    return {"label": label, **{k: facts.get(k) for k in keys}, "gil_mode": gil_mode,
            "gil_enabled_by": gil_enabled_by}
