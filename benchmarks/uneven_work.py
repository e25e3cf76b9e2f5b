"""A user's map workload for benchmarks/models.py, as a new user would write one: a pure-Python
function over items of uneven cost, and the provider of its items (not a harness module).

Each item is (seed, size): a pyperformance-style inner loop (integer arithmetic and a dict)
whose cost grows with ``size``, which varies 1-to-20 across the items, so a static split
leaves one worker with more of the work.
"""

from __future__ import annotations


def items(n):
    """n items of uneven cost, a fixed pattern (exactly n)."""
    return [(i, 200 + (i * 7919) % 4000) for i in range(n)]


def work(item):
    seed, size = item
    counts = {}
    x = seed
    for _ in range(size):
        x = (x * 1103515245 + 12345) % 2147483648
        key = x % 17
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items())
