"""`shipspec promote ENV --tag TAG [--pr]`: the release step of the pipeline.

A release carries the environment's configuration: ENV's values overlay and
Application are rendered from the spec the image was built from, with TAG,
and written whole, so a spec change reaches the charts repo through the
pipeline. Each attempt starts from the charts branch as it is now on the
remote, writes those two files and pushes without force. A rejected push
means another release landed first: fetch, write again on top, retry with
jittered backoff. Because the files are re-rendered rather than rebased, a
concurrent release can never conflict, and the order check runs again
against whatever the other release wrote.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from ..errors import EXIT_OK, OperationFailed, UsageError
from ..files.paths import SPEC_NAME
from ..files.specfile import load
from ..output import err, out
from ..redact import redact
from ..render import header
from ..spec import names, valuepaths
from ..spec.model import Environment
from ..spec.validation import LoadedSpec
from . import argocd, git, review, reviews, tagedit
from .notes import pull_request_body

Kind = Literal["release", "rollback", "pin"]
ATTEMPTS = 8
BACKOFF_SECONDS = 0.1  # retry n waits up to 0.1 * 2**n s, capped at BACKOFF_CAP
BACKOFF_CAP = 5.0
DEFAULT_IDENTITY = {"user.name": "shipspec", "user.email": "shipspec@localhost"}


@dataclass
class Release:
    """One promote request, validated, and what it learned about tag order."""

    loaded: LoadedSpec
    env: Environment
    tag: str
    app_repo: git.Repo | None
    dry_run: bool
    charts_url: str  # charts.repo (its HTTPS form when a token is set), or --charts-url
    direct: bool = True  # False: through a pull request
    token: str | None = None  # handed to git through its credential helper
    identity: dict[str, str] | None = None
    replaced: list[str] = field(default_factory=list)  # hand-edited files this release overwrote
    kind: Kind = "release"  # rollback: on purpose to an older tag; pin: the spec's pin. Neither checks order.
    current: str | None = None  # the tag ENV ran when the files were last written
    _order: dict[str, bool] = field(default_factory=dict)

    @property
    def values_path(self) -> str:
        return f"{self.loaded.spec.charts.path}/{self.env.values_file}"

    @property
    def ordered(self) -> bool:
        """Whether the release must never move ENV backwards (a rollback and a pin do on purpose)."""
        return self.kind == "release"

    @property
    def title(self) -> str:
        """The pull request's title."""
        name, env, tag = self.loaded.spec.name, self.env.name, self.tag
        return {"release": f"{name}: promote {tag} to {env}", "rollback": f"{name}: roll back {env} to {tag}",
                "pin": f"{name}: pin {env} at {tag}"}[self.kind]

    @property
    def message(self) -> str:
        name, env, tag = self.loaded.spec.name, self.env.name, self.tag
        what = {"release": f"release {tag} to {env}", "pin": f"pin {env} at {tag}",
                "rollback": f"rollback {env} to {tag} (from {self.current or 'no tag'})"}[self.kind]
        # A pull request's commits must run the charts repo's checks, so only direct commits skip CI.
        subject = f"{name}: {what}" + (" [skip ci]" * self.direct)
        if not self.replaced:
            return subject
        return f"{subject}\n\nReplaces hand edits, as the spec renders these files whole:\n" + "".join(
            f"- {path}\n" for path in self.replaced)

    @cached_property
    def rendered(self) -> dict[str, str]:
        """ENV's chart-side files as the spec renders them with TAG: pure, so rendered once for every attempt."""
        from ..render.core import application_output, render, values_output  # jinja2 only when releasing

        spec = self.loaded.spec
        files = render(self.loaded, {self.env.name: self.tag})
        return {output.path: files[output] for output in (values_output(spec, self.env),
                                                            application_output(spec, self.env))}

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


def promote(
    env_name: str, tag: str, *, pr: bool, dry_run: bool, spec: str | None, app_repo: str | None,
    charts_url: str | None = None,
) -> int:
    release = prepare(env_name, tag, pr=pr, dry_run=dry_run, spec=spec, app_repo=app_repo, charts_url=charts_url)
    if release.env.pin is not None:
        # The pin is the environment's configuration too: its files are written with it, never with TAG.
        out(f"{env_name} is pinned to {release.env.pin} in the spec: not releasing {tag} (remove the pin to release)")
        release.tag, release.kind = release.env.pin, "pin"
    return publish(release)


def publish(release: Release, *, history: bool = False, before: Callable[[git.Repo], None] | None = None) -> int:
    """Clone the charts branch (`history`: all of it), run `before` on the clone, then commit and push."""
    charts = release.loaded.spec.charts
    requests = None  # the review API of the charts repo (pull or merge requests)
    if not release.direct and not release.dry_run:  # fail on a missing token before any clone
        requests = reviews.for_spec(release.loaded.spec)
    release.rendered  # noqa: B018 - render before the clone: a retry then only writes and pushes
    with tempfile.TemporaryDirectory(prefix="shipspec-promote-") as scratch:
        clone = git.clone(release.charts_url, Path(scratch, "charts"), charts.branch, token=release.token,
                          depth=None if history else 1)
        if before is not None:
            before(clone)
        if not release.direct:
            return _propose(release, clone, requests)
        return _deploy(release, clone)


