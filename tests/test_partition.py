import pytest

from harness.execution.partition import expected_copies, make_tasks
from harness.execution.partition import Chunk


@pytest.mark.parametrize("n, workers", [(0, 1), (0, 4), (1, 4), (3, 4), (10, 3), (200000, 7), (5, 5)])
def test_strong_chunks_cover_the_range_once_and_differ_by_at_most_one(n, workers):
    tasks = make_tasks(n, workers, "strong")
    assert [t.worker for t in tasks] == list(range(workers))
    assert tasks[0].lo == 0 and tasks[-1].hi == n
    for before, after in zip(tasks, tasks[1:]):
        assert before.hi == after.lo  # contiguous
    sizes = [t.hi - t.lo for t in tasks]
    assert sum(sizes) == n
    assert max(sizes) - min(sizes) <= 1


def test_strong_literal():
    assert make_tasks(10, 3, "strong") == [Chunk(0, 0, 4), Chunk(1, 4, 7), Chunk(2, 7, 10)]
    assert make_tasks(1, 3, "strong") == [Chunk(0, 0, 1), Chunk(1, 1, 1), Chunk(2, 1, 1)]


def test_weak_gives_every_worker_the_whole_range():
    assert make_tasks(5, 3, "weak") == [Chunk(0, 0, 5), Chunk(1, 0, 5), Chunk(2, 0, 5)]
    assert expected_copies(3, "weak") == 3
    assert expected_copies(3, "strong") == 1


def test_bad_arguments():
    with pytest.raises(ValueError):
        make_tasks(5, 0, "strong")
    with pytest.raises(ValueError):
        make_tasks(-1, 1, "strong")
    with pytest.raises(ValueError):
        make_tasks(5, 1, "diagonal")
