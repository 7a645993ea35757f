"""`shipspec promote ENV --tag TAG [--pr]`: the release step of the pipeline (the core: release/promote.py)."""

from __future__ import annotations

from ..release.promote import promote


def run(env_name: str, tag: str, *, pr: bool, dry_run: bool, spec: str | None, app_repo: str | None,
        charts_url: str | None = None) -> int:
    return promote(env_name, tag, pr=pr, dry_run=dry_run, spec=spec, app_repo=app_repo, charts_url=charts_url)
