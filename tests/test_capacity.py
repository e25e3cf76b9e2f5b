"""The parallel-capacity probe: real processes; no timing thresholds that a busy machine could break."""

from __future__ import annotations

import dataclasses

import pytest

from harness.execution.capacity import CapacityProbe, format_capacity, probe_parallel_capacity, schedule


def test_capacity_arithmetic_from_literal_rates():
    probe = CapacityProbe(processes=2, slice_s=0.1, single_rates=(100.0, 200.0, 100.0),
                          parallel_rates=(120.0, 260.0, 150.0))
    assert probe.capacities == (1.2, 1.3, 1.5)
    assert probe.capacity == 1.3
    assert probe.efficiency == pytest.approx(0.65)
    with pytest.raises(dataclasses.FrozenInstanceError):
        probe.processes = 4
    with pytest.raises(ValueError, match="> 0"):
        CapacityProbe(2, 0.5, (100.0,), (0.0,))
    with pytest.raises(ValueError, match="one single and one parallel rate per block"):
        CapacityProbe(2, 0.5, (100.0, 90.0), (150.0,))


def test_format_says_what_the_ceiling_means():
    poor = CapacityProbe(2, 0.5, (100.0,), (120.0,))
    text = format_capacity(poor)
    assert "did 1.20x the work of one alone (ideal 2.00x; 1 blocks: 1.20-1.20)" in text
    assert "60%" in text and "expect process speedups near 1.2x, not 2x" in text
    good = format_capacity(CapacityProbe(2, 0.5, (100.0,), (195.0,)))
    assert "1.95x" in good and "expect" not in good
    drifting = format_capacity(CapacityProbe(2, 0.5, (100.0,), (230.0,)))
    assert "Above the ideal: the machine's speed changed within the blocks" in drifting
    # Three processes on two CPUs: the ideal is 2, and 1.95x is the machine doing its best.
    crowded = format_capacity(CapacityProbe(3, 0.5, (100.0,), (195.0,)), cpus=2)
    assert "(ideal 2.00x;" in crowded and "3 processes share 2 CPUs" in crowded and "expect" not in crowded


def test_schedule_alternates_in_mirrored_blocks():
    assert schedule(2) == (False, True, True, False, True, False, False, True)


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_probe_runs_real_processes(start_method):
    # Even a slice shorter than one chunk of work gives every process a rate: each does one chunk.
    tiny = probe_parallel_capacity(2, slice_s=1e-6, blocks=1, start_method=start_method)
    assert all(rate > 0 for rate in tiny.single_rates + tiny.parallel_rates)
    probe = probe_parallel_capacity(2, slice_s=0.05, blocks=2, start_method=start_method)
    assert len(probe.single_rates) == len(probe.parallel_rates) == 2
    assert all(rate > 0 for rate in probe.single_rates + probe.parallel_rates)
    # Two processes cannot do more than two processes' work; allow for the machine's drift between rounds.
    assert 0 < probe.capacity < 2 * 2.5


@pytest.mark.parametrize("kwargs", [{"processes": 0}, {"processes": 2, "blocks": 0}, {"processes": 2, "slice_s": 0},
                                    {"processes": 100_000}])
def test_probe_refuses_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        probe_parallel_capacity(**kwargs)


def test_cli_env_capacity(cli):
    result = cli("env", "--capacity", "2")
    assert result.returncode == 0, result.stderr
    assert "Parallel capacity: 2 processes of the poly loop did" in result.stdout
    for bad in ("0", "two", "100000"):
        refused = cli("env", "--capacity", bad)
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "--capacity" in refused.stderr
        assert refused.stdout == ""  # refused before anything is printed


def test_cli_limit_matches_the_probe():
    from harness.execution import capacity
    from harness.cli import parser as cli_parser

    assert cli_parser._MAX_PROBE_PROCESSES == capacity.MAX_PROCESSES
