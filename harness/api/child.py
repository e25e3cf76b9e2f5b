"""Inside another interpreter (``harness run --python PATH``): a thin shell around its part.

The parent (``harness.api.interpreters.OtherInterpreter``) starts ``python -m harness.api.child``
with nothing installed there but this source on the path, writes one JSON request line (the
config, the keys to skip, the repeats to resume, the sampler's interpreter) and reads the
events this writes to stdout, one JSON line each. Stdlib only.
"""

from __future__ import annotations

import json
import sys

__all__ = ["main"]


def main() -> int:
    from harness.api.interpreters import InterpreterPart
    from harness.config import RunConfig
    from harness.execution.backends.worker import init_worker_process
    from harness.execution.passes import SweepEvents
    from harness.results.key import RunKey
    from harness.results.repeats import RepeatRecord
    from harness.workloads import WorkloadError

    init_worker_process()  # die with the harness, leave Ctrl-C to it
    out = sys.stdout

    def emit(event: dict) -> None:
        out.write(json.dumps(event) + "\n")
        out.flush()

    request = json.loads(sys.stdin.readline())
    try:
        part = InterpreterPart.prepare(RunConfig.from_dict(request["config"]))
    except (ValueError, TypeError, WorkloadError) as exc:
        emit({"error": str(exc)})
        return 2
    emit({"facts": part.facts()})
    resumed: dict = {}
    for data in request.get("resumed", ()):
        record = RepeatRecord.from_dict(data)
        resumed.setdefault(record.key, []).append(record)
    events = SweepEvents(on_run=lambda run: emit({"run": run.to_dict()}),
                         on_repeat=lambda record: emit({"repeat": record.to_dict()}),
                         on_progress=lambda done, total, label: emit({"progress": [done, total, label]}))
    sampler = None
    if request.get("sampler_python"):
        from harness.execution.memory import SWEEP_METRIC
        from harness.execution.sampler import CpuSampler

        sampler = CpuSampler(part.config.sample_interval_s, python=request["sampler_python"], memory=SWEEP_METRIC)
    try:
        part.run(sampler, {RunKey.from_json(k) for k in request["skip"]}, resumed, events)
    finally:
        if sampler is not None:
            sampler.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
