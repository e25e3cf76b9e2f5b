import pytest

from harness.workloads import (
    BUILTIN_WORKLOADS,
    WorkloadError,
    hash_bytes,
    hash_oracle,
    poly,
    poly_numpy,
    poly_oracle,
    resolve_workload,
    sleep_items,
)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 1000, 12345])
def test_poly_oracle_matches_the_loop(n):
    assert poly(0, n) == poly_oracle(n)


def test_poly_oracle_literal_values():
    assert poly_oracle(0) == 0
    assert poly_oracle(1) == 0
    assert poly_oracle(2) == 3  # i=1: 1 + 1 + 1
    assert poly_oracle(3) == 3 + (2 + 4 + 8)
    # the size the tutorial uses: about 2.5e27, far past 64 bits
    assert poly_oracle(10**7) == 2499999833333358333330000000


def test_poly_is_additive_over_chunks():
    assert poly(0, 500) + poly(500, 1234) == poly(0, 1234)


def test_negative_and_empty_ranges():
    assert poly(5, 5) == 0
    assert poly_oracle(-3) == 0


def test_poly_numpy_exact_modulo_2_64():
    for n in (0, 1, 7, 70000, 200003):
        assert poly_numpy(0, n) == poly_oracle(n) % (1 << 64)
    assert (poly_numpy(0, 100000) + poly_numpy(100000, 200003)) % (1 << 64) == poly_numpy(0, 200003)


def test_hash_is_split_independent():
    assert hash_bytes(0, 10) + hash_bytes(10, 25) == hash_oracle(25)
    assert hash_oracle(0) == 0


def test_sleep_counts_items():
    assert sleep_items(0, 3) == 3
    assert BUILTIN_WORKLOADS["sleep"].expected(5, copies=2) == 10


def test_expected_weak_copies():
    assert BUILTIN_WORKLOADS["poly"].expected(100, copies=4) == 4 * poly_oracle(100)


def test_resolve_builtin_and_user(tmp_path, monkeypatch):
    assert resolve_workload("poly").function is poly
    (tmp_path / "userwl.py").write_text(
        "def work(lo, hi):\n    return hi - lo\n\ndef oracle(n):\n    return n\n\nORACLE = 'oracle'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    w = resolve_workload("userwl:work")
    assert w.function(3, 10) == 7
    assert w.expected(9) == 9


@pytest.mark.parametrize("name, fragment", [
    ("nope", "unknown workload 'nope'"),
    ("no_such_module_xyz:f", "cannot import module"),
    ("harness.workloads:missing", "has no attribute"),
    ("harness.workloads:", "not MODULE:FUNCTION"),
    ("harness.workloads:BUILTIN_WORKLOADS", "not callable"),
])
def test_bad_workload_names(name, fragment):
    with pytest.raises(WorkloadError, match=fragment):
        resolve_workload(name)


def test_poly_numpy_totals_are_compared_modulo_2_64():
    w = BUILTIN_WORKLOADS["poly-numpy"]
    halves = poly_numpy(0, 100_000) + poly_numpy(100_000, 200_003)  # a plain sum can pass 2**64
    assert w.reduce(halves) == w.expected(200_003)
    assert w.expected(1000, copies=3) == (3 * poly_oracle(1000)) % (1 << 64)
    assert BUILTIN_WORKLOADS["poly"].reduce(5) == 5


def test_poly_numpy_partial_and_tiny_blocks():
    for lo, hi in ((0, 1), (5, 6), (65_530, 65_545), (3, 3), (10, 2)):
        expected = sum(i + i**2 + i**3 for i in range(lo, hi)) % (1 << 64)
        assert poly_numpy(lo, hi) == expected
