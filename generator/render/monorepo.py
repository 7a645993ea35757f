"""A repository's root pipeline (SPEC "Monorepos"): one pipeline file at the root of a repository that
serves every app of it, rendered from all its specs. Pure: specs in, text out.

Each app keeps its Makefile beside its spec; the pipeline asks `shipspec affected` which apps a build
affects and runs make in their folders. What runs when (see README "Monorepos"):

- GitHub Actions: a job `affected` (the whole history) computes the apps and hands two matrices to
  `build` and `release` (guarded by `if:`, since GitHub fails a job whose matrix is empty); a final
  job `shipspec` with `if: always()` is the verdict (GitHub counts a skipped job as passed). With a
  `cron: true` branch, a `schedule` trigger: `affected` measures each such branch (`--schedule`) and
  a job per branch releases its matrix from that branch's commit.
- GitLab CI: a job `affected` writes a child pipeline with jobs for the affected apps only (always at
  least one job: GitLab refuses an empty one), triggered with `strategy: depend`; a final `shipspec`.
- Travis CI: no path filters and no conditions on changed files; one job `shipspec` per kind of build
  (a cron build is one: `affected --schedule`) runs `shipspec affected` and then make for the affected apps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..spec import defaults
from . import header

if TYPE_CHECKING:  # the renderer and the model are imported when a root pipeline is rendered, not to prove one
    from ..spec.model import Spec
    from ..spec.validation import LoadedSpec
    from . import plan

ROOT_APP = "*"  # the `app` of a root pipeline's header: never an app's name


@dataclass(frozen=True)
class Member:
    """What the root pipeline reads of one app of the repository: small, plain data, so that a `--jobs`
    worker that checked or planned the app hands it back and the spec is never loaded twice."""

    path: str  # the spec's path from the pipeline's root, e.g. services/api/shipspec.yaml
    source: str  # the digest of the spec's bytes
    ci: str
    settings: Mapping[str, Any]  # the settings the root pipeline holds once (_SHARED of its provider, install)
    secure: tuple[str, ...]  # travis.secure
    gate_minutes: int
    releases: tuple[plan.Job, ...]  # its releasing jobs, in the spec's order

    @property
    def folder(self) -> str:
        return self.path.rpartition("/")[0] or "."


class Conflict(Exception):
    """Two specs of one repository disagree on a setting the root pipeline holds once."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# The settings a root pipeline holds once, by provider: (field as the spec writes it, getter).
_SHARED: dict[str, list[tuple[str, Any]]] = {
    # travis.secure is not here: its entries are encrypted `NAME=value` pairs whose names cannot be read,
    # so the root pipeline holds every distinct entry of every spec (see `secure_union`).
    "travis": [("travis.dist", lambda s: s.travis.dist), ("travis.slack", lambda s: s.travis.slack)],
    "github": [("github.runsOn", lambda s: s.github.runs_on), ("github.chartsToken", lambda s: s.github.charts_token)],
    "gitlab": [("gitlab.image", lambda s: s.gitlab.image), ("gitlab.chartsToken", lambda s: s.gitlab.charts_token)],
}
# Every job of a root pipeline installs one shipspec, so every spec must name the same one (its
# default included: a spec without `install` asks for this version).
def _install(spec: Spec) -> str:
    from .core import install_requirement

    return install_requirement(spec)


_INSTALL = ("install", _install)
# Settings every spec must state alike; for the others, a spec that leaves them empty takes the one the others set.
_STRICT = {"travis.dist", "install"}


def member(loaded: LoadedSpec, path: str) -> Member:
    """The app at `path` (from the pipeline's root) as its repository's root pipeline reads it."""
    from . import plan

    spec = loaded.spec
    return Member(
        path, header.digest(loaded.source), spec.ci,
        {field: get(spec) for field, get in [*_SHARED[spec.ci], _INSTALL]}, tuple(spec.travis.secure),
        _gate_minutes(spec), tuple(job for job in plan.jobs(spec) if job.branch is not None),
    )


