"""Build the whole report for a Suite: report.html, the PNG figures, results.csv and summary.md.

Nothing here prints; the CLI says where the files went. Each file is written to a
temporary name and renamed into place, so a browser or CI step reading the folder while
a report is rebuilt sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
from typing import Any

from harness.results.model import Suite
from harness.results.storage import atomic_write_bytes

__all__ = ["build_report", "page_context"]

NUMERIC_COLUMNS = ("workers", "n", "median", "IQR", "speedup", "speedup CI", "efficiency",
                   "CPU util.", "busy cores", "start-up", "peak memory", "total memory", "serialisation")


def _write(path: str, data: bytes) -> str:
    atomic_write_bytes(path, data)
    return path


def _facts(suite: Suite) -> list[tuple[str, str]]:
    """The one-line facts under the title: what ran, where, on which interpreter."""
    machine, python, config = suite.machine, suite.python, suite.config or {}
    from harness.report.tables import interpreter_names

    gil = {True: "GIL enabled", False: "free-threaded (no GIL)"}.get(python.gil_enabled, "GIL unknown")
    sizes = sorted({r.n for r in suite.runs}) or []
    names = interpreter_names(suite)
    facts = [
        ("machine", f"{machine.cpu_model or 'unknown CPU'}, {machine.logical_cpus or '?'} logical CPUs"),
        ("Python", " · ".join(names) if len(names) > 1
         else f"{python.implementation or ''} {python.version or '?'} ({gil})".strip()),
        ("n", ", ".join(f"{n:,}" for n in sizes) or "–"),
        ("workers", ", ".join(str(w) for w in sorted({r.workers for r in suite.runs})) or "–"),
        ("repeats", str(config.get("repeat", "?"))),
        ("created", suite.created),
    ]
    from harness.analysis.chunking import chunk_order
    from harness.report.series import has_chunk_axis

    if has_chunk_axis(suite.runs):
        chunks = sorted({r.chunksize for r in suite.runs if r.chunksize is not None}, key=chunk_order)
        facts.insert(4, ("chunksize", ", ".join(str(c) for c in chunks)))
    if suite.git_commit:
        facts.append(("commit", suite.git_commit[:10]))
    return facts


def _row_classes(runs) -> list[str]:
    return ["bad" if r.status in ("failed", "timeout") or r.result_ok is False else
            "skip" if r.status == "skipped" else "" for r in runs]


def page_context(suite: Suite, plots, verdict, recommendations, comparison, files) -> dict[str, Any]:
    """Everything report.html shows, as plain values for the template: the short answer in the
    verdict box, the whole verdict (``verdict``) in a section below it."""
    from harness.analysis.answer import warning_summary
    from harness.analysis.explain import reasons_note
    from harness.report.html import figure_view, table_view
    from harness.report.tables import break_even_frame, display_runs, environment_frame, runs_frame, sorted_runs
    from harness.report.tables_verdict import chunksize_frame, lock_frame, matrix_frame, ratings_frame, reasons_frame

    workloads = ", ".join(sorted({r.workload for r in suite.runs})) or str(suite.config.get("workload", ""))
    results = display_runs(runs_frame(suite))
    return {
        "title": f"Concurrency report: {workloads}" if workloads else "Concurrency report",
        "facts": _facts(suite),
        "answer": list(suite.verdict.lines) if suite.verdict is not None else [],
        "verdict": list(verdict),
        "recommendations": list(recommendations),
        "complete": suite.complete,
        "warnings": list(suite.warnings),
        "warning_summary": warning_summary(suite.warnings),
        "figures": [figure_view(p) for p in plots],
        "results": table_view(results, numeric=[c for c in results.columns if c in NUMERIC_COLUMNS
                                                or c.startswith("median CI")], wrap=("error",),
                              row_class=_row_classes(sorted_runs(suite))),
        "break_even": table_view(break_even_frame(suite)),
        "matrix": table_view(matrix_frame(suite), numeric=["workers"]),
        "ratings": table_view(ratings_frame(suite)),
        "locks": table_view(lock_frame(suite), wrap=("with Lock", "without")),
        # Map workloads and the chunksize axis (schema 4): None, and no section, without them.
        "reasons": table_view(reasons_frame(suite), numeric=["speedup", "ideal", "gap over ideal"],
                              wrap=("figures",)),
        "reasons_note": reasons_note(),
        "chunksizes": table_view(chunksize_frame(suite), numeric=["workers", "n"], wrap=("auto", "static")),
        "environment": table_view(environment_frame(suite), wrap=("value",)),
        **_models_section(suite),
        "comparison": comparison,
        "repeat": suite.config.get("repeat", "?"),
        "harness_version": suite.harness_version,
        "files": files,
    }


def _models_section(suite: Suite) -> dict[str, Any]:
    """The event loop's lag per asyncio model, and start-up and memory per model beside a
    subinterpreter pool (each None, and no section, without such runs)."""
    from harness.report.html import table_view
    from harness.report.models_tables import (LOOP_LAG_NOTE, STARTUP_MEMORY_NOTE, loop_lag_frame,
                                              startup_memory_frame)

    return {"loop_lag": table_view(loop_lag_frame(suite), numeric=["workers", "n", "median", "throughput", "speedup",
                                                                   "lag p50", "lag p99", "lag max", "ticks"]),
            "loop_lag_note": LOOP_LAG_NOTE, "startup_memory_note": STARTUP_MEMORY_NOTE,
            "startup_memory": table_view(startup_memory_frame(suite), numeric=["workers", "n", "start-up",
                                                                               "memory peak", "processes seen",
                                                                               "speedup"])}


def build_report(suite: Suite, out_dir: "str | os.PathLike", *, baseline: Suite | None = None) -> list[str]:
    """Write the HTML report, the PNG plots, results.csv and summary.md of ``suite`` into the
    folder ``out_dir`` (created if needed); return the files' paths, the page first.

    ``baseline``: another Suite to compare with, in a section of its own. pandas, matplotlib
    and jinja2 are imported only now.
    """
    out_dir = os.fspath(out_dir)
    from harness.analysis.speedup import recommendations, verdict_lines
    from harness.analysis.verdict import suite_verdict
    from harness.report.comparison import comparison_section
    from harness.report.html import render_html
    from harness.report.markdown import summary_markdown
    from harness.report.plots import PLOT_SPECS, render_plots
    from harness.report.tables import repeats_frame

    os.makedirs(out_dir or ".", exist_ok=True)
    # The answer worked out again from the runs: older files get one, and this harness's rules.
    answer = suite_verdict(suite)
    suite = suite.replace(verdict=answer)
    verdict = verdict_lines(suite.runs, suite.python.gil_enabled, suite.machine.cpus, suite.interpreters,
                            suite.capacity)
    best = recommendations(suite.runs)
    comparison = comparison_section(baseline, suite) if baseline is not None else None
    plots = render_plots(suite)

    figure_paths = [_write(os.path.join(out_dir, f"{p.name}.png"), p.png) for p in plots]
    # A figure from an earlier report in this folder that this sweep has no data for (a
    # one-size rerun leaves no time-vs-size) would contradict the page beside it.
    # Per-interpreter figures are named NAME-pyLABEL.png.
    made = {f"{p.name}.png" for p in plots}
    for entry in os.listdir(out_dir or "."):
        stem = entry[:-4] if entry.endswith(".png") else None
        if stem is None or entry in made:
            continue
        if any(stem == spec.name or stem.startswith(f"{spec.name}-py") for spec in PLOT_SPECS):
            os.unlink(os.path.join(out_dir, entry))
    csv_path = _write(os.path.join(out_dir, "results.csv"),
                      repeats_frame(suite).to_csv(index=False).encode("utf-8"))
    summary = summary_markdown(suite, verdict, best, comparison and comparison.get("markdown"))
    md_path = _write(os.path.join(out_dir, "summary.md"), summary.encode("utf-8"))
    files = ["summary.md", "results.csv"] + [os.path.basename(p) for p in figure_paths]
    page = render_html(page_context(suite, plots, verdict, best, comparison, files))
    html_path = _write(os.path.join(out_dir, "report.html"), page.encode("utf-8"))
    return [html_path, md_path, csv_path, *figure_paths]
