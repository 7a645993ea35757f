"""`shipspec generate [SPEC...]`: write what changed (the core: files/generate.py)."""

from __future__ import annotations

from collections.abc import Sequence

from ..files.generate import generate


def run(
    arguments: Sequence[str], *, dry_run: bool = False, force: bool = False, charts_dir: str | None = None,
    prune: bool = True, jobs: int | None = None,
) -> int:
    return generate(arguments, dry_run=dry_run, force=force, charts_dir=charts_dir, prune=prune, jobs=jobs)
