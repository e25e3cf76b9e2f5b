"""The side of the interpreter pool that runs inside each isolated subinterpreter.

A worker thread of the pool enters its interpreter once, for the pool's whole life, and runs
:func:`serve` there: it reads one chunk at a time from a pipe, computes it with the same
``worker.run_task`` every backend uses, and writes back the TaskResult, pickled. Entering an
interpreter costs 25 us to 3 ms (a thread state each time on the free-threaded build), so it
happens once, not per chunk.

Nothing but text and bytes crosses the boundary: exceptions cannot, so a failure comes back
as its one line. The user's module is imported here afresh, by name, in every interpreter; a
single-phase-init C extension refuses to load in an isolated interpreter, and the line then
names it (:func:`refusal_line`).

Stdlib only, like everything it imports: it runs in interpreters with nothing installed.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import re

from harness.execution.backends.frames import read_frame, write_frame
from harness.execution.backends.worker import TaskFailure, describe_exception, peak_rss_bytes, run_task

__all__ = ["OK", "FAILED", "handle", "refusal_line", "serve"]

# A reply's first byte: the rest is a pickled TaskResult (OK) or a failure's one line (FAILED).
OK, FAILED = b"\x01", b"\x00"

# CPython's words (3.12 and 3.13) for a single-phase-init extension an isolated interpreter refuses.
_REFUSED = re.compile(r"(?:ImportError: )?module (?P<module>\S+) does not support loading in subinterpreters")


def refusal_line(text: str) -> str:
    """``text`` with CPython's refusal of a single-phase-init extension said plainly, naming it."""
    found = _REFUSED.search(text)
    if found is None:
        return text
    module = found["module"]
    return (text[:found.start()] + f"the module {module} cannot be imported in a subinterpreter: it is a "
            "single-phase-init C extension, which an isolated interpreter (its own GIL, PEP 684) refuses; "
            f"run this workload with processes or threads ({found.group(0)})" + text[found.end():])


def _load(ref) -> bytes:
    """Import the workload here now: OK, or FAILED with the line naming why it cannot load."""
    from harness.execution.backends.worker import load_cached

    try:
        load_cached(ref)
    except BaseException as exc:  # noqa: BLE001 - an import may raise anything, SystemExit included
        return FAILED + refusal_line(describe_exception(exc)).encode("utf-8", "replace")
    return OK


def handle(payload: bytes) -> bytes:
    """One request: ``payload`` is pickle of ("load", ref) or ("chunk", ref, Chunk). A chunk's
    reply is OK + the pickled TaskResult (its pid and peak memory the host process's), a
    load's is OK alone; a failure's is FAILED + one line."""
    where = "a chunk"
    try:
        request = pickle.loads(payload)
        if request[0] == "load":
            return _load(request[1])
        _, ref, chunk = request
        where = chunk.where
        result = run_task(ref, chunk)  # thread_time: this interpreter's own thread's CPU
        result = dataclasses.replace(result, pid=os.getpid(), peak_rss=peak_rss_bytes())
    except TaskFailure as exc:
        return FAILED + refusal_line(str(exc)).encode("utf-8", "replace")
    except BaseException as exc:  # noqa: BLE001 - nothing may end the loop but a closed pipe
        return FAILED + f"{where}: {describe_exception(exc)}".encode("utf-8", "replace")
    try:
        # The protocol positionally: on 3.12.0-3.12.3 a keyword call into an extension from a
        # subinterpreter crashes the process at exit (gh-119213).
        return OK + pickle.dumps(result, pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - an unpicklable result (a map workload's)
        return FAILED + f"{where}: the result cannot be pickled: {describe_exception(exc)}".encode("utf-8", "replace")


def serve(rfd: int, wfd: int) -> None:
    """Answer chunks from ``rfd`` on ``wfd`` until ``rfd`` closes; then close both."""
    try:
        while True:
            payload = read_frame(rfd)
            if payload is None:
                break
            write_frame(wfd, handle(payload))
    finally:
        for fd in (rfd, wfd):
            try:
                os.close(fd)
            except OSError:
                pass
