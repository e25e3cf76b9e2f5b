"""Keeping a sweep's results on disk at a constant cost per run.

The journal (runs.jsonl) is the source of truth: every finished run, and every finished
repeat of an interleaved run, is appended as it arrives, which costs the same for the 10th
run as for the 10,000th. results.json, which needs the whole suite built and rewritten, is
written when the sweep starts, at most every ``save_every_s`` seconds while it runs, on an
interrupt and at the end. So results.json plus the journal always hold every finished run,
even after a SIGKILL, and --resume reads the journal. The journal is fsynced with each
results.json save: a power cut loses at most the last few seconds of runs.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

from harness.results.model import RunResult, Suite
from harness.results.repeats import RepeatRecord
from harness.results.journal import append_journal, sync_journal
from harness.results.storage import save_suite

__all__ = ["SAVE_EVERY_S", "Recorder"]

# Often enough that a results.json being watched (or copied off a CI machine mid-sweep) is
# recent; rarely enough that rewriting a large suite stays a small part of a sweep.
SAVE_EVERY_S = 5.0
# A save's cost grows with the suite (about 0.2 ms per run held): the wait until the next one
# is at least this many times the last save's own duration, so saving never takes more than
# about a tenth of a sweep, however many runs it holds.
SAVE_SPACING = 10.0


class Recorder:
    """Journals each finished run or repeat; rewrites results.json now and then.

    ``make_suite(runs, complete)`` builds the Suite to save. ``clock`` is injectable so
    tests can drive the save interval.
    """

    def __init__(self, folder: str, results_path: str, make_suite: Callable[[Sequence[RunResult], bool], Suite],
                 runs: Sequence[RunResult] = (), *, save_every_s: float = SAVE_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.folder = folder
        self.results_path = results_path
        self.runs: list[RunResult] = list(runs)
        self._make_suite = make_suite
        self._save_every_s = save_every_s
        self._clock = clock
        self._last_save: float | None = None
        self._last_save_s = 0.0

    def record_run(self, run: RunResult) -> None:
        # Journal first: an interrupt inside the append must not leave results.json holding a
        # run the journal lacks (--resume would measure it again).
        append_journal(self.folder, run, sync=False)
        self.runs.append(run)
        self._save_if_due()

    def record_repeat(self, record: RepeatRecord) -> None:
        append_journal(self.folder, record, sync=False)
        self._save_if_due()

    def save(self, complete: bool = False) -> Suite:
        """Build the suite from every run so far and write results.json; returns the suite."""
        began = self._clock()
        suite = self._make_suite(self.runs, complete)
        sync_journal(self.folder)
        save_suite(suite, self.results_path)
        self._last_save = self._clock()
        self._last_save_s = self._last_save - began
        return suite

    def _save_if_due(self) -> None:
        wait = max(self._save_every_s, SAVE_SPACING * self._last_save_s)
        if self._last_save is None or self._clock() - self._last_save >= wait:
            self.save()
