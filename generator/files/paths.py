"""Spec paths as users and headers name them; no third-party imports, so
discovery and check's fast path stay cheap."""

from __future__ import annotations

import os
from functools import cache, lru_cache
from pathlib import Path

SPEC_NAME = "shipspec.yaml"


def display_path(path: Path) -> str:
    """The path as the user should read it: relative to the working directory when below it."""
    try:
        if path.is_absolute():
            return path.as_posix()
        normal = os.path.normpath(path)
        if normal != os.pardir and not normal.startswith(os.pardir + os.sep):
            return Path(normal).as_posix()  # what relpath gives for a path below the working directory, without getcwd
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:  # pragma: no cover - Windows drives
        return str(path)


def read_file(path: Path, limit: int | None = None) -> bytes:
    """A file's bytes (at most `limit` + 1 of them) in the fewest system calls: open, read to the end,
    close (`Path.read_bytes` adds an fstat, an ioctl and two lseeks per file; a buffered read of
    `limit` bytes maps a buffer that large). Raises OSError like `open`."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        chunks, size, want = [], 0, 1 << 16
        while limit is None or size <= limit:
            chunk = os.read(fd, want if limit is None else min(want, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size, want = size + len(chunk), min(want * 4, 1 << 24)
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def repo_relative(path: Path) -> str:
    """The spec's path relative to the root of its git repository, POSIX style."""
    resolved = _resolve(path)
    root = _git_root(resolved.parent)
    return resolved.relative_to(root).as_posix() if root is not None else resolved.name


def in_repository(path: Path, fallback_root: Path) -> str:
    """`path` relative to the root of its git repository (else `fallback_root`), POSIX style:
    what `git apply` run from that root expects in a diff."""
    resolved = path.resolve()
    root = _git_root(resolved.parent) or fallback_root.resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:  # outside both: the path as the user reads it
        return display_path(path)


def _resolve(path: Path) -> Path:
    """`path.resolve()`, with the folders above the spec's own resolved once per process (a
    monorepo's specs share them): an lstat of the spec and of its folder instead of every part."""
    absolute = os.path.abspath(path)
    if os.pardir in path.parts or os.path.islink(absolute):
        return path.resolve()  # `..` after a link is not lexical: the full resolution
    return Path(_real_folder(os.path.dirname(absolute)), os.path.basename(absolute))


@lru_cache(maxsize=1024)
def _real_folder(folder: str) -> str:
    parent = os.path.dirname(folder)
    if parent == folder or os.path.islink(folder):
        return os.path.realpath(folder)
    return os.path.join(_real_folder(parent), os.path.basename(folder))


@cache
def _git_root(directory: Path) -> Path | None:
    # Cached per directory: a monorepo's specs share every ancestor.
    if (directory / ".git").exists():
        return directory
    return _git_root(directory.parent) if directory.parent != directory else None


def git_root(directory: Path) -> Path | None:
    """The root of the git work tree holding `directory` (resolved), found without running git."""
    return _git_root(directory.resolve())
