"""The root pipeline both floors write: one file at the repository root (the nearest folder holding
.git, else the working directory, where the benchmarks run the floors) listing every spec, with a
digest of their bytes: the least a root pipeline that must stay in sync with every spec has to do,
as shipspec renders a monorepo's since 1.2."""

from __future__ import annotations

import hashlib
from pathlib import Path


def root_pipeline(specs: list[Path], write: bool) -> bool:
    """Write (or, without `write`, compare) the root pipeline; whether it differed."""
    if not specs:
        return False
    root = _repository_root(specs[0].resolve().parent)
    digest = hashlib.sha256(b"".join(spec.read_bytes() for spec in specs)).hexdigest()
    listing = "".join(f"# {spec.resolve().relative_to(root).as_posix()}\n" for spec in specs)
    text = f"# Generated; specs digest {digest}\n{listing}language: minimal\n"
    path = root / ".travis.yml"
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    if write:
        path.write_text(text, encoding="utf-8")
    return True


def _repository_root(folder: Path) -> Path:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()
