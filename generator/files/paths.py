"""Spec paths as users and headers name them; no third-party imports, so
discovery and check's fast path stay cheap."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

SPEC_NAME = "shipspec.yaml"


def display_path(path: Path) -> str:
    """The path as the user should read it: relative to the working directory when below it."""
    try:
        if path.is_absolute():
            return path.as_posix()
        normal = os.path.normpath(path)
        if normal != os.pardir and not normal.startswith(os.pardir + os.sep):
            # what relpath gives for a path below the working directory, without getcwd (or a new Path)
            return normal if os.sep == "/" else Path(normal).as_posix()
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:  # pragma: no cover - Windows drives
        return str(path)


_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def read_file(path: Path | str, limit: int | None = None) -> bytes:
    """A file's bytes (at most `limit` + 1 of them) in the fewest system calls: open, read to the end,
    close (`Path.read_bytes` adds an fstat, an ioctl and two lseeks per file; a buffered read of
    `limit` bytes maps a buffer that large). Raises OSError like `open`."""
    fd = os.open(path, _READ)
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


def below(folder: str, root: str) -> str:
    """The real folder `folder` relative to `root`, a folder at or above it, POSIX style ("" for the root)."""
    return folder[len(root):].lstrip(os.sep).replace(os.sep, "/")


def repo_relative(path: Path | str) -> str:
    """The spec's path relative to the root of its git repository, POSIX style."""
    resolved = real_path(path)
    folder, name = os.path.split(resolved)
    root = _git_root(folder)
    return below(resolved, root) if root is not None else name


def in_repository(path: Path, fallback_root: Path) -> str:
    """`path` relative to the root of its git repository (else `fallback_root`), POSIX style:
    what `git apply` run from that root expects in a diff."""
    resolved = path.resolve()
    root = _git_root_of(resolved.parent) or fallback_root.resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:  # outside both: the path as the user reads it
        return display_path(path)


def git_root(directory: Path) -> Path | None:
    """The root of the git work tree holding `directory` (resolved), found without running git."""
    return _git_root_of(directory.resolve())


def _git_root_of(directory: Path) -> Path | None:
    root = _git_root(str(directory))
    return Path(root) if root is not None else None


# What a run learns about the tree, each asked of the disk once per run: the real path of every path
# it resolves (a folder's is its parent's plus its name unless it is a symbolic link: one lstat per new
# folder) and the listing of every folder it lists. Check and generate start by dropping it
# (`monorepo.forget`, `fastcheck.forget_listings`); nothing here changes the working directory.
_REAL: dict[str, str] = {}
_GIT_ROOTS: dict[str, str | None] = {}
_RUN_REAL: dict[str, tuple[str, str]] = {}
_LINK_FREE: dict[tuple[str, str], str | None] = {}
_BELOW: dict[tuple[str, str], str] = {}
_LISTINGS: dict[str, Listing | None] = {}
_SHARED: dict[Listing, Listing] = {}  # equal listings stored once: most app folders hold the same names
# A folder of many entries (the apps, the charts, the Applications) is kept by its links alone: a run
# asks it little else, and its names would make the run's memory grow with the number of apps.
_LINKS_IN: dict[str, frozenset[str]] = {}
_WHOLE = 128


def forget() -> None:
    """Drop what this run learned about the tree."""
    for known in (_REAL, _GIT_ROOTS, _RUN_REAL, _LINK_FREE, _BELOW, _LISTINGS, _SHARED, _LINKS_IN):
        known.clear()


def real_path(path: str | os.PathLike[str]) -> str:
    """`os.path.realpath(path)`, asking the disk only about the parts this run has not met yet."""
    text = os.fspath(path)
    if not os.path.isabs(text):
        text = os.path.join(os.getcwd(), text)
    cut = text.find(os.sep + "..")
    if cut < 0:
        return _real(os.path.normpath(text))
    real = _real(os.path.normpath(text[:cut] or os.sep))
    for part in text[cut:].split(os.sep):  # `..` after a link is not lexical: part by part, as realpath does
        if part == "..":
            real = os.path.dirname(real)
        elif part and part != ".":
            real = _real(os.path.join(real, part))
    return real


def real_below(folder: str, relative: str) -> str:
    """`real_path` of `relative` below the real folder `folder`, kept for the run (apps share folders)."""
    key = (folder, relative)
    real = _BELOW.get(key)
    if real is None:
        if len(_BELOW) >= 64:  # an app's own folders are asked about together; shared ones again and again
            _BELOW.clear()
        path = os.path.join(folder, relative)
        real = _BELOW[key] = real_path(path) if ".." in relative else _real(os.path.normpath(path))
    return real


def resolve(path: Path) -> Path:
    """`path.resolve()` for a path whose parts are no link loop (each part asked once per run)."""
    return Path(real_path(path))


def _real(path: str) -> str:
    """The real path of an absolute, normal `path`."""
    real = _REAL.get(path)
    if real is None:
        folder, name = os.path.split(path)
        if not name or folder == path:
            real = os.path.realpath(path)  # the root of the file system
        else:
            parent = _real(folder)
            if is_link(parent, name):
                real = os.path.realpath(path)
            else:
                real = path if parent == folder else os.path.join(parent, name)  # one string when they agree
        _REAL[path] = real
    return real


