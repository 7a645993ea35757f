"""Read a spec file from disk into a `LoadedSpec`: the one place a spec's bytes are read."""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidSpec, Problem
from ..spec.loader import MAX_BYTES, Document, parse_document
from ..spec.validation import LoadedSpec, validate
from .paths import display_path, read_file, repo_relative


def load(path: Path) -> LoadedSpec:
    """Read, parse and validate one spec file; raise InvalidSpec with every problem."""
    doc = load_document(path, display_path(path))
    return LoadedSpec(validate(doc), path, doc.raw, repo_relative(path))


def load_document(path: Path, shown: str) -> Document:
    """Read and parse one spec file; see `parse_document`."""
    try:
        raw = read_file(path, MAX_BYTES)
    except OSError as exc:
        raise InvalidSpec([Problem(shown, None, None, (), f"cannot read: {exc.strerror or exc}")]) from None
    return parse_document(raw, shown)
