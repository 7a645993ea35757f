"""Write generated files: only what changed, atomically, never over a file shipspec did not make."""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

from generator import header


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


def plan(path: Path, text: str) -> Change:
    try:
        old_bytes = path.read_bytes()
    except FileNotFoundError:
        return Change(path, text, None, Status.CREATED)
    old = old_bytes.decode("utf-8", errors="replace")
    status = Status.UNCHANGED if old_bytes == text.encode("utf-8") else Status.UPDATED
    return Change(path, text, old, status)


def diff(change: Change, shown: str) -> str:
    old = (change.old or "").splitlines(keepends=True)
    new = change.text.splitlines(keepends=True)
    before = f"a/{shown}" if change.old is not None else "/dev/null"
    lines = difflib.unified_diff(old, new, fromfile=before, tofile=f"b/{shown}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def write_atomic(path: Path, text: str) -> None:
    """Temp file in the same directory, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@cache
def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
