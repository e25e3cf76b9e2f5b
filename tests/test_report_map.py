"""The report for map workloads and the chunksize axis, on made-up suites (nothing is timed):
the new figures exist when their data does and not otherwise, several chunksizes at one point
never collide in lines, tables or the verdict, a static-only or schema-3 suite builds as before,
and the figures hold at 128 cores and 256 workers."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from harness.analysis.speedup import attach_speedups, verdict_lines
from harness.results.model import CpuLoad, MemoryUse, RunResult, Suite, WorkerSpan

MAP_FIGURES = ("chunksize", "load-balance", "memory", "transfer")
MiB = 2**20


def png_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG"
        image.load()
        return image.size


def _map_run(backend, w, n, chunksize, rng, *, cpus, thread, pickles, starts_each_repeat=False):
    """One made-up map run: the U-curve in chunk size, static imbalance, memory per process."""
    serial_t = n * 2e-5
    if chunksize == "static":
        items = max(1, n // w)
    elif chunksize == "auto":
        items = max(1, n // (w * 4))
    else:
        items = chunksize
    chunks = -(-n // items)
    per_chunk = 2e-4 if pickles else 2e-6
    ser = n * 96 * 2e-8 if pickles else None
    if thread:
        t = serial_t * 1.03 + chunks * per_chunk
    else:
        # Static chunks of uneven items leave workers idle; small chunks pay per dispatch.
        imbalance = 1.5 if chunksize == "static" else 1.0 + min(0.4, items * w / n)
        t = serial_t / min(w, cpus) * imbalance + chunks * per_chunk / w + (ser or 0) / w
    t += 0.05 if starts_each_repeat else 0.0
    times = tuple(t * rng.uniform(0.97, 1.05) for _ in range(5))
    median = sorted(times)[2]
    mean_busy = serial_t / w
    if chunksize == "static" and not thread:
        busy = tuple(mean_busy * (1.45 if i == 0 else 1.0 - 0.45 / max(w - 1, 1)) for i in range(w))
    else:
        busy = tuple(mean_busy * rng.uniform(0.97, 1.03) for _ in range(w))
    starts = [(0.04 + 0.04 * i / w) if starts_each_repeat else 0.01 * median * i / w for i in range(w)]
    spans = tuple(WorkerSpan(worker=i, start_s=s, end_s=max(s, median * 0.95)) for i, s in enumerate(starts))
    busy_cores = 1.0 if thread else float(min(w, cpus))
    memory = MemoryUse("uss", int((30 + (w * 12 if not thread else 2 * w)) * MiB),
                       int((25 + (w * 10 if not thread else 2 * w)) * MiB), 1 if thread else w + 1, 40)
    return RunResult(
        backend=backend, workers=w, n=n, scaling="strong", workload="collatz-map", start_method="fork",
        status="ok", times_s=times, median_s=median, min_s=min(times), max_s=max(times), iqr_s=0.02 * t,
        ci_s=(min(times), max(times)), ci95_s=(min(times), max(times)), ci_confidence=0.9375,
        cpu_time_s=median * busy_cores, cpu_utilization=busy_cores / w, result_ok=True, gil_enabled=True,
        startup_s=0.3 if backend in ("pool", "process-executor") else None,
        cpu=CpuLoad(interval_s=0.1, mean_per_core=tuple(100.0 if c < busy_cores else 3.0 for c in range(cpus)),
                    busy_cores=busy_cores),
        worker_spans=spans, workload_kind="map", chunksize=chunksize, chunk_items=items, chunks=chunks,
        worker_items=tuple([n // w] * w), worker_busy_s=busy, bytes_in_per_item=64.0, bytes_out_per_item=32.0,
        serialisation_s=ser, memory=memory)


def map_suite(*, cpus=4, workers=(2, 4), sizes=(20_000, 100_000), chunksizes=("static", 1, 16, 256, "auto"),
              seed=3) -> Suite:
    rng = random.Random(seed)
    runs = []
    for n in sizes:
        runs.append(_map_run("serial", 1, n, "static", rng, cpus=cpus, thread=True, pickles=False))
        for w in workers:
            runs.append(_map_run("threads", w, n, "static", rng, cpus=cpus, thread=True, pickles=False))
            runs.append(_map_run("processes", w, n, "static", rng, cpus=cpus, thread=False, pickles=True,
                                 starts_each_repeat=True))
            for backend in ("pool", "process-executor"):
                for cs in chunksizes:
                    runs.append(_map_run(backend, w, n, cs, rng, cpus=cpus, thread=False, pickles=True))
    runs = [r.replace(cpu_time_s=r.median_s, cpu_utilization=1.0) if r.backend == "serial" else r for r in runs]
    return Suite(schema_version=4, harness_version="test", created="2026-01-01T00:00:00+00:00",
                 machine={"logical_cpus": cpus, "cpu_model": "synthetic"},
                 python={"implementation": "CPython", "version": "3.13.0", "gil_enabled": True},
                 config={"backends": ["serial", "threads", "processes", "pool", "process-executor"],
                         "workers": list(workers), "n": list(sizes), "repeat": 5},
                 runs=tuple(attach_speedups(runs, cpus)))


@pytest.fixture(scope="module")
def map_report(tmp_path_factory):
    from harness.report import build_report

    suite = map_suite()
    out = tmp_path_factory.mktemp("map-report")
    paths = build_report(suite, str(out))
    return suite, out, paths


def test_map_figures_are_written_and_decode(map_report):
    _, out, paths = map_report
    names = {Path(p).name for p in paths}
    for name in MAP_FIGURES:
        assert f"{name}.png" in names
        width, height = png_size(out / f"{name}.png")
        assert (out / f"{name}.png").stat().st_size > 5_000
        assert 400 <= width <= 1200 and 200 <= height <= 2000, (name, width, height)


def test_page_has_the_reasons_and_the_chunksize_sections(map_report):
    suite, out, _ = map_report
    page = (out / "report.html").read_text()
    for anchor in ('id="reasons-table"', 'id="chunksize-table"', 'href="#reasons"', 'href="#chunksizes"',
                   'id="chunksize"', 'id="load-balance"', 'id="memory"', 'id="transfer"'):
        assert anchor in page, anchor
    assert "chunksize: <b>static, 1, 16, 256, auto</b>" in page
    # The results table has a chunksize column and the new memory and serialisation columns.
    header = page[page.index('id="results-table"'):].split("</thead>")[0]
    assert ">chunksize<" in header and ">total memory<" in header and ">serialisation<" in header
    assert "auto (" in page  # the rule's items per chunk beside it


def test_verdict_names_reasons_and_recommends_a_chunksize(map_report):
    suite, out, _ = map_report
    lines = verdict_lines(suite.runs, True, 4)
    assert any(" lost to " in line or " won less " in line for line in lines)
    assert any("because of the GIL" in line and line.startswith("threads w4") for line in lines)
    assert any(line.startswith("pool w4 at n=100,000 won less") and "imbalance" in line and "static chunking" in line
               for line in lines)
    assert any(line.startswith("pool cs=16 w4") and "pickling" in line for line in lines)
    assert any(line.startswith("Chunksize for pool at 4 workers, n=100,000: best ") for line in lines)
    summary = (out / "summary.md").read_text()
    assert "Chunksize for pool at 4 workers" in summary
    assert "| backend | workers | chunksize | n | median | speedup | efficiency | status |" in summary


def test_several_chunksizes_at_one_point_never_collide(map_report):
    from harness.report.plots import plot_context
    from harness.report.series import best_time_by_size, break_even_sizes, runs_at
    from harness.report.tables import display_runs, runs_frame

    suite, out, _ = map_report
    ctx = plot_context(suite)
    assert "pool cs=16" in ctx.series and ctx.backend_of("pool cs=16") == "pool"
    assert ctx.series.index("pool") < ctx.series.index("pool cs=1") < ctx.series.index("pool cs=256") \
        < ctx.series.index("pool cs=auto") < ctx.series.index("process-executor")
    groups = runs_at(ctx.runs, 100_000)
    for series, group in groups.items():
        assert len({r.workers for r in group}) == len(group), series  # one point per worker count per line
    assert len(groups["pool cs=1"]) == 2 and all(r.chunksize == 1 for r in groups["pool cs=1"])
    assert set(best_time_by_size(ctx.runs)) == set(ctx.series)
    assert "pool cs=auto" in break_even_sizes(ctx.runs)
    table = display_runs(runs_frame(suite))
    assert len(table) == len(suite.runs)
    keyed = list(zip(table["backend"], table["workers"], table["chunksize"], table["n"]))
    assert len(set(keyed)) == len(keyed)
    rows = list(csv.DictReader(io.StringIO((out / "results.csv").read_text())))
    assert {"chunksize", "chunk_items", "serialisation_s", "memory_peak_bytes"} <= set(rows[0])
    assert {r["chunksize"] for r in rows if r["backend"] == "pool"} == {"static", "1", "16", "256", "auto"}


def test_static_only_suite_renders_exactly_as_before(tmp_path):
    """A schema-3-style suite (no schema-4 field): no new figure, column, section or line."""
    from harness.report import build_report
    from harness.report.tables import REPEAT_COLUMNS
    from tests.test_report import FIGURES, synthetic_suite

    suite = synthetic_suite(cpus=8, workers=(1, 2, 4, 8), sizes=(10**5, 10**6), samples=5)
    paths = build_report(suite, str(tmp_path))
    assert {Path(p).name for p in paths} == {"report.html", "summary.md", "results.csv"} | {f"{f}.png" for f in FIGURES}
    page = (tmp_path / "report.html").read_text()
    for absent in ("reasons-table", "chunksize-table", ">chunksize<", "total memory", "serialisation"):
        assert absent not in page, absent
    with open(tmp_path / "results.csv") as f:
        assert next(csv.reader(f)) == list(REPEAT_COLUMNS)
    summary = (tmp_path / "summary.md").read_text()
    assert "| backend | workers | n | median | speedup | efficiency | status |" in summary
    assert "Chunksize for" not in summary and " lost to " not in summary


def test_schema_3_suite_without_the_new_fields_still_builds(tmp_path):
    from harness.report import build_report
    from harness.results.model import Suite

    suite = map_suite()
    legacy = {"schema_version": 3, **{k: v for k, v in suite.to_dict().items() if k != "schema_version"}}
    new_fields = ("workload_kind", "chunksize", "chunk_items", "chunks", "worker_items", "worker_busy_s",
                  "bytes_in_per_item", "bytes_out_per_item", "serialisation_s", "memory")
    legacy["runs"] = [{k: v for k, v in r.items() if k not in new_fields} for r in legacy["runs"]
                      if r["chunksize"] == "static"]
    old = Suite.from_dict(legacy)
    paths = build_report(old, str(tmp_path))
    names = {Path(p).name for p in paths}
    assert "report.html" in names and not names & {f"{f}.png" for f in MAP_FIGURES}
    assert "reasons-table" not in (tmp_path / "report.html").read_text()


def test_a_range_sweep_with_busy_times_but_no_chunksize_axis_gets_no_chunk_figures():
    from harness.report.plots import plot_context
    from harness.report.plots_map import balance_figure, chunksize_figure
    from harness.report.plots_memory import transfer_figure

    suite = map_suite(chunksizes=("static",))
    ctx = plot_context(suite)
    assert chunksize_figure(ctx) is None and balance_figure(ctx) is None
    assert transfer_figure(ctx) is not None  # processes and pool still pickle their items


def test_map_figures_hold_at_128_cores_and_256_workers(tmp_path):
    from harness.report.axes import to_png
    from harness.report.plots import plot_context
    from harness.report.plots_map import balance_figure, chunksize_figure
    from harness.report.plots_memory import memory_figure, transfer_figure

    suite = map_suite(cpus=128, workers=(1, 2, 4, 8, 16, 32, 64, 128, 256), sizes=(10**6,),
                      chunksizes=("static", 1, 64, 4096, "auto"))
    ctx = plot_context(suite)
    for name, make in (("chunksize", chunksize_figure), ("load-balance", balance_figure), ("memory", memory_figure),
                       ("transfer", transfer_figure)):
        made = make(ctx)
        assert made is not None, name
        figure, caption = made
        path = tmp_path / f"{name}.png"
        path.write_bytes(to_png(figure))
        width, height = png_size(path)
        assert width <= 1200 and height <= 2000, (name, width, height)
        assert caption
    # At 128 workers within 128 CPUs the load balance shows a sorted profile, not 128 bars.
    figure, caption = balance_figure(ctx)
    assert "Above 32 workers" in caption
    assert len(figure.axes[0].patches) == 0
