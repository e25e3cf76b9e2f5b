"""Memory of the harness and its workers: the arithmetic on literal numbers, the journal, and
the sampler process reading real child processes."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

import psutil
import pytest

from harness.execution.memory import ProcessMemory, TreeReading, read_process, read_tree, samples_from_readings
from harness.execution.sampler import CpuSampler, next_memory_at
from harness.results.repeats import Repeat
from harness.results.samples import CpuSamples, MemorySamples, compact_memory, mean_bytes, memory_use
from harness.results.model import MemoryUse

MB = 1_000_000


def mem(t, total, processes=None, metric="uss"):
    return MemorySamples(metric, tuple(t), tuple(total), tuple(processes or (1,) * len(t)))


# -- the arithmetic ------------------------------------------------------------------------

def test_mean_is_time_weighted_by_the_trapezoid_rule():
    # 100 -> 200 over 1 s (mean 150), then 200 for 2 s: (150 + 400) / 3
    assert mean_bytes(mem((0.0, 1.0, 3.0), (100, 200, 200))) == pytest.approx(550 / 3)
    assert mean_bytes(mem((5.0,), (42,))) == 42  # one reading: itself
    assert mean_bytes(mem((5.0, 5.0), (40, 60))) == 50  # no span: the plain mean


def test_memory_use_aggregates_the_repeats_of_a_configuration():
    a = mem((0.0, 1.0, 3.0), (100, 200, 200), (1, 3, 3))  # 3 s, mean 183.33
    b = mem((10.0, 11.0), (300, 100), (1, 2))  # 1 s, mean 200
    use = memory_use([a, b])
    assert use == MemoryUse(metric="uss", peak_bytes=300, mean_bytes=188, processes=3, samples=5)  # (550 + 200) / 4
    # CpuSamples are taken as they come from the sampler (their memory); None and empty are skipped.
    cpu = CpuSamples(0.0, (1.0,), ((50.0,),), memory=a)
    assert memory_use([cpu, None, CpuSamples(0.0, (), ()), mem((), ())]) == memory_use([a])
    assert memory_use([a]).mean_bytes == 183
    assert memory_use([]) is None and memory_use([None, CpuSamples(0.0, (1.0,), ((5.0,),))]) is None


def test_memory_use_keeps_to_one_metric():
    uss1, uss2 = mem((0.0, 1.0), (100, 100)), mem((0.0, 1.0), (120, 120))
    rss = mem((0.0, 1.0), (900, 900), metric="rss")
    assert memory_use([uss1, rss, uss2]) == MemoryUse("uss", 120, 110, 1, 4)  # what most repeats had
    pss = mem((0.0, 1.0), (150, 150), metric="pss")
    assert memory_use([uss1, pss]) == MemoryUse("pss", 150, 150, 1, 2)  # a tie: the weaker metric


def test_a_window_keeps_the_best_metric_all_its_readings_have():
    def reading(t, uss, pss, rss, processes=2):
        return TreeReading(t, 0.001, processes, ProcessMemory(uss, pss, rss))

    full = [reading(0.0, 10, 20, 30), reading(1.0, 11, 21, 31)]
    assert samples_from_readings(full) == mem((0.0, 1.0), (10, 11), (2, 2))
    assert samples_from_readings(full + [reading(2.0, None, 22, 32)]) == mem((0.0, 1.0, 2.0), (20, 21, 22), (2, 2, 2),
                                                                               metric="pss")
    assert samples_from_readings(full + [reading(2.0, 12, None, 32)]).metric == "uss"  # PSS lacking: no matter
    assert samples_from_readings(full + [reading(2.0, None, None, 32)]).total_bytes == (30, 31, 32)
    # PSS preferred (the sampler's --memory=pss): USS is not looked at.
    assert samples_from_readings(full, prefer="pss") == mem((0.0, 1.0), (20, 21), (2, 2), metric="pss")
    assert samples_from_readings(full, prefer="rss").total_bytes == (30, 31)
    # A reading that found no process at all (the harness gone) is no reading.
    assert samples_from_readings([reading(0.0, 0, 0, 0, processes=0)]) is None
    assert samples_from_readings([]) is None


def test_memory_samples_refuse_bad_values():
    with pytest.raises(ValueError, match="metric"):
        mem((0.0,), (1,), metric="vms")
    with pytest.raises(ValueError, match="one value per sample"):
        MemorySamples("uss", (0.0, 1.0), (1,), (1, 1))


def test_memory_readings_are_spaced_to_a_tenth_of_a_core():
    # A reading that started at 10.0 and took 0.2 s: the next no sooner than 2 s after it began.
    assert next_memory_at(TreeReading(10.1, 0.2, 128, ProcessMemory(1, 1, 1)), interval=0.1) == pytest.approx(12.0)
    # A quick one: no more often than the CPU interval.
    assert next_memory_at(TreeReading(10.0005, 0.001, 2, ProcessMemory(1, 1, 1)), interval=0.1) == pytest.approx(10.1)


def test_compacting_keeps_the_peak_the_edges_and_the_mean():
    t = tuple(100.0 + 0.1 * k for k in range(1000))
    total = tuple(1000 * MB + (k * 7919) % 500 * MB // 10 + (k // 100) * MB for k in range(1000))
    total = total[:613] + (9000 * MB,) + total[614:]  # a spike
    processes = tuple(4 + (k == 300) for k in range(1000))
    samples = mem(t, total, processes)
    small = compact_memory(samples)
    assert len(small.t) <= 100
    assert (small.t[0], small.t[-1]) == (t[0], t[-1]) and (small.total_bytes[0], small.total_bytes[-1]) == (total[0],
                                                                                                           total[-1])
    assert max(small.total_bytes) == 9000 * MB and max(small.processes) == 5
    assert list(small.t) == sorted(small.t)
    assert mean_bytes(small) == pytest.approx(mean_bytes(samples), rel=0.005)
    assert compact_memory(mem(t[:100], total[:100])) == mem(t[:100], total[:100])  # short: as it was
    for peak_at in (0, 1, 500, 998, 999):  # a peak at or near an edge, or alone in the middle
        edged = mem(t, total[:peak_at] + (9999 * MB,) + total[peak_at + 1:])
        assert len(compact_memory(edged, 10).t) <= 10 and max(compact_memory(edged, 10).total_bytes) == 9999 * MB


# -- the journal ---------------------------------------------------------------------------

def test_a_repeat_journals_its_memory_compactly():
    t = tuple(100.0 + 0.1 * k for k in range(600))
    memory = mem(t, tuple(50 * MB + (k % 37) * MB for k in range(600)), (3,) * 600)
    repeat = Repeat(wall_s=60.0, cpu_s=1.0, start=100.0, task_results=(),
                    samples=CpuSamples(100.0, t[1:], ((50.0,) * 599,), memory=memory))
    assert repeat.memory is memory
    back = Repeat.from_dict(repeat.to_dict())
    assert len(back.memory.t) <= 100 and back.memory.metric == "uss"
    assert memory_use([back.samples]).peak_bytes == memory_use([repeat.samples]).peak_bytes
    assert memory_use([back.samples]).mean_bytes == pytest.approx(memory_use([repeat.samples]).mean_bytes, rel=0.005)
    short = Repeat(0.5, 0.4, 100.0, (), CpuSamples(100.0, (100.5,), ((3.0,),), mem((99.99, 100.51), (10, 20))))
    assert Repeat.from_dict(short.to_dict()) == short


def test_journal_lines_without_memory_still_load():
    old = {"wall_s": 0.5, "cpu_s": 0.4, "start": 100.0, "task_results": [], "reference_s": None,
           "samples": {"start": 100.0, "t": [100.5], "per_core": [[3]]}}
    repeat = Repeat.from_dict(old)
    assert repeat.samples.t == (100.5,) and repeat.memory is None
    assert Repeat.from_dict({**old, "samples": None}).memory is None
    assert Repeat.from_dict({**old, "samples": {**old["samples"], "memory": None}}).memory is None


# -- reading real processes ----------------------------------------------------------------

# Holds ALLOC bytes, touched (bytes * fills every page), after starting DEPTH levels of
# itself below it; says "ready" once all are held, and lets go when its stdin closes.
HOLDER = """
import subprocess, sys
depth, size = int(sys.argv[1]), int(sys.argv[2])
child = None
if depth:
    child = subprocess.Popen([sys.executable, "-c", sys.argv[3], str(depth - 1), str(size), sys.argv[3]],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    child.stdout.readline()
    held = b""
else:
    held = b"x" * size
print("ready", flush=True)
sys.stdin.read()
if child:
    child.stdin.close()
    child.wait()
"""


class Holders:
    """Child processes holding memory, or an intermediate one holding a grandchild that does."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, depth: int = 0, size: int = 50 * MB) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(depth), str(size), HOLDER],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.procs.append(proc)
        assert proc.stdout.readline().strip() == "ready"
        return proc

    def close(self) -> None:
        for proc in self.procs:
            proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()


@pytest.fixture
def holders():
    h = Holders()
    yield h
    h.close()


def test_the_sampler_reads_the_memory_of_children_and_grandchildren(holders):
    with CpuSampler(0.05) as sampler:
        sampler.start()
        alone = sampler.stop().memory
        sampler.start()
        holders.start()
        holders.start()
        holders.start(depth=1)  # 50 MB in a grandchild, below a small intermediate
        held = sampler.stop().memory
    assert alone.metric == held.metric == "uss"  # smaps of one's own processes is readable on Linux
    assert len(alone.t) >= 2 and len(held.t) >= 2  # one at start, one at stop, whatever the speed
    # The holders said "ready" before stop, so the stop reading, at least, sees all they hold.
    assert held.total_bytes[-1] - max(alone.total_bytes) >= 0.8 * 3 * 50 * MB, (alone, held)
    assert max(held.total_bytes) >= held.total_bytes[-1]
    assert held.processes[-1] >= max(alone.processes) + 4


def live_descendants() -> set[int]:
    """This process's descendants, less zombies (an earlier test's exited child, not reaped:
    it holds no memory, and a reading leaves it out)."""
    pids = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                pids.add(proc.pid)
        except psutil.NoSuchProcess:
            pass
    return pids


def test_the_sampler_leaves_itself_out(holders):
    holders.start(size=1 * MB)
    with CpuSampler(0.05) as sampler:
        descendants = live_descendants()
        assert sampler.pid in descendants
        sampler.start()
        memory = sampler.stop().memory
        after = live_descendants()
    assert after == descendants  # nothing came or went meanwhile
    # The harness (here: this test) and its descendants, less the sampler.
    assert set(memory.processes) == {1 + len(descendants) - 1}, (memory, descendants)


def test_a_tree_reading_sums_the_processes_and_leaves_out_the_excluded(holders):
    holder = holders.start()
    everything = read_tree(os.getpid())
    without = read_tree(os.getpid(), exclude={holder.pid})
    assert everything.processes == without.processes + 1
    assert everything.total.uss - without.total.uss >= 0.8 * 50 * MB
    assert everything.total.rss >= everything.total.pss >= everything.total.uss > 0
    assert everything.duration_s > 0


def test_a_tree_reading_falls_back_where_a_process_cannot_be_read(holders):
    holder = holders.start(size=1 * MB)

    def no_uss(proc):  # as a platform without USS, for the holder only
        real = read_process(proc)
        return dataclasses.replace(real, uss=None) if proc.pid == holder.pid else real

    def no_smaps(proc):  # as a process whose smaps is denied
        real = read_process(proc)
        return ProcessMemory(None, None, real.rss) if proc.pid == holder.pid else real

    def gone(proc):
        if proc.pid == holder.pid:
            raise psutil.NoSuchProcess(proc.pid)
        return read_process(proc)

    pss = read_tree(os.getpid(), reader=no_uss)
    assert pss.total.uss is None and pss.total.pss > 0
    assert samples_from_readings([pss]).metric == "pss"
    rss = read_tree(os.getpid(), reader=no_smaps)
    assert samples_from_readings([rss]).metric == "rss" and rss.total.rss > 0
    full = read_tree(os.getpid())
    assert read_tree(os.getpid(), reader=gone).processes == full.processes - 1
    assert samples_from_readings([full]).metric == "uss"


def test_a_tree_reading_of_a_process_gone_is_empty_not_an_error():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: its pid names no process now
    reading = read_tree(proc.pid)
    assert reading.processes == 0 and reading.total == ProcessMemory(0, 0, 0)
    assert samples_from_readings([reading]) is None


def test_reading_a_process_denied_its_smaps_gives_its_rss():
    class Denied:
        pid = 12345

        def memory_full_info(self):
            raise psutil.AccessDenied(self.pid)

        def memory_info(self):
            return psutil.Process().memory_info()._replace(rss=7 * MB)

    assert read_process(Denied()) == ProcessMemory(None, None, 7 * MB)


def test_a_short_repeat_gets_a_reading_at_start_and_at_stop():
    with CpuSampler(5.0) as sampler:  # far beyond the repeat
        sampler.start()
        time.sleep(0.05)
        memory = sampler.stop().memory
    assert len(memory.t) == 2 and memory.t[0] < memory.t[1]


def test_memory_readings_are_no_more_often_than_the_interval():
    interval = 0.05
    with CpuSampler(interval) as sampler:
        sampler.start()
        time.sleep(0.6)
        memory = sampler.stop().memory
    gaps = [b - a for a, b in zip(memory.t, memory.t[1:-1])]  # the stop reading comes when it comes
    assert gaps and min(gaps) >= 0.9 * interval, memory.t


def test_the_sampler_can_prefer_pss(holders):
    holders.start(size=1 * MB)
    with CpuSampler(0.05, memory="pss") as sampler:
        sampler.start()
        memory = sampler.stop().memory
    assert memory.metric == "pss" and min(memory.processes) >= 2


def test_memory_sampling_can_be_turned_off():
    with pytest.raises(ValueError, match="memory"):
        CpuSampler(0.05, memory="vms")
    with CpuSampler(0.05, memory=None) as sampler:
        sampler.start()
        samples = sampler.stop()
    assert samples.memory is None and len(samples.t) == 1
