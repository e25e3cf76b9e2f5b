"""Baseline vs current, configuration by configuration: a verdict for each, pure values out.

Configurations are matched by key (harness: ``RunResult.key``; pytest-benchmark: the
test's full name). Failed runs and one-sided configurations get a row of their own, never
a ratio. Facts that make the two sides incomparable (another CPU, Python or GIL mode)
become warnings, or a CompareError under ``strict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.compare.inputs import FACTS, BenchmarkKey, CompareError, Entry, Side, side_from
from harness.results.key import RunKey
from harness.compare.pooling import check_sides_apart, expand_side_paths, read_pooled_side
from harness.compare.rule import (
    METHOD_CI_OVERLAP, METHOD_MANN_WHITNEY, TOO_NOISY, RegressionCheck, evidence_from_samples,
    evidence_from_summaries,
)
from harness.stats import median

__all__ = ["VERDICTS", "VERDICT_UNSTABLE", "Row", "Comparison", "compare_files", "compare_sides", "compare_suites"]

# compare itself never says "unstable": harness ab does, for a configuration whose side's
# own rounds disagree by more than the threshold (see harness.compare.ab.agreement): not judged.
VERDICT_UNSTABLE = "unstable"
VERDICTS = ("regression", "improvement", "no change", TOO_NOISY, "only in baseline", "only in current", "failed",
            VERDICT_UNSTABLE)
_METHODS = (None, METHOD_MANN_WHITNEY, METHOD_CI_OVERLAP)


@dataclass(frozen=True, slots=True)
class Row:
    """One configuration's comparison. ``ratio`` is current median / baseline median.

    With ``normalized``, the ratio, its interval and the test use every repeat divided by
    the reference loop timed beside it (harness run --reference) on both sides; the two
    medians shown stay the raw seconds.
    """

    label: str
    key: "RunKey | BenchmarkKey"
    baseline_median_s: float | None
    current_median_s: float | None
    ratio: float | None
    ratio_ci: tuple[float, float] | None
    p_value: float | None
    method: str | None
    verdict: str
    note: str | None = None
    baseline_count: int = 0
    current_count: int = 0
    normalized: bool = False

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {self.verdict!r}")
        if self.method not in _METHODS:
            raise ValueError(f"method must be mann-whitney, ci-overlap or None, got {self.method!r}")
        if self.p_value is not None and not 0.0 <= self.p_value <= 1.0:
            raise ValueError(f"p_value must be within 0..1, got {self.p_value!r}")

    @property
    def change_pct(self) -> float | None:
        """How much slower (+) or faster (-) the current median is, in percent."""
        return None if self.ratio is None else (self.ratio - 1.0) * 100.0


@dataclass(frozen=True, slots=True)
class Comparison:
    """Every row, the warnings about the comparison itself, and the rule that decided."""

    rows: tuple[Row, ...]
    warnings: tuple[str, ...]
    threshold_pct: float
    alpha: float
    baseline_name: str = "baseline"
    current_name: str = "current"

    @property
    def normalized(self) -> bool:
        """True when any row was judged on reference-normalized times."""
        return any(row.normalized for row in self.rows)

    @property
    def has_regression(self) -> bool:
        return any(row.verdict == "regression" for row in self.rows)

    @property
    def has_unstable(self) -> bool:
        """True when some configuration was not judged: its rounds disagreed (harness ab)."""
        return any(row.verdict == VERDICT_UNSTABLE for row in self.rows)

    def counts(self) -> dict[str, int]:
        """Rows per verdict, in VERDICTS order, verdicts with no rows left out."""
        found = [row.verdict for row in self.rows]
        return {verdict: found.count(verdict) for verdict in VERDICTS if verdict in found}


def _environment_differences(baseline: Side, current: Side) -> list[tuple[str, str]]:
    """(what it means, detail) for each fact both sides know and disagree on."""
    differences = []
    for fact, title, meaning in FACTS:
        b, c = baseline.facts.get(fact), current.facts.get(fact)
        if b is not None and c is not None and b != c:
            differences.append((meaning, f"{title} {b!r} in {baseline.name} but {c!r} in {current.name}"))
    return differences


def _one_python_each(baseline: Side, current: Side) -> bool:
    """True when each side ran one interpreter (harness files can hold several, keyed apart).

    Then the interpreter is left out of matching and labels: a baseline on 3.11 and a
    current run on 3.12 hold the same configurations measured on different Pythons (which
    the environment check warns about), not two disjoint sets.
    """
    return all(len({entry.python for entry in side.entries}) <= 1 for side in (baseline, current))


def _failed_row(label: str, b: Entry, c: Entry) -> Row:
    reasons = [f"{which} {entry.status}" + (f": {entry.error}" if entry.error else "")
               for which, entry in (("baseline", b), ("current", c)) if entry.status != "ok"]
    return Row(label, b.key, b.median_s if b.status == "ok" else None, c.median_s if c.status == "ok" else None,
               None, None, None, None, "failed", "; ".join(reasons), b.count, c.count)


def _note(verdict: str, ratio: float, significant: bool, check: RegressionCheck, reason: str | None,
          ratio_ci: tuple[float, float] | None = None) -> str | None:
    notes = [reason] if reason else []
    if verdict == TOO_NOISY and ratio_ci is not None:
        notes.append(f"interval {ratio_ci[0]:.2f}-{ratio_ci[1]:.2f} holds both no change and a change beyond the "
                     f"{check.threshold_pct:g}% threshold: more rounds (harness ab) can tell")
    if verdict == "no change":
        beyond = ratio > check.slower_than or ratio < check.faster_than
        if significant and not beyond:
            notes.append(f"a real change, within the {check.threshold_pct:g}% threshold")
        elif beyond and not significant:
            notes.append(f"beyond the {check.threshold_pct:g}% threshold but not significant: noise")
    return "; ".join(notes) or None


def _reference_mismatch(b: Entry, c: Entry) -> str | None:
    """Why two entries that could be normalized cannot be, or None."""
    if b.has_reference != c.has_reference:
        return ("only the baseline has reference times" if b.has_reference
                else "only the current run has reference times")
    if b.has_reference and b.reference_n != c.reference_n:
        return f"the reference loops differ in size ({b.reference_n} vs {c.reference_n})"
    return None


def _mismatch_warnings(mismatches: dict[str, list[str]]) -> list[str]:
    # One line per reason, not per configuration: against an older baseline every row has it.
    found = []
    for reason, labels in mismatches.items():
        which = labels[0] if len(labels) == 1 else f"{len(labels)} configurations ({labels[0]}, ...)"
        found.append(f"{which}: {reason} (harness run --reference); compared on raw times")
    return found


def _compare_entries(label: str, b: Entry, c: Entry, check: RegressionCheck, alpha: float, warnings: list[str],
                     use_reference: bool, mismatches: dict[str, list[str]]) -> Row:
    if b.status != "ok" or c.status != "ok":
        return _failed_row(label, b, c)
    if b.n is not None and c.n is not None and b.n != c.n:
        warnings.append(f"{label}: n is {b.n} in the baseline but {c.n} in the current run; "
                        "the ratio compares different amounts of work")
    mismatch = _reference_mismatch(b, c) if use_reference else None
    if mismatch is not None:
        mismatches.setdefault(mismatch, []).append(label)
    normalized = use_reference and mismatch is None and b.has_reference
    if b.has_samples and c.has_samples:
        b_med, c_med = median(b.times_s), median(c.times_s)
        # Normalized: the machine's speed at each repeat divided out before the test and the
        # ratio; the medians shown stay raw seconds.
        b_samples, c_samples = (b.normalized_s, c.normalized_s) if normalized else (b.times_s, c.times_s)
        evidence = evidence_from_samples(b_samples, c_samples, alpha)
        b_center, c_center = (median(b_samples), median(c_samples)) if normalized else (b_med, c_med)
    else:
        b_med, c_med = b.median_s, c.median_s
        if b_med is None or c_med is None:
            return Row(label, b.key, b_med, c_med, None, None, None, None, "failed",
                       "no timings on one side", b.count, c.count)
        evidence = evidence_from_summaries((b_med, b.iqr_s, b.count), (c_med, c.iqr_s, c.count))
        b_center, c_center = b_med, c_med
    ratio = c_center / b_center if b_center > 0 else None
    verdict = check.verdict(ratio, evidence.significant, evidence.ratio_ci)
    note = (_note(verdict, ratio, evidence.significant, check, evidence.reason, evidence.ratio_ci)
            if ratio is not None
            else "the baseline median is 0 s: no ratio")
    return Row(label, b.key, b_med, c_med, ratio, evidence.ratio_ci, evidence.p_value, evidence.method,
               verdict, note, b.count, c.count, normalized=normalized)


def compare_sides(baseline: Side, current: Side, threshold_pct: float = 10.0, alpha: float = 0.05,
                  strict: bool = False, use_reference: bool = True) -> Comparison:
    """The comparison of two loaded sides (see :func:`compare_suites`).

    ``use_reference``: where both sides timed the reference loop (harness run --reference),
    judge each repeat divided by it; False compares the raw times (harness compare --raw).
    """
    if not 0.0 < alpha < 1.0:
        raise CompareError(f"alpha must be a probability 0 < P < 1, got {alpha!r}")
    try:
        check = RegressionCheck(float(threshold_pct))
    except (TypeError, ValueError) as exc:
        raise CompareError(f"threshold: {exc}") from None
    if baseline.kind != current.kind:
        raise CompareError(f"{baseline.name} is a {baseline.kind} file but {current.name} a {current.kind} file; "
                           "compare files of one kind")
    warnings = list(baseline.warnings) + list(current.warnings)
    differences = _environment_differences(baseline, current)
    if differences and strict:
        raise CompareError("refusing to compare (strict): " + "; ".join(f"{m}: {d}" for m, d in differences))
    warnings += [f"{meaning}: {detail}; the timings may differ for that reason alone"
                 for meaning, detail in differences]
    one_python = _one_python_each(baseline, current)
    # One interpreter each side (a 3.12 baseline, a 3.13 head): match across the labels
    # (files written before labels have none).
    def match(entry: Entry):
        return entry.key.without_python() if one_python else entry.key

    def label(entry: Entry) -> str:
        return entry.label if one_python else entry.title

    current_by_key = {match(entry): entry for entry in current.entries}
    baseline_keys = {match(entry) for entry in baseline.entries}
    rows = []
    mismatches: dict[str, list[str]] = {}
    for b in baseline.entries:
        c = current_by_key.get(match(b))
        if c is None:
            rows.append(Row(label(b), b.key, b.median_s, None, None, None, None, None, "only in baseline",
                            None, b.count, 0))
        else:
            rows.append(_compare_entries(label(b), b, c, check, alpha, warnings, use_reference, mismatches))
    rows += [Row(label(c), c.key, None, c.median_s, None, None, None, None, "only in current",
                 None, 0, c.count)
             for c in current.entries if match(c) not in baseline_keys]
    warnings += _mismatch_warnings(mismatches)
    if not rows:
        warnings.append("neither side has any configuration to compare")
    return Comparison(tuple(rows), tuple(warnings), check.threshold_pct, alpha, baseline.name, current.name)


def compare_suites(baseline: Any, current: Any, threshold_pct: float = 10.0, alpha: float = 0.05,
                   strict: bool = False, use_reference: bool = True) -> Comparison:
    """Compare two Suites or loaded JSON dicts (harness results or pytest-benchmark).

    A regression is a configuration whose current median is more than ``threshold_pct``
    percent slower than the baseline's AND whose difference is significant at ``alpha``
    (Mann-Whitney U, or non-overlapping median intervals when too few samples for the test).
    Raises CompareError for unusable input, and under ``strict`` for runs from different
    machines, Pythons or GIL modes (otherwise those are warnings).
    """
    return compare_sides(side_from(baseline, "baseline"), side_from(current, "current"),
                         threshold_pct=threshold_pct, alpha=alpha, strict=strict, use_reference=use_reference)


def compare_files(baseline_path: str, current_path: str, threshold_pct: float = 10.0, alpha: float = 0.05,
                  strict: bool = False, use_reference: bool = True) -> Comparison:
    """:func:`compare_suites` on two files, each a harness results.json or pytest-benchmark JSON.

    Either side may name several files (comma-separated paths or a glob pattern): their
    timings are pooled per configuration, see :mod:`harness.compare.pooling`.
    """
    baseline_paths, current_paths = expand_side_paths(baseline_path), expand_side_paths(current_path)
    check_sides_apart(baseline_paths, current_paths)
    return compare_sides(read_pooled_side(baseline_paths, strict), read_pooled_side(current_paths, strict),
                         threshold_pct=threshold_pct, alpha=alpha, strict=strict, use_reference=use_reference)
