"""The report's tables as pandas DataFrames: raw values for files, formatted text for the page.

``runs_frame`` and ``repeats_frame`` keep numbers as numbers (results.csv, notebooks);
``display_runs`` turns them into the strings a reader sees. pandas is imported inside the
functions so ``import harness`` stays light.
"""

from __future__ import annotations

import math
from typing import Any

from harness.chunksizes import is_static
from harness.results.facts import Interpreter
from harness.results.model import RunResult, Suite
from harness.analysis.chunking import chunk_order
from harness.report.series import backend_order, break_even_sizes, plotted_runs, series_order

__all__ = [
    "MAP_COLUMNS", "REPEAT_COLUMNS", "break_even_frame", "chunk_text", "display_runs", "environment_frame",
    "has_map_fields", "interpreter_names", "repeats_frame", "runs_frame", "seconds_text", "sorted_runs",
]


def sorted_runs(suite: Suite) -> list[RunResult]:
    """Runs by size, then backend in configured order, then worker count, then chunksize."""
    order = {b: i for i, b in enumerate(backend_order(suite.runs, suite.config.get("backends") or ()))}
    pythons = {p: i for i, p in enumerate(dict.fromkeys(r.python for r in suite.runs))}
    # A backend's chunksizes at one worker count sit together, static first (chunk_order).
    return sorted(suite.runs, key=lambda r: (r.workload, r.scaling, pythons[r.python], r.n, order[r.backend],
                                             r.workers, chunk_order(r.chunksize)))


def runs_frame(suite: Suite):
    """One row per configuration, with every statistic the report shows, as numbers."""
    import pandas as pd

    rows = []
    for r in sorted_runs(suite):
        ci = r.ci_s or (None, None)
        sci = r.speedup_ci95 or (None, None)
        rows.append({
            "python": r.python, "backend": r.backend, "workers": r.workers, "n": r.n, "scaling": r.scaling,
            "workload": r.workload, "median_s": r.median_s, "iqr_s": r.iqr_s, "ci_lo_s": ci[0], "ci_hi_s": ci[1],
            "ci_confidence": r.ci_confidence, "speedup": r.speedup, "speedup_ci95_lo": sci[0],
            "speedup_ci95_hi": sci[1], "efficiency": r.efficiency, "cpu_utilization": r.cpu_utilization,
            "busy_cores": r.cpu.busy_cores if r.cpu else None, "startup_s": r.startup_s,
            "peak_rss_bytes": r.peak_rss_bytes, "result_ok": r.result_ok, "status": r.status, "error": r.error,
            **_map_values(r),
        })
    return pd.DataFrame(rows)


# Schema 4 (map workloads, chunking, memory): in results.csv only when some run recorded them,
# so the file of an older or a range-only sweep keeps exactly its old columns.
MAP_COLUMNS = (
    "workload_kind", "chunksize", "chunk_items", "chunks", "bytes_in_per_item", "bytes_out_per_item",
    "serialisation_s", "memory_metric", "memory_peak_bytes", "memory_mean_bytes",
)


def _map_values(r: RunResult) -> dict[str, Any]:
    memory = r.memory
    return {
        "workload_kind": r.workload_kind, "chunksize": r.chunksize, "chunk_items": r.chunk_items, "chunks": r.chunks,
        "bytes_in_per_item": r.bytes_in_per_item, "bytes_out_per_item": r.bytes_out_per_item,
        "serialisation_s": r.serialisation_s, "memory_metric": memory.metric if memory else None,
        "memory_peak_bytes": memory.peak_bytes if memory else None,
        "memory_mean_bytes": memory.mean_bytes if memory else None,
    }


def has_map_fields(runs) -> bool:
    """Whether any run recorded a schema-4 field (a workload kind, a chunksize, memory...)."""
    return any(value is not None for r in runs for value in _map_values(r).values())


REPEAT_COLUMNS = (
    "backend", "workers", "n", "repeat", "time_s", "scaling", "workload", "start_method", "python", "status",
    "error", "result_ok", "median_s", "speedup", "efficiency", "cpu_time_s", "cpu_utilization", "busy_cores",
    "startup_s", "peak_rss_bytes",
)


