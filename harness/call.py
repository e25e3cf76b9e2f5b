"""``harness.sweep(fn, items, ...)``: the one-call Python API, for a script, a notebook or a test.

It runs the same Sweep as ``harness run`` (planning, checks, journal, sampler, statistics)
over the caller's own function and items, and returns the Suite. The function travels to
worker processes pickled by cloudpickle, so one defined in ``__main__``, in a notebook cell,
or a lambda runs under spawn and forkserver too (an importable function goes by reference).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from harness.api import Sweep, SweepError, SweepRequest
from harness.results.model import Suite

__all__ = ["sweep", "function_workload"]


def function_workload(fn: Callable[[Any], Any], check: Callable[[Any, Any], bool] | None = None,
                      name: str | None = None):
    """A map Workload over ``fn`` itself; SweepError when it cannot be serialised for workers."""
    from harness.workloads import MAP, Workload

    if not callable(fn):
        raise SweepError(f"fn: {type(fn).__name__} is not callable (accepted: a function of one item)")
    if check is not None and not callable(check):
        raise SweepError(f"check: {type(check).__name__} is not callable (accepted: check(expected, got) -> bool)")
    try:
        import cloudpickle

        ref = cloudpickle.dumps(fn)
    except Exception as exc:
        raise SweepError(f"fn: {getattr(fn, '__qualname__', fn)!r} cannot be serialised for worker processes "
                         f"({type(exc).__name__}: {' '.join(str(exc).split())})") from None
    label = name or f"{getattr(fn, '__module__', None) or '__main__'}:{getattr(fn, '__qualname__', 'fn')}"
    doc = (getattr(fn, "__doc__", None) or "").strip().split("\n")[0]
    return Workload(label, ref, fn, None, description=doc, kind=MAP, check=check)


def sweep(
    fn: Callable[[Any], Any],
    items: Iterable,
    *,
    backends: Sequence[str] | str | None = None,
    workers: Sequence[int] | str | int = "auto",
    chunksize: Sequence[int | str] | int | str = ("static",),
    repeat: int | str = "auto",
    max_time: float | None = None,
    warmup: int = 1,
    start_method: str | None = None,
    check: Callable[[Any, Any], bool] | None = None,
    name: str | None = None,
    out: str | os.PathLike | None = None,
    report: bool = False,
    sampling: bool = True,
    timeout: float | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> Suite:
    """Time ``fn(item)`` over ``items`` with every backend, worker count and chunksize asked for.

    Returns the Suite (``suite.runs``, ``suite.to_dataframe()``); ``harness.build_report(suite,
    folder)`` draws it. Every run's results are checked against serial's (``check(expected,
    got) -> bool`` per item instead of equality); a run that differs has ``result_ok`` False
    and an ``error`` naming the first differing item.

    - backends: names (default: every stdlib backend that runs map workloads);
    - workers: counts, or "auto" (powers of two up to twice the CPUs);
    - chunksize: integers, "auto" (Pool's rule) and "static" (one block per worker);
    - repeat: a count or "auto"; max_time: its time budget per configuration (seconds);
    - out: a folder to keep results.json (and the report with ``report=True``); by default a
      temporary one, removed afterwards;
    - on_progress(done, total, label): follows the sweep.

    Bad arguments raise SweepError (a ValueError) with one line; Ctrl-C raises KeyboardInterrupt
    once the finished runs are saved (in ``out``, when given).
    """
    items = _as_items(items)
    workload = function_workload(fn, check, name)
    config = _config(workload.name, len(items), _SweepOptions(backends, workers, chunksize, repeat, max_time, warmup,
                                                              start_method, timeout))
    folder = os.fspath(out) if out is not None else tempfile.mkdtemp(prefix="harness-sweep-")
    try:
        request = SweepRequest(config=config, out=folder, report=report, sampling=sampling, workload=workload,
                               items=items)
        outcome = Sweep(request, on_progress=on_progress).run()
        if outcome.interrupted_by is KeyboardInterrupt:
            raise KeyboardInterrupt
        if outcome.error:
            raise SweepError(outcome.error)
        return outcome.suite
    finally:
        if out is None:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class _SweepOptions:
    """harness.sweep's keywords that describe the sweep, as the caller gave them."""

    backends: Sequence[str] | str | None
    workers: Sequence[int] | str | int
    chunksize: Sequence[int | str] | int | str
    repeat: int | str
    max_time: float | None
    warmup: int
    start_method: str | None
    timeout: float | None


def _config(workload: str, n: int, options: _SweepOptions):
    """The RunConfig harness.sweep's arguments describe; SweepError names the keyword at fault."""
    from harness.config.repetition import DEFAULT_MAX_TIME_S
    from harness.config import ConfigError, RunConfig, parse_backends, parse_chunksizes, parse_workers
    from harness.environment.metadata import python_facts
    from harness.execution.backends import BACKEND_NAMES, DEFAULT_BACKENDS

    o = options
    try:
        return RunConfig(
            backends=DEFAULT_BACKENDS if o.backends is None else parse_backends(_text(o.backends), BACKEND_NAMES),
            workers=parse_workers(_text(o.workers)),
            n=(n,),
            repeat=o.repeat,
            max_time_s=DEFAULT_MAX_TIME_S if o.max_time is None else o.max_time,
            warmup=o.warmup,
            start_method=o.start_method or python_facts()["default_start_method"],
            workload=workload,
            timeout_s=o.timeout,
            chunksize=parse_chunksizes(_text(o.chunksize)),
        )
    except ConfigError as exc:  # named as the keyword argument, not the CLI's flag
        keyword = exc.option.lstrip("-").replace("-", "_")
        raise SweepError(f"{keyword}:{str(exc).split(':', 1)[1]}") from None


def _as_items(items) -> Sequence:
    """The items as a sequence (an iterable is listed once); SweepError for none or no items."""
    if isinstance(items, (str, bytes)):
        raise SweepError(f"items: a {type(items).__name__} (accepted: a sequence or iterable of items, such as a list)")
    if not isinstance(items, Sequence):
        try:
            items = list(items)
        except TypeError:
            raise SweepError(f"items: {type(items).__name__} is not iterable (accepted: a sequence or iterable of "
                             "items, such as a list)") from None
    if not items:
        raise SweepError("items: empty (accepted: at least one item)")
    return items


def _text(value) -> str:
    """The CLI's list syntax from a Python value: (1, 2) -> "1,2"."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)
