"""The baseline comparison section, built on harness.compare when that module is present.

harness.compare is owned elsewhere and imported lazily: without it (an older checkout, a
partial install) the report still builds and says why the section is missing. Rows are
read generically (dataclass, named tuple or mapping) so the page follows compare's fields.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from harness.results.model import Suite

__all__ = ["comparison_section"]


def _as_mapping(row: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    if hasattr(row, "_asdict"):
        return dict(row._asdict())
    if isinstance(row, dict):
        return dict(row)
    return dict(vars(row))


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _known_cells(m: dict[str, Any]) -> list[str] | None:
    """compare's Row fields as readable cells; None when the row does not have them."""
    from harness.text import format_seconds

    if not {"label", "baseline_median_s", "current_median_s", "ratio", "verdict"} <= set(m):
        return None
    seconds = [("–" if v is None else format_seconds(v)) for v in (m["baseline_median_s"], m["current_median_s"])]
    ci = m.get("ratio_ci")
    p = m.get("p_value")
    return [str(m["label"]), *seconds, "–" if m["ratio"] is None else f"{(m['ratio'] - 1) * 100:+.1f}%",
            "–" if not ci else f"{ci[0]:.2f}–{ci[1]:.2f}", "–" if p is None else f"{p:.3g}",
            str(m.get("method") or "–") + (" /ref" if m.get("normalized") else ""), str(m["verdict"]),
            str(m.get("note") or "")]


KNOWN_COLUMNS = ["configuration", "baseline", "current", "change", "ratio CI", "p", "test", "verdict", "note"]


def _row_class(mapping: dict[str, Any]) -> str:
    verdict = str(mapping.get("verdict", "")).lower()
    if any(word in verdict for word in ("regress", "slower", "worse", "fail")):  # compare's VERDICTS and kin
        return "bad"
    if any(word in verdict for word in ("improv", "faster", "better")):
        return "good"
    return ""


def comparison_section(baseline: Suite, current: Suite) -> dict[str, Any]:
    """What the template shows: a note, or a table of compared configurations and the markdown.

    Keys: ``note`` (str or None), ``regression`` (bool or None), ``warnings``, ``columns``, ``rows``
    (each ``{"cells": [...], "cls": str}``) and ``markdown`` (for summary.md, and shown as
    text when the comparison has no rows the page can read).
    """
    section: dict[str, Any] = {"note": None, "regression": None, "columns": [], "rows": [], "markdown": None,
                               "warnings": [], "kinds": [], "normalized": False}
    try:
        from harness.compare import compare_suites, format_markdown
    except ImportError as exc:
        section["note"] = f"The comparison with the baseline is not available in this installation ({exc})."
        return section
    try:
        comparison = compare_suites(baseline, current)
        section["markdown"] = format_markdown(comparison)
    except Exception as exc:  # an incompatible baseline must not cost the rest of the report
        section["note"] = f"The baseline could not be compared with these results: {exc}"
        return section
    section["regression"] = getattr(comparison, "has_regression", None)
    section["normalized"] = bool(getattr(comparison, "normalized", False))
    section["warnings"] = [str(w) for w in getattr(comparison, "warnings", ()) or ()]
    mappings = [_as_mapping(row) for row in getattr(comparison, "rows", None) or ()]
    known = [_known_cells(m) for m in mappings]
    if mappings and all(cells is not None for cells in known):
        section["columns"] = KNOWN_COLUMNS
        section["rows"] = [{"cells": cells, "cls": _row_class(m)} for cells, m in zip(known, mappings)]
    elif mappings:
        columns = [k for k in mappings[0] if all(isinstance(m.get(k), (str, int, float, bool, list, tuple, type(None)))
                                                 for m in mappings)]
        section["columns"] = [c.replace("_", " ") for c in columns]
        section["rows"] = [{"cells": [_cell(m.get(c)) for c in columns], "cls": _row_class(m)} for m in mappings]
    numeric, wrap = {"baseline", "current", "change", "ratio CI", "p"}, {"configuration", "note"}
    section["kinds"] = ["num" if c in numeric else "wrap" if c in wrap else "" for c in section["columns"]]
    return section