def repeats_frame(suite: Suite):
    """Tidy results: one row per configuration and timed repeat (results.csv).

    A configuration with no timed repeat (failed, timed out, skipped) still gets one row,
    with an empty ``repeat`` and ``time_s``, so its status and error are not lost.
    """
    import pandas as pd

    extra = has_map_fields(suite.runs)
    rows = []
    for r in sorted_runs(suite):
        common = {
            "backend": r.backend, "workers": r.workers, "n": r.n, "scaling": r.scaling, "workload": r.workload,
            "start_method": r.start_method, "python": r.python, "status": r.status, "error": r.error,
            "result_ok": r.result_ok, "median_s": r.median_s, "speedup": r.speedup, "efficiency": r.efficiency,
            "cpu_time_s": r.cpu_time_s, "cpu_utilization": r.cpu_utilization,
            "busy_cores": r.cpu.busy_cores if r.cpu else None, "startup_s": r.startup_s,
            "peak_rss_bytes": r.peak_rss_bytes,
        }
        if extra:
            common.update(_map_values(r))
        for i, t in enumerate(r.times_s or (None,)):
            rows.append({**common, "repeat": i if t is not None else None, "time_s": t})
    frame = pd.DataFrame(rows, columns=list(REPEAT_COLUMNS) + (list(MAP_COLUMNS) if extra else []))
    integers = ("repeat", "peak_rss_bytes") + (("chunk_items", "chunks", "memory_peak_bytes", "memory_mean_bytes")
                                               if extra else ())
    for column in integers:
        frame[column] = frame[column].astype("Int64")  # integers with gaps, not 0.0, 1.0, NaN
    return frame


def seconds_text(value: float | None) -> str:
    from harness.text import format_seconds

    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else format_seconds(value)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _interval(lo, hi, fmt) -> str:
    """"35.2–52.1 ms": the unit once when both ends share it, else both in full."""
    if _missing(lo) or _missing(hi):
        return "–"
    a, b = fmt(lo), fmt(hi)
    a_num, _, a_unit = a.rpartition(" ")
    b_num, _, b_unit = b.rpartition(" ")
    if a_num and a_unit == b_unit:
        return f"{a_num}–{b_num} {a_unit}"
    return f"{a} – {b}"


def chunk_text(chunksize: Any, chunk_items: Any = None) -> str:
    """"auto (1,954)": the chunksize as asked and, when it is a rule, the items a chunk came to."""
    if _missing(chunksize):
        return "–"
    if isinstance(chunksize, float):  # pandas turns a column of ints and gaps into floats
        chunksize = int(chunksize)
    text = str(chunksize)
    if isinstance(chunksize, str) and not _missing(chunk_items):
        text += f" ({int(chunk_items):,})"
    return text


def _result(ok: Any) -> str:
    return "–" if _missing(ok) else "correct" if ok else "WRONG"


def display_runs(frame):
    """``runs_frame`` as the strings the page shows, with readable headers and units.

    Workload and scaling columns appear only when they vary within the sweep.
    """
    import pandas as pd

    if frame.empty:
        return pd.DataFrame()
    out = pd.DataFrame({"backend": frame["backend"], "workers": frame["workers"].map(str),
                        "n": frame["n"].map(lambda n: f"{n:,}")})
    if any(not is_static(c) and not _missing(c) for c in frame["chunksize"]):
        # A chunksize axis: each row says how it chunked (and the items a chunk came to).
        out.insert(2, "chunksize", [chunk_text(row.chunksize, row.chunk_items) for row in frame.itertuples()])
    if frame["python"].nunique() > 1:  # several interpreters: each row says which
        out.insert(0, "python", frame["python"])
    for column in ("workload", "scaling"):
        if frame[column].nunique() > 1:
            out[column] = frame[column]
    out["median"] = frame["median_s"].map(seconds_text)
    out["IQR"] = frame["iqr_s"].map(seconds_text)

    # Fewer than 6 repeats cannot reach 95%: say what the interval actually covers, once in
    # the header when every row shares it, else in each cell.
    confidences = {round(c, 4) for c in frame["ci_confidence"].dropna()}
    shared = confidences.pop() if len(confidences) == 1 else None
    header = "median CI" if shared is None else f"median CI ({shared:.0%})"

    def ci(row) -> str:
        text = _interval(row.ci_lo_s, row.ci_hi_s, seconds_text)
        if shared is None and text != "–" and not _missing(row.ci_confidence) and row.ci_confidence < 0.95:
            text += f" ({row.ci_confidence:.0%})"
        return text

    out[header] = [ci(row) for row in frame.itertuples()]
    out["speedup"] = frame["speedup"].map(lambda s: "–" if _missing(s) else f"{s:.2f}×")
    out["speedup CI"] = [_interval(row.speedup_ci95_lo, row.speedup_ci95_hi, lambda v: f"{v:.2f}×")
                               for row in frame.itertuples()]
    out["efficiency"] = frame["efficiency"].map(lambda e: "–" if _missing(e) else f"{e:.0%}")
    out["CPU util."] = frame["cpu_utilization"].map(lambda u: "–" if _missing(u) else f"{u:.0%}")
    out["busy cores"] = frame["busy_cores"].map(lambda b: "–" if _missing(b) else f"{b:.1f}")
    out["start-up"] = frame["startup_s"].map(seconds_text)
    out["peak memory"] = frame["peak_rss_bytes"].map(lambda b: "–" if _missing(b) else f"{b / 2**20:,.1f} MiB")
    # Schema 4: the harness and all its workers together, by the metric named (USS, PSS or RSS).
    out["total memory"] = [("–" if _missing(row.memory_peak_bytes) else
                            f"{row.memory_peak_bytes / 2**20:,.1f} MiB {str(row.memory_metric).upper()}")
                           for row in frame.itertuples()]
    out["serialisation"] = frame["serialisation_s"].map(seconds_text)
    out["result"] = frame["result_ok"].map(_result)
    out["status"] = frame["status"]
    out["error"] = frame["error"].map(lambda e: "" if _missing(e) else str(e))
    # Columns with nothing to say in this sweep (no pools: no start-up; no failures: no
    # error) only push the informative ones off a laptop screen.
    empty = [c for c in ("start-up", "speedup CI", "peak memory", "total memory", "serialisation", "error")
             if (out[c].isin(["–", ""])).all()]
    return out.drop(columns=empty).reset_index(drop=True)


