"""Which repository a spec belongs to, and the specs of that repository: the disk side of the root
pipeline (render/monorepo.py is the pure side).

A repository's root is the nearest folder at or above the spec's that holds `.git` (a repository, a
worktree or a submodule) or a `.shipspec-root` file. The marker makes a folder stand for a repository
of its own inside another one: the bundled samples, which live in shipspec's own repository, and
test fixtures. A spec at the root of a repository that holds no other spec renders its own pipeline,
as before monorepos; every other spec is an app of its repository's root pipeline.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .discovery import _SKIP_DIRS
from .paths import SPEC_NAME

MARKER = ".shipspec-root"


@cache
def root_of(directory: Path) -> Path | None:
    """The repository root of a (resolved) folder, or None outside any repository."""
    if (directory / ".git").exists() or (directory / MARKER).is_file():
        return directory
    return root_of(directory.parent) if directory.parent != directory else None


@cache
def members(root: Path) -> tuple[Path, ...]:
    """Every spec of the repository at `root`, by absolute path, sorted; nested repositories are theirs."""
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d for d in dirs
            if not d.startswith(".") and d not in _SKIP_DIRS
            and not (here / d / ".git").exists() and not (here / d / MARKER).is_file()
        )
        if SPEC_NAME in files and (here / SPEC_NAME).is_file():
            found.append(here / SPEC_NAME)
    return tuple(sorted(found))


def forget() -> None:
    """Drop what was learned about the tree (a command that writes a spec, e.g. init, calls this)."""
    root_of.cache_clear()
    members.cache_clear()


def owns_pipeline(spec_path: Path, *, resolved: bool = False) -> bool:
    """Whether the spec renders a pipeline of its own: alone, at the root of its repository (or outside any)."""
    folder = (spec_path if resolved else spec_path.resolve()).parent
    root = root_of(folder)
    if root is None or root != folder:
        return root is None
    return len(members(root)) <= 1


@dataclass(frozen=True)
class Repository:
    root: Path  # as the user names it: relative to the working directory when below it
    specs: tuple[Path, ...]  # resolved
    resolved: Path

    def relative(self, spec: Path) -> str:
        return spec.relative_to(self.resolved).as_posix()


def named(root: Path) -> Path:
    relative = os.path.relpath(root)
    return Path(relative) if relative != ".." and not relative.startswith("../") else root


def repositories(paths: Sequence[Path]) -> list[Repository]:
    """The repositories with a root pipeline that the named specs belong to, in the order first named."""
    found: dict[Path, Repository] = {}
    for path in paths:
        if owns_pipeline(path):
            continue
        root = root_of(path.resolve().parent)
        assert root is not None
        if root not in found:
            found[root] = Repository(named(root), members(root), root)
    return list(found.values())


def spec_sources(repository: Repository) -> list[tuple[str, bytes]] | None:
    """(path from the root, bytes) of every spec, for the root pipeline's digest; None when one is unreadable."""
    try:
        return [(repository.relative(spec), spec.read_bytes()) for spec in repository.specs]
    except OSError:
        return None

