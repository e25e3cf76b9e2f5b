"""Run by another interpreter (3.12+) for tests/test_interpreters_backend.py: the interpreters
backend driven directly, with real subinterpreters, printing one JSON object of what it saw.

usage: PYTHON tests/_subinterp_check.py FAULTS_FOLDER [--faults] (the repository root on PYTHONPATH)
"""

from __future__ import annotations

import json
import os
import sys
import time


def _host_alive(pid):
    """The host process still exists (the backend reaps it when it closes, so /proc says)."""
    return os.path.exists(f"/proc/{pid}")


def _fault(backend_cls, ref, tasks, limit):
    """Start a pool, run one repeat expected to fail; (error text, seconds, host still there)."""
    from harness.execution.backends.base import BackendError

    backend = backend_cls(2)
    backend.start()
    pid = backend.host_pid
    t0 = time.perf_counter()
    try:
        backend.run(ref, tasks, time.perf_counter() + limit)
        error = None
    except BackendError as exc:
        error = f"{type(exc).__name__}: {exc}"
    waited = time.perf_counter() - t0
    backend.close(kill=True)
    return error, waited, _host_alive(pid)


def main(folder, faults):
    sys.path.insert(0, folder)
    from harness.execution.backends.interpreters import InterpretersBackend
    from harness.execution.partition import make_chunks, make_tasks
    from harness.workloads import poly_oracle
    from harness.workloads.maps import imbalanced_cost, imbalanced_items

    out = {"availability": InterpretersBackend.availability()}
    backend = InterpretersBackend(2)
    t0 = time.perf_counter()
    backend.start()
    out["startup_s"] = time.perf_counter() - t0
    host = backend.host_pid
    exact = []
    for n in (0, 3, 20_001):
        results = backend.run("harness.workloads:poly", make_tasks(n, 2, "strong"), time.perf_counter() + 60)
        exact.append(sum(r.value for r in results) == poly_oracle(n))
    out["range_exact"] = exact
    out["pids"] = sorted({r.pid for r in results})
    out["threads"] = len({r.thread for r in results})
    out["host"] = host
    items = imbalanced_items(300)
    expected = [imbalanced_cost(item) for item in items]
    for size in ("static", "auto", 7):
        chunks = make_chunks(len(items), 2, "strong", size, items)
        results = sorted(backend.run("harness.workloads.maps:imbalanced_cost", chunks, time.perf_counter() + 60),
                         key=lambda r: r.worker)
        out[f"map_{size}"] = [v for r in results for v in r.value] == expected
    backend.close()
    out["host_gone_after_close"] = not _host_alive(host)
    if faults:
        _faults(out)
    print(json.dumps(out))


def _faults(out):
    from harness.execution.backends.interpreters import InterpretersBackend
    from harness.execution.partition import make_tasks

    tasks = make_tasks(10, 2, "strong")
    out["raises"] = _fault(InterpretersBackend, "interp_faults:boom", tasks, 60)
    out["forever"] = _fault(InterpretersBackend, "interp_faults:forever", tasks, 1.0)
    out["refused"] = _fault(InterpretersBackend, "interp_refuses:work", tasks, 60)


if __name__ == "__main__":
    main(sys.argv[1], "--faults" in sys.argv[2:])
