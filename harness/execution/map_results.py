"""A map workload's results: put back in item order, checked against serial's, and what it
costs to move items and results between processes; and the inputs every run of one size shares.

Pure functions of their arguments (no backend, no clock but the estimate's own), so they
are tested on literal values.
"""

from __future__ import annotations

import functools
import os
import pickle
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from harness.results.repeats import TaskResult
from harness.workloads import Workload

__all__ = ["CheckError", "MapInputs", "Mismatch", "Transfer", "assemble", "first_mismatch", "describe_mismatch",
           "estimate_transfer", "first_unpicklable", "worker_load", "merge_by_worker"]

# Items (and results) pickled to estimate sizes and serialisation time: evenly spread, so
# items whose size grows along the range are represented; few enough to cost milliseconds.
SAMPLE_ITEMS = 64


class CheckError(Exception):
    """The workload's CHECK raised: the run fails, naming the item."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The first item whose result differs from serial's."""

    index: int
    expected: Any
    got: Any


def assemble(task_results: Sequence[TaskResult]) -> list:
    """Every chunk's results, in item order (chunks are numbered in item order)."""
    results: list = []
    for task in sorted(task_results, key=lambda r: r.worker):
        results.extend(task.value)
    return results


def first_mismatch(expected: Sequence, got: Sequence, check: Callable[[Any, Any], bool] | None = None
                   ) -> Mismatch | None:
    """The first differing item, by ``check(expected, got)`` or equality; a missing or extra
    result counts as differing at the first index past the shorter list."""
    if check is None and expected == got:
        return None  # the common case (two lists), at C speed
    for index, (want, have) in enumerate(zip(expected, got)):
        if check is None:
            same = want == have
        else:
            try:
                same = bool(check(want, have))
            except Exception as exc:
                raise CheckError(f"CHECK raised on item {index}: {type(exc).__name__}: "
                                 f"{' '.join(str(exc).split())}") from None
        if not same:
            return Mismatch(index, want, have)
    if len(expected) != len(got):
        index = min(len(expected), len(got))
        return Mismatch(index, expected[index] if index < len(expected) else "(nothing)",
                        got[index] if index < len(got) else "(nothing)")
    return None


def describe_mismatch(mismatch: Mismatch, exact_by_design: bool = True) -> str:
    """'wrong result: item 17 differs from serial's (expected 289, got 290)', values shortened."""
    lost = "" if exact_by_design else " (lost updates)"
    return (f"wrong result{lost}: item {mismatch.index} differs from serial's "
            f"(expected {_short(mismatch.expected)}, got {_short(mismatch.got)})")


def _short(value: Any, limit: int = 60) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass(frozen=True, slots=True)
class Transfer:
    """What moving one item to a worker and its result back costs: the mean pickled sizes, and
    the seconds to pickle, copy through a pipe once and unpickle one item and one result."""

    bytes_in_per_item: float
    bytes_out_per_item: float
    seconds_per_item: float

    def serialisation_s(self, n: int) -> float:
        """The estimated seconds a run spends moving all n items and results once."""
        return self.seconds_per_item * n


def estimate_transfer(items: Sequence, results: Sequence, sample: int = SAMPLE_ITEMS, clock=time.perf_counter,
                      pipe_s_per_byte: float | None = None) -> Transfer | None:
    """Sizes and transfer time from up to ``sample`` items spread over the range.

    A process-based model pickles each item in the parent, copies the bytes through a pipe,
    and unpickles them in the worker; the result goes the same way back. The estimate times
    exactly that, on this machine: pickle and unpickle of the sampled items and results (one
    by one, as in chunks of one: an upper bound of the per-object overhead), plus their bytes
    through an os.pipe at the bandwidth measured here (``pipe_s_per_byte`` to inject it). It
    leaves out what depends on the model (its dispatch per chunk, its threads' turns at the
    GIL, starting processes), which the measured gap also holds.
    """
    if not items:
        return None
    try:
        return _sampled_transfer(items, results, sample, clock, pipe_s_per_byte)
    except Exception:  # an item or result that does not pickle: no estimate (process backends refuse it)
        return None


