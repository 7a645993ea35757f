"""Which apps a build must build or release (SPEC "Monorepos"): the core of `shipspec affected`.

Build mode (`base`): the apps whose inputs (spec/watch.py) differ between the
merge base of `base` and HEAD, and HEAD. Release mode (`release`, a pushed
branch): for each app whose `branches` table releases that branch, each
environment the branch deploys gets the new tag when the app's inputs differ
between HEAD and the commit of the tag the environment runs now (read from
the charts repo, as `status` reads it), or when it runs none or one this
history does not know; each environment the branch proposes is offered the
tag its previous environment runs after this build, unless it runs that tag
already or its open promotion branch holds it. Apps the branch releases
nothing for are measured as in build mode. A scheduled build of the branch
(`schedule`, a cron build) releases only the apps whose rule for it has
`cron: true`, measured exactly as a push is; it builds and releases no other
app. Missing history never skips an app: it is reported (`notes`) and the app
counts as affected.
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
import zlib
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidSpec, UsageError
from ..files import parallel
from ..files.paths import display_path, git_root
from ..files.specfile import load
from ..spec import names
from ..spec.model import Spec
from ..spec.validation import LoadedSpec
from ..spec.watch import inputs
from . import git
from .history import History

if TYPE_CHECKING:  # status brings the review clients: imported only when a push releases
    from . import status

# GitHub: "A matrix will generate a maximum of 256 jobs per workflow run" (docs.github.com/en/actions/
# reference/limits); apps are batched into at most this many matrix entries.
MAX_BATCHES = 256
# docs.gitlab.com/ci/yaml/#resource_group: letters, digits, - _ / $ { } . and spaces; `$`, `{`, `}` expand.
_NOT_IN_GROUP = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Proposal:
    env: str
    tag: str
    new: bool  # the tag this build makes (built and pushed first)


@dataclass
class App:
    name: str
    spec: str  # as the user reads it
    directory: str  # the spec's folder relative to the repository root ("." at the root)
    build: bool = False  # build, test and scan
    deploy: list[str] = field(default_factory=list)
    propose: list[Proposal] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def releases(self) -> bool:
        return bool(self.deploy or self.propose)

    @property
    def pushes(self) -> bool:
        """Whether this build builds and pushes the image: a deploy or a proposal of the new tag needs it."""
        return bool(self.deploy) or any(p.new for p in self.propose)

    @property
    def affected(self) -> bool:
        return self.build or self.releases

    def make_calls(self, scan: bool, gated: bool = False) -> list[list[str]]:
        """The make invocations of this app, each a list of arguments after `make -C <dir>`; `gated`
        (argocd.server): each `<env>-pr` is followed by `<env>-gate`, as in a single app's pipeline."""
        def propose(env: str) -> list[str]:
            return [f"{env}-pr", *([f"{env}-gate"] if gated else [])]

        calls: list[list[str]] = []
        if self.pushes:
            calls.append(["docker-login", "docker-build", "test", "docker-push", *(f"{env}-commit" for env in self.deploy),
                          *(target for p in self.propose if p.new for target in propose(p.env))])
        elif self.build:
            calls.append(["docker-build", "test", *(["docker-scan"] if scan else [])])
        calls += [[*propose(p.env), f"TAG={p.tag}"] for p in self.propose if not p.new]
        return calls


