"""summary.md: the verdict and one table, in GitHub-flavoured markdown for a CI job summary."""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from harness.results.model import Suite

__all__ = ["escape_cell", "markdown_table", "neutralise_html", "summary_markdown"]

# The only tags the included comparison markdown may keep: a collapsible notes block.
_ALLOWED_TAG = re.compile(r"&lt;(/?(?:details|summary))>")


def escape_cell(text: object) -> str:
    """Text safe inside a markdown table cell and against raw HTML in the renderer.

    GitHub renders inline HTML in job summaries, so a workload name or an error message
    must not be able to open a tag; a pipe would split the cell; a newline ends the row.
    """
    value = str(text)
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        value = value.replace(raw, safe)
    return " ".join(value.split())


def neutralise_html(markdown: str) -> str:
    """Markdown from elsewhere with every ``<`` escaped but <details>/<summary>.

    Escaping ``<`` alone is enough to stop a tag from opening, and leaves ``>`` blockquotes
    and the rest of the markdown as written.
    """
    return _ALLOWED_TAG.sub(r"<\1>", markdown.replace("<", "&lt;"))


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]], right: Sequence[bool] = ()) -> list[str]:
    """A pipe table; ``right`` marks the columns to right-align (numbers)."""
    align = ["--:" if (right[i] if i < len(right) else False) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(escape_cell(h) for h in header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(escape_cell(c) for c in row) + " |" for row in rows]
    return lines


def _title(suite: Suite) -> str:
    from harness.report.tables import interpreter_names

    machine, python = suite.machine, suite.python
    workloads = sorted({r.workload for r in suite.runs}) or [str(suite.config.get("workload", "?"))]
    gil = {True: "GIL", False: "free-threaded"}.get(python.gil_enabled, "GIL unknown")
    names = interpreter_names(suite)
    pythons = ("Python " + ", ".join(names) if len(names) > 1
               else f"{python.implementation or 'Python'} {python.version or ''} ({gil})")
    return (f"harness: {', '.join(workloads)} on {machine.cpu_model or 'unknown CPU'} "
            f"({machine.logical_cpus or '?'} logical CPUs), {pythons}")


def _frame_table(frame) -> list[str]:
    """A small DataFrame of text cells as a pipe table."""
    return markdown_table([str(c) for c in frame.columns], frame.itertuples(index=False, name=None))


def _matrix_section(suite: Suite) -> list[str]:
    """The build x model table, ftscalingbench's verdicts and the Lock table, when there are any."""
    from harness.report.tables_verdict import lock_frame, matrix_frame, ratings_frame

    lines: list[str] = []
    for heading, frame in (("Build × model (speedup vs serial on the same interpreter)", matrix_frame(suite)),
                           ("Weak-scaling verdict (ftscalingbench's terms)", ratings_frame(suite)),
                           ("Lock and lost updates", lock_frame(suite))):
        if frame is not None and not frame.empty:
            lines += ["", f"### {heading}", ""] + _frame_table(frame)
    return lines


def summary_markdown(suite: Suite, verdict: Sequence[str], recommendations: Sequence[str] = (),
                     comparison_markdown: str | None = None) -> str:
    """The whole summary.md: title, verdict, results table, recommendations, warnings count."""
    from harness.report.series import has_chunk_axis
    from harness.report.tables import chunk_text, sorted_runs
    from harness.text import format_seconds

    lines = [f"## {escape_cell(_title(suite))}", ""]
    if not suite.complete:
        lines += ["**This sweep did not finish: the results below are partial.**", ""]
    answer = list(suite.verdict.lines) if suite.verdict is not None else []
    lines += [f"**{escape_cell(answer[0])}**", ""] + [f"- {escape_cell(v)}" for v in answer[1:]] + [""] if answer else []
    rows = []
    several = len({r.python for r in suite.runs}) > 1
    chunked = has_chunk_axis(suite.runs)  # a chunksize column only when the sweep has that axis
    for r in sorted_runs(suite):
        status = r.status if r.result_ok is not False else "wrong result"
        if r.error:
            status += f": {r.error}"
        rows.append(((r.python or "–",) if several else ()) + (r.backend, r.workers) + (
            (chunk_text(r.chunksize, r.chunk_items),) if chunked else ()) + (
            f"{r.n:,}",
            format_seconds(r.median_s) if r.median_s is not None else "–",
            f"{r.speedup:.2f}×" if r.speedup is not None else "–",
            f"{r.efficiency:.0%}" if r.efficiency is not None else "–", status))
    header = ((("python",) if several else ()) + ("backend", "workers") + (("chunksize",) if chunked else ())
              + ("n", "median", "speedup", "efficiency", "status"))
    lines += markdown_table(header, rows, right=((False,) if several else ()) + (False, True)
                            + ((False,) if chunked else ()) + (True, True, True, True, False))
    lines += _matrix_section(suite)
    if verdict:
        lines += ["", "<details><summary>The verdict in full</summary>", ""] + [f"- {escape_cell(v)}" for v in verdict]
        lines += ["", "</details>"]
    if recommendations:
        lines += ["", "**Best per size:**", ""] + [f"- {escape_cell(r)}" for r in recommendations]
    if suite.warnings:
        lines += ["", f"{len(suite.warnings)} stability warning(s): see report.html."]
    if comparison_markdown:
        # compare.format_markdown escapes pipes but passes result strings (workload names)
        # through; GitHub would render a tag in them.
        lines += ["", "### Compared with the baseline", "", neutralise_html(comparison_markdown).rstrip()]
    return "\n".join(lines) + "\n"
