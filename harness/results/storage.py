"""results.json: a versioned format, written atomically and validated on load (the journal: results.journal).

SCHEMA_VERSION history:
  1 -- first release: the fields listed in DESIGN.md (runs with times, statistics, cpu
       load and worker spans), plus min_s/max_s, ci_confidence, cpu_utilization,
       peak_rss_bytes, speedup_ci95, karp_flatt, python, gil_enabled, recomputed_tasks, cpu_time_ratio,
       complete.
  2 -- adds, compatibly: a run's reference_times_s and the config's reference_n (harness run
       --reference). Version-1 files are read as before (no reference times).
  3 -- adds, compatibly:
       - per run: ci_s (the median's interval at ci_confidence); ci95_s is now null when the
         repeats cannot give a true 95% interval (fewer than 6); speedup_above_ideal (a
         speedup above min(workers, logical CPUs) beyond its interval: machine drift);
       - per suite: capacity (harness run --capacity: the host's parallel throughput);
       - in the config: repeat may be "auto", max_time_s, interleave (now true by default);
       - in the journal: "kind": "repeat" lines, each a finished repeat of an interleaved run.
       - per run's cpu.timeline (128-CPU scale): at most harness.results.timeline.MAX_TIMELINE_SAMPLES
         samples (longer repeats merged, time-weighted), loads in whole percents (integers);
         every array of numbers is written on one line. Same fields and meaning.
       Older files load: their ci_s is their ci95_s (which then may hold less than 95%).
       free-threaded CPython: per run free_threaded_build, gil_mode (PYTHON_GIL 0/1,
       null for the build's default), workers_gil_enabled (what the workers saw after importing
       the workload) and gil_reenabled (an import switched the GIL back on); per suite
       interpreters (label, version, executable, build, GIL mode and state of each). Older
       files load with these unknown (null, and no interpreters list).
  4 -- adds, compatibly (map workloads, chunking, memory):
       - per run: workload_kind ("range" or "map"), chunksize (as asked: "static", "auto" or an
         integer), chunk_items, chunks, worker_items and worker_busy_s (per worker, median
         repeat), bytes_in_per_item, bytes_out_per_item, serialisation_s (map workloads), and
         memory (peak and mean total USS, or PSS/RSS where USS cannot be read, of the harness
         and all its workers, sampled during the timed repeats). peak_rss_bytes stays, with
         its old meaning, for older readers; memory supersedes it.
       - a run's key gains its chunksize, before the interpreter's label (which stays last),
         when that is not "static", so static runs of older files still compare and resume
         against new ones.
       - in the config: chunksize (a list), items, payload_bytes.
       Older files load with these null.
  5 -- adds, compatibly (the answer first):
       - per suite: verdict (harness.results.verdict): best (backend, workers, chunksize,
         python, n, median_s and its interval, speedup against the baseline with its interval
         and method), tied (the configurations within noise of it), recommended (the simplest
         of those), baseline (the serial run every verdict speedup is against), host_noise
         (how much the host varied: its sources, the difference it can still resolve, and
         whether that blurred the comparison), reasons (why other models lost), lines (the
         short answer in words). harness report works it out again from the runs, so older
         files get one too.
       - per run: repeat_passes (the interleaved pass of each of times_s, null one by one),
         paired_speedup and paired_speedup_ci95 (the median of per-pass ratios to serial's
         repeat of the same pass, with the sign test's interval), baseline_speedup and
         baseline_speedup_ci95 (against the verdict's baseline). speedup and speedup_ci95 keep
         their meaning (against the run's own interpreter's serial).
       - in the journal: each repeat's pass_index.
       - in the config: baseline_python (--baseline-python).
       - per suite capacity: capacity_after (--capacity: the probe again after the sweep).
       Older files load with these null.
  6 -- adds, compatibly: per run loop_lag (the asyncio offload models: p50_s, p99_s, max_s and
       ticks of an event-loop heartbeat's delays while the work ran; null for other backends),
       and the same per repeat in the journal. Older files load with loop_lag null.
  7 -- adds, compatibly: per run reference_mean_times_s, beside reference_times_s: the same
       reference loops' mean worker compute time (reference_times_s keeps its meaning, the
       slowest worker's), and per repeat reference_mean_s in the journal. harness history
       weighs the two by the cores the run kept busy (harness.history.yardstick). Older files
       load with it null.
  8 -- adds, compatibly: in the verdict's best, tied and recommended, speedup_rerun (where a
       rerun's speedup would land: harness.analysis.rerun, from the same passes) and
       rerun_coverage (how often an interval so made holds a rerun's figure on a steady host).
       Since December 2026 the interval rests on each side's repeats, not on the per-pass
       ratios, and rerun_coverage is its lower bound (the field's meaning is unchanged).
       harness report works them out for older files too. --repeat auto now runs at least 9
       repeats (6 before), the fewest whose range can hold a rerun's median 95% of the time.
  9 -- adds, compatibly: per run reference_alone_times_s, beside reference_times_s: the same
       reference loop timed on one worker alone, before and after each repeat (null for
       backends that only split statically), and per repeat reference_alone_s in the journal.
       harness history's matched reference takes it for a run whose workers take turns
       (harness.history.yardstick). Older files load with it null.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any

from harness.results.json_format import dumps_results
from harness.results.model import Suite
from harness.results.pause_points import pause_point
from harness.text import one_line

__all__ = [
    "SCHEMA_VERSION",
    "ResultsFileError",
    "RESULTS_NAME",
    "atomic_write_text",
    "atomic_write_bytes",
    "read_json_file",
    "save_suite",
    "load_suite",
    "suite_from_data",
    "remove_stale_temporaries",
]

SCHEMA_VERSION = 9
RESULTS_NAME = "results.json"


_TMP_PREFIX, _TMP_SUFFIX = ".tmp-", ".json"


def _default_file_mode() -> int:
    """0o666 less the umask: what open() would give; mkstemp's 0o600 would hide results from others."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _default_file_mode()


