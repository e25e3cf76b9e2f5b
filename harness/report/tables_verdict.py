"""The verdict's own tables, each a section of the report below the short answer: build x model,
ftscalingbench's weak-scaling ratings, the Lock's cost, why models lost and the chunksize per
backend. pandas DataFrames of display strings; None (no section) where a sweep has none."""

from __future__ import annotations

from harness.chunksizes import STATIC
from harness.report.tables import seconds_text, sorted_runs
from harness.results.model import Suite

__all__ = ["chunksize_frame", "lock_frame", "matrix_frame", "ratings_frame", "reasons_frame"]


def matrix_frame(suite: Suite):
    """The build x model table: speedup per model and worker count (rows) per interpreter (columns)."""
    import pandas as pd

    from harness.analysis.matrix import model_matrix

    labels, rows = model_matrix(suite.runs)
    if len(labels) < 2 or not rows:
        return None
    return pd.DataFrame([{"model": r.series, "workers": r.workers,
                          **{f"Python {p}": "–" if s is None else f"{s:.2f}×" for p, s in zip(labels, r.speedups)}}
                         for r in rows])


def ratings_frame(suite: Suite):
    """ftscalingbench's verdict per interpreter and model at its largest worker count."""
    import pandas as pd

    from harness.analysis.matrix import scaling_ratings

    # A question of builds: a sweep of one GIL interpreter has its answer in the speedup figure.
    several = len({r.python for r in suite.runs}) > 1
    ratings = scaling_ratings(suite.runs) if several or any(r.free_threaded_build for r in suite.runs) else []
    if not ratings:
        return None
    return pd.DataFrame([{"python": r.python, "model": r.series, "workers": r.workers,
                          "speedup": f"{r.speedup:.2f}×", "weak-scaling verdict": r.rating} for r in ratings])


def lock_frame(suite: Suite):
    """The Lock's cost next to the lost updates: each no-lock model beside its locked twin."""
    import pandas as pd

    from harness.analysis.locks import lock_costs

    pairs = [p for p in lock_costs(suite.runs) if p.workers > 1]
    if not pairs:
        return None

    def result(run) -> str:
        return "exact" if run.result_ok else "LOST UPDATES" if run.result_ok is False else "–"

    return pd.DataFrame([{"python": p.python, "workers": p.workers, "n": f"{p.n:,}",
                          "with Lock": f"{p.locked.series}: {seconds_text(p.locked.median_s)}, {result(p.locked)}",
                          "without": f"{p.unlocked.series}: {seconds_text(p.unlocked.median_s)}, {result(p.unlocked)}",
                          "Lock cost": f"{p.cost:+.0%}"} for p in pairs])


def reasons_frame(suite: Suite):
    """Every schema-4 run that lost to serial or won less than its ideal, with the reasons found
    (harness.analysis.explain) and their figures; None when there is none."""
    import pandas as pd

    from harness.analysis.explain import explain_runs

    explained = explain_runs(sorted_runs(suite), suite.python.gil_enabled, suite.machine.cpus)
    if not explained:
        return None
    rows = []
    for e in explained:
        rows.append({"configuration": e.run.label + (f" ({e.run.python})" if e.run.python else ""),
                     "speedup": f"{e.serial.median_s / e.run.median_s:.2f}×", "ideal": f"{e.ideal_speedup:.3g}×",
                     "gap over ideal": seconds_text(max(e.gap_s, 0.0)), "outcome": e.outcome,
                     "reasons": ", ".join(e.kinds) or "–",
                     "figures": "; ".join(r.text for r in e.reasons) or e.unexplained})
    return pd.DataFrame(rows)


def chunksize_frame(suite: Suite):
    """Per backend and point swept over chunksizes: the best one, and auto and static against it."""
    import pandas as pd

    from harness.analysis.chunking import chunk_label, chunksize_choices

    choices = chunksize_choices(sorted_runs(suite))
    if not choices:
        return None
    several = len({r.python for r in suite.runs}) > 1

    def against(choice, run) -> str:
        if run is None:
            return "–"
        if run is choice.best:
            return f"{chunk_label(run)}: {seconds_text(run.median_s)}, the best"
        return f"{chunk_label(run)}: {seconds_text(run.median_s)} ({choice.excess(run):+.0%})"

    rows = []
    for c in choices:
        row = {"python": c.python} if several else {}
        row.update({"backend": c.backend, "workers": c.workers, "n": f"{c.n:,}",
                    "chunksizes": ", ".join(str(r.chunksize or STATIC) for r in c.runs),
                    "best": f"{chunk_label(c.best)}: {seconds_text(c.best.median_s)}",
                    "auto": against(c, c.auto), "static": against(c, c.static)})
        rows.append(row)
    return pd.DataFrame(rows)
