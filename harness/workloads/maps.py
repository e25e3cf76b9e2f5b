"""The built-in map workloads: ``fn(item) -> result`` over ``items(n)``, one for each axis
a map sweep shows.

- ``imbalanced``: item costs that grow along the range (item i of n costs ~ (i/n)^2), so a
  static split gives the last worker most of the work and leaves the others idle;
- ``payload``: items that carry ``--payload-bytes`` in and results as large out, with
  almost no compute: what pickling costs a process-based model;
- ``poly-items``: the tutorial's loop, one item per sub-range of ``POLY_ITEM_SPAN``
  integers (about 20 us each): fine-grained work where the chunksize decides.

Stdlib only, like every workload: worker processes of any start method import it.
"""

from __future__ import annotations

import zlib

from harness.workloads.builtin import MAP, Workload, poly

__all__ = ["IMBALANCED_MAX_STEPS", "POLY_ITEM_SPAN", "DEFAULT_PAYLOAD_BYTES", "imbalanced_items", "imbalanced_cost",
           "payload_items", "payload_echo", "poly_item_ranges", "poly_item", "MAP_WORKLOADS", "map_workload"]

# The costliest imbalanced item: the tutorial's loop over this many integers (about 2.5 ms on
# a 2020s core); the mean item costs a third of it.
IMBALANCED_MAX_STEPS = 20_000
# One poly-items item: the loop over 160 integers, about 20 us.
POLY_ITEM_SPAN = 160
DEFAULT_PAYLOAD_BYTES = 1 << 20


def imbalanced_items(n: int) -> list[tuple[int, int]]:
    """``(i, steps)`` per item; steps grows with (i/n)^2, from 1 to IMBALANCED_MAX_STEPS.

    Split statically over two workers, the second half holds 7/8 of the work: its worker
    computes for 7/8 of the serial time while the first idles after 1/8. Dynamic chunks
    share it out: ideally 1/2 each.
    """
    if n <= 0:
        return []
    return [(i, 1 + (IMBALANCED_MAX_STEPS * i * i) // (n * n)) for i in range(n)]


def imbalanced_cost(item: tuple[int, int]) -> int:
    """The tutorial's loop over ``steps`` integers, offset by the item's index."""
    i, steps = item
    return poly(0, steps) + i


def payload_items(n: int, payload_bytes: int = DEFAULT_PAYLOAD_BYTES) -> list[tuple[int, bytes]]:
    """``(i, data)`` per item, ``data`` being ``payload_bytes`` bytes (a pattern made from i)."""
    pattern = bytes(range(256))
    block = pattern * (payload_bytes // 256 + 1)
    return [(i, block[i % 256:i % 256 + payload_bytes]) for i in range(n)]


def payload_echo(item: tuple[int, bytes]) -> tuple[int, bytes]:
    """The data's CRC-32 and the data itself: a result as large as the item, next to no compute.

    The same bytes go back, not a copy: a 1 MB copy in a worker thread page-faults in glibc's
    per-thread malloc arenas (threads measured 1.45x serial for a copying echo), which would
    hide the one cost this workload is for, moving the payload. zlib releases the GIL while it
    checksums a large buffer, so threads can overlap that little compute.
    """
    _, data = item
    return zlib.crc32(data), data


def poly_item_ranges(n: int) -> list[tuple[int, int]]:
    """Item i is the sub-range [i*span, (i+1)*span) of the tutorial's loop."""
    return [(i * POLY_ITEM_SPAN, (i + 1) * POLY_ITEM_SPAN) for i in range(max(n, 0))]


def poly_item(item: tuple[int, int]) -> int:
    """The tutorial's loop over one sub-range."""
    lo, hi = item
    return poly(lo, hi)


def map_workload(name: str, payload_bytes: int | None = None) -> Workload:
    """A built-in map workload by name (KeyError for another name); ``payload`` carries
    ``payload_bytes`` per item (default 1 MiB)."""
    workload = MAP_WORKLOADS[name]
    if name == "payload" and payload_bytes is not None:
        import functools

        return _replace(workload, items=functools.partial(payload_items, payload_bytes=payload_bytes),
                        description=f"{payload_bytes} bytes in and out per item, next to no compute "
                                    "(a CRC-32, GIL released)")
    return workload


def _replace(workload: Workload, **changes) -> Workload:
    import dataclasses

    return dataclasses.replace(workload, **changes)


MAP_WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("imbalanced", "harness.workloads.maps:imbalanced_cost", imbalanced_cost, None,
                 description="item costs growing along the range (~(i/n)^2): a static split leaves workers idle",
                 kind=MAP, items=imbalanced_items, default_n=2000),
        Workload("payload", "harness.workloads.maps:payload_echo", payload_echo, None, True,
                 description=f"{DEFAULT_PAYLOAD_BYTES} bytes in and out per item (--payload-bytes), next to no "
                             "compute (a CRC-32, GIL released)", kind=MAP, items=payload_items, default_n=64),
        Workload("poly-items", "harness.workloads.maps:poly_item", poly_item, None,
                 description=f"the tutorial's loop, one item per sub-range of {POLY_ITEM_SPAN} integers (~20 us)",
                 kind=MAP, items=poly_item_ranges, default_n=100_000),
    )
}
