"""How much parallel CPU throughput does this machine really deliver?

``logical_cpus`` says how many CPUs the OS sees, not how fast they run together. On a
shared virtual machine two vCPUs may be hyperthreads of one physical core, or the host
may be oversubscribed, and then two busy processes each run at a fraction of one's speed.
No backend can beat that ceiling, so a speedup of 1.2x on "2 CPUs" may be all the machine
has, not the harness's or the backend's fault.

The probe runs the ``poly`` loop in one process alone, then in ``processes`` processes at
once, each for a fixed time, and counts the work done: capacity = work per second of all
of them / work per second of one alone. Ideal: ``processes``. The two are measured in
alternation, ``rounds`` times, since a shared machine's speed drifts between the two.
Processes, not threads: the GIL would cap threads at one CPU.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

__all__ = ["MAX_PROCESSES", "CapacityError", "CapacityProbe", "format_capacity", "probe_parallel_capacity"]

# One chunk of work: short enough to end close to the deadline (~2 ms), long enough that
# reading the clock between chunks costs nothing measurable.
_CHUNK = 10_000
# How long processes may take to start before the probe gives up (spawn on a busy machine).
_READY_TIMEOUT_S = 60.0
# Far beyond any machine's CPUs, and still safe to fork: a typo like 20000 is refused early.
MAX_PROCESSES = 1024


@dataclass(frozen=True, slots=True)
class CapacityProbe:
    """The result: work rates in poly items per second, and their ratio per round."""

    processes: int
    seconds_each: float
    single_rates: tuple[float, ...]
    parallel_rates: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.single_rates or len(self.single_rates) != len(self.parallel_rates):
            raise ValueError("need one single and one parallel rate per round, at least one round")
        if any(not rate > 0 for rate in self.single_rates + self.parallel_rates):
            raise ValueError("every rate must be > 0")

    @property
    def capacities(self) -> tuple[float, ...]:
        """Per round: the parallel rate over the single rate measured next to it."""
        return tuple(p / s for p, s in zip(self.parallel_rates, self.single_rates))

    @property
    def capacity(self) -> float:
        """The median round's capacity: how many 'single processes' of work ran at once."""
        return statistics.median(self.capacities)

    @property
    def efficiency(self) -> float:
        """capacity / processes: 1.0 when every process ran as fast as one alone."""
        return self.capacity / self.processes


class CapacityError(RuntimeError):
    """The probe could not measure: a process failed to start, died or never got going."""


def _spin(barrier, seconds: float, results, parent_pid: int) -> None:
    from harness.backends.worker import init_worker_process
    from harness.workloads import poly

    init_worker_process(parent_pid)  # ignore Ctrl-C (the parent decides), die with the parent
    try:
        barrier.wait(_READY_TIMEOUT_S)  # start together once every process exists: start-up is not counted
    except Exception:  # BrokenBarrierError: a sibling never arrived
        results.put(None)
        return
    start = time.perf_counter()
    end = start + seconds
    done = 0
    while True:  # at least one chunk, so every rate is > 0
        poly(0, _CHUNK)
        done += _CHUNK
        if time.perf_counter() >= end:
            break
    results.put(done / (time.perf_counter() - start))


def _rate(context, processes: int, seconds: float) -> float:
    import os
    import queue

    results = context.Queue()
    barrier = context.Barrier(processes)
    workers = [context.Process(target=_spin, args=(barrier, seconds, results, os.getpid()), daemon=True)
               for _ in range(processes)]
    try:
        for worker in workers:
            worker.start()
        rates = []
        for _ in workers:
            try:
                rates.append(results.get(timeout=_READY_TIMEOUT_S + seconds + 30))
            except queue.Empty:
                raise CapacityError("a probe process gave no result within its time; did it die?") from None
    except OSError as exc:
        raise CapacityError(f"cannot start {processes} processes ({exc.strerror or exc})") from None
    finally:
        for worker in workers:
            if worker.pid is not None:
                worker.join(1)
                if worker.is_alive():
                    worker.kill()
                    worker.join()
        results.close()
    if any(rate is None for rate in rates):
        raise CapacityError(f"the {processes} probe processes did not all start within {_READY_TIMEOUT_S:g} s")
    return sum(rates)


def probe_parallel_capacity(processes: int, seconds: float = 0.4, rounds: int = 5,
                            start_method: str | None = None) -> CapacityProbe:
    """Measure one process alone and ``processes`` at once, alternately, ``rounds`` times.

    Raises CapacityError when the processes cannot be started or one dies; never prints.
    """
    import multiprocessing

    if not 1 <= processes <= MAX_PROCESSES or rounds < 1 or seconds <= 0:
        raise ValueError(f"need 1 <= processes <= {MAX_PROCESSES}, rounds >= 1 and seconds > 0")
    context = multiprocessing.get_context(start_method)
    single, parallel = [], []
    for _ in range(rounds):
        single.append(_rate(context, 1, seconds))
        parallel.append(_rate(context, processes, seconds))
    return CapacityProbe(processes, seconds, tuple(single), tuple(parallel))


def format_capacity(probe: CapacityProbe, cpus: int | None = None) -> str:
    """One line for a person: the capacity, its ideal, and what each round gave.

    ``cpus`` (the usable CPUs) makes the ideal min(processes, cpus): more processes than
    CPUs cannot all run at once, and saying so is not news about the machine.
    """
    rounds = ", ".join(f"{c:.2f}" for c in probe.capacities)
    ideal = min(probe.processes, cpus) if cpus else probe.processes
    line = (f"Parallel capacity: {probe.processes} processes of the poly loop did {probe.capacity:.2f}x the work "
            f"of one alone (ideal {ideal:.2f}x; rounds: {rounds})")
    if cpus and probe.processes > cpus:
        line += f"; {probe.processes} processes share {cpus} CPUs"
    if probe.capacity > ideal * 1.05:
        line += (". Above the ideal: the machine's speed changed between the rounds (a shared host), "
                 "so this figure is only as good as the machine is steady")
    elif ideal > 1 and probe.capacity / ideal < 0.8:
        line += (f". The CPUs deliver {probe.capacity / ideal:.0%} of their count when all are busy (shared or "
                 f"hyperthreaded cores): expect process speedups near {probe.capacity:.1f}x, not {ideal}x")
    return line
