import pytest

from harness.partition import expected_copies, make_tasks


@pytest.mark.parametrize("n, workers", [(0, 1), (0, 4), (1, 4), (3, 4), (10, 3), (200000, 7), (5, 5)])
def test_strong_chunks_cover_the_range_once_and_differ_by_at_most_one(n, workers):
    tasks = make_tasks(n, workers, "strong")
    assert [t[0] for t in tasks] == list(range(workers))
    assert tasks[0][1] == 0 and tasks[-1][2] == n
    for (_, _, hi), (_, lo, _) in zip(tasks, tasks[1:]):
        assert hi == lo  # contiguous
    sizes = [hi - lo for _, lo, hi in tasks]
    assert sum(sizes) == n
    assert max(sizes) - min(sizes) <= 1


def test_strong_literal():
    assert make_tasks(10, 3, "strong") == [(0, 0, 4), (1, 4, 7), (2, 7, 10)]
    assert make_tasks(1, 3, "strong") == [(0, 0, 1), (1, 1, 1), (2, 1, 1)]


def test_weak_gives_every_worker_the_whole_range():
    assert make_tasks(5, 3, "weak") == [(0, 0, 5), (1, 0, 5), (2, 0, 5)]
    assert expected_copies(3, "weak") == 3
    assert expected_copies(3, "strong") == 1


def test_bad_arguments():
    with pytest.raises(ValueError):
        make_tasks(5, 0, "strong")
    with pytest.raises(ValueError):
        make_tasks(-1, 1, "strong")
    with pytest.raises(ValueError):
        make_tasks(5, 1, "diagonal")
