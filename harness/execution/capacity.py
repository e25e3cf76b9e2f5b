"""How much parallel CPU throughput does this machine really deliver?

``logical_cpus`` says how many CPUs the OS sees, not how fast they run together. On a
shared virtual machine two vCPUs may be hyperthreads of one physical core, or the host
may be oversubscribed, and then two busy processes each run at a fraction of one's speed.
No backend can beat that ceiling, so a speedup of 1.2x on "2 CPUs" may be all the machine
has, not the harness's or the backend's fault.

The probe runs the ``poly`` loop in one process alone and in ``processes`` processes at
once, and counts the work done: capacity = work per second of all of them / work per
second of one alone. Ideal: ``processes``. A shared machine's speed drifts, here by 2x
within a second, so the two are measured close together: the processes start once and
then alternate, slice by slice (0.1 s), between "process 0 alone" and "all together",
in alone/together/together/alone blocks; each block gives one ratio, and the capacity is
their median. Processes, not threads: the GIL would cap threads at one CPU.
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
    """The result: work rates in poly items per second, one pair per block of slices."""

    processes: int
    slice_s: float
    single_rates: tuple[float, ...]
    parallel_rates: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.single_rates or len(self.single_rates) != len(self.parallel_rates):
            raise ValueError("need one single and one parallel rate per block, at least one block")
        if any(not rate > 0 for rate in self.single_rates + self.parallel_rates):
            raise ValueError("every rate must be > 0")

    @property
    def capacities(self) -> tuple[float, ...]:
        """Per block: the parallel rate over the single rate measured next to it."""
        return tuple(p / s for p, s in zip(self.parallel_rates, self.single_rates))

    @property
    def capacity(self) -> float:
        """The median block's capacity: how many 'single processes' of work ran at once."""
        return statistics.median(self.capacities)

    @property
    def efficiency(self) -> float:
        """capacity / processes: 1.0 when every process ran as fast as one alone."""
        return self.capacity / self.processes


class CapacityError(RuntimeError):
    """The probe could not measure: a process failed to start, died or never got going."""


def schedule(blocks: int) -> tuple[bool, ...]:
    """Slice plan: True = all processes work, False = process 0 alone.

    Blocks of four slices, alone/together/together/alone then the reverse, so a drift that
    is linear over a block hits both sides alike.
    """
    plan: list[bool] = []
    for block in range(blocks):
        plan += [False, True, True, False] if block % 2 == 0 else [True, False, False, True]
    return tuple(plan)


def _work_slices(index: int, barrier, start_at, slice_s: float, plan, results, parent_pid: int) -> None:
    from harness.execution.backends.worker import init_worker_process
    from harness.workloads import poly

    init_worker_process(parent_pid)  # ignore Ctrl-C (the parent decides), die with the parent
    try:
        # Everyone exists: one process sets a common start a little ahead, and all read it
        # after a second meeting (a Barrier action would not pickle under spawn).
        if barrier.wait(_READY_TIMEOUT_S) == 0:
            start_at.value = time.perf_counter() + 0.05
        barrier.wait(_READY_TIMEOUT_S)
    except Exception:  # BrokenBarrierError: a sibling never arrived
        results.put((index, None))
        return
    origin = start_at.value  # time.perf_counter is CLOCK_MONOTONIC: one clock for every process
    rates: list[float | None] = []
    for k, together in enumerate(plan):
        begin, end = origin + k * slice_s, origin + (k + 1) * slice_s
        delay = begin - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        if not (together or index == 0):
            rates.append(None)
            continue
        t0, done = time.perf_counter(), 0
        while True:  # at least one chunk, so every rate is > 0
            poly(0, _CHUNK)
            done += _CHUNK
            if time.perf_counter() >= end:
                break
        rates.append(done / (time.perf_counter() - t0))
    results.put((index, rates))


def _measure(context, processes: int, slice_s: float, plan: tuple[bool, ...]) -> list[list[float | None]]:
    import os
    import queue

    results = context.Queue()
    start_at = context.Value("d", 0.0, lock=False)
    barrier = context.Barrier(processes)
    workers = [context.Process(target=_work_slices, daemon=True,
                               args=(i, barrier, start_at, slice_s, plan, results, os.getpid()))
               for i in range(processes)]
    by_index: dict[int, list | None] = {}
    try:
        for worker in workers:
            worker.start()
        timeout = _READY_TIMEOUT_S + slice_s * len(plan) + 30
        for _ in workers:
            try:
                index, rates = results.get(timeout=timeout)
            except queue.Empty:
                raise CapacityError("a probe process gave no result within its time; did it die?") from None
            by_index[index] = rates
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
    if any(rates is None for rates in by_index.values()):
        raise CapacityError(f"the {processes} probe processes did not all start within {_READY_TIMEOUT_S:g} s")
    return [by_index[i] for i in range(processes)]


def probe_parallel_capacity(processes: int, slice_s: float = 0.1, blocks: int = 10,
                            start_method: str | None = None) -> CapacityProbe:
    """Measure one process alone and ``processes`` at once in alternating time slices.

    The processes start once and stay; in each slice of ``slice_s`` seconds either all of
    them run the loop or process 0 runs it alone while the rest sleep. ``blocks`` blocks of
    four slices give one ratio each. Raises CapacityError when the processes cannot be
    started or one dies; never prints.
    """
    import multiprocessing

    if not 1 <= processes <= MAX_PROCESSES or blocks < 1 or slice_s <= 0:
        raise ValueError(f"need 1 <= processes <= {MAX_PROCESSES}, blocks >= 1 and slice_s > 0")
    plan = schedule(blocks)
    rates = _measure(multiprocessing.get_context(start_method), processes, slice_s, plan)
    single, parallel = [], []
    for block in range(blocks):
        slices = range(4 * block, 4 * block + 4)
        alone = [rates[0][k] for k in slices if not plan[k]]
        together = [sum(worker[k] for worker in rates) for k in slices if plan[k]]
        single.append(sum(alone) / len(alone))
        parallel.append(sum(together) / len(together))
    return CapacityProbe(processes, slice_s, tuple(single), tuple(parallel))


def format_capacity(probe: CapacityProbe, cpus: int | None = None) -> str:
    """One line for a person: the capacity, its ideal, and the range over the blocks.

    ``cpus`` (the usable CPUs) makes the ideal min(processes, cpus): more processes than
    CPUs cannot all run at once, and saying so is not news about the machine.
    """
    spread = f"{min(probe.capacities):.2f}-{max(probe.capacities):.2f}"
    ideal = min(probe.processes, cpus) if cpus else probe.processes
    line = (f"Parallel capacity: {probe.processes} processes of the poly loop did {probe.capacity:.2f}x the work "
            f"of one alone (ideal {ideal:.2f}x; {len(probe.capacities)} blocks: {spread})")
    if cpus and probe.processes > cpus:
        line += f"; {probe.processes} processes share {cpus} CPUs"
    if probe.capacity > ideal * 1.05:
        line += (". Above the ideal: the machine's speed changed within the blocks (a shared host), "
                 "so this figure is only as good as the machine is steady")
    elif ideal > 1 and probe.capacity / ideal < 0.8:
        line += (f". The CPUs deliver {probe.capacity / ideal:.0%} of their count when all are busy (shared or "
                 f"hyperthreaded cores): expect process speedups near {probe.capacity:.1f}x, not {ideal}x")
    return line
