"""`shipspec promote ENV --tag TAG [--pr]`: the release step of the pipeline.

Each attempt starts from the charts branch as it is now on the remote,
re-applies the one edit (the environment's image tag, plus its Application
manifest when missing) and pushes without force. A rejected push means
another release landed first: fetch, re-apply on top, retry with jittered
backoff. Because the edit is re-rendered rather than rebased, a concurrent
change to the same line can never conflict, and the order check runs again
against whatever the other release wrote.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from generator import git, names, tagedit, valuepaths
from generator.release_notes import pull_request_body
from generator.errors import EXIT_OK, OperationFailed, UsageError
from generator.github import GitHub, repository_of
from generator.model import Environment
from generator.output import err, out
from generator.redact import redact
from generator.spec import SPEC_NAME, LoadedSpec, load

ATTEMPTS = 8
BACKOFF_SECONDS = 0.1  # retry n waits up to 0.1 * 2**n s, capped at BACKOFF_CAP
BACKOFF_CAP = 5.0
DEFAULT_IDENTITY = {"user.name": "shipspec", "user.email": "shipspec@localhost"}
_PINNED_COMMENT = "  # pinned by "  # render's comment on a pinned tag; a free tag drops it


@dataclass
class Release:
    """One promote request, validated, and what it learned about tag order."""

    loaded: LoadedSpec
    env: Environment
    tag: str
    app_repo: git.Repo | None
    dry_run: bool
    charts_url: str  # charts.repo, or the --charts-url that carries CI credentials
    identity: dict[str, str] | None = None
    warned_rewrite: bool = False
    _order: dict[str, bool] = field(default_factory=dict)

    @property
    def values_path(self) -> str:
        return f"{self.loaded.spec.charts.path}/{self.env.values_file}"

    @property
    def manifest_path(self) -> str:
        return f"{self.loaded.spec.argocd.manifests}/{self.loaded.spec.name}-{self.env.name}.yaml"

    @property
    def message(self) -> str:
        return f"{self.loaded.spec.name}: release {self.tag} to {self.env.name} [skip ci]"

    @cached_property
    def rendered(self) -> dict[str, str]:
        """The chart-side files of the spec with TAG: pure, so rendered once for every attempt."""
        from generator.render import render  # jinja2 only when a release really renders

        files = render(self.loaded, {self.env.name: self.tag})
        return {output.path: text for output, text in files.items() if output.root == "charts"}

    def is_newer(self, current: str) -> bool:
        """Whether `current` descends from TAG in the app's history (so TAG would go backwards)."""
        if current not in self._order:
            self._order[current] = self._descends(current)
        return self._order[current]

    def _descends(self, current: str) -> bool:
        if self.app_repo is None:
            err(f"shipspec: warning: the spec is not in a git repository: cannot tell whether {self.tag} "
                f"is older than {current}; releasing (pass --app-repo to check)")
            return False
        unknown = [t for t in (self.tag, current) if self.app_repo.resolve(t) is None]
        if unknown:
            err(f"shipspec: warning: {' and '.join(unknown)} not in the app repo's history (shallow clone?): "
                f"cannot tell whether {self.tag} is older than {current}; releasing")
            return False
        return self.app_repo.is_ancestor(self.tag, current)


def run(
    env_name: str, tag: str, *, pr: bool, dry_run: bool, spec: str | None, app_repo: str | None,
    charts_url: str | None = None,
) -> int:
    release = _release(env_name, tag, pr=pr, dry_run=dry_run, spec=spec, app_repo=app_repo)
    if charts_url:
        release.charts_url = charts_url
    if release.env.pin is not None:
        out(f"{env_name} is pinned to {release.env.pin} in the spec: not releasing {tag} (remove the pin to release)")
        return EXIT_OK
    charts = release.loaded.spec.charts
    github = None
    if pr and not dry_run:  # fail on a missing token before any clone
        github = GitHub.from_environment(*repository_of(charts.repo))
    release.rendered  # noqa: B018 - render before the clone: a retry then only splices and pushes
    with tempfile.TemporaryDirectory(prefix="shipspec-promote-") as scratch:
        clone = git.clone(release.charts_url, Path(scratch, "charts"), charts.branch)
        if pr:
            return _propose(release, clone, github)
        return _deploy(release, clone)


