"""The one orchestrator: ``Sweep`` runs a whole sweep and keeps its results, printing nothing.

It validates everything before it writes anything (``SweepError``: one line, for exit 2),
chooses and guards the output folder, journals and saves through the Recorder, samples
per-core load, turns SIGTERM into an exception, runs each interpreter's part (its own and
every ``--python`` one, the same way: ``harness.api.interpreters``) and builds the report.
Progress and notices go to callbacks; the CLI (``harness.cli.run``) only parses, shows a
progress bar, prints and picks the exit code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import os
import time
from typing import Callable

from typing import TYPE_CHECKING

from harness.api.output import OutputFolderError, choose_out, point_latest
from harness.api.request import SweepError, SweepOutcome, SweepRequest
from harness.config import ConfigError, RunConfig
from harness.execution.signals import Terminated, terminate_as_exception
from harness.results.journal import Journal

if TYPE_CHECKING:  # imported where used: `import harness` (and every spawned worker) stays light
    from harness.api.interpreters import InterpreterPart, OtherInterpreter
    from harness.results.facts import Capacity

__all__ = ["Sweep"]

# --capacity in a sweep: 4 blocks of 0.1 s slices, about 2 s with start-up; `harness env
# --capacity` measures longer (10 blocks) for a closer figure.
SWEEP_CAPACITY_BLOCKS = 4


class Sweep:
    """Plan, check, measure, save and report one sweep. ``run()`` returns a SweepOutcome.

    Construction validates (SweepError) and writes nothing. ``on_progress(done, total, label)``
    follows the sweep; ``on_notice(text)`` gets the few things worth telling before it starts.
    """

    def __init__(self, request: SweepRequest, *, on_progress: Callable[[int, int, str], None] | None = None,
                 on_notice: Callable[[str], None] | None = None) -> None:
        self.request = request
        self._on_progress = on_progress or (lambda done, total, label: None)
        self._on_notice = on_notice or (lambda text: None)
        self.previous = None
        if request.resume:
            self.config, self.journal, self.created = self._load_resumed(request.resume)
        else:
            self.config, self.journal = request.config, Journal()
            self.created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.host = self._prepare_host()
        self._check_backends()
        self.others = self._probe_pythons()
        self._resolve_baseline()
        try:
            self.out, self._link_latest = choose_out(request.out, request.resume)
        except OutputFolderError as exc:
            raise SweepError(str(exc)) from None

    # -- validation: nothing is written ------------------------------------------------------

    def _load_resumed(self, folder: str):
        from harness.results.journal import read_journal_entries
        from harness.results.storage import RESULTS_NAME, ResultsFileError, load_suite

        try:
            self.previous = load_suite(os.path.join(folder, RESULTS_NAME))
            return RunConfig.from_dict(self.previous.config), read_journal_entries(folder), self.previous.created
        except (ResultsFileError, ConfigError) as exc:
            raise SweepError(str(exc)) from None
        except (TypeError, KeyError) as exc:
            raise SweepError(f"--resume {folder}: its saved configuration is not usable ({exc})") from None

    def _prepare_host(self) -> InterpreterPart:
        """This interpreter's part: the workload imported (watching the GIL: a C extension not
        marked free-threading safe turns it back on, and the runs must say so) and its items made."""
        from harness.api.interpreters import InterpreterPart
        from harness.workloads import WorkloadError

        if self.request.workload is not None:  # harness.sweep: the function is here already
            return InterpreterPart.of_function(self.config, self.request.workload, self.request.items)
        try:
            return InterpreterPart.prepare(self.config)
        except WorkloadError as exc:
            raise SweepError(str(exc)) from None

    @property
    def workload(self):
        return self.host.workload

    def _check_backends(self) -> None:
        from harness.execution.backends import DEFAULT_BACKENDS, availability, backend_trait

        self._not_here: dict[str, str] = {}
        self._host_runs = True
        for name in self.config.backends:
            reason = availability(name)
            if reason and self.config.pythons and backend_trait(name, "stdlib_only", False):
                self._not_here[name] = reason  # it may run under a --python interpreter (_place_backends)
            elif reason:
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
        self.host = dataclasses.replace(self.host, config=self.config)
        self._on_notice(f"{', '.join(refusing)} left out: {backend_trait(refusing[0], 'refuses_maps')}")

    def _probe_pythons(self) -> list[OtherInterpreter]:
        """Each --python interpreter as probed, running the backends that need nothing installed."""
        if not self.config.pythons:
            return []
        import platform

        from harness.api.interpreters import OtherInterpreter
        from harness.config import parse_python_spec
        from harness.environment.pythons import (ExternalPythonError, check_distinct, free_threaded_build,
                                                 interpreter_label, probe_interpreter)
        from harness.execution.backends import STDLIB_BACKENDS

        stdlib_only = tuple(b for b in self.config.backends if b in STDLIB_BACKENDS)
        if not stdlib_only:
            raise SweepError("--python: none of the chosen backends is stdlib-only (accepted there: "
                             f"{', '.join(STDLIB_BACKENDS)})")
        config = dataclasses.replace(self.config, backends=stdlib_only, pythons=())
        try:
            others = [OtherInterpreter(spec, probe_interpreter(spec), config)
                      for spec in map(parse_python_spec, self.config.pythons)]
            main = interpreter_label(platform.python_version(), free_threaded_build(), None)
            check_distinct([("this interpreter", main)] + [(o.spec.text, o.label) for o in others])
            return self._place_backends(others)
        except ExternalPythonError as exc:
            raise SweepError(f"--python {exc}") from None

    def _place_backends(self, others: list[OtherInterpreter]) -> list[OtherInterpreter]:
        """Each interpreter runs the chosen backends that can run there: one unavailable here
        runs only under --python, and one that runs nowhere is refused with its reason."""
        from harness.api.interpreters import unavailable_there

        placed, somewhere = [], set()
        for other in others:
            missing = unavailable_there(other.spec, other.config.backends)
            keep = tuple(b for b in other.config.backends if b not in missing)
            for name, reason in missing.items():
                self._on_notice(f"{name} left out on Python {other.label}: {reason}")
            somewhere.update(keep)
            placed.append(dataclasses.replace(other, config=dataclasses.replace(other.config, backends=keep)))
        for name, reason in self._not_here.items():
            if name not in somewhere:
                raise SweepError(f"--backends: {name} is not available here: {reason}; nor under any --python "
                                 "interpreter given (see harness list)")
            self._on_notice(f"{name} runs only under --python: not available in this interpreter ({reason})")
        mine = tuple(b for b in self.host.config.backends if b not in self._not_here)
        if not mine:
            self._host_runs = False  # everything chosen runs elsewhere: this part has nothing to do
        elif self._not_here:
            self.host = dataclasses.replace(self.host, config=dataclasses.replace(self.host.config, backends=mine))
        return placed

    def _resolve_baseline(self) -> None:
        """--baseline-python as the label of one of the sweep's interpreters (a label, or a
        --python value); SweepError for any other."""
        wanted = self.config.baseline_python
        if wanted is None:
            return
        labels = {self.host.interpreter.label: self.host.interpreter.label}
        for other in self.others:
            labels.update({other.label: other.label, other.spec.text: other.label, other.spec.path: other.label})
        if wanted not in labels:
            accepted = ", ".join(dict.fromkeys(labels.values()))
            raise SweepError(f"--baseline-python {wanted}: not an interpreter of this sweep (accepted: {accepted}, "
                             "or a --python value)")
        self.config = dataclasses.replace(self.config, baseline_python=labels[wanted])

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
        interrupted, error = self._measure(recorder)
        if interrupted is None and capacity is not None and self.request.capacity:
            self._capacity = self._probe_again(environment, capacity)
        suite = recorder.save(complete=interrupted is None)
        if interrupted is not None:
            from harness.results.journal import read_journal_entries

            kept = sum(len(v) for v in read_journal_entries(self.out).repeats.values())  # of runs still unfinished
            return SweepOutcome(suite, self.out, interrupted, kept if self.config.interleave else 0, error=error)
        return SweepOutcome(suite, self.out, error=error, **self._build_report(suite))

    def _probe_capacity(self, environment: dict, warnings: list) -> Capacity | None:
        """The host's parallel throughput at the usable CPUs, as stored in results.json; None if it failed."""
        from harness.execution.capacity import CapacityError, format_capacity, probe_parallel_capacity
        from harness.results.facts import Capacity

        cpus = environment["machine"].get("usable_cpus") or environment["machine"].get("logical_cpus") or 1
        self._on_notice(f"measuring what {cpus} busy processes deliver on this host...")
        try:
            probe = probe_parallel_capacity(cpus, blocks=SWEEP_CAPACITY_BLOCKS)
        except CapacityError as exc:
            warnings.append(f"--capacity: the probe could not measure ({exc})")
            return None
        return Capacity(processes=probe.processes, capacity=round(probe.capacity, 4),
                        efficiency=round(probe.efficiency, 4), slice_s=probe.slice_s,
                        block_capacities=tuple(round(c, 4) for c in probe.capacities),
                        summary=format_capacity(probe, cpus))

    def _probe_again(self, environment: dict, capacity: "Capacity") -> "Capacity":
        """The capacity probe once more after the sweep: how far the host moved while it ran."""
        from harness.execution.capacity import CapacityError, probe_parallel_capacity

        try:
            with terminate_as_exception():
                probe = probe_parallel_capacity(capacity.processes, blocks=SWEEP_CAPACITY_BLOCKS)
        except (CapacityError, KeyboardInterrupt, Terminated):
            return capacity
        return dataclasses.replace(capacity, capacity_after=round(probe.capacity, 4))

    def _start_recording(self, environment: dict, warnings: list, capacity):
        """The Recorder, its first results.json written, reports/latest pointed; SweepError if unwritable."""
        from harness.api.assemble import build_suite, interpreter_entry
        from harness.results.recorder import Recorder
        from harness.results.storage import RESULTS_NAME, remove_stale_temporaries

        config, created, main = self.config, self.created, self.host.interpreter
        # Each interpreter as probed; replaced by what its sweep reports once it has started.
        self.interpreters = [interpreter_entry(environment["python"], main.label, main.gil_mode)]
        self.interpreters += [interpreter_entry(o.probed, o.label, o.spec.gil) for o in self.others]
        environment["interpreters"] = self.interpreters
        # The probe's reading, and after the sweep its second one too (read when each suite is built).
        self._capacity = capacity
        recorder = Recorder(self.out, os.path.join(self.out, RESULTS_NAME), lambda runs, complete: build_suite(
            config, runs, environment, created, warnings, complete=complete, capacity=self._capacity),
            self.journal.runs)
        try:
            os.makedirs(self.out, exist_ok=True)
            if self.request.resume:  # a killed run can leave half-written temporaries beside results.json
                remove_stale_temporaries(self.out)
            recorder.save()
            if self._link_latest:
                point_latest(self.out)
        except OSError as exc:
            raise SweepError(f"--out {self.out}: cannot write there ({exc.strerror or exc})") from None
        return recorder

    def _measure(self, recorder) -> tuple[type[BaseException] | None, str | None]:
        """Run every interpreter's part; (the interrupt that ended it, another interpreter's error)."""
        from harness.api.assemble import with_timing_warnings
        from harness.environment.pythons import ExternalPythonError
        from harness.execution.backends.base import kill_stray_children
        from harness.execution.memory import SWEEP_METRIC
        from harness.execution.passes import SweepEvents
        from harness.execution.sampler import CpuSampler

        sampler = None
        events = SweepEvents(on_run=lambda run: recorder.record_run(with_timing_warnings(run)),
                             on_repeat=recorder.record_repeat, on_progress=self._on_progress)
        skip = {r.key for r in self.journal.runs}
        before = multiprocessing.active_children()
        try:
            with terminate_as_exception():
                try:
                    # Memory as PSS (SWEEP_METRIC says why).
                    sampler = CpuSampler(self.config.sample_interval_s, memory=SWEEP_METRIC) \
                        if self.request.sampling else None
                    if self._host_runs:
                        self.host.run(sampler, skip, self.journal.repeats, events)
                    for index, other in enumerate(self.others, start=1):
                        other.run(sampler, skip, self.journal.repeats, events,
                                  on_facts=lambda facts, i=index: self._on_facts(i, facts))
                except (KeyboardInterrupt, Terminated):
                    kill_stray_children(spared=before)  # nothing may outlive an interrupt, nor hold up the exit
                    raise
                finally:
                    if sampler is not None:
                        sampler.close()
        except ExternalPythonError as exc:
            return None, f"--python {exc}"
        except (KeyboardInterrupt, Terminated) as exc:
            return type(exc), None
        return None, None

    def _on_facts(self, index: int, facts: dict) -> None:
        from harness.api.assemble import interpreter_entry

        entry = self.interpreters[index]
        self.interpreters[index] = interpreter_entry(facts, facts.get("label") or entry.label, entry.gil_mode,
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