def check_shared(members: Sequence[Member]) -> None:
    """Conflict naming both specs and the field when two specs of the repository disagree."""
    first = members[0]
    for other in members[1:]:
        if other.ci != first.ci:
            raise Conflict(_conflict(first, other, "ci", first.ci, other.ci))
    for field in first.settings:
        holders = members if field in _STRICT else [m for m in members if m.settings[field] not in ((), None)]
        for other in holders[1:]:
            if other.settings[field] != holders[0].settings[field]:
                raise Conflict(_conflict(holders[0], other, field, holders[0].settings[field], other.settings[field]))


def _conflict(one: Member, other: Member, field: str, a: Any, b: Any) -> str:
    shown = (lambda v: "(encrypted values)" if field == "travis.slack" else repr(v))
    return (f"{one.path} and {other.path} disagree on {field}: {shown(a)} and {shown(b)}; their repository has one "
            "pipeline, which holds it once: make them the same")


def shared(members: Sequence[Member], field: str) -> Any:
    """The value of a shared setting: the first spec's that sets it."""
    return next((m.settings[field] for m in members if m.settings[field] not in ((), None)),
                members[0].settings[field])


def secure_union(members: Sequence[Member]) -> list[str]:
    """Every distinct `travis.secure` entry of the repository's specs, in the order of their paths."""
    return list(dict.fromkeys(value for m in members for value in m.secure))


def specs_digest(entries: Sequence[tuple[str, str]]) -> str:
    """The digest of every spec of the repository: (path from the root, digest of its bytes), in path order."""
    return header.digest("\n".join(f"{path}\0{digest}" for path, digest in sorted(entries)))


def pipeline_file(ci: str) -> str:
    return defaults.CI_FILES[ci]


def render(members: Sequence[Member]) -> tuple[str, str]:
    """The root pipeline: (its path relative to the root, its text). Raises Conflict."""
    members = sorted(members, key=lambda m: m.path)
    check_shared(members)
    ci = members[0].ci
    body = _RENDERERS[ci](members)
    path = pipeline_file(ci)
    line = header.Header(
        __version__, f"root pipeline of {len(members)} app{'s' if len(members) != 1 else ''}", ROOT_APP,
        specs_digest([(m.path, m.source) for m in members]), header.set_digest([f"root:{path}"]),
        header.body_digest(body), header.renderer_fingerprint(),
    ).line()
    return path, f"{line}\n{body}"


def _template(name: str, **context: Any) -> str:
    from .core import environment

    return environment().get_template(name).render(version=__version__, **context)


def _listing(members: Sequence[Member]) -> list[str]:
    return [m.path for m in members]


_SCRIPT = '--script "$HOME/shipspec-apps.sh"'
# Travis conditions v1 (docs.travis-ci.com/user/conditions-v1): `branch` is a pull request's base
# branch; a push of a tag has `tag` set. One job per kind of build, each named `shipspec`.
TRAVIS_JOBS = (
    ("type = pull_request", [
        'git fetch --quiet origin "+refs/heads/$TRAVIS_BRANCH:refs/remotes/origin/$TRAVIS_BRANCH"',
        f'shipspec affected . --base "origin/$TRAVIS_BRANCH" {_SCRIPT}',
    ]),
    # TRAVIS_COMMIT_RANGE is "<before>...<after>", empty for a new branch (then every app counts).
    ("type = push AND tag IS blank", [
        f'shipspec affected . --release "$TRAVIS_BRANCH" --base "${{TRAVIS_COMMIT_RANGE%%...*}}" {_SCRIPT}',
    ]),
    # A cron build runs on its configured branch (docs.travis-ci.com/user/cron-jobs): the apps whose rule
    # for it has `cron: true` release, measured as a push is; no other app is built.
    ("type = cron", [
        f'shipspec affected . --release "$TRAVIS_BRANCH" --schedule {_SCRIPT}',
    ]),
    # Tags, API and manual builds: what their commit changed.
    ("NOT (type IN (pull_request, cron) OR (type = push AND tag IS blank))", [
        f'shipspec affected . --base "HEAD^" {_SCRIPT}',
    ]),
)


