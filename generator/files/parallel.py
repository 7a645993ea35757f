"""Order-preserving fan-out of per-app work over forked worker processes."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from ..errors import UsageError

T = TypeVar("T")
R = TypeVar("R")

# The digest fast path costs ~0.4 ms per app and a fork pool some tens of ms, so
# below this many apps one process is as fast (1,000 apps: --jobs 1 0.54 s,
# --jobs 2 0.60 s, on a 2-core machine that other work kept busy).
PARALLEL_THRESHOLD = 400
CHUNK = 64


def workers(jobs: int | None, items: int) -> int:
    """`--jobs N` as given; automatic (None or 0): one per usable core above the threshold."""
    if jobs is not None and jobs < 0:
        raise UsageError(f"--jobs must be 0 (automatic) or more, got {jobs}")
    if jobs:
        return jobs
    if items < PARALLEL_THRESHOLD:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, items // (PARALLEL_THRESHOLD // 2)))


def map_chunks(work: Callable[[Sequence[T]], list[R]], items: Sequence[T], jobs: int) -> Iterator[R]:
    """`work` over chunks of `items`, in `jobs` processes, yielding results in the order of `items`."""
    chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
    with batch_collector():
        if jobs <= 1 or len(chunks) <= 1 or not _can_fork():
            for chunk in chunks:
                yield from work(chunk)
            return
        import multiprocessing

        # fork: workers inherit the loaded modules and the parent's cwd, and start in milliseconds.
        # The parent takes every jobs-th chunk itself rather than wait: one fork fewer, and fewer
        # results pickled back (a worker costs CPU that one process would not spend).
        helpers = min(jobs, len(chunks)) - 1
        mine = range(0, len(chunks), helpers + 1)
        with multiprocessing.get_context("fork").Pool(helpers) as pool:
            theirs = pool.imap(work, [chunk for i, chunk in enumerate(chunks) if i % (helpers + 1)])
            for i, chunk in enumerate(chunks):
                yield from work(chunk) if i in mine else next(theirs)


# Each app allocates some 200,000 short-lived objects (YAML nodes, dicts, strings) and keeps none, so
# the collector's default of a pass per 700 allocations, each also walking the imported modules,
# costs about a tenth of a full-path check. The cycles an app does make are still collected.
_BATCH_THRESHOLD = (10_000, 50, 100)


@contextmanager
def batch_collector() -> Iterator[None]:
    """During a batch of apps: what is loaded so far (modules, templates, the model's validators)
    is frozen out of every collection, which also spares forked workers from copying the pages
    the collector would write to; and the collector runs less often. Restored afterwards."""
    if gc.get_freeze_count():  # a batch already running (or a caller's own freeze): leave it be
        yield
        return
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_BATCH_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()