def _release(env_name: str, tag: str, *, pr: bool, dry_run: bool, spec: str | None, app_repo: str | None) -> Release:
    path = Path(spec or SPEC_NAME)
    if not path.is_file():
        raise UsageError(f"{path}: no such spec file; run promote next to {SPEC_NAME} or pass --spec")
    loaded = load(path)
    env = loaded.spec.environment(env_name)
    if env is None:
        known = ", ".join(e.name for e in loaded.spec.environments)
        raise UsageError(f"unknown environment {env_name!r}: {path} defines {known}")
    reason = names.image_tag(tag)
    if reason:
        raise UsageError(f"--tag {tag!r}: {reason}")
    if env is loaded.spec.production and not pr:
        raise UsageError(f"{env_name} is the production environment: it is only released through a pull request; "
                         "add --pr")
    return Release(loaded, env, tag, _app_repo(app_repo, loaded), dry_run, loaded.spec.charts.repo)


def _app_repo(directory: str | None, loaded: LoadedSpec) -> git.Repo | None:
    if directory is None:
        return git.toplevel(loaded.directory.resolve())
    repo = git.toplevel(Path(directory)) if Path(directory).is_dir() else None
    if repo is None:
        raise UsageError(f"--app-repo {directory}: not a git repository")
    return repo


def _deploy(release: Release, clone: git.Repo) -> int:
    branch = release.loaded.spec.charts.branch
    for attempt in range(ATTEMPTS):
        if attempt:
            _restart(clone, branch, attempt)
        _previous, stop = _apply(release, clone)
        if stop or not _commit(release, clone):
            out(stop or f"{release.env.name} already holds everything {release.tag} needs: nothing to do")
            return EXIT_OK
        if release.dry_run:
            return _show(clone, f"would push it to branch {branch} of {redact(release.charts_url)}")
        pushed = clone.push(f"HEAD:refs/heads/{branch}")
        if pushed.ok:
            out(f"released {release.tag} to {release.env.name}: commit {clone.output('rev-parse', '--short', 'HEAD')} "
                f"on {branch} of {redact(release.charts_url)}")
            return EXIT_OK
        err(f"shipspec: push to {branch} rejected ({pushed.detail}): another release landed first; re-applying")
    raise _gave_up(branch)


def _propose(release: Release, clone: git.Repo, github: GitHub | None) -> int:
    spec, env = release.loaded.spec, release.env.name
    base, branch = spec.charts.branch, f"shipspec/{spec.name}/{env}"
    title = f"{spec.name}: promote {release.tag} to {env}"
    for attempt in range(ATTEMPTS):
        if attempt:
            _restart(clone, base, attempt)
        proposed = clone.fetch(branch) if clone.remote_head(branch) else None
        previous, stop = _apply(release, clone)
        stop = stop or _proposal_is_newer(release, clone, branch, proposed)
        if stop or not _commit(release, clone):
            out(stop or f"{env} already holds everything {release.tag} needs: nothing to do")
            return EXIT_OK
        body = pull_request_body(spec.name, env, release.tag, previous, release.app_repo)
        if release.dry_run or github is None:
            return _show(clone, f"would push it to branch {branch} and open or update the pull request "
                                f"{title!r} with this body:\n\n{body}")
        if proposed is None or _tree(clone, "HEAD") != _tree(clone, proposed):
            # The branch is shipspec's own: replacing it is fine, but only if nobody moved it since we looked.
            pushed = clone.push(f"HEAD:refs/heads/{branch}", lease=(f"refs/heads/{branch}", proposed or ""))
            if not pushed.ok:
                err(f"shipspec: push to {branch} rejected ({pushed.detail}): another run updated it; re-applying")
                continue
        action, pull = github.upsert_pull(branch, base, title, body)
        out(f"pull request #{pull.number} {action}: {pull.url} (branch {branch} releases {release.tag} to {env})")
        return EXIT_OK
    raise _gave_up(branch)


