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
from pathlib import Path

from . import paths
from .discovery import _SKIP_DIRS
from .paths import SPEC_NAME

MARKER = ".shipspec-root"


def root_of(directory: Path) -> Path | None:
    """The repository root of a (resolved) folder, or None outside any repository."""
    root = root_folder(str(directory))
    if root is None:
        return None
    found = _ROOT_PATHS.get(root)
    if found is None:
        found = _ROOT_PATHS[root] = Path(root)
    return found


def members(root: Path) -> tuple[Path, ...]:
    """Every spec of the repository at `root`, by absolute path, sorted; nested repositories are theirs."""
    top = str(root)
    found = _MEMBERS.get(top)
    if found is None:
        specs: list[str] = []
        listing = paths.listing(top)
        if listing is not None:
            _collect(top, listing, specs)
        found = _MEMBERS[top] = tuple(sorted(Path(spec) for spec in specs))
    return found


def forget() -> None:
    """Drop what was learned about the tree (a command that writes a spec, e.g. init, calls this)."""
    _ROOTS.clear()
    _ROOT_PATHS.clear()
    _MEMBERS.clear()
    paths.forget()


def owns_pipeline(spec_path: Path | str, *, resolved: bool = False) -> bool:
    """Whether the spec renders a pipeline of its own: alone, at the root of its repository (or outside any)."""
    return _owns(os.path.dirname(str(spec_path) if resolved else paths.real_path(spec_path)))


def is_root(folder: str) -> bool:
    """Whether the real folder `folder` is the root of a repository."""
    return root_folder(folder) == folder


# Per run, by real path (see `paths.forget`): each folder's repository root, each root's specs.
_ROOTS: dict[str, str | None] = {}
_ROOT_PATHS: dict[str, Path] = {}  # each root as one Path: a monorepo's specs share it
_MEMBERS: dict[str, tuple[Path, ...]] = {}


def root_folder(folder: str) -> str | None:
    """`root_of` the real folder `folder`, as a string."""
    return paths.nearest(folder, _holds_root, _ROOTS)


def _holds_root(folder: str, listing: paths.Listing | None) -> bool:
    """`.git` (a repository, a worktree or a submodule) or the marker file: from the folder's listing
    when there is one, else two stat calls."""
    if listing is not None:
        return listing.exists(folder, ".git") or listing.is_file(folder, MARKER)
    return os.path.exists(os.path.join(folder, ".git")) or os.path.isfile(os.path.join(folder, MARKER))


def _collect(folder: str, listing: paths.Listing, specs: list[str]) -> None:
    # What os.walk would visit, one scandir per folder: a folder below is another repository when its
    # own listing shows `.git` or the marker, and is not entered then (links to folders never are).
    if listing.is_file(folder, SPEC_NAME):
        specs.append(os.path.join(folder, SPEC_NAME))
    for name in sorted(listing.folders):  # in order: the specs come out (almost) sorted
        if name.startswith(".") or name in _SKIP_DIRS:
            continue
        below = os.path.join(folder, name)
        inner = paths.listing(below)
        if inner is not None and not _holds_root(below, inner):  # one that cannot be listed holds no spec
            _collect(below, inner, specs)


def _owns(folder: str) -> bool:
    root = root_folder(folder)
    if root is None or root != folder:
        return root is None
    return len(members(Path(root))) <= 1


@dataclass(frozen=True)
class Repository:
    root: Path  # as the user names it: relative to the working directory when below it
    specs: tuple[Path, ...]  # resolved
    resolved: Path

    def relative(self, spec: Path) -> str:
        """A spec of the repository by its path from the root, POSIX style."""
        text, root = str(spec), str(self.resolved)
        if not text.startswith(root.rstrip(os.sep) + os.sep):
            return spec.relative_to(self.resolved).as_posix()  # not below the root: relative_to says so
        return paths.below(text, root)


def named(root: Path) -> Path:
    relative = os.path.relpath(root)
    return Path(relative) if relative != ".." and not relative.startswith("../") else root


def repositories(specs: Sequence[Path]) -> list[Repository]:
    """The repositories with a root pipeline that the named specs belong to, in the order first named."""
    found: dict[str, Repository] = {}
    for path in specs:
        folder = os.path.dirname(paths.real_path(path))
        if _owns(folder):
            continue
        root = root_folder(folder)
        assert root is not None
        if root not in found:
            resolved = Path(root)
            found[root] = Repository(named(resolved), members(resolved), resolved)
    return list(found.values())


def spec_sources(repository: Repository) -> list[tuple[str, bytes]] | None:
    """(path from the root, bytes) of every spec, for the root pipeline's digest; None when one is unreadable."""
    try:
        return [(repository.relative(spec), paths.read_file(spec)) for spec in repository.specs]
    except OSError:
        return None