def _sampled_transfer(items: Sequence, results: Sequence, sample: int, clock, pipe_s_per_byte) -> Transfer:
    step = max(1, len(items) // sample)
    picks = range(0, len(items), step)
    size_in = size_out = 0
    elapsed = []
    for _ in range(PASSES):  # the fastest pass: a descheduled moment is not the cost of pickling
        size_in = size_out = 0
        began = clock()
        for index in picks:
            for value, is_item in ((items[index], True), (results[index], False)):
                data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.loads(data)
                if is_item:
                    size_in += len(data)
                else:
                    size_out += len(data)
        elapsed.append(clock() - began)
    count = len(picks)
    per_byte = pipe_seconds_per_byte() if pipe_s_per_byte is None else pipe_s_per_byte
    return Transfer(size_in / count, size_out / count, min(elapsed) / count + per_byte * (size_in + size_out) / count)


# Passes over the sample, and probes of the pipe, of which the fastest counts: on a shared
# machine one pass can meet a slow spell, and the cost being estimated is the undisturbed one.
PASSES = 3
# Bytes timed through the pipe: enough to reach the steady copy rate, a few milliseconds' worth.
PIPE_PROBE_BYTES = 4 << 20
_PIPE_BLOCK = 1 << 20


def pipe_seconds_per_byte(total: int = PIPE_PROBE_BYTES) -> float:
    """Seconds per byte to copy through an os.pipe, writer and reader on two threads (both
    release the GIL in the system calls, so this is the kernel's copy rate, as between two
    processes): the fastest of PASSES probes of ``total`` bytes."""
    return min(_pipe_probe(total) for _ in range(PASSES))


def _pipe_probe(total: int) -> float:
    import threading

    read_fd, write_fd = os.pipe()
    block = bytes(_PIPE_BLOCK)

    def write() -> None:
        sent = 0
        with open(write_fd, "wb", buffering=0) as out:
            while sent < total:
                sent += out.write(block[:min(_PIPE_BLOCK, total - sent)])

    writer = threading.Thread(target=write, name="harness-pipe-probe", daemon=True)
    began = time.perf_counter()
    writer.start()
    received = 0
    with open(read_fd, "rb", buffering=0) as source:
        while received < total:
            chunk = source.read(_PIPE_BLOCK)
            if not chunk:
                break
            received += len(chunk)
    writer.join()
    return (time.perf_counter() - began) / max(received, 1)


def first_unpicklable(items: Sequence, what: str = "item") -> str | None:
    """None when every item (or result) pickles, else one line naming the first that does not."""
    try:
        pickle.dumps(list(items), protocol=pickle.HIGHEST_PROTOCOL)
        return None
    except Exception:
        pass
    for index, item in enumerate(items):
        try:
            pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            return f"{what} {index} cannot be pickled: {type(exc).__name__}: {' '.join(str(exc).split())}"
    return f"the {what}s cannot be pickled together"


def _by_worker(task_results: Sequence[TaskResult]) -> list[list[TaskResult]]:
    """Chunks grouped by the (process, thread) that ran them, workers in order of first start
    (under the static split, in block order)."""
    groups: dict[tuple, list[TaskResult]] = {}
    for task in sorted(task_results, key=lambda r: r.start):
        groups.setdefault(task.runner if task.thread is not None else ("chunk", task.worker), []).append(task)
    if all(len(tasks) == 1 for tasks in groups.values()):  # the static split: worker i took block i
        return sorted(groups.values(), key=lambda tasks: tasks[0].worker)
    return list(groups.values())


def worker_load(task_results: Sequence[TaskResult]) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Items and busy seconds per worker, workers in order of their first start."""
    groups = _by_worker(task_results)
    items = tuple(sum(t.items if t.items is not None else 0 for t in tasks) for tasks in groups)
    busy = tuple(round(sum(t.busy for t in tasks), 6) for tasks in groups)
    return items, busy


def merge_by_worker(task_results: Sequence[TaskResult]) -> tuple[TaskResult, ...]:
    """One result per worker for a repeat of many chunks, so a repeat of 100,000 chunks keeps
    (and journals) a handful of values: start and end span the worker's chunks, CPU, items
    and busy time add up, a range workload's values add up (a map's are already checked and
    dropped, None). Workers are numbered in order of their first start."""
    merged = []
    for number, tasks in enumerate(_by_worker(task_results)):
        values = [t.value for t in tasks]
        value = None if any(v is None for v in values) else sum(values)
        cpus = [t.cpu_s for t in tasks if t.cpu_s is not None]
        peaks = [t.peak_rss for t in tasks if t.peak_rss is not None]
        gils = {t.gil_enabled for t in tasks if t.gil_enabled is not None}
        first = tasks[0]
        merged.append(TaskResult(number, value, first.start, max(t.end for t in tasks), sum(cpus) if cpus else None,
                                 max(peaks) if peaks else None, first.pid, (True in gils) if gils else None,
                                 first.thread, sum(t.items or 0 for t in tasks), sum(t.busy for t in tasks)))
    return tuple(merged)


class MapInputs:
    """A map workload's items for one size, and what every run of that size is checked
    against: serial's results, taken from the serial run of this size (it runs first), or else
    computed once, in this process, untimed, by the first run that needs them. Also the items'
    transfer estimate and whether they pickle."""

    def __init__(self, workload: Workload, items) -> None:
        self.workload, self.items = workload, items

    @functools.cached_property
    def expected(self) -> list:
        """Serial's results; CheckError (naming the item) when the function raises here."""
        fn = self.workload.function
        results = []
        for index, item in enumerate(self.items):
            try:
                results.append(fn(item))
            except Exception as exc:
                from harness.execution.backends.worker import describe_exception

                raise CheckError(f"serial's results, computed in the harness to check this run against, failed at "
                                 f"item {index}: {describe_exception(exc)}") from None
        return results

    def adopt(self, results: list) -> None:
        """Serial's own results, from its first timed repeat: the reference, if none was computed
        yet, so the sweep does not compute the same serial pass a second time."""
        self.__dict__.setdefault("expected", results)

    def _expected_or_none(self) -> list | None:
        try:
            return self.expected
        except CheckError:  # each run then reports the failing item itself
            return None

    @functools.cached_property
    def transfer(self):
        expected = self._expected_or_none()
        return None if expected is None else estimate_transfer(self.items, expected)

    @functools.cached_property
    def unpicklable(self) -> str | None:
        """Why the items, or serial's results, cannot travel between processes (None: they can)."""
        expected = self._expected_or_none()
        return first_unpicklable(self.items) or (
            None if expected is None else first_unpicklable(expected, "the result of item"))
