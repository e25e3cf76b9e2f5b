"""results.json's format at scale: compact timelines, round trips, and older files still load."""

import json

from harness.results.model import CpuLoad, RunResult, Suite
from harness.results.storage import SCHEMA_VERSION, load_suite, save_suite

CORES, SAMPLES = 128, 100


def _suite(per_core, schema_version=SCHEMA_VERSION) -> Suite:
    t = tuple(round(0.1 * (i + 1), 4) for i in range(len(per_core[0])))
    cpu = CpuLoad(interval_s=0.1, mean_per_core=tuple(sum(s) / len(s) for s in per_core), busy_cores=1.0,
                  timeline_t_s=t, timeline_per_core=per_core)
    run = RunResult(backend="processes", workers=128, n=10**8, scaling="strong", workload="poly",
                    start_method="fork", status="ok", times_s=(1.0, 1.1, 0.9), median_s=1.0, cpu=cpu)
    return Suite(schema_version=schema_version, harness_version="test", created="2026-01-01T00:00:00+00:00",
                 machine={"logical_cpus": CORES}, python={}, config={"repeat": 3}, runs=(run,))


def test_a_saved_suite_loads_back_unchanged_with_one_line_per_core(tmp_path):
    per_core = tuple(tuple((c * 7 + i) % 101 for i in range(SAMPLES)) for c in range(CORES))
    suite = _suite(per_core)
    path = tmp_path / "results.json"
    save_suite(suite, str(path))
    loaded = load_suite(str(path))
    assert loaded.to_dict() == suite.to_dict()
    assert loaded.runs[0].cpu.timeline_per_core == per_core
    text = path.read_text()
    lines = text.splitlines()
    assert sum(1 for line in lines if line.strip().startswith("[") and line.strip().rstrip(",").count(",") == SAMPLES - 1) == CORES
    old_layout = json.dumps(suite.to_dict(), indent=1)
    assert len(text) < len(old_layout) / 2


def test_a_version_2_file_with_float_timelines_in_the_old_layout_still_loads(tmp_path):
    per_core = tuple(tuple(round((c + i) * 0.7 % 100, 1) for i in range(300)) for c in range(4))
    data = _suite(per_core, schema_version=2).to_dict()
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data, indent=1) + "\n")
    loaded = load_suite(str(path))
    assert loaded.schema_version == 2
    assert loaded.runs[0].cpu.timeline_per_core == per_core  # stored as it was, all 300 samples
    assert len(loaded.runs[0].cpu.timeline_t_s) == 300
