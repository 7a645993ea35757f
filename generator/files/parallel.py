"""Order-preserving fan-out of per-app work over forked worker processes."""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import NoReturn, TypeVar

from ..errors import UsageError

T = TypeVar("T")
R = TypeVar("R")

# The digest fast path costs ~0.4 ms per app and a fork some tens of ms, so
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
        stride = min(jobs, len(chunks))
        if stride <= 1 or not hasattr(os, "fork"):
            for chunk in chunks:
                yield from work(chunk)
            return
        # The parent takes every jobs-th chunk itself rather than wait: one fork fewer, and fewer
        # results pickled back. Bare forks and pipes rather than a multiprocessing pool: no threads
        # in the parent taking the GIL from its share, no ~30 ms of imports (a worker must not cost
        # CPU that one process would not spend).
        with _Workers(work, chunks, stride) as workers:
            for i, chunk in enumerate(chunks):
                if i % stride:
                    yield from workers.result(i % stride - 1)
                else:
                    yield from work(chunk)
                    workers.drain()


_LENGTH = struct.Struct("<Q")


class _Workers:
    """`stride - 1` forked workers: worker k does chunks k + 1, k + 1 + stride, ... in order and writes
    each result to its own pipe, pickled and framed by its length. The parent drains the pipes between
    its own chunks, so that a worker seldom waits for room."""

    def __init__(self, work: Callable[[Sequence[T]], list[R]], chunks: list[Sequence[T]], stride: int) -> None:
        self.pids: list[int] = []
        self.pipes: list[int] = []
        self.owed: list[int] = []  # results each worker still owes
        self.buffers: list[bytearray] = []
        try:
            for k in range(1, stride):
                read, write = os.pipe()
                _widen(write)
                pid = os.fork()
                if pid == 0:  # the worker
                    os.close(read)
                    _serve(work, chunks[k::stride], write)  # never returns
                os.close(write)
                os.set_blocking(read, False)
                self.pids.append(pid)
                self.pipes.append(read)
                self.owed.append(len(chunks[k::stride]))
                self.buffers.append(bytearray())
        except BaseException:
            self.__exit__()
            raise

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        """Reap every worker; one whose results will not be read (the caller stopped or failed) is killed."""
        for read in self.pipes:
            os.close(read)
        for pid, owed in zip(self.pids, self.owed):
            if owed:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)

    def result(self, k: int) -> list:
        """Worker k's next result, read whole; its exception raised here, in order."""
        buffer = self.buffers[k]
        while len(buffer) < _LENGTH.size or len(buffer) < _LENGTH.size + _LENGTH.unpack_from(buffer)[0]:
            if not self._read(k, block=True):
                raise RuntimeError(f"a --jobs worker (pid {self.pids[k]}) ended before sending its results")
        end = _LENGTH.size + _LENGTH.unpack_from(buffer)[0]
        ok, value = pickle.loads(memoryview(buffer)[_LENGTH.size:end])
        del buffer[:end]
        self.owed[k] = self.owed[k] - 1 if ok else 0  # a worker stops at its first exception
        if not ok:
            raise value
        return value

    def drain(self) -> None:
        """Whatever the pipes hold now, without waiting."""
        for k in range(len(self.pipes)):
            while self._read(k, block=False):
                pass

    def _read(self, k: int, *, block: bool) -> bool:
        """One read of worker k's pipe into its buffer (`block`: waiting for data); False at the pipe's
        end or, not blocking, when it holds nothing now."""
        while True:
            try:
                data = os.read(self.pipes[k], 1 << 20)
            except BlockingIOError:
                if not block:
                    return False
                select.select([self.pipes[k]], [], [])
                continue
            self.buffers[k] += data
            return bool(data)


def _serve(work: Callable[[Sequence[T]], list[R]], chunks: Sequence[Sequence[T]], write: int) -> NoReturn:
    """A forked worker: each chunk's result (or its exception, then stop) down the pipe; then exit at
    once, without the parent's cleanup (its buffered output, its context managers)."""
    try:
        for chunk in chunks:
            try:
                result = pickle.dumps((True, work(chunk)), pickle.HIGHEST_PROTOCOL)
            except BaseException as error:  # raised again in the parent, in its place
                _write_all(write, _pickled_failure(error))
                break
            _write_all(write, result)
    finally:
        os._exit(0)


def _pickled_failure(error: BaseException) -> bytes:
    try:
        return pickle.dumps((False, error), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle: its text
        return pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")), pickle.HIGHEST_PROTOCOL)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(_LENGTH.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view):]


def _widen(fd: int) -> None:
    """A pipe of 1 MiB (Linux's default limit) rather than 64 KiB: room for a few chunks' results."""
    with suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


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
