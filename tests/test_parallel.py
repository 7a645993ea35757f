"""parallel.map_chunks: results in order, the parent takes a share of the chunks (one fork fewer)."""

from __future__ import annotations

import os
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
