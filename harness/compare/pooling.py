"""Several results files on one side of a comparison, pooled into one Side.

Why: the significance test sees the spread of repeats *within* a run. Drift *between*
runs (a neighbour on a shared host, a frequency change) moves all of one run's repeats
together, and the test reads it as a change. Running the base and the head in
alternation (base, head, base, head, ...) and pooling each side's runs puts the same
drift on both sides, so it cancels in the ratio instead of posing as a regression. pyperf
and asv average over several processes or runs for the same reason.

A side is spelled as one path, several joined by commas, or a quoted glob pattern
(``'runs/base-*/results.json'``). Pooling concatenates each configuration's raw timings;
where a file has only summary statistics, the medians and IQRs are combined by their median.
"""

from __future__ import annotations

import glob
import os
from typing import Sequence

from harness.compare.inputs import FACTS, CompareError, Entry, Side, read_side
from harness.stats import iqr, median

__all__ = ["expand_side_paths", "pool_sides", "read_pooled_side"]


def expand_side_paths(spec: str) -> list[str]:
    """The files one side names: a path, paths joined by commas, or glob patterns.

    A path that exists is taken as it is, commas and all. A pattern that matches nothing,
    an empty item, or one file named twice is a CompareError.
    """
    if os.path.exists(spec):
        return [spec]
    paths: list[str] = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            raise CompareError(f"{spec!r}: an empty file name in the list; expected FILE or FILE,FILE,... "
                               "or a quoted glob pattern")
        if glob.has_magic(item):
            matches = sorted(path for path in glob.glob(item) if os.path.isfile(path))
            if not matches:
                raise CompareError(f"{item}: no file matches this pattern")
            paths.extend(matches)
        else:
            paths.append(item)
    seen: set[str] = set()
    for path in paths:
        real = os.path.realpath(path)
        if real in seen:
            raise CompareError(f"{path}: named twice on one side; each run's timings may be pooled only once")
        seen.add(real)
    return paths


def read_pooled_side(spec: str, strict: bool = False) -> Side:
    """Read every file ``spec`` names (see :func:`expand_side_paths`) and pool them."""
    paths = expand_side_paths(spec)
    return pool_sides([read_side(path) for path in paths], strict=strict)


def _pooled_name(sides: Sequence[Side]) -> str:
    if len(sides) == 1:
        return sides[0].name
    return f"{sides[0].name} (+{len(sides) - 1} more)"


def _fact_disagreements(sides: Sequence[Side]) -> list[str]:
    found = []
    for fact, title, meaning in FACTS:
        values = {side.name: side.facts.get(fact) for side in sides if side.facts.get(fact) is not None}
        if len(set(map(repr, values.values()))) > 1:
            detail = ", ".join(f"{value!r} in {name}" for name, value in values.items())
            found.append(f"{meaning} within one side: {title} {detail}")
    return found


def _pool_entries(entries: list[tuple[str, Entry]], total_files: int, warnings: list[str]) -> Entry:
    (first_file, first), files = entries[0], [name for name, _ in entries]
    if len(entries) < total_files:
        warnings.append(f"{first.title} is in {len(entries)} of {total_files} files on this side "
                        f"({', '.join(files)}); only those are pooled")
    failed = [(name, entry) for name, entry in entries if entry.status != "ok"]
    if failed:
        name, entry = failed[0]
        error = f"in {name}: {entry.error}" if entry.error else f"in {name}"
        return Entry(key=first.key, label=first.label, status=entry.status, error=error, n=first.n,
                     python=first.python, count=sum(e.count for _, e in entries))
    if len({entry.n for _, entry in entries}) > 1:
        sizes = ", ".join(f"n={entry.n} in {name}" for name, entry in entries)
        warnings.append(f"{first.title}: pooled runs of different sizes ({sizes})")
    if all(entry.has_samples for _, entry in entries):
        times = tuple(t for _, entry in entries for t in entry.times_s)
        return Entry(key=first.key, label=first.label, times_s=times, median_s=median(times),
                     iqr_s=iqr(times) if len(times) > 1 else 0.0, count=len(times), n=first.n, python=first.python)
    medians = [entry.median_s for _, entry in entries if entry.median_s is not None]
    iqrs = [entry.iqr_s for _, entry in entries if entry.iqr_s is not None]
    return Entry(key=first.key, label=first.label, median_s=median(medians) if medians else None,
                 iqr_s=median(iqrs) if iqrs else None, count=sum(entry.count for _, entry in entries),
                 n=first.n, python=first.python)


def pool_sides(sides: Sequence[Side], strict: bool = False) -> Side:
    """One Side from several files of one kind: every configuration's timings pooled.

    The files should come from one machine and Python; where they do not, that is a
    warning (a CompareError under ``strict``), as it is between the two sides.
    """
    if not sides:
        raise CompareError("no results file on one side")
    if len(sides) == 1:
        return sides[0]
    kinds = {side.kind for side in sides}
    if len(kinds) > 1:
        raise CompareError(f"{', '.join(side.name for side in sides)}: a mix of harness and pytest-benchmark "
                           "files on one side; pool files of one kind")
    name = _pooled_name(sides)
    disagreements = _fact_disagreements(sides)
    if disagreements and strict:
        raise CompareError("refusing to pool (strict): " + "; ".join(disagreements))
    warnings = [w for side in sides for w in side.warnings]
    warnings += [f"{name}: {text}; their timings may differ for that reason alone" for text in disagreements]
    grouped: dict[tuple, list[tuple[str, Entry]]] = {}
    for side in sides:
        for entry in side.entries:
            grouped.setdefault(entry.key, []).append((side.name, entry))
    entries = tuple(_pool_entries(group, len(sides), warnings) for group in grouped.values())
    if any(not entry.has_samples and entry.status == "ok" for entry in entries):
        warnings.append(f"{name}: some configurations have no raw samples in every file; their medians "
                        "and IQRs were combined by their median, and the decision rests on those summaries")
    facts = {fact: next((side.facts.get(fact) for side in sides if side.facts.get(fact) is not None), None)
             for fact, _, _ in FACTS}
    return Side(name, sides[0].kind, entries, facts, tuple(warnings))