def prepare(env_name: str, tag: str, *, pr: bool, dry_run: bool, spec: str | None, app_repo: str | None,
             charts_url: str | None, loaded: LoadedSpec | None = None) -> Release:
    """A validated request; `loaded` renders the files instead of the spec at `spec` (rollback)."""
    path = Path(spec or SPEC_NAME)
    if not path.is_file():
        raise UsageError(f"{path}: no such spec file; run promote next to {SPEC_NAME} or pass --spec")
    loaded = loaded or load(path)
    env = loaded.spec.environment(env_name)
    if env is None:
        known = ", ".join(e.name for e in loaded.spec.environments)
        raise UsageError(f"unknown environment {env_name!r}: {path} defines {known}")
    reason = names.image_tag(tag)
    if reason:
        raise UsageError(f"--tag {tag!r}: {reason}")
    if env is loaded.spec.production and len(loaded.spec.environments) > 1 and not pr:
        raise UsageError(f"{env_name} is the production environment: it is only released through a pull request; "
                         "add --pr")
    url, token = git.charts_remote(loaded.spec.charts.repo, charts_url)
    return Release(loaded, env, tag, app_repository(app_repo, path), dry_run, url, direct=not pr, token=token)


def app_repository(directory: str | None, spec: Path) -> git.Repo | None:
    """The app's git repo: `--app-repo`, else the spec's own repo (None outside git)."""
    if directory is None:
        return git.toplevel(spec.parent.resolve())
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
            out(stop or _nothing_to_do(release))
            return EXIT_OK
        if release.dry_run:
            return _show(clone, f"would push it to branch {branch} of {redact(release.charts_url)}")
        pushed = clone.push(f"HEAD:refs/heads/{branch}")
        if pushed.ok:
            env, tag = release.env.name, release.tag
            done = {"release": f"released {tag} to {env}", "rollback": f"rolled back {env} to {tag}",
                    "pin": f"pinned {env} at {tag}"}[release.kind]
            out(f"{done}: commit {clone.output('rev-parse', '--short', 'HEAD')} on {branch} of "
                f"{redact(release.charts_url)}")
            return EXIT_OK
        err(f"shipspec: push to {branch} rejected ({pushed.detail}): another release landed first; re-applying")
    raise _gave_up(branch)


def _propose(release: Release, clone: git.Repo, requests: review.Review | None) -> int:
    spec, env = release.loaded.spec, release.env.name
    base, branch, title = spec.charts.branch, f"shipspec/{spec.name}/{env}", release.title
    for attempt in range(ATTEMPTS):
        if attempt:
            _restart(clone, base, attempt)
        proposed = clone.fetch(branch) if clone.remote_head(branch) else None
        previous, stop = _apply(release, clone)
        stop = stop or (_proposal_is_newer(release, clone, branch, proposed) if release.ordered else None)
        if stop or not _commit(release, clone):
            out(stop or _nothing_to_do(release))
            return EXIT_OK
        body = pull_request_body(spec.name, env, release.tag, previous, release.app_repo,
                                 rollback=release.kind == "rollback")
        if release.dry_run or requests is None:
            return _show(clone, f"would push it to branch {branch} and open or update the pull request "
                                f"{title!r} with this body:\n\n{body}")
        if proposed is None or _tree(clone, "HEAD") != _tree(clone, proposed):
            # The branch is shipspec's own: replacing it is fine, but only if nobody moved it since we looked.
            pushed = clone.push(f"HEAD:refs/heads/{branch}", lease=(f"refs/heads/{branch}", proposed or ""))
            if not pushed.ok:
                err(f"shipspec: push to {branch} rejected ({pushed.detail}): another run updated it; re-applying")
                continue
            _gate_pending(release, requests, clone, branch)
        action, pull = requests.upsert_pull(branch, base, title, body)
        out(f"{pull.label} {action}: {pull.url} (branch {branch} releases {release.tag} to {env})")
        return EXIT_OK
    raise _gave_up(branch)


def _gate_pending(release: Release, requests: review.Review, clone: git.Repo, branch: str) -> None:
    """SPEC 1.2: with argocd.server, every head pushed starts `pending`, so it never inherits an old success."""
    spec, envs = release.loaded.spec, [env.name for env in release.loaded.spec.environments]
    index = envs.index(release.env.name)
    if spec.argocd.server is None or index == 0:
        return
    previous = envs[index - 1]
    url = argocd.ui_url(spec.argocd.server, spec.argocd.namespace, f"{spec.name}-{previous}")
    head = clone.output("rev-parse", "HEAD")
    requests.set_status(head, branch, "pending", f"waiting for {previous} to run {release.tag}", url)
    out(f"shipspec/gate pending on {head[:12]} ({branch})")


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
    """Write ENV's files for the release: (the tag it replaces, or a message when it must not move)."""
    where = valuepaths.tag_path(release.loaded.spec.image)
    current = release.current = tagedit.current_tag(_read(clone, release.values_path), release.values_path, where)
    env = release.env.name
    if current and current != release.tag and release.ordered and release.is_newer(current):
        return current, f"{env} already runs {current}, which contains {release.tag}: not moving {env} backwards"
    for path, text in release.rendered.items():
        old = _read(clone, path)
        if old == text:
            continue
        if old is not None and header.edited_by_hand(old) and path not in release.replaced:
            release.replaced.append(path)
            err(f"shipspec: warning: {path} was edited by hand in the charts repo; replacing it with what the spec "
                "renders (make the change in the spec)")
        _write(clone, path, text)
    return current, None


def _nothing_to_do(release: Release) -> str:
    return f"{release.env.name} already runs {release.tag} with the files the spec renders: nothing to do"


def _commit(release: Release, clone: git.Repo) -> bool:
    if release.identity is None:  # git config or GIT_AUTHOR_*/GIT_COMMITTER_* win; the default fills gaps
        release.identity = {key: value for key, value in DEFAULT_IDENTITY.items() if not clone.config(key)}
    return clone.commit(release.message, list(release.rendered), release.identity)


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
