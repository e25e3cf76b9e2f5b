"""The journal, runs.jsonl: a sweep's source of truth, one finished run or repeat per line.

Append-only, written as each run (and, interleaved, each repeat) finishes: a killed harness
loses at most the one in progress, and --resume reads it back.

JOURNAL_FORMAT history (each line says its own format, so a resumed old journal may go on
in the new one):
  1 -- no "journal" field. A finished run's line is its RunResult object; a finished repeat's
       line is ``{"kind": "repeat", "key": [...], "repeat": {...}}`` with the key and each
       task result as positional lists (``[backend, workers, n, scaling, workload,
       (chunksize,) python]``; task results in TaskResult's field order).
  2 -- every line is ``{"journal": 2, "kind": "run", "run": {...}}`` or ``{"journal": 2,
       "kind": "repeat", "key": {...}, "repeat": {...}, ...}``, keys and task results as
       objects of named fields. Format-1 lines still read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from harness.results.storage import ResultsFileError
from harness.results.key import RunKey
from harness.results.model import RunResult
from harness.results.pause_points import pause_point
from harness.results.repeats import REPEAT_KIND, RepeatRecord

__all__ = ["JOURNAL_FORMAT", "JOURNAL_NAME", "Journal", "append_journal", "journal_line", "read_journal",
           "read_journal_entries", "sync_journal"]

JOURNAL_NAME = "runs.jsonl"
JOURNAL_FORMAT = 2
_RUN_KIND = "run"


def journal_line(entry: "RunResult | RepeatRecord") -> dict:
    """The object one journal line holds for ``entry``, in the current format."""
    if isinstance(entry, RepeatRecord):
        return {"journal": JOURNAL_FORMAT, **entry.to_dict()}
    return {"journal": JOURNAL_FORMAT, "kind": _RUN_KIND, "run": entry.to_dict()}


def _entry_from_line(data) -> "RunResult | RepeatRecord":
    """The run or repeat a line holds, in any format this harness reads; ValueError if none."""
    if not isinstance(data, dict):
        raise ValueError("not an object")
    version = data.get("journal", 1)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= JOURNAL_FORMAT:
        raise _NewerJournal(version)
    if data.get("kind") == REPEAT_KIND:
        return RepeatRecord.from_dict(data)
    if version == 1:
        return RunResult.from_dict(data)
    if data.get("kind") != _RUN_KIND:
        raise ValueError(f"unknown kind {data.get('kind')!r}")
    return RunResult.from_dict(data["run"])


class _NewerJournal(ValueError):
    def __init__(self, version) -> None:
        super().__init__(f"journal format {version!r} is newer than this harness reads ({JOURNAL_FORMAT}); "
                         "upgrade harness")


def append_journal(folder: str, entry: "RunResult | RepeatRecord", *, sync: bool = True) -> None:
    """Append one finished run, or one finished repeat of an unfinished run, to the folder's journal.

    Once written, the entry survives the harness being killed (it is in the OS's page
    cache). ``sync`` also fsyncs it, so it survives a power cut; a caller appending many
    entries can pass False and call ``sync_journal`` now and then (an fsync costs a
    millisecond or two, as much as the rest of a tiny run's bookkeeping).

    A crash mid-append leaves a torn last line without its newline. Appending after it
    would glue the next entry onto the fragment and turn a harmless torn tail into a corrupt
    line in the middle, so the fragment is cut off first.
    """
    os.makedirs(folder, exist_ok=True)
    data = (json.dumps(journal_line(entry), allow_nan=False, separators=(",", ":")) + "\n").encode()
    fd = os.open(os.path.join(folder, JOURNAL_NAME), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _drop_torn_tail(fd)
        pause_point("journal-before")
        written, half = 0, len(data) // 2
        while written < half:  # os.write may write less than asked
            written += os.write(fd, data[written:half])
        pause_point("journal-mid")
        while written < len(data):
            written += os.write(fd, data[written:])
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def sync_journal(folder: str) -> None:
    """fsync the folder's journal (entries appended with ``sync=False``); no journal, nothing to do."""
    try:
        fd = os.open(os.path.join(folder, JOURNAL_NAME), os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _drop_torn_tail(fd: int) -> None:
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    content = os.pread(fd, size, 0)
    os.ftruncate(fd, content.rfind(b"\n") + 1)  # 0 when the only line is torn


@dataclass(frozen=True, slots=True)
class Journal:
    """What a folder's journal holds: the finished runs, and the finished repeats of unfinished ones.

    ``repeats`` maps a configuration's RunKey to its repeats in journal order; keys that also
    have a finished run are left out (the run supersedes them).
    """

    runs: tuple[RunResult, ...] = ()
    repeats: dict[RunKey, list[RepeatRecord]] = field(default_factory=dict)


def read_journal_entries(folder: str) -> Journal:
    """Everything journaled in ``folder``; a torn last line (a crash mid-write) is ignored.

    ResultsFileError for a corrupt line before the last, or a line of a newer format.
    """
    path = os.path.join(folder, JOURNAL_NAME)
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return Journal()
    runs: list[RunResult] = []
    repeats: dict[RunKey, list[RepeatRecord]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = _entry_from_line(json.loads(line))
        except _NewerJournal as exc:
            raise ResultsFileError(f"{path}: line {number}: {exc}") from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            if number == len(lines):
                break  # the entry in progress when the writer died
            raise ResultsFileError(f"{path}: line {number} is not a valid run or repeat ({exc})") from None
        if isinstance(entry, RepeatRecord):
            repeats.setdefault(entry.key, []).append(entry)
        else:
            runs.append(entry)
    finished = {r.key for r in runs}
    return Journal(tuple(runs), {k: v for k, v in repeats.items() if k not in finished})


def read_journal(folder: str) -> list[RunResult]:
    """The finished runs journaled in ``folder``."""
    return list(read_journal_entries(folder).runs)
