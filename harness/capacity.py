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

__all__ = ["CapacityProbe", "format_capacity", "probe_parallel_capacity"]

# One chunk of work: short enough to end close to the deadline (~2 ms), long enough that
# reading the clock between chunks costs nothing measurable.
_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class CapacityProbe:
    """The result: work rates in poly items per second, and their ratio per round."""

    processes: int
    seconds_each: float
    single_rates: tuple[float, ...]
    parallel_rates: tuple[float, ...]

    @property
    def capacities(self) -> tuple[float, ...]:
        """Per round: the parallel rate over the single rate measured next to it."""
        return tuple(p / s for p, s in zip(self.parallel_rates, self.single_rates) if s > 0)

    @property
    def capacity(self) -> float:
        """The median round's capacity: how many 'single processes' of work ran at once."""
        return statistics.median(self.capacities)

    @property
    def efficiency(self) -> float:
        """capacity / processes: 1.0 when every process ran as fast as one alone."""
        return self.capacity / self.processes


def _spin(start_at: float, seconds: float, results) -> None:
    from harness.workloads import poly

    while time.perf_counter() < start_at:  # one clock for all processes on Linux
        time.sleep(0.001)
    done = 0
    end = start_at + seconds
    while time.perf_counter() < end:
        poly(0, _CHUNK)
        done += _CHUNK
    results.put(done / (time.perf_counter() - start_at))


def _rate(context, processes: int, seconds: float) -> float:
    results = context.Queue()
    # Start together, a little after every process exists, so start-up is not counted.
    start_at = time.perf_counter() + 0.2 + 0.02 * processes
    workers = [context.Process(target=_spin, args=(start_at, seconds, results), daemon=True)
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    try:
        rates = [results.get(timeout=seconds + 30) for _ in workers]
    finally:
        for worker in workers:
            worker.join(5)
            if worker.is_alive():
                worker.kill()
        results.close()
    return sum(rates)


def probe_parallel_capacity(processes: int, seconds: float = 0.4, rounds: int = 5,
                            start_method: str | None = None) -> CapacityProbe:
    """Measure one process alone and ``processes`` at once, alternately, ``rounds`` times."""
    import multiprocessing

    if processes < 1 or rounds < 1 or seconds <= 0:
        raise ValueError("need processes >= 1, rounds >= 1 and seconds > 0")
    context = multiprocessing.get_context(start_method)
    single, parallel = [], []
    for _ in range(rounds):
        single.append(_rate(context, 1, seconds))
        parallel.append(_rate(context, processes, seconds))
    return CapacityProbe(processes, seconds, tuple(single), tuple(parallel))


def format_capacity(probe: CapacityProbe) -> str:
    """One line for a person: the capacity, its ideal, and what each round gave."""
    rounds = ", ".join(f"{c:.2f}" for c in probe.capacities)
    line = (f"Parallel capacity: {probe.processes} processes of the poly loop did {probe.capacity:.2f}x the work "
            f"of one alone (ideal {probe.processes:.2f}x; rounds: {rounds})")
    if probe.capacity > probe.processes * 1.05:
        line += (". Above the ideal: the machine's speed changed between the rounds (a shared host), "
                 "so this figure is only as good as the machine is steady")
    elif probe.processes > 1 and probe.efficiency < 0.8:
        line += (f". The CPUs deliver {probe.efficiency:.0%} of their count when all are busy (shared or "
                 f"hyperthreaded cores): expect process speedups near {probe.capacity:.1f}x, not {probe.processes}x")
    return line
