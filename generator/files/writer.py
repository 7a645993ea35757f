"""Write generated files: only what changed, atomically, never over a file shipspec did not make."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

from ..errors import UsageError
from ..render import header
from .paths import display_path, read_file


class Status(str, Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Change:
    path: Path
    text: str
    old: str | None  # None: the file does not exist
    status: Status
    adopted: bool = False  # foreign, but it means what the spec renders (files/adoption.py)

    @property
    def foreign(self) -> bool:
        """An existing file without the shipspec header that generate does not adopt: refused without --force."""
        return self.old is not None and not self.adopted and not header.is_generated(self.old)


def read_existing(path: Path | str) -> bytes | None:
    """A target's current bytes, None when it does not exist; any other failure is the user's to fix."""
    try:
        return read_file(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"cannot read {display_path(Path(path))}: {exc.strerror or exc}") from None


def plan(path: Path, text: str) -> Change:
    old_bytes = read_existing(path)
    if old_bytes is None:
        return Change(path, text, None, Status.CREATED)
    old = old_bytes.decode("utf-8", errors="replace")
    status = Status.UNCHANGED if old_bytes == text.encode("utf-8") else Status.UPDATED
    return Change(path, text, old, status)


def diff(change: Change, shown: str) -> str:
    old = (change.old or "").splitlines(keepends=True)
    new = change.text.splitlines(keepends=True)
    before = f"a/{shown}" if change.old is not None else "/dev/null"
    import difflib  # only when something differs

    lines = difflib.unified_diff(old, new, fromfile=before, tofile=f"b/{shown}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def write_all(changes: Sequence[Change]) -> None:
    """Write every change or none: all temp files first, made durable together, then the renames.

    A failure while staging (disk full, unwritable folder) changes nothing; a
    failure between renames (rare: the folder changed under us) puts back the
    files already replaced. Every file is always either its old or its new text,
    and no temp file or new empty folder is left behind. Raises UsageError.
    """
    staged: list[tuple[Change, str]] = []
    created: list[Path] = []
    done: list[Change] = []
    current = Path()
    try:
        for change in changes:
            current = change.path
            created += _make_parents(change.path.parent)
            staged.append((change, _stage(change.path, change.text)))
        _flush([temp for _, temp in staged])
        for change, temp in staged:
            current = change.path
            os.replace(temp, change.path)
            done.append(change)
    except BaseException as exc:
        left = _undo(staged, done, created)
        if not isinstance(exc, OSError):
            raise
        outcome = "nothing was changed" if not left else f"could not restore {', '.join(map(str, left))}"
        raise UsageError(f"cannot write {current}: {exc.strerror or exc}; {outcome}") from None


def _undo(staged: Sequence[tuple[Change, str]], done: Sequence[Change], created: Sequence[Path]) -> list[Path]:
    """Remove temp files, put back replaced files, remove new folders; the files it could not restore."""
    left: list[Path] = []
    for _, temp in staged:
        Path(temp).unlink(missing_ok=True)
    for change in reversed(done):
        try:
            if change.old is None:
                change.path.unlink(missing_ok=True)
            else:
                write_atomic(change.path, change.old)
        except OSError:  # the error being raised is the one to report; name what is left
            left.append(change.path)
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            pass
    return left


def _make_parents(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; return the ones created, outermost first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()][::-1]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


# How `_stage` names its temp files: `.<name>.<tempfile's 8 random characters>.tmp`.
_STAGED = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def is_staged(name: str) -> bool:
    """A temp file that a `generate` (this one or one running beside it) is about to rename into place."""
    return _STAGED.fullmatch(name) is not None


def _stage(path: Path, text: str) -> str:
    """A temp file next to `path` holding `text`, with `path`'s mode; `_flush` makes it durable."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    import tempfile  # only when something is written: it pulls in shutil, random, bz2, lzma

    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        os.chmod(temp, mode)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return temp


def write_atomic(path: Path, text: str) -> None:
    """Temp file in the same directory, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _stage(path, text)
    try:
        _fsync_file(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _flush(temps: Sequence[str]) -> None:
    """Make every staged temp file durable before any rename: one syncfs(2) per filesystem on Linux.

    sync(2), Linux man-pages 6.8: "Linux waits for I/O completions, and thus sync() or syncfs()
    provide the same guarantees as fsync() called on every file in the system or filesystem
    respectively" -- one call instead of one fsync per file (a fresh generate of 1,000 apps
    writes ~5,000 files). Elsewhere, or without syncfs in libc, each file is fsynced.
    """
    syncfs = _syncfs()
    if syncfs is None:
        for temp in temps:
            _fsync_file(temp)
        return
    devices = {os.stat(temp).st_dev: temp for temp in temps}  # one file per filesystem to name it
    for temp in devices.values():
        fd = os.open(temp, os.O_RDONLY)
        try:
            if syncfs(fd) != 0:
                import ctypes

                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code), temp)
        finally:
            os.close(fd)


def _fsync_file(temp: str) -> None:
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@cache
def _syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only when something is written

    try:
        return ctypes.CDLL(None, use_errno=True).syncfs  # glibc >= 2.14, musl
    except (OSError, AttributeError):
        return None


@cache
def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
