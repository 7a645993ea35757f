"""`shipspec rollback ENV --to TAG [--pr]`: release an older tag to ENV on purpose (the core: release/rollback.py)."""

from __future__ import annotations

from ..release.rollback import rollback


def run(env_name: str, tag: str, *, pr: bool, dry_run: bool, spec: str | None, app_repo: str | None,
        charts_url: str | None = None) -> int:
    return rollback(env_name, tag, pr=pr, dry_run=dry_run, spec=spec, app_repo=app_repo, charts_url=charts_url)
