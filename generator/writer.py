"""Write generated files: only what changed, atomically, never over a file shipspec did not make."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

from . import header
from .errors import UsageError
from .paths import display_path


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

    @property
    def foreign(self) -> bool:
        """An existing file without the shipspec header: generate refuses it without --force."""
        return self.old is not None and not header.is_generated(self.old)


def read_existing(path: Path) -> bytes | None:
    """A target's current bytes, None when it does not exist; any other failure is the user's to fix."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"cannot read {display_path(path)}: {exc.strerror or exc}") from None


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
    """Write every change or none: all temp files first, then the renames.

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


def _stage(path: Path, text: str) -> str:
    """A fsynced temp file next to `path` holding `text`, with `path`'s mode."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    import tempfile  # only when something is written: it pulls in shutil, random, bz2, lzma

    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
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
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@cache
def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
