"""`shipspec import APP`: adopt what Argo CD already deploys (the core: files/importer.py)."""

from __future__ import annotations

from collections.abc import Sequence

from ..files.importer import import_app


def run(app: str, *, charts_dir: str | None = None, envs: Sequence[str] = (), output: str | None = None,
        force: bool = False) -> int:
    return import_app(app, charts_dir=charts_dir, envs=envs, output=output, force=force)
