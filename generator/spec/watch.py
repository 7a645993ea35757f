"""An app's inputs in its repository (SPEC "Monorepos"): its folder, its Dockerfile and its `watch`
globs, as patterns relative to the repository root, and whether a changed path matches them.

Pure: it works on the spec's path inside its repository (`LoadedSpec.repo_path`), never on disk.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .model import Spec
from .rules import Finding

LEAVES = "leaves the git repository"


def in_repository(repo_path: str, relative: str) -> str | None:
    """`relative` (to the spec's folder) as a path from the repository root; None when it climbs out."""
    folder = posixpath.dirname(repo_path)
    joined = posixpath.normpath(posixpath.join(folder, relative)) if folder else posixpath.normpath(relative)
    if joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined


def findings(spec: Spec, repo_path: str) -> list[Finding]:
    """The `watch` globs that climb out of the repository (repo_path: the spec's path inside it)."""
    return [
        Finding(("watch", index), f"{glob!r} {LEAVES} (from {repo_path})")
        for index, glob in enumerate(spec.watch)
        if in_repository(repo_path, glob) is None
    ]


@dataclass(frozen=True)
class Inputs:
    """What an app is built from, relative to the repository root: a folder, files and globs."""

    folder: str  # "" for the repository root: every path
    patterns: tuple[str, ...]  # the Dockerfile and the watch globs

    def touched_by(self, paths: Iterable[str]) -> bool:
        # A monorepo's apps mostly share their globs: each is compiled once per process, and a plain path
        # (a Dockerfile, a folder) is compared without a regex.
        plain = [p for p in self.patterns if not _WILDCARD.search(p)]
        globs = [_compiled(p) for p in self.patterns if _WILDCARD.search(p)]
        prefixes = tuple(f"{p}/" for p in [self.folder, *plain] if p)
        for path in paths:
            if not self.folder or path in plain or path.startswith(prefixes):
                return True
            if any(glob.fullmatch(path) for glob in globs):
                return True
        return False


def inputs(spec: Spec, repo_path: str) -> Inputs:
    """The app's inputs; a Dockerfile or glob that climbs out (refused by validation) is left out."""
    folder = posixpath.dirname(repo_path)
    patterns = [in_repository(repo_path, spec.image.dockerfile), *(in_repository(repo_path, g) for g in spec.watch)]
    return Inputs(folder, tuple(p for p in patterns if p is not None))


_WILDCARD = re.compile(r"[*?\[]")


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(_glob(pattern))


def _glob(pattern: str) -> str:
    """A glob as a regex over repository paths: `**` any folders, `*` and `?` within one name,
    `[...]` a class; a pattern also covers everything below what it names (a folder)."""
    if not pattern:
        return ".*"
    parts = []
    for index, segment in enumerate(pattern.split("/")):
        last = index == len(pattern.split("/")) - 1
        if segment == "**":
            parts.append("(?:[^/]+/)*" if not last else ".*")
            continue
        parts.append(_segment(segment) + ("" if last else "/"))
    return "".join(parts) + "(?:/.*)?"


def _segment(segment: str) -> str:
    out, index = [], 0
    while index < len(segment):
        char = segment[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", index + 2)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = segment[index + 1:end]
                negate = body[:1] in ("!", "^")
                body = body[1:] if negate else body
                out.append(f"[{'^' if negate else ''}{body.replace(chr(92), chr(92) * 2)}]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)
