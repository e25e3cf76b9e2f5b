"""The short answer: at most MAX_LINES lines of about LINE_WIDTH characters, in this order:

1. the host's noise, first when it blurred the comparison;
2. the answer: the fastest configuration, or the set tied with it and the one to use, with
   the interval and the baseline; with several interpreters, one line per other interpreter
   on what its build costs and buys;
3. at most MAX_REASONS reasons why other models lost;
4. the chunksize advice, where the answer's model was swept over chunksizes;
5. the event loop's p99 lag per asyncio model, where some ran from a loop;
6. the host's noise, last when it did not blur anything.

Everything else the verdict knows (``speedup.verdict_lines``) is for ``--verbose`` and the
report's sections. Pure: strings out.
"""

from __future__ import annotations

import math
from typing import Sequence

from harness.analysis.chunking import chunksize_choices
from harness.analysis.loop_lag import loop_lag_summary
from harness.analysis.noise import noise_line, tie_margin
from harness.analysis.ties import compare_times
from harness.execution.backends import is_baseline, is_thread_based
from harness.results.facts import Interpreter, interpreters_by_label
from harness.results.model import RunResult
from harness.results.verdict import Choice, Verdict
from harness.text import format_interval_s, format_seconds

__all__ = ["LINE_WIDTH", "MAX_LINES", "MAX_REASONS", "answer_lines", "warning_summary"]

MAX_LINES = 6
MAX_REASONS = 3
LINE_WIDTH = 120
_LISTED_TIED = 3


def _interval(ci, fmt) -> str:
    return "" if ci is None else f" [{fmt(ci[0])}-{fmt(ci[1])}]"


def _name(choice: Choice, several: bool) -> str:
    return f"{choice.name} on {choice.python}" if several and choice.python else choice.name


def _against(verdict: Verdict, several: bool) -> str:
    base = verdict.baseline
    return f"{base.python}'s serial" if several and base is not None and base.python else "serial"


def _rerun(choice: Choice) -> str:
    """" (a rerun: 1.52-2.21x)": where a second run's speedup would land, from this run's repeats;
    how often at least, where the guarantee falls short of 95% (9 repeats a side: 94%)."""
    if choice.speedup_rerun is None:
        return ""
    lo, hi = choice.speedup_rerun
    # Floored: the coverage is a lower bound, and 93.5% must not read as "at least 94%".
    coverage = choice.rerun_coverage or 0.0
    often = "" if coverage >= 0.95 else f", at least {math.floor(coverage * 100)}% of the time"
    return f" (a rerun{often}: {lo:.2f}-{hi:.2f}x)"


def _speed(choice: Choice) -> str:
    return "" if choice.speedup is None else f"{choice.speedup:.2f}x"


def _answer(verdict: Verdict, several: bool) -> str:
    best, rec = verdict.best, verdict.recommended
    if best is None:
        return "No answer: no configuration finished with a correct result at a size serial also ran."
    size = f"n={best.n:,}"
    if is_baseline(best.backend):
        return f"Nothing beat serial at {size} ({format_seconds(best.median_s)}): parallel overhead outweighs the work."
    against = _against(verdict, several)
    if not verdict.tied:
        interval = f" [{format_interval_s(*best.ci_s)}]" if best.ci_s else ""
        line = f"Fastest: {_name(best, several)}, {format_seconds(best.median_s)}{interval}, {_speed(best)} {against}"
        # Where a rerun would land says more than this run's interval; the longest that fits.
        for speedup in (_rerun(best), _interval(best.speedup_ci, lambda v: f'{v:.2f}'), ""):
            if len(line + speedup) + len(size) < LINE_WIDTH - 4:
                return f"{line}{speedup} at {size}."
        return f"{line} at {size}."
    members = [best, *verdict.tied]
    if rec is not None and is_baseline(rec.backend):
        return _fitted_list([m for m in members if not is_baseline(m.backend)], several,
                            f"Nothing beat serial beyond noise at {size}: {{}} tie with it; use serial.")
    return _fitted_list(members, several, f"Fastest, tied within noise at {size} ({against} = 1x): {{}}; "
                                          f"use {_name(rec, several)}.")


