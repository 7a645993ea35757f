"""`shipspec rollback ENV --to TAG [--pr]`: release an older tag to ENV on purpose.

The files are rendered from the spec as it was at the commit TAG names, so
the configuration rolls back with the image, and they go through promote's
machinery (credentials, safe push with retry, production only through a pull
request). TAG must have run in ENV before: the charts branch's history of the
environment's overlay says which tags did.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import EXIT_OK, UsageError
from ..files.paths import SPEC_NAME
from ..files.specfile import load
from ..output import out
from ..spec import valuepaths
from ..spec.loader import parse_document
from ..spec.validation import LoadedSpec, validate
from . import git, tagedit
from .promote import Release, app_repository, prepare, publish

HISTORY_LIMIT = 500  # overlay versions searched for the tags an environment ran


def rollback(env_name: str, tag: str, *, pr: bool, dry_run: bool, spec: str | None, app_repo: str | None,
        charts_url: str | None = None) -> int:
    path = Path(spec or SPEC_NAME)
    if not path.is_file():
        raise UsageError(f"{path}: no such spec file; run rollback next to {SPEC_NAME} or pass --spec")
    now = load(path)
    pinned = now.spec.environment(env_name)
    if pinned is not None and pinned.pin is not None:
        out(f"{env_name} is pinned to {pinned.pin} in the spec: not rolling back (the pin already freezes it)")
        return EXIT_OK
    then = spec_at(app_repository(app_repo, path), tag, path, now)
    release = prepare(env_name, tag, pr=pr, dry_run=dry_run, spec=str(path), app_repo=app_repo,
                       charts_url=charts_url, loaded=then)
    release.kind = "rollback"
    return publish(release, history=True, before=lambda clone: _require_ran(release, clone))


def spec_at(repo: git.Repo | None, tag: str, path: Path, now: LoadedSpec) -> LoadedSpec:
    """The spec as it was at the commit `tag` names in the app repo."""
    if repo is None:
        raise UsageError("rollback renders the spec as it was at TAG's commit: run it inside the app's git "
                         "repository or pass --app-repo")
    commit = repo.resolve(tag)
    if commit is None:
        raise UsageError(f"--to {tag}: not a commit of the app repo {repo.path} (a shallow clone? fetch its history)")
    inside = Path(os.path.relpath(path.resolve(), repo.path.resolve())).as_posix()
    raw = repo.show_file(commit, inside)
    if raw is None:
        raise UsageError(f"--to {tag}: the app repo has no {inside} at that commit")
    shown = f"{tag}:{inside}"
    return LoadedSpec(validate(parse_document(raw.encode("utf-8"), shown)), path, raw.encode("utf-8"), now.repo_path, now.own_pipeline)


def tags_that_ran(clone: git.Repo, values_path: str, where: valuepaths.TagPath) -> list[str]:
    """Every tag the overlay held (at value path `where`) on the charts branch, newest first."""
    commits = clone.output("log", "--first-parent", f"--max-count={HISTORY_LIMIT}", "--format=%H", "--",
                           values_path).split()
    seen: list[str] = []
    for commit in commits:
        tag = tagedit.current_tag(clone.show_file(commit, values_path), f"{commit[:7]}:{values_path}", where)
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def _require_ran(release: Release, clone: git.Repo) -> None:
    ran = tags_that_ran(clone, release.values_path, valuepaths.tag_path(release.loaded.spec.image))
    if release.tag not in ran:
        listing = ", ".join(ran) if ran else "none yet"
        raise UsageError(f"--to {release.tag}: never ran in {release.env.name} (tags that did, newest first: "
                         f"{listing})")