def _travis(members: Sequence[Member]) -> str:
    settings = members[0].settings
    return _template(
        "root-travis.yml.j2", specs=_listing(members), dist=settings["travis.dist"], install=settings["install"],
        secure=secure_union(members), slack=shared(members, "travis.slack"), jobs=TRAVIS_JOBS,
    )


GITHUB_AFFECTED = (
    'base="origin/$DEFAULT_BRANCH"\n'
    'if [ "$EVENT" = pull_request ]; then base="origin/$BASE_REF"; fi\n'
    'if [ "$EVENT" = push ] && [ "$CREATED" != true ]; then base="$BEFORE"; fi\n'
    'set --\n'
    'if [ "$EVENT" = push ] && [ "$REF_TYPE" = branch ]; then set -- --release "$REF_NAME"; fi\n'
    'shipspec affected . --base "$base" "$@" --outputs "$GITHUB_OUTPUT"'
)
VERDICT = (
    'if [ "$AFFECTED" != success ]; then echo "shipspec: the job affected ended: $AFFECTED"; exit 1; fi\n'
    'for result in $RESULTS; do\n'
    'case "$result" in success|skipped) ;; *) echo "shipspec: a job of an affected app ended: $result"; exit 1 ;; esac\n'
    'done\n'
    'echo "shipspec: every affected app passed (or no app was affected)"'
)


def _github(members: Sequence[Member]) -> str:
    from .providers import github

    settings = members[0].settings
    return _template(
        "root-github.yml.j2", specs=_listing(members), runs_on=settings["github.runsOn"], install=settings["install"],
        gate_minutes=max(m.gate_minutes for m in members),
        charts_token=settings["github.chartsToken"], checkout=github.CHECKOUT, checkout_version=github.CHECKOUT_VERSION,
        setup_python=github.SETUP_PYTHON, setup_python_version=github.SETUP_PYTHON_VERSION,
        affected_script=GITHUB_AFFECTED, verdict_script=VERDICT, token_condition=_github_token_condition(members),
        scheduled=_github_scheduled(members), scheduled_script=GITHUB_SCHEDULED,
    )


@dataclass(frozen=True)
class Scheduled:
    """A cron branch of a GitHub root workflow: on a `schedule` event the job `affected` checks it out
    and measures it (outputs `<prefix>sha`, `<prefix>releases`, `<prefix>release`), and the job `id`
    releases what it found from that very commit."""

    index: int
    branch: str

    @property
    def id(self) -> str:
        return f"scheduled-{self.index}"

    @property
    def prefix(self) -> str:
        return f"scheduled_{self.index}_"

    @property
    def value(self) -> str:
        """The branch as a value GitHub reads as exactly it (an expression only when it holds `${{`)."""
        from .providers.github import plain

        return plain(self.branch)

    @property
    def group(self) -> str:
        """The concurrency group of its releases: the one a push of the branch uses, app by app."""
        from .providers.github import plain

        return plain(f"shipspec-release-{self.branch}") + "-${{ matrix.group }}"


def _github_scheduled(members: Sequence[Member]) -> list[Scheduled]:
    """The branches whose scheduled builds release some app (`cron: true`), in order of first mention."""
    branches = [job.branch for job in _release_jobs(members, cron=True) if job.branch is not None]
    return [Scheduled(index, branch) for index, branch in enumerate(branches)]


# GitHub runs a schedule on the default branch only (docs.github.com/en/actions/reference/workflows-and-actions/
# events-that-trigger-workflows#schedule): each cron branch is checked out from the full history that
# `fetch-depth: 0` fetched (every branch, actions/checkout's README), proved undrifted, and measured.
GITHUB_SCHEDULED = (
    'git checkout --quiet --detach "refs/remotes/origin/$BRANCH"\n'
    'shipspec check --skip-charts .\n'
    'echo "${PREFIX}sha=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"\n'
    'shipspec affected . --release "$BRANCH" --schedule --outputs "$GITHUB_OUTPUT" --outputs-prefix "$PREFIX"'
)


