"""report.html: one self-contained page rendered by jinja2 with autoescaping on.

Every string from the results (workload names, error texts, warnings, package versions)
reaches the page only through the template, so jinja2 escapes it; the template marks
nothing ``|safe``. Tables are handed over as cells rather than as pandas HTML for the same
reason. Figures are embedded as base64 data URIs, so the file opens from disk, offline,
and can be mailed or attached to a CI run as it is.
"""

from __future__ import annotations

import base64
import os
from typing import Any, Iterable, Sequence

__all__ = ["TEMPLATE_DIR", "figure_view", "render_html", "table_view"]

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def table_view(frame, *, numeric: Iterable[str] = (), wrap: Iterable[str] = (),
               row_class: Sequence[str] | None = None) -> dict[str, Any] | None:
    """A DataFrame as what the template iterates: header cells and rows of text cells.

    ``numeric`` columns are right-aligned, ``wrap`` columns may break lines (error texts),
    ``row_class`` gives each row a CSS class ("bad" for failed runs). None for no frame.
    """
    if frame is None or frame.empty:
        return None
    numeric, wrap = set(numeric), set(wrap)
    columns = [str(c) for c in frame.columns]
    kinds = ["num" if c in numeric else "wrap" if c in wrap else "" for c in columns]
    rows = []
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        rows.append({"cells": ["" if v is None else str(v) for v in values],
                     "cls": row_class[i] if row_class is not None else ""})
    return {"columns": columns, "kinds": kinds, "rows": rows}


def figure_view(plot) -> dict[str, Any]:
    """A rendered Plot as the template shows it: an embedded image plus its file name."""
    width, height = plot.size_px
    return {
        "title": plot.title, "caption": plot.caption, "file": f"{plot.name}.png", "wide": plot.wide,
        "width": width, "height": height, "anchor": plot.name,
        "src": "data:image/png;base64," + base64.b64encode(plot.png).decode("ascii"),
    }


def render_html(context: dict[str, Any], template: str = "report.html", folders: Sequence[str] = ()) -> str:
    """The page for ``context`` (see build.py for its keys); another ``template`` may be looked
    up in ``folders`` first (harness history's trend page), with this package's templates
    (the shared style.html) after them."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*folders, TEMPLATE_DIR]),
        autoescape=True,  # every value is escaped unless the template says otherwise (it never does)
        undefined=jinja2.StrictUndefined,  # a misspelt key fails the build instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(template).render(**context)
