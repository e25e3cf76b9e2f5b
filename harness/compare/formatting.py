"""A Comparison as text: aligned terminal lines, or a GitHub markdown table. Returns, never prints."""

from __future__ import annotations

from harness.compare.result import Comparison, Row
from harness.compare.rule import TOO_NOISY
from harness.text import format_seconds

__all__ = ["format_table", "format_markdown", "summary_line"]

_HEADERS = ("configuration", "baseline", "current", "change", "ratio interval", "p", "test", "verdict")


def _time(value: float | None) -> str:
    return "-" if value is None else format_seconds(value)


def _change(row: Row) -> str:
    return "-" if row.change_pct is None else f"{row.change_pct:+.1f}%"


def _interval(row: Row) -> str:
    if row.ratio_ci is None:
        return "-"
    lo, hi = row.ratio_ci
    return f"{lo:.2f}-{hi:.2f}"


def _p(row: Row) -> str:
    if row.p_value is None:
        return "-"
    return f"{row.p_value:.3f}" if row.p_value >= 0.001 else f"{row.p_value:.1e}"


def _cells(row: Row) -> tuple[str, ...]:
    method = (row.method or "-") + (" /ref" if row.normalized else "")
    return (row.label, _time(row.baseline_median_s), _time(row.current_median_s), _change(row),
            _interval(row), _p(row), method, row.verdict)


def _rule(comparison: Comparison) -> str:
    rule = (f"regression = slower by more than {comparison.threshold_pct:g}% (median) "
            f"and significant at alpha {comparison.alpha:g}")
    if comparison.normalized:
        rule += ("; rows tested '/ref' divide each repeat by the reference loop timed beside it "
                 "(--reference) for the change, interval and test; the medians shown are raw")
    return rule


def summary_line(comparison: Comparison) -> str:
    """'1 regression, 3 no change: REGRESSION' (or ': no regression')."""
    counts = comparison.counts()
    parts = [f"{count} {verdict}" + ("s" if count > 1 and verdict in ("regression", "improvement") else "")
             for verdict, count in counts.items()] or ["nothing compared"]
    if comparison.has_regression:
        outcome = "REGRESSION"
    elif comparison.has_unstable:
        outcome = "no regression found, but UNSTABLE configurations were not judged"
    else:
        outcome = "no regression"
    if comparison.counts().get(TOO_NOISY):
        outcome += "; too noisy to tell for some: harness ab alternates base and head rounds to tell"
    return f"{', '.join(parts)}: {outcome}"


def format_table(comparison: Comparison) -> list[str]:
    """Aligned lines for a terminal: the rule, warnings, one line per configuration, a summary."""
    lines = [f"{comparison.baseline_name} -> {comparison.current_name}; {_rule(comparison)}"]
    lines += [f"warning: {warning}" for warning in comparison.warnings]
    table = [_HEADERS] + [_cells(row) for row in comparison.rows]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(_HEADERS))]
    # Text columns left-aligned, numbers right-aligned, so digits line up.
    right = {1, 2, 3, 5}
    for index, cells in enumerate(table):
        text = "  ".join(cell.rjust(width) if i in right else cell.ljust(width)
                         for i, (cell, width) in enumerate(zip(cells, widths)))
        note = comparison.rows[index - 1].note if index else None
        lines.append((text.rstrip() + (f"  ({note})" if note else "")).rstrip())
    lines.append(summary_line(comparison))
    return lines


def _md(text: str) -> str:
    """Escape for a markdown table cell: labels carry user-supplied workload names, and a
    job summary renders raw HTML, so <, > and & are escaped too."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def format_markdown(comparison: Comparison) -> str:
    """A GitHub markdown section: the rule, a table, notes, warnings and a summary line."""
    out = ["## Benchmark comparison", "",
           f"`{_md(comparison.baseline_name)}` -> `{_md(comparison.current_name)}`; {_rule(comparison)}.", ""]
    out.append("| " + " | ".join(h.capitalize() for h in _HEADERS) + " |")
    out.append("|:--|--:|--:|--:|:-:|--:|:--|:--|")
    for row in comparison.rows:
        cells = list(_cells(row))
        if row.verdict in ("regression", "improvement", "failed", "unstable", TOO_NOISY):
            cells[-1] = f"**{cells[-1]}**"
        out.append("| " + " | ".join(_md(cell) for cell in cells) + " |")
    notes = [f"- {_md(row.label)}: {_md(row.note)}" for row in comparison.rows if row.note]
    if notes:
        out += ["", "<details><summary>Notes</summary>", "", *notes, "", "</details>"]
    if comparison.warnings:
        out += [""] + [f"> **Warning:** {_md(w)}" + ("  " if i < len(comparison.warnings) - 1 else "")
                       for i, w in enumerate(comparison.warnings)]
    out += ["", f"**{summary_line(comparison)}**", ""]
    return "\n".join(out)