def _gate_minutes(spec: Spec) -> int:
    """How much longer a release job of this app may run: its gates wait up to argocd.gateTimeout."""
    from .core import gate_seconds
    from .providers import github

    return github.gate_minutes(gate_seconds(spec))


def _github_token_condition(members: Sequence[Member]) -> str:
    """When job `affected` gets the charts token (to read what runs): a push of a branch that releases some
    app, and nothing else (pull requests, other branches, tags)."""
    from .providers.github import literal

    refs = [f"github.ref == {literal('refs/heads/' + job.branch)}" for job in _release_jobs(members) if job.branch]
    if not refs:
        return "false"
    return f"github.event_name == 'push' && ({' || '.join(refs)})"


GITLAB_AFFECTED = (
    'base="$CI_COMMIT_BEFORE_SHA"\n'
    'if [ "$CI_PIPELINE_SOURCE" = merge_request_event ]; then base="$CI_MERGE_REQUEST_DIFF_BASE_SHA"; fi\n'
    '# A new branch (or a web, API or scheduled run) has no previous head: its default branch\n'
    'if [ -z "$(printf %s "$base" | tr -d 0)" ] && git fetch --quiet origin "$CI_DEFAULT_BRANCH"; then'
    ' base=FETCH_HEAD; fi\n'
    'set --\n'
    'if [ "$CI_PIPELINE_SOURCE" = push ] && [ -n "$CI_COMMIT_BRANCH" ]; then'
    ' set -- --release "$CI_COMMIT_BRANCH"; fi\n'
    '# A scheduled pipeline names its branch in CI_COMMIT_BRANCH: its apps with cron: true release\n'
    'if [ "$CI_PIPELINE_SOURCE" = schedule ] && [ -n "$CI_COMMIT_BRANCH" ]; then'
    ' set -- --release "$CI_COMMIT_BRANCH" --schedule; fi\n'
    'shipspec affected . --base "$base" "$@" --gitlab-child shipspec-child.yml'
)


def _gitlab(members: Sequence[Member]) -> str:
    from .providers import gitlab as gitlab_rules

    settings = members[0].settings
    return _template(
        "root-gitlab-ci.yml.j2", specs=_listing(members), image=settings["gitlab.image"], affected_script=GITLAB_AFFECTED,
        install=settings["install"],
        charts_token=settings["gitlab.chartsToken"], workflow_rules=gitlab_rules.workflow_rules(_release_jobs(members)),
    )


def _release_jobs(members: Sequence[Member], *, cron: bool = False) -> list[plan.Job]:
    """One plan job per branch that releases some app: such a branch always runs its branch pipeline
    (with `cron`, per branch whose scheduled builds release some app)."""
    branches: dict[str, plan.Job] = {}
    for one in members:
        for job in one.releases:
            if job.cron or not cron:
                branches.setdefault(job.branch, job)  # type: ignore[arg-type]
    return list(branches.values())


_RENDERERS = {"travis": _travis, "github": _github, "gitlab": _gitlab}


# GitLab.com: "Maximum jobs in a single pipeline | 500 for Free tier" (docs.gitlab.com/user/gitlab_com/#cicd);
# a child pipeline's jobs count there too: apps are batched into at most this many jobs.
GITLAB_MAX_JOBS = 400


@dataclass(frozen=True)
class ChildJob:
    name: str
    script: str
    releases: bool
    group: str  # the resource group of a releasing job: its apps' releases of this branch queue up


def gitlab_child(spec: Spec, jobs: Sequence[ChildJob], branch: str | None) -> str:
    """The child pipeline `shipspec affected --gitlab-child` writes: one job per affected app (or batch),
    or one job that says nothing was affected (GitLab refuses to create an empty pipeline)."""
    return _template("gitlab-child.yml.j2", image=spec.gitlab.image, charts_token=spec.gitlab.charts_token,
                     jobs=jobs, branch=branch, install=_install(spec))
