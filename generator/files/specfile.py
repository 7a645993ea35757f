"""Read a spec file from disk into a `LoadedSpec`: the one place a spec's bytes are read."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InvalidSpec, Problem
from ..spec.loader import MAX_BYTES, Document, parse_document
from ..spec import watch
from ..spec.validation import LoadedSpec, validate
from . import monorepo
from .paths import below, display_path, read_file, real_path, repo_relative


def load(path: Path) -> LoadedSpec:
    """Read, parse and validate one spec file; raise InvalidSpec with every problem."""
    shown = display_path(path)
    doc = parse_document(_read(path, shown), shown)
    spec, real = validate(doc), real_path(path)
    # Rules that need to know where the spec lives in its repository (still pure: spec/watch).
    folder = os.path.dirname(real)
    root = monorepo.root_folder(folder)  # outside any repository, no glob can leave one
    inside = f"{below(folder, root)}/{path.name}".lstrip("/") if root is not None else None
    problems = [doc.problem(f.loc, f.message) for f in watch.findings(spec, inside)] if inside else []
    if problems:
        raise InvalidSpec(problems)
    return LoadedSpec(spec, path, doc.raw, repo_relative(real), monorepo.owns_pipeline(real, resolved=True), inside)


def load_document(path: Path, shown: str) -> Document:
    """Read and parse one spec file; see `parse_document`."""
    return parse_document(_read(path, shown), shown)


def _read(path: Path, shown: str) -> bytes:
    try:
        return read_file(path, MAX_BYTES)
    except OSError as exc:
        raise InvalidSpec([Problem(shown, None, None, (), f"cannot read: {exc.strerror or exc}")]) from None