def run_real_path(path: str) -> str:
    """`real_path`, kept by the path's text (with the working directory it was read from): a run's
    apps name the same few folders over and over."""
    cwd = os.getcwd()
    known = _RUN_REAL.get(path)
    if known is not None and known[0] == cwd:
        return known[1]
    if len(_RUN_REAL) >= 64:  # an app's folders are asked about together: a few are enough
        _RUN_REAL.clear()
    real = real_path(os.path.join(cwd, path))
    _RUN_REAL[path] = (cwd, real)
    return real


def link_free(root: str, relative: str) -> str | None:
    """The real path of the folder `relative` below `root` (as the run names it: see `run_real_path`)
    when no folder on the way below `root` is a symbolic link; None when one is."""
    return _link_free(run_real_path(root), relative) if relative else run_real_path(root)


def _link_free(folder: str, relative: str) -> str | None:
    key = (folder, relative)
    try:
        return _LINK_FREE[key]
    except KeyError:
        pass
    head, _, name = relative.rpartition("/")
    above = _link_free(folder, head) if head else folder
    found = None if above is None or is_link(above, name) else os.path.join(above, name)
    if len(_LINK_FREE) >= 64:  # apps share a few folders (charts/, argocd/) and ask for their own together
        _LINK_FREE.clear()
    _LINK_FREE[key] = found
    return found


def is_link(folder: str, name: str, *, listed: bool = False) -> bool:
    """Whether `name` in the folder at real path `folder` is a symbolic link: from the folder's
    listing when this run has it (`listed`: list it now if not), else one lstat."""
    known = _LISTINGS.get(folder)
    if known is None:
        links = _LINKS_IN.get(folder)
        if links is not None:
            return name in links
        known = listing(folder) if listed else None
    return name in known.links if known is not None else os.path.islink(os.path.join(folder, name))


def present(folder: str, relative: str) -> bool:
    """False when the run's listings show nothing at `relative` below the real folder `folder` (opening
    it would fail); True when something may be there: an entry, a link on the way, an unlistable folder."""
    known = listing(folder)
    if known is None:
        return True
    head, below, rest = relative.partition("/")
    if not below:
        return known.has(relative)
    if head in known.links:
        return True
    return head in known.folders and present(os.path.join(folder, head), rest)


def known_listing(folder: str) -> Listing | None:
    """The folder's listing if this run has taken it (see `listing`); None otherwise."""
    return _LISTINGS.get(folder)


class Listing(tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]):
    """A folder's entries by kind, as `os.scandir` tells them without a stat of each: regular files,
    folders (not links to one), symbolic links (whatever they point to), others (FIFOs, sockets...)."""

    __slots__ = ()

    @property
    def files(self) -> frozenset[str]:
        return self[0]

    @property
    def folders(self) -> frozenset[str]:
        return self[1]

    @property
    def links(self) -> frozenset[str]:
        return self[2]

    def has(self, name: str) -> bool:
        """Whether the folder holds an entry `name`, of any kind."""
        return name in self[0] or name in self[1] or name in self[2] or name in self[3]

    def is_file(self, folder: str, name: str) -> bool:
        """`os.path.isfile` of `name` in this folder (a link is followed)."""
        return name in self[0] or (name in self[2] and os.path.isfile(os.path.join(folder, name)))

    def exists(self, folder: str, name: str) -> bool:
        """`os.path.exists` of `name` in this folder (a link is followed)."""
        if name in self[2]:
            return os.path.exists(os.path.join(folder, name))
        return name in self[0] or name in self[1] or name in self[3]


_NONE: frozenset[str] = frozenset()


def listing(folder: str) -> Listing | None:
    """The entries of the folder at real path `folder`, listed once per run (one of many entries: its
    links kept, listed again when asked again); None when it cannot be listed."""
    try:
        return _LISTINGS[folder]
    except KeyError:
        pass
    kinds: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])
    files, folders, links, others = kinds
    try:
        with os.scandir(folder) as entries:
            for entry in entries:  # the type comes with the entry: no stat but for an unknown one
                if entry.is_file(follow_symlinks=False):
                    files.append(entry.name)
                elif entry.is_dir(follow_symlinks=False):
                    folders.append(entry.name)
                else:
                    (links if entry.is_symlink() else others).append(entry.name)
    except OSError:
        found = None
    else:
        found = Listing(frozenset(names) if names else _NONE for names in kinds)
        if len(files) + len(folders) + len(links) + len(others) > _WHOLE:
            _LINKS_IN[folder] = found.links
            return found
        found = _SHARED.setdefault(found, found)
    _LISTINGS[folder] = found
    return found


def nearest(folder: str, holds: Callable[[str, Listing | None], bool], found: dict[str, str | None]) -> str | None:
    """The nearest folder at or above the real folder `folder` for which `holds(folder, its listing or
    None)` is true; each answer kept in `found` (per run), except for a folder whose listing is kept:
    the listing answers again."""
    try:
        return found[folder]
    except KeyError:
        pass
    parent = os.path.dirname(folder)
    known = _LISTINGS.get(folder)
    here = holds(folder, known)
    above = None if here or parent == folder else nearest(parent, holds, found)
    if known is not None and not here:
        return above
    found[folder] = root = folder if here else above
    return root


def _git_root(directory: str) -> str | None:
    """The nearest folder at or above the real folder `directory` that holds `.git`."""
    return nearest(directory, _holds_git, _GIT_ROOTS)


def _holds_git(folder: str, listing: Listing | None) -> bool:
    return listing.exists(folder, ".git") if listing is not None else os.path.exists(os.path.join(folder, ".git"))