class ResultsFileError(ValueError):
    """A results file that cannot be used; the message names the file and the problem."""


def atomic_write_text(path: str, text: str) -> None:
    """Write text atomically (see ``atomic_write_bytes``)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write via a temporary file in the same folder, fsync, then os.replace.

    Readers see the old file or the new one, never half of either, even if the writer is
    killed mid-write.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX, dir=folder)
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            pause_point("save-before")
            half = len(data) // 2
            handle.write(data[:half])
            handle.flush()
            pause_point("save-mid")
            handle.write(data[half:])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid number")


def save_suite(suite: Suite, path: str) -> None:
    """Write ``suite`` as JSON (NaN and infinity refused) atomically to ``path``."""
    atomic_write_text(path, dumps_results(suite.to_dict()) + "\n")


def read_json_file(path: str, expected: str = "a results.json file") -> Any:
    """Parse a JSON file (NaN and infinity refused); ResultsFileError names the file and the problem."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ResultsFileError(f"{path}: is a folder, expected {expected}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"{path}: cannot read ({one_line(exc)})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ResultsFileError(f"{path}: not valid JSON ({one_line(exc)}); truncated or not a results file?") from None


def load_suite(path: "str | os.PathLike") -> Suite:
    """A results.json read back and validated; ResultsFileError (a ValueError) names the file
    and what is wrong with it. Every schema version up to SCHEMA_VERSION reads."""
    path = os.fspath(path)
    return suite_from_data(read_json_file(path), path)


def suite_from_data(data: Any, path: str = "results") -> Suite:
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ResultsFileError(f"{path}: not a harness results file (no schema_version)")
    version = data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise ResultsFileError(f"{path}: schema_version must be an integer, got {version!r}")
    if version > SCHEMA_VERSION:
        raise ResultsFileError(
            f"{path}: schema_version {version} is newer than this harness reads ({SCHEMA_VERSION}); upgrade harness"
        )
    if version < 1:
        raise ResultsFileError(f"{path}: unknown schema_version {version}")
    try:
        suite = Suite.from_dict(data)
    except KeyError as exc:
        raise ResultsFileError(f"{path}: missing field {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:  # AttributeError: a list or number where an object belongs
        raise ResultsFileError(f"{path}: invalid value: {exc}") from None
    for run in suite.runs:
        for value in (run.speedup, run.efficiency, run.cpu_time_s):
            if value is not None and (not isinstance(value, (int, float)) or math.isnan(value)):
                raise ResultsFileError(f"{path}: {run.label}: invalid number {value!r}")
    return suite


def remove_stale_temporaries(folder: str) -> list[str]:
    """Delete temporary files a killed writer left in ``folder``; returns their names.

    atomic_write_text cannot clean up after SIGKILL. Call only on a folder no other
    harness is writing to (a --resume of it).
    """
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if name.startswith(_TMP_PREFIX) and name.endswith(_TMP_SUFFIX):
            try:
                os.unlink(os.path.join(folder, name))
                removed.append(name)
            except OSError:
                pass
    return removed
