"""Several results files on one side of a comparison, pooled into one Side.

Why: the significance test sees the spread of repeats *within* a run. Drift *between*
runs (a neighbour on a shared host, a frequency change) moves all of one run's repeats
together, and the test reads it as a change. Running the base and the head in
alternation (base, head, base, head, ...) and pooling each side's runs puts the same
drift on both sides, so it cancels in the ratio instead of posing as a regression. pyperf
and asv average over several processes or runs for the same reason.

A side is spelled as one path, several joined by commas, or a quoted glob pattern
(``'runs/base-*/results.json'``; ``**`` matches folders at any depth). Pooling concatenates
each configuration's raw timings; where a file has only summary statistics, each run's
median counts as one sample. A run that failed is left out of the pool with a warning.
"""

from __future__ import annotations

import glob
import os
from typing import Sequence

from harness.compare.inputs import FACTS, CompareError, Entry, Side, read_side
from harness.stats import iqr, median

__all__ = ["check_sides_apart", "expand_side_paths", "pool_sides", "read_pooled_side"]


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
        if glob.has_magic(item) and not os.path.exists(item):  # 'run[1].json' may be a real name
            matches = sorted(path for path in glob.glob(item, recursive=True) if os.path.isfile(path))
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


def read_pooled_side(paths: Sequence[str], strict: bool = False) -> Side:
    """Read the files ``paths`` (from :func:`expand_side_paths`) and pool them into one Side."""
    return pool_sides([read_side(path) for path in paths], strict=strict)


def check_sides_apart(baseline: Sequence[str], current: Sequence[str]) -> None:
    """Refuse a file pooled into both sides (a glob such as 'runs/*' catches the head's runs too).

    Takes each side's expanded paths. One file against itself stays allowed: it is a quick
    A/A check of the rule.
    """
    if len(baseline) == 1 and len(current) == 1:
        return
    current_real = {os.path.realpath(path) for path in current}
    shared = [path for path in baseline if os.path.realpath(path) in current_real]
    if shared:
        raise CompareError(f"{shared[0]}: on both sides; a baseline pattern that also matches the current runs "
                           "(or the reverse) compares runs with themselves")


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


def _pool_entries(entries: list[tuple[str, Entry]], all_files: list[str], warnings: list[str]) -> Entry:
    first = entries[0][1]
    if len(entries) < len(all_files):
        present = {name for name, _ in entries}
        missing = [name for name in all_files if name not in present]
        warnings.append(f"{first.title} is missing from {', '.join(missing)}; "
                        f"pooled from the other {len(entries)} file(s)")
    if len({entry.n for _, entry in entries}) > 1:
        sizes = ", ".join(f"n={entry.n} in {name}" for name, entry in entries)
        raise CompareError(f"{first.title}: runs of different sizes on one side ({sizes}); pool runs of one size")
    failed = [(name, entry) for name, entry in entries if entry.status != "ok"]
    if len(failed) == len(entries):
        name, entry = failed[0]
        error = f"in {name}: {entry.error}" if entry.error else f"in {name}"
        return Entry(key=first.key, label=first.label, status=entry.status, error=error, n=first.n,
                     python=first.python)
    for name, entry in failed:
        # Still pooled from the runs that worked, so one timeout does not hide a configuration
        # from the gate; the failure is not hidden either.
        warnings.append(f"{first.title} {entry.status} in {name}" + (f" ({entry.error})" if entry.error else "")
                        + f"; pooled from the other {len(entries) - len(failed)} run(s)")
    good = [entry for _, entry in entries if entry.status == "ok"]
    if all(entry.has_samples for entry in good):
        times = tuple(t for entry in good for t in entry.times_s)
        with_reference = [entry.has_reference for entry in good]
        reference: tuple[float, ...] = ()
        sizes = {entry.reference_n for entry in good}
        if all(with_reference) and len(sizes) == 1:
            reference = tuple(r for entry in good for r in entry.reference_s)
        elif all(with_reference):
            warnings.append(f"{first.title}: its runs timed reference loops of different sizes "
                            f"({', '.join(str(size) for size in sorted(sizes, key=str))}); pooled without them")
        elif any(with_reference):
            warnings.append(f"{first.title}: only {sum(with_reference)} of {len(good)} runs have reference times "
                            "(harness run --reference); pooled without them")
        return Entry(key=first.key, label=first.label, times_s=times, median_s=median(times),
                     iqr_s=iqr(times) if len(times) > 1 else 0.0, count=len(times), n=first.n, python=first.python,
                     reference_s=reference, reference_n=good[0].reference_n if reference else None)
    # Summaries only: each run's median is one sample. Their spread is the drift between
    # runs, which a within-run IQR cannot show, so the wider of the two is kept.
    medians = [entry.median_s for entry in good if entry.median_s is not None]
    iqrs = [entry.iqr_s for entry in good if entry.iqr_s is not None]
    if not medians:
        return Entry(key=first.key, label=first.label, n=first.n, python=first.python)
    between = iqr(medians) if len(medians) > 1 else 0.0
    within = median(iqrs) if iqrs else 0.0
    return Entry(key=first.key, label=first.label, median_s=median(medians), iqr_s=max(between, within),
                 count=len(medians), n=first.n, python=first.python)


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
    entries = tuple(_pool_entries(group, [side.name for side in sides], warnings) for group in grouped.values())
    if any(not entry.has_samples and entry.status == "ok" for entry in entries):
        warnings.append(f"{name}: some configurations lack raw samples in at least one file; for those, each "
                        "run's median counts as one sample, and the decision rests on those summaries")
    facts = {fact: next((side.facts.get(fact) for side in sides if side.facts.get(fact) is not None), None)
             for fact, _, _ in FACTS}
    return Side(name, sides[0].kind, entries, facts, tuple(warnings))