def _proposal_is_newer(release: Release, clone: git.Repo, branch: str, proposed: str | None) -> str | None:
    """A stop message when the PR branch already proposes a tag that contains TAG."""
    if proposed is None:
        return None
    path = release.values_path
    tag = tagedit.current_tag(
        clone.show_file(proposed, path), f"{branch}:{path}", valuepaths.tag_path(release.loaded.spec.image))
    if tag and tag != release.tag and release.is_newer(tag):
        return f"branch {branch} already proposes {tag}, which contains {release.tag}: not moving it backwards"
    return None


def _tree(clone: git.Repo, commit: str) -> str:
    return clone.output("rev-parse", f"{commit}^{{tree}}")


def _apply(release: Release, clone: git.Repo) -> tuple[str | None, str | None]:
    """Edit the working tree for the release: (the tag it replaces, or a message when there is nothing to do)."""
    values = _read(clone, release.values_path)
    current = tagedit.current_tag(values, release.values_path, valuepaths.tag_path(release.loaded.spec.image))
    env = release.env.name
    if current == release.tag:
        return current, f"{env} already runs {release.tag}: nothing to do"
    if current and release.is_newer(current):
        return current, f"{env} already runs {current}, which contains {release.tag}: not moving {env} backwards"
    rendered = release.rendered
    edited = None
    if values is not None:
        edited = tagedit.replace_tag(values, release.tag, release.values_path, drop_comment=_PINNED_COMMENT,
                                     path=valuepaths.tag_path(release.loaded.spec.image))
        if edited is None and not release.warned_rewrite:
            release.warned_rewrite = True
            err(f"shipspec: warning: {release.values_path} has no plain image.tag value to edit in place: "
                "writing the whole overlay as the spec renders it")
    _write(clone, release.values_path, edited if edited is not None else rendered[release.values_path])
    if _read(clone, release.manifest_path) is None:
        _write(clone, release.manifest_path, rendered[release.manifest_path])
    return current, None


def _commit(release: Release, clone: git.Repo) -> bool:
    if release.identity is None:  # git config or GIT_AUTHOR_*/GIT_COMMITTER_* win; the default fills gaps
        release.identity = {key: value for key, value in DEFAULT_IDENTITY.items() if not clone.config(key)}
    return clone.commit(release.message, [release.values_path, release.manifest_path], release.identity)


def _show(clone: git.Repo, what: str) -> int:
    out(redact(clone.output("-c", "color.ui=never", "show", "--format=fuller", "--patch", "HEAD")))
    out(f"\ndry run: nothing pushed; {what}")
    return EXIT_OK


def _restart(clone: git.Repo, branch: str, attempt: int) -> None:
    # "Full jitter": racing releases that were rejected together spread out instead of colliding again.
    ceiling = min(BACKOFF_CAP, BACKOFF_SECONDS * 2 ** attempt)
    time.sleep(random.uniform(0, ceiling))  # noqa: S311 - jitter, not cryptography
    clone.reset_hard(clone.fetch(branch))


def _read(clone: git.Repo, path: str) -> str | None:
    try:
        with open(clone.path / path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise OperationFailed(f"{path} in the charts repo is not UTF-8 text; fix it there, then retry") from None


def _write(clone: git.Repo, path: str, text: str) -> None:
    target = clone.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def _gave_up(branch: str) -> OperationFailed:
    return OperationFailed(
        f"gave up after {ATTEMPTS} attempts: other releases kept pushing to {branch} first; nothing was lost, "
        "re-run the job to release again"
    )
