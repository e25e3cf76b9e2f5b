import pytest

from harness.config import ConfigError, RunConfig, auto_workers, default_timeout, parse_backends, parse_sizes, parse_workers


def test_auto_workers_powers_of_two_then_the_cpus_then_twice_them():
    assert auto_workers(1) == (1, 2)
    assert auto_workers(2) == (1, 2, 4)
    assert auto_workers(16) == (1, 2, 4, 8, 16, 32)
    assert auto_workers(128) == (1, 2, 4, 8, 16, 32, 64, 128, 256)


def test_auto_workers_always_includes_a_cpu_count_that_is_no_power_of_two():
    assert auto_workers(3) == (1, 2, 3, 6)
    assert auto_workers(12) == (1, 2, 4, 8, 12, 24)
    assert auto_workers(96) == (1, 2, 4, 8, 16, 32, 64, 96, 192)


@pytest.mark.parametrize("bad", [0, -4, None, 2.0, True])
def test_auto_workers_refuses_what_is_no_cpu_count(bad):
    with pytest.raises(ValueError):
        auto_workers(bad)


def test_parse_workers_auto_uses_the_given_cpu_count():
    assert parse_workers("auto", logical_cpus=128) == auto_workers(128)
    assert parse_workers("1,auto", logical_cpus=3) == (1, 2, 3, 6)


def test_parse_workers():
    assert parse_workers("4,1,2,2") == (1, 2, 4)
    assert parse_workers("auto", logical_cpus=2) == (1, 2, 4)
    assert parse_workers("auto,64", logical_cpus=2) == (1, 2, 4, 64)
    for bad in ("0", "-1", "x", "", "1.5"):
        with pytest.raises(ConfigError, match="--workers"):
            parse_workers(bad)


def test_parse_sizes():
    assert parse_sizes("1e7") == (10_000_000,)
    assert parse_sizes("100,10,1_000") == (10, 100, 1000)
    assert parse_sizes("0") == (0,)
    for bad in ("-1", "abc", "1.5", "", "inf", "nan"):
        with pytest.raises(ConfigError, match="--n"):
            parse_sizes(bad)


def test_parse_backends():
    known = ("serial", "threads", "pool")
    assert parse_backends("pool,serial,pool", known) == ("pool", "serial")
    assert parse_backends("all", known) == known
    with pytest.raises(ConfigError, match="unknown backend 'gpu'"):
        parse_backends("gpu", known)


@pytest.mark.parametrize("parse, option, text", [
    (parse_workers, "--workers", "1,,2"), (parse_workers, "--workers", "1,2,"), (parse_workers, "--workers", ",1"),
    (parse_sizes, "--n", "1,,2"), (parse_sizes, "--n", " , "),
    (lambda t: parse_backends(t, ("serial", "threads")), "--backends", "serial,,threads"),
])
def test_an_empty_list_item_is_refused_not_skipped(parse, option, text):
    with pytest.raises(ConfigError, match=f"{option}: .*empty item"):
        parse(text)


@pytest.mark.parametrize("field, value, option", [
    ("scaling", "diagonal", "--scaling"),
    ("repeat", 0, "--repeat"),
    ("warmup", -1, "--warmup"),
    ("start_method", "teleport", "--start-method"),
    ("sample_interval_s", 0.01, "--sample-interval"),
    ("timeout_s", 0.0, "--timeout"),
    ("flush_every", 0, "--flush-every"),
    ("dask_scheduler", "localhost", "--dask-scheduler"),
])
def test_run_config_rejects_bad_values(field, value, option):
    with pytest.raises(ConfigError, match=option):
        RunConfig(backends=("serial",), workers=(1,), n=(10,), **{field: value})


def test_default_timeout_grows_with_work():
    assert default_timeout(0, 1, "strong") == 60.0
    assert default_timeout(10**7, 4, "weak") > default_timeout(10**7, 4, "strong")


def test_to_dict_keeps_a_single_size_scalar():
    config = RunConfig(backends=("serial",), workers=(1, 2), n=(100,))
    assert config.to_dict()["n"] == 100
    assert RunConfig(backends=("serial",), workers=(1,), n=(1, 2)).to_dict()["n"] == [1, 2]
