"""parallel.map_chunks: results in order, the parent takes a share of the chunks (one fork fewer), workers are
bare forks that report their failures and never outlive the caller."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

import pytest

from shipspec.files import parallel


def _where(chunk: Sequence[int]) -> list[tuple[int, int]]:
    return [(item, os.getpid()) for item in chunk]


@pytest.mark.parametrize("jobs", [2, 3])
def test_results_keep_their_order_and_the_parent_does_every_jobs_th_chunk(jobs: int) -> None:
    items = list(range(parallel.CHUNK * 7 + 5))
    results = list(parallel.map_chunks(_where, items, jobs))
    assert [item for item, _ in results] == items
    chunk_pids = [results[i][1] for i in range(0, len(items), parallel.CHUNK)]
    parent = os.getpid()
    assert [pid == parent for pid in chunk_pids] == [i % jobs == 0 for i in range(len(chunk_pids))]
    assert 1 <= len(set(chunk_pids) - {parent}) <= jobs - 1  # at most jobs - 1 forked workers


def _fail_on_seven(chunk: Sequence[int]) -> list[int]:
    if 7 * parallel.CHUNK in chunk or 1 * parallel.CHUNK in chunk:
        raise ValueError(f"chunk at {chunk[0]}")
    return list(chunk)


def test_a_failure_surfaces_in_order_from_a_worker() -> None:
    items = list(range(parallel.CHUNK * 8))
    with pytest.raises(ValueError, match=f"chunk at {parallel.CHUNK}"):
        list(parallel.map_chunks(_fail_on_seven, items, 2))


def _big(chunk: Sequence[int]) -> list[bytes]:
    return [bytes([item % 256]) * 200_000 for item in chunk]  # a chunk's results: ~13 MB, many pipes full


def test_results_larger_than_a_pipe_arrive_whole_and_in_order() -> None:
    items = list(range(parallel.CHUNK * 4))
    results = list(parallel.map_chunks(_big, items, 2))
    assert [(len(result), result[0]) for result in results] == [(200_000, item % 256) for item in items]


def _die_in_worker(chunk: Sequence[int]) -> list[int]:
    if chunk[0] == parallel.CHUNK:
        os._exit(3)  # a worker killed mid-chunk (the OOM killer, a segfault in an extension)
    return list(chunk)


def test_a_worker_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(RuntimeError, match="--jobs worker .* ended before sending its results"):
        list(parallel.map_chunks(_die_in_worker, list(range(parallel.CHUNK * 4)), 2))


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("not today")


def _fail_unpicklably(chunk: Sequence[int]) -> list[int]:
    if chunk[0] == parallel.CHUNK:
        raise _Unpicklable("the worker's own words")
    return list(chunk)


def test_an_exception_that_does_not_pickle_still_surfaces_with_its_text() -> None:
    with pytest.raises(RuntimeError, match="_Unpicklable: the worker's own words"):
        list(parallel.map_chunks(_fail_unpicklably, list(range(parallel.CHUNK * 4)), 2))


def test_a_caller_that_stops_early_leaves_no_worker_behind() -> None:
    results = parallel.map_chunks(_where, list(range(parallel.CHUNK * 40)), 3)
    seen = {pid for _, pid in (next(results) for _ in range(parallel.CHUNK * 3))} - {os.getpid()}
    assert len(seen) == 2
    results.close()
    for pid in seen:  # reaped, not merely killed: no zombie left
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_the_fan_out_imports_no_multiprocessing() -> None:
    """A pool's imports and its threads in the parent cost CPU that one process would not spend."""
    code = (
        "import sys; from shipspec.files import parallel\n"
        "assert list(parallel.map_chunks(list, list(range(parallel.CHUNK * 3)), 2)) == list(range(parallel.CHUNK * 3))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('multiprocessing', 'threading', 'concurrent'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
