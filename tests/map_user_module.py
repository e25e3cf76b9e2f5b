"""A user's map workloads for tests/test_map_workloads.py: ``fn(item)`` functions and ``(n) -> items``
providers, good and bad.

Not a test module (no test_ prefix). The tests name it ``tests.map_user_module:FUNCTION``: the
repository root is on PYTHONPATH (tests/conftest.py's run_cli and tests/_processes.py's cli_env put
it there), and worker processes inherit that environment, so they import it under every start
method, spawn and forkserver included. Stdlib only, no CHECK: results are compared by equality.
"""

from __future__ import annotations

import multiprocessing
import os
import threading


# -- good: results that are not just ints -------------------------------------------------------

def records(n):
    """Item i: (i, a short string that depends on i)."""
    return [(i, f"w{i % 7}") for i in range(n)]


def describe(item):
    """A dict holding a tuple, a str, a list and a float: a real result has to travel back."""
    i, word = item
    return {"i": i, "pair": (i, -i), "label": f"{word}-{i * i}", "digits": [int(d) for d in str(i)],
            "half": i / 2}


# -- results that differ between processes ------------------------------------------------------

def pid_of(item):
    """The pid of the process that computed the item: serial's (the harness) differs from any worker
    process's, but not from a thread's."""
    return os.getpid()


def in_child(item):
    """x, plus 0.1 in a process multiprocessing started (a worker), not in the harness itself: equality
    with serial's fails under every process backend; a tolerance of 0.5 accepts it."""
    i, _ = item
    return float(i) + (0.1 if multiprocessing.parent_process() is not None else 0.0)


# -- items that do not pickle ----------------------------------------------------------------------

def locked(n):
    """Item i: (i, a threading.Lock); a Lock cannot be pickled."""
    return [(i, threading.Lock()) for i in range(n)]


def under_lock(item):
    i, lock = item
    with lock:
        return i * 3


# -- bad providers ----------------------------------------------------------------------------

def raising(n):
    raise ValueError(f"no items today for {n}")


def generator(n):
    return (i for i in range(n))


def an_int(n):
    return n


def one_short(n):
    return list(range(max(n - 1, 0)))


def plain(lo, hi):
    """A range workload (lo, hi) -> int, for --items given with a range workload."""
    return hi - lo


def unpicklable_result(item):
    """A tuple subclass defined in the function: equal to serial's, but it cannot be pickled."""

    class Local(tuple):
        pass

    return Local((item[0], "r"))
