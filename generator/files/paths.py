"""Spec paths as users and headers name them; no third-party imports, so
discovery and check's fast path stay cheap."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

SPEC_NAME = "shipspec.yaml"


def display_path(path: Path) -> str:
    """The path as the user should read it: relative to the working directory when below it."""
    try:
        return Path(os.path.relpath(path)).as_posix() if not path.is_absolute() else path.as_posix()
    except ValueError:  # pragma: no cover - Windows drives
        return str(path)


def repo_relative(path: Path) -> str:
    """The spec's path relative to the root of its git repository, POSIX style."""
    resolved = path.resolve()
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


@cache
def _git_root(directory: Path) -> Path | None:
    # Cached per directory: a monorepo's specs share every ancestor.
    if (directory / ".git").exists():
        return directory
    return _git_root(directory.parent) if directory.parent != directory else None


def git_root(directory: Path) -> Path | None:
    """The root of the git work tree holding `directory` (resolved), found without running git."""
    return _git_root(directory.resolve())
