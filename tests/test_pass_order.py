"""Each interleaved pass times its configurations in its own seeded order: real sweeps, real pools."""

from collections import defaultdict

from harness.config import RunConfig
from harness.execution.passes import SweepEvents, SweepJob, pass_order, run_sweep
from harness.workloads import resolve_workload


def test_the_first_pass_keeps_plan_order_and_later_ones_are_seeded_shuffles():
    pending = list(range(12))
    assert pass_order(pending, 1) == pending
    orders = [pass_order(pending, p) for p in range(2, 8)]
    for p, order in enumerate(orders, start=2):
        assert sorted(order) == pending  # every configuration, once
        assert pass_order(pending, p) == order  # the pass index alone decides it
    assert len({tuple(o) for o in orders}) == len(orders)  # and it differs from pass to pass
    # Each configuration leads some pass and no slot belongs to one configuration.
    assert {o[0] for o in orders} != {orders[0][0]}
    # Configurations that have left the passes are left out; the rest keep one order.
    assert sorted(pass_order([1, 4, 9], 5)) == [1, 4, 9]
    assert pass_order([1, 4, 9], 5) == pass_order([1, 4, 9], 5)


def _labels_by_pass(labels):
    by_pass = defaultdict(list)
    for label in labels:
        if label.startswith("pass "):
            _, number, backend, workers = label.split()
            by_pass[int(number.split("/")[0])].append(f"{backend}@{workers[1:]}")
    return dict(by_pass)


CONFIG = dict(backends=("serial", "threads", "pool", "processes"), workers=(1, 2), n=(20_000,), warmup=0,
              interleave=True)


def test_a_sweep_times_its_passes_in_their_orders_and_a_resumed_one_keeps_them():
    plan = ["serial@1", "threads@1", "threads@2", "pool@1", "pool@2", "processes@1", "processes@2"]
    labels, repeats = [], []
    events = SweepEvents(on_progress=lambda done, total, label: labels.append(label), on_repeat=repeats.append)
    runs = run_sweep(SweepJob(RunConfig(**CONFIG, repeat=4), resolve_workload("poly"), events=events))
    assert all(r.status == "ok" and r.result_ok for r in runs)
    assert [f"{r.backend}@{r.workers}" for r in runs] == plan  # results stay in plan order
    timed = _labels_by_pass(labels)
    assert timed[1] == plan
    for p in (2, 3, 4):
        assert timed[p] == [plan[i] for i in pass_order(range(len(plan)), p)]
    assert timed[2] != plan or timed[3] != plan  # not all in plan order
    # Each repeat records its pass: a run's repeats in pass p were timed in pass p's slot.
    assert all(sorted(r.repeat_passes) == [1, 2, 3, 4] for r in runs)

    # Resumed after two passes (as --resume replays a journal), the sweep numbers its passes on
    # and times passes 3 and 4 in the same order as the sweep that was not interrupted.
    kept = defaultdict(list)
    for record in repeats:
        if record.repeat.pass_index <= 2:
            kept[record.key].append(record)
    labels.clear()
    resumed = run_sweep(SweepJob(RunConfig(**CONFIG, repeat=4), resolve_workload("poly"), resumed=dict(kept),
                                 events=SweepEvents(on_progress=lambda done, total, label: labels.append(label))))
    again = _labels_by_pass(labels)
    assert sorted(again) == [3, 4]
    assert again[3] == timed[3] and again[4] == timed[4]
    assert all(sorted(r.repeat_passes) == [1, 2, 3, 4] for r in resumed)