def break_even_frame(suite: Suite):
    """Per parallel backend, the size from which it beats serial; None for a one-size sweep."""
    import pandas as pd

    crossings = break_even_sizes(plotted_runs(suite.runs))
    if not crossings:
        return None
    rows = []
    for series in series_order(suite.runs, suite.config.get("backends") or ()):
        if series not in crossings:
            continue
        be = crossings[series]
        text = ("never, at the sizes measured" if be is None else f"n ≈ {be.n:,.0f}" if be.interpolated
                else f"already at the smallest size (n = {be.n:,.0f})")
        rows.append({"backend": series, "beats serial from": text})
    return pd.DataFrame(rows)


def _ranges(values: list[int]) -> str:
    """[0, 1, 2, 3, 8] -> "0-3,8": a 128-CPU affinity list in a few characters."""
    parts = []
    start = prev = values[0]
    for value in list(values[1:]) + [None]:
        if value is not None and value == prev + 1:
            prev = value
            continue
        # Only runs of three or more become ranges: [1, 2, 4] reads better as it is.
        parts.append(f"{start}-{prev}" if prev - start >= 2 else ",".join(map(str, range(start, prev + 1))))
        start = prev = value
    return ",".join(parts)


def _compact(value: Any) -> str:
    """A fact as one short line: integer lists as ranges, dicts as key=value."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_compact(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return _ranges(list(value))
        return ", ".join(_compact(v) for v in value)
    return "–" if value is None else str(value)


def _fact(key: str, value: Any) -> str:
    if key.endswith("_bytes") and isinstance(value, int) and not isinstance(value, bool):
        return f"{value / 2**30:,.1f} GiB ({value:,} bytes)"
    return _compact(value)


def environment_frame(suite: Suite):
    """Machine, interpreter, packages, configuration and provenance as (fact, value) rows."""
    import pandas as pd

    rows = [("harness version", suite.harness_version), ("created (UTC)", suite.created),
            ("git commit", suite.git_commit or "–"), ("complete sweep", "yes" if suite.complete else "NO")]
    for section, facts in (("machine", suite.machine.to_dict()), ("python", suite.python.to_dict()),
                           ("config", suite.config), ("package", suite.packages)):
        rows += [(f"{section}.{key}", _fact(key, value)) for key, value in (facts or {}).items()]
    return pd.DataFrame(rows, columns=["fact", "value"])


def interpreter_names(suite: Suite) -> list[str]:
    """Every interpreter of the sweep in words: '3.13.15t (free-threaded, GIL off)'."""
    listed = list(suite.interpreters) or [Interpreter(label=p) for p in dict.fromkeys(r.python for r in suite.runs) if p]
    names = []
    for entry in listed:
        build, state = entry.free_threaded_build, entry.gil_enabled
        if build is None:
            kind = "GIL unknown"
        elif not build:
            kind = "GIL build"
        else:
            kind = "free-threaded, GIL " + ("on" if state else "off")
            if entry.gil_enabled_by:
                kind += f", re-enabled by importing {entry.gil_enabled_by}"
        names.append(f"{entry.label} ({kind})")
    return names