@dataclass
class Result:
    mode: str  # "build" | "release" | "schedule"
    base: str | None
    branch: str | None
    apps: list[App]
    scans: dict[str, bool]  # app spec -> scan.enabled
    gates: dict[str, bool]  # app spec -> argocd.server is set: its proposals run the promotion gate
    notes: list[str] = field(default_factory=list)  # missing history and other doubts, for stderr
    settings: Spec | None = None  # the first spec: the provider settings a repository's specs share

    @property
    def complete(self) -> bool:
        return not self.notes

    def script(self, apps: Sequence[App] | None = None) -> str:
        """A POSIX sh script that runs make for `apps` (default: every affected app); each app runs even
        when another failed, and the script fails when any did."""
        chosen = [app for app in (self.apps if apps is None else apps) if app.affected]
        lines = ["status=0"]
        for app in chosen:
            for call in app.make_calls(self.scans[app.spec], self.gates[app.spec]):
                lines.append(f"{shlex.join(['make', '-C', app.directory, *call])} || status=1")
        lines.append('exit "$status"')
        return "\n".join(lines) + "\n"

    def batches(self, releasing: bool, limit: int = MAX_BATCHES) -> list[dict[str, str]]:
        """GitHub matrix entries (at most MAX_BATCHES) for the affected apps that do (or do not) release.

        One app per entry while they fit; beyond, apps go to a bucket by a stable hash of their
        name, so a releasing app always lands in the same concurrency group."""
        chosen = [app for app in self.apps if app.affected and app.releases == releasing]
        if len(chosen) <= limit:
            groups = [(app.name, [app]) for app in chosen]
        else:
            buckets: dict[int, list[App]] = {}
            for app in chosen:
                buckets.setdefault(zlib.crc32(app.name.encode()) % limit, []).append(app)
            groups = [(f"bucket-{key}", members) for key, members in sorted(buckets.items())]
        return [{"group": key, "apps": " ".join(a.name for a in members), "script": self.script(members)}
                for key, members in groups]

    def github_outputs(self, prefix: str = "") -> str:
        """Step outputs for GitHub's $GITHUB_OUTPUT (name=value lines): each matrix and its size, each name
        after `prefix` (one pass per cron branch of a scheduled workflow writes its own)."""
        build, release = self.batches(False), self.batches(True)
        return (f"{prefix}builds={len(build)}\n{prefix}build={json.dumps({'include': build})}\n"
                f"{prefix}releases={len(release)}\n{prefix}release={json.dumps({'include': release})}\n")

    def gitlab_child(self) -> str:
        """The child pipeline of a GitLab root pipeline: a job per affected app (or batch of apps)."""
        from ..render.monorepo import GITLAB_MAX_JOBS, ChildJob, gitlab_child

        assert self.settings is not None
        group_of = _NOT_IN_GROUP.sub("-", self.branch or "")
        jobs = [ChildJob(f"{'release' if releasing else 'build'} {entry['group']}", entry["script"], releasing,
                         f"shipspec-release-{group_of}-{entry['group']}")
                for releasing in (False, True) for entry in self.batches(releasing, GITLAB_MAX_JOBS // 2)]
        return gitlab_child(self.settings, jobs, self.branch)

    def as_json(self) -> dict[str, object]:
        build, release = self.batches(False), self.batches(True)
        return {
            "mode": self.mode, "base": self.base, "branch": self.branch, "complete": self.complete,
            "notes": self.notes,
            "apps": [
                {"name": a.name, "spec": a.spec, "dir": a.directory, "affected": a.affected, "build": a.build,
                 "push": a.pushes, "deploy": a.deploy,
                 "propose": [{"env": p.env, "tag": p.tag, "new": p.new} for p in a.propose],
                 "reasons": a.reasons}
                for a in self.apps
            ],
            "count": sum(a.affected for a in self.apps),
            "build": {"include": build}, "release": {"include": release},
            "script": self.script(),
        }


def affected(paths: Sequence[Path], *, base: str | None, release: str | None, charts_url: str | None = None,
             charts_dir: Path | None = None, schedule: bool = False) -> Result:
    if schedule and release is None:
        raise UsageError("--schedule needs --release BRANCH: the branch the scheduled build runs on")
    if base is None and release is None:
        raise UsageError("say what to compare with: --base REF (a build) or --release BRANCH (a push that releases)")
    if release is not None and names.branch(release):
        raise UsageError(f"--release {release!r}: not a branch name ({names.branch(release)})")
    loaded = _load_all(paths)
    roots = {git_root(item.directory) for item in loaded}
    if None in roots:
        raise UsageError("shipspec affected compares commits: every spec must be inside a git repository")
    if len(roots) > 1:
        raise UsageError("the specs belong to different git repositories; run shipspec affected once per repository")
    history = History(git.Repo(next(iter(roots))), base)  # type: ignore[arg-type]
    apps = [_app(item) for item in loaded]
    releasing = [(item, app) for item, app in zip(loaded, apps)
                 if release is not None and item.spec.branches and _releases(item, release, schedule)]
    measured = {id(app) for _, app in releasing}
    for item, app in zip(loaded, apps):
        if id(app) not in measured and not schedule:  # a scheduled build leaves every other app alone
            _build_mode(item, app, history)
    if releasing:
        _release_mode(releasing, release or "", history, charts_url, charts_dir)
    return Result("schedule" if schedule else "release" if release is not None else "build", base, release, apps,
                  {app.spec: item.spec.scan.enabled for item, app in zip(loaded, apps)},
                  {app.spec: item.spec.argocd.server is not None for item, app in zip(loaded, apps)}, history.notes,
                  loaded[0].spec if loaded else None)


def _load_all(paths: Sequence[Path]) -> list[LoadedSpec]:
    loaded, problems = [], []
    with parallel.batch_collector():  # the specs loaded so far are kept: not walked again by every collection
        for path in paths:
            try:
                loaded.append(load(path))
            except InvalidSpec as exc:
                problems += exc.problems
    if problems:
        raise InvalidSpec(problems)
    return loaded


def _releases(item: LoadedSpec, branch: str, schedule: bool = False) -> bool:
    """Whether a push of `branch` (or, with `schedule`, its scheduled build) releases this app."""
    rule = (item.spec.branches or {}).get(branch)
    return rule is not None and bool(rule.deploy or rule.propose) and (rule.cron or not schedule)


def _app(item: LoadedSpec) -> App:
    folder = item.repo_path.rpartition("/")[0]
    return App(item.spec.name, display_path(item.path), folder or ".")


def _build_mode(item: LoadedSpec, app: App, history: History) -> None:
    changed = history.changed_since_base()
    if changed is None:
        app.build, app.reasons = True, ["history unreadable: counted as affected"]
    elif inputs(item.spec, item.repo_path).touched_by(changed):
        app.build, app.reasons = True, [f"inputs changed since {history.base_name}"]


def _release_mode(releasing: list[tuple[LoadedSpec, App]], branch: str, history: History,
                  charts_url: str | None, charts_dir: Path | None) -> None:
    from . import status

    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shipspec-affected-")))
        sources: dict[tuple[str, str], status.Charts] = {}
        for item, app in releasing:
            key = (git.charts_remote(item.spec.charts.repo, charts_url)[0], item.spec.charts.branch)
            if key not in sources:
                sources[key] = status.open_charts(*key, charts_dir, scratch / f"charts-{len(sources)}")
            _release_app(item, app, branch, sources[key], history)


def _release_app(item: LoadedSpec, app: App, branch: str, charts: status.Charts, history: History) -> None:
    from . import status

    spec = item.spec
    rule = (spec.branches or {})[branch]
    running = {env.name: env.tag for env in status.app_status(item, charts, "").environments}
    new_tag = history.head_tag(spec.image.sha_length)
    matcher = inputs(spec, item.repo_path)
    after = dict(running)
    for name in rule.deploy:
        env = spec.environment(name)
        if env is not None and env.pin is not None:
            app.reasons.append(f"{name}: pinned to {env.pin}, not released")
            continue
        reason = _deploy_reason(running.get(name), matcher, history)
        if reason is not None:
            app.deploy.append(name)
            app.reasons.append(f"{name}: {reason}")
            after[name] = new_tag
    order = [env.name for env in spec.environments]
    for name in rule.propose:
        index = order.index(name)
        previous = order[index - 1] if index else None
        offered = after.get(previous) if previous is not None else None
        if offered is None or names.image_tag(offered):
            continue  # nothing runs before it yet (or a tag no release could carry): nothing to offer
        if running.get(name) == offered:
            continue
        if _proposed(item, charts, name) == offered:
            continue
        new = previous in app.deploy
        app.propose.append(Proposal(name, offered, new))
        app.reasons.append(f"{name}: offered {offered}, which {previous} runs{' after this build' if new else ''}")


def _deploy_reason(tag: str | None, matcher: object, history: History) -> str | None:
    if tag is None:
        return "no release yet"
    commit = history.commit_of(tag)
    if commit is None:
        return f"runs {tag}, which this history does not know"
    changed = history.changed_between(commit)
    if matcher.touched_by(changed):  # type: ignore[attr-defined]
        return f"inputs changed since {tag}, which it runs"
    return None


def _proposed(item: LoadedSpec, charts: status.Charts, env_name: str) -> str | None:
    """The tag the open promotion branch shipspec/<app>/<env> of the charts repo holds, if any."""
    from . import status

    spec = item.spec
    branch = f"{status.PROPOSAL_PREFIX}{spec.name}/{env_name}"
    if charts.repo is None or branch not in charts.proposal_branches():
        return None
    env = spec.environment(env_name)
    return status.proposed_tag(charts.repo, charts.owned, branch, f"{spec.charts.path}/{env.values_file if env else ''}")