def _fitted_list(choices: Sequence[Choice], several: bool, template: str) -> str:
    """``template`` with as many of ``choices`` (name and speedup) as fit LINE_WIDTH, "+N more" for the rest."""
    line = ""
    # Interpreter labels make names long: past one listed, a shorter opening before "+N more".
    for form in (template, template.replace("Fastest, tied within noise at", "Tied at")):
        for count in range(min(len(choices), _LISTED_TIED), 0, -1):
            listed = ", ".join(f"{_name(c, several)} {_speed(c)}" for c in choices[:count])
            more = f" (+{len(choices) - count} more)" if len(choices) > count else ""
            line = form.format(listed + more)
            if len(line) <= LINE_WIDTH:
                return line
    # Still too long (long interpreter labels): the count alone, the names in --verbose and the report.
    return template.replace("Fastest, tied within noise at", "Tied at").format(f"{len(choices)} configurations")


def _build(entry: Interpreter | None) -> str:
    if entry is None or entry.free_threaded_build is None:
        return ""
    if not entry.free_threaded_build:
        return "GIL build"
    return "GIL on" if entry.gil_mode == 1 or entry.gil_enabled else "free-threaded"


def _why(mine: Interpreter | None, base: Interpreter | None) -> str:
    """What sets two interpreters' serial runs apart: the build, the version, or both."""
    if mine is None or base is None or mine.version is None or base.version is None:
        return "another interpreter"
    if mine.version == base.version:
        return "same version: the build's cost"
    same_build = mine.free_threaded_build == base.free_threaded_build
    return "other version" if same_build else "other version and build"


def _interpreter_line(label: str, runs: Sequence[RunResult], verdict: Verdict, facts: dict) -> str | None:
    """What the build ``label`` costs and buys: its fastest run, its serial against the baseline's, its threads."""
    mine = [r for r in runs if r.python == label and r.status == "ok" and r.result_ok is not False and r.median_s
            and r.n == verdict.best.n and r.scaling == "strong" and (r.workers > 1 or is_baseline(r.backend))]
    if not mine:
        return None
    fastest = min(mine, key=lambda r: r.median_s)
    parts = [f"{label} ({_build(facts.get(label))})" if _build(facts.get(label)) else label]
    parts[0] += (f": {fastest.series}@{fastest.workers} {format_seconds(fastest.median_s)} "
                 f"({fastest.median_s / verdict.best.median_s - 1:+.0%})")
    serial = next((r for r in mine if is_baseline(r.backend)), None)
    base = verdict.baseline
    if serial is not None and base is not None and base.python != label and base.median_s:
        why = _why(facts.get(label), facts.get(base.python))
        parts.append(f"serial {serial.median_s / base.median_s - 1:+.0%} vs {base.python}'s ({why})")
    threads = [r for r in mine if is_thread_based(r.backend) and r.workers > 1 and r.speedup]
    if threads:
        parts.append(f"threads {max(r.speedup for r in threads):.2f}x")
    return "; ".join(parts) + "."


def _gil_reenabled(runs: Sequence[RunResult], interpreters: Sequence[Interpreter]) -> list[str]:
    """A line per free-threaded interpreter whose GIL an import switched back on: its figures
    are no free-threading figures, which the answer must say."""
    from harness.environment.pythons import GIL_REENABLED

    by_label = interpreters_by_label(interpreters)
    flagged = dict.fromkeys(r.python for r in runs if r.gil_reenabled)
    lines = []
    for label in flagged:
        by = (by_label[label].gil_enabled_by if label in by_label else None) or "a C extension"
        lines.append(f"{GIL_REENABLED} on {label}: importing {by} switched its GIL back on; its threads ran one "
                     "at a time.")
    return lines


def _chunk(run: RunResult) -> str:
    """"16", or "auto (250/chunk)": the chunksize as asked, with what a rule came to."""
    if isinstance(run.chunksize, int) or run.chunk_items is None:
        return str(run.chunksize or "static")
    return f"{run.chunksize} ({run.chunk_items:,}/chunk)"


