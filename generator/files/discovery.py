"""Which spec files a command works on."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import UsageError
from .paths import SPEC_NAME

_SKIP_DIRS = {"node_modules", "venv", "__pycache__", "site-packages"}


def find_specs(arguments: Sequence[str]) -> list[Path]:
    """Files as given; directories expand to every shipspec.yaml below them, sorted."""
    if not arguments:
        default = Path(SPEC_NAME)
        if not default.is_file():
            raise UsageError(f"no {SPEC_NAME} in this directory; pass a spec file or a directory of specs")
        return [default]
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            below = list(_walk(path))
            if not below:
                raise UsageError(f"{argument}: no {SPEC_NAME} in this directory or below it")
            found.extend(below)
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise UsageError(f"{argument}: not a regular file or a directory")
        else:
            raise UsageError(f"{argument}: no such file or directory")
    return list(dict.fromkeys(found))


def _walk(top: Path) -> Iterator[Path]:
    return _below(os.fspath(top))


def _below(folder: str) -> Iterator[Path]:
    # What os.walk visits (links to folders are not entered), with one scandir per folder and no stat:
    # an entry's type comes with the listing.
    spec, below = False, []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name == SPEC_NAME:
                    spec = entry.is_file()  # never block on a FIFO
                if entry.is_dir(follow_symlinks=False) and not name.startswith(".") and name not in _SKIP_DIRS:
                    below.append(name)
    except OSError:
        return
    if spec:
        yield Path(folder, SPEC_NAME)
    for name in sorted(below):
        yield from _below(os.path.join(folder, name))