def _chunk_advice(verdict: Verdict, runs: Sequence[RunResult]) -> str | None:
    rec = verdict.recommended or verdict.best
    if rec is None:
        return None
    match = [c for c in chunksize_choices(runs)
             if (c.backend, c.workers, c.n, c.python) == (rec.backend, rec.workers, rec.n, rec.python)]
    if not match:
        return None
    choice = match[0]
    margin = tie_margin(runs, choice.n)  # the verdict's bar, so the advice and the answer cannot disagree
    parts = [f"Chunksize for {choice.backend}@{choice.workers}: {_chunk(choice.best)} is best "
             f"({format_seconds(choice.best.median_s)})"]
    for label, run in (("auto", choice.auto), ("static", choice.static)):
        if run is None or run is choice.best:
            continue
        excess = f"{run.median_s / choice.best.median_s - 1:+.0%}"
        # The best chunksize was picked from all of them: one comparison among len(runs) - 1.
        if compare_times(choice.best, run, len(choice.runs) - 1, margin).tied:
            parts.append(f"{label} ties with it ({excess})")
        elif label == "auto":
            parts.append(f"{_chunk(run)} {excess}: set it by hand")
        else:
            parts.append(f"static {excess}")
    return "; ".join(parts) + "."


def answer_lines(verdict: Verdict, runs: Sequence[RunResult], *, logical_cpus: int | None = None,
                 interpreters: Sequence[Interpreter] = ()) -> list[str]:
    """The short answer of ``verdict`` (see the module docstring): at most MAX_LINES lines."""
    several = len({r.python for r in runs}) > 1
    noise = verdict.host_noise
    head = [noise_line(noise)] if noise is not None and noise.blurred else []
    answer = [_answer(verdict, several)]
    if several and verdict.best is not None:
        facts = interpreters_by_label(interpreters)
        labels = [label for label in dict.fromkeys(r.python for r in runs)
                  if label and label != (verdict.baseline.python if verdict.baseline else None)]
        answer += [line for line in (_interpreter_line(lb, runs, verdict, facts) for lb in labels) if line]
    answer += _gil_reenabled(runs, interpreters)
    chunk = _chunk_advice(verdict, runs)
    lag = loop_lag_summary(runs, verdict.baseline.python if verdict.baseline else None)
    quiet_noise = [noise_line(noise)] if noise is not None and not noise.blurred else []
    tail = ([chunk] if chunk else []) + ([lag] if lag else []) + quiet_noise
    room = max(0, MAX_LINES - len(head) - len(answer) - len(tail))
    # Reasons about the configurations a reader weighs (a model at one worker is its curve's start),
    # one per model: three lines on the same GIL would crowd out the others.
    seen: set[str] = set()
    reasons = []
    for reason in verdict.reasons:
        if reason.workers > 1 and reason.backend not in seen and len(reasons) < min(MAX_REASONS, room):
            seen.add(reason.backend)
            reasons.append(reason.text)
    return [_fit(line) for line in (head + answer + reasons + tail)[:MAX_LINES]]


def _fit(line: str) -> str:
    """A line within LINE_WIDTH: each line is written to fit; a user's long backend or workload
    name can still push one over, and the short answer stays short."""
    return line if len(line) <= LINE_WIDTH else line[:LINE_WIDTH - 1] + "…"


# What a warning is about, by the phrase each kind of warning carries (harness.analysis.stability,
# the drift and GIL warnings): the summary line names the commonest.
_CAUSES = (
    ("the standard deviation", "the repeats spread by 10% of their mean or more"),
    ("than the mean", "a repeat 50% or more away from the mean"),
    ("the reference loop", "the machine's speed changed during a run (the reference loop moved)"),
    ("above the ideal", "a speedup above the ideal (the machine's speed drifted)"),
    ("was busy before", "the machine was busy before the sweep"),
    ("fall short of 95%", "too few repeats for 95% intervals"),
    ("GIL re-enabled", "an import switched a free-threaded build's GIL back on"),
)


def warning_summary(warnings: Sequence[str]) -> str | None:
    """All of a sweep's warnings as one line: how many, and the commonest cause."""
    if not warnings:
        return None
    counts: dict[str, int] = {}
    for warning in warnings:
        cause = next((why for phrase, why in _CAUSES if phrase in warning), "other")
        counts[cause] = counts.get(cause, 0) + 1
    common = max(counts, key=counts.get)
    if len(warnings) == 1:
        return f"1 warning: {warnings[0]}" if len(warnings[0]) <= LINE_WIDTH else f"1 warning: {common} (--verbose)"
    what = f"{counts[common]} of them: {common}" if common != "other" else "see --verbose"
    return f"{len(warnings)} warnings ({what}); --verbose or the report lists them."
