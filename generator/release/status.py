"""What runs where, from git alone: the data behind `shipspec status`.

One shallow clone per distinct charts repo and branch (shared by every app of
a monorepo) gives each environment's tag; one `ls-remote` per clone lists the
promotion branches, so the review API is asked only about branches that
exist; each app repo answers for all of its tags in one `cat-file` and one
`git log` pass, plus one `rev-list --count` per distinct pair of tags.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidSpec, OperationFailed, ShipspecError
from ..files import workspace
from ..files.paths import display_path, git_root
from ..files import parallel
from ..files.specfile import load
from ..output import err
from ..redact import redact
from ..spec.validation import LoadedSpec
from . import argocd, git, review, reviews, tagedit

PROPOSAL_PREFIX = "shipspec/"


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    date: str  # the author date, ISO 8601


@dataclass(frozen=True)
class Proposal:
    kind: str  # "pull request" | "merge request"
    label: str  # "pull request #3" | "merge request !3"
    number: int
    url: str
    branch: str
    tag: str | None  # what the branch's overlay proposes


@dataclass(frozen=True)
class Live:
    """What Argo CD reports of an environment's Application (with argocd.server, SPEC 1.2)."""

    sync: str
    health: str
    images: tuple[str, ...]
    url: str


@dataclass
class EnvStatus:
    name: str
    tag: str | None  # None: awaiting its first release
    pin: str | None
    commit: Commit | None = None
    behind: int | None = None  # commits that the environment before this one has and this one lacks
    proposal: Proposal | None = None
    live: Live | None = None


@dataclass
class AppStatus:
    name: str
    spec: str
    repo: str  # redacted
    branch: str
    environments: list[EnvStatus] = field(default_factory=list)
    live: bool = False  # argocd.server is set: the table has live columns


@dataclass
class Charts:
    """One readable copy of a charts repo branch: a fresh clone, or the --charts-dir checkout."""

    root: Path
    repo: git.Repo | None
    owned: bool  # our own clone, which may fetch; never a fetch into the user's --charts-dir checkout
    _branches: set[str] | None = None

    def proposal_branches(self) -> set[str]:
        if self._branches is None:
            self._branches = set()
            if self.repo is not None:
                listed = self.repo.output("ls-remote", "--heads", "origin", f"refs/heads/{PROPOSAL_PREFIX}*")
                self._branches = {line.split("\t", 1)[1].removeprefix("refs/heads/")
                                  for line in listed.splitlines() if "\t" in line}
        return self._branches


def collect(paths: Sequence[Path], *, charts_url: str | None, charts_dir: Path | None) -> list[AppStatus]:
    """The status of every app, in the order given; InvalidSpec with every problem of every spec."""
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=4) as pool:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shipspec-status-")))
        stack.enter_context(parallel.batch_collector())  # every spec is kept: not walked again by each collection
        clones: dict[tuple[str, str], Future[Charts]] = {}
        loaded, problems = [], []
        for path in paths:
            try:
                item = load(path)
            except InvalidSpec as exc:
                problems += exc.problems
                continue
            key = (git.charts_remote(item.spec.charts.repo, charts_url)[0], item.spec.charts.branch)
            if key not in clones:  # clone while the other specs load: git works while Python parses
                clones[key] = pool.submit(_open_charts, *key, charts_dir, scratch / f"charts-{len(clones)}")
            loaded.append((item, key))
        if problems:
            raise InvalidSpec(problems)
        sources = {key: future.result() for key, future in clones.items()}
        proposals = _Proposals()
        apps = []
        for item, key in loaded:
            apps.append(_app(item, sources[key], key[0]))
            proposals.add(item, sources[key], apps[-1])
        _add_commits([item for item, _ in loaded], apps)
        _add_live([item for item, _ in loaded], apps)
        return apps


def _open_charts(url: str, branch: str, charts_dir: Path | None, destination: Path) -> Charts:
    if charts_dir is not None:
        return Charts(charts_dir, git.toplevel(charts_dir), owned=False)
    # The same credentials as promote: CI's token over HTTPS, else git's own setup.
    return Charts(destination, git.clone(url, destination, branch, token=git.charts_token()), owned=True)


def _app(item: LoadedSpec, charts: Charts, url: str) -> AppStatus:
    spec = item.spec
    app = AppStatus(spec.name, display_path(item.path), redact(url), spec.charts.branch)
    for env in spec.environments:
        path = f"{spec.charts.path}/{env.values_file}"
        app.environments.append(EnvStatus(env.name, _overlay_tag(charts.root / path, path), env.pin))
    return app


def _overlay_tag(path: Path, where: str) -> str | None:
    """The overlay's tag; None when it has none yet (or an empty one, as shipspec 1.0 wrote)."""
    tag = workspace.read_tag(path)
    if tag is not None or not path.is_file():
        return tag or None
    # Not shipspec's own layout (edited by hand): parse it as YAML instead.
    return tagedit.current_tag(path.read_text(encoding="utf-8", errors="replace"), where)


class _Proposals:
    """The open request of each promotion branch that exists, with one review client per charts repo."""

    def __init__(self) -> None:
        self.clients: dict[tuple[str | None, str], review.Review] = {}
        self.failed: set[tuple[str | None, str]] = set()

    def add(self, item: LoadedSpec, charts: Charts, app: AppStatus) -> None:
        spec = item.spec
        if charts.repo is None or not reviews.has_token(spec):
            return  # SPEC: the open request is shown when a token is set
        for env, status in zip(spec.environments, app.environments):
            branch = f"{PROPOSAL_PREFIX}{spec.name}/{env.name}"
            if branch not in charts.proposal_branches():
                continue
            found = self._find_open(item, branch)
            if found is not None:
                kind, proposal = found
                tag = _proposed_tag(charts.repo, charts.owned, branch, f"{spec.charts.path}/{env.values_file}")
                status.proposal = Proposal(kind, proposal.label, proposal.number, proposal.url, branch, tag)

    def _find_open(self, item: LoadedSpec, branch: str) -> tuple[str, review.Proposal] | None:
        key = (item.spec.charts.review, item.spec.charts.repo)
        if key in self.failed:
            return None
        try:
            client = self.clients.get(key) or self.clients.setdefault(key, reviews.for_spec(item.spec))
            found = client.find_open_pull(branch, item.spec.charts.branch)
        except ShipspecError as exc:  # the table is still worth printing without it: warn once per repo
            self.failed.add(key)
            err(f"shipspec: warning: cannot list the open pull/merge requests of {redact(item.spec.charts.repo)}: "
                f"{exc.message}")
            return None
        return (client.noun, found) if found is not None else None


def _proposed_tag(repo: git.Repo, owned: bool, branch: str, path: str) -> str | None:
    """The tag the branch's overlay proposes: fetched into our clone, or as a --charts-dir checkout last saw it."""
    try:
        revision = repo.fetch(branch) if owned else f"refs/remotes/origin/{branch}"
        return tagedit.current_tag(repo.show_file(revision, path), f"{branch}:{path}")
    except OperationFailed:  # the branch went away since ls-remote listed it (merged and deleted)
        return None


def _add_live(loaded: Sequence[LoadedSpec], apps: list[AppStatus]) -> None:
    """Each environment's Application as Argo CD reports it; warn once per server that cannot be read."""
    failed: set[str] = set()
    for item, app in zip(loaded, apps):
        spec = item.spec
        if spec.argocd.server is None:
            continue
        app.live = True
        if spec.argocd.server in failed:
            continue
        try:
            client = argocd.ArgoCD.for_spec(spec)
            for env in app.environments:
                if env.tag is not None:  # no Application before the first release
                    found = client.application(f"{spec.name}-{env.name}")
                    env.live = Live(found.sync, found.health, found.images, found.url)
        except ShipspecError as exc:  # the git view is still worth printing without it
            failed.add(spec.argocd.server)
            err(f"shipspec: warning: no live columns from {redact(spec.argocd.server)}: {exc.message}")


def _add_commits(loaded: Sequence[LoadedSpec], apps: list[AppStatus]) -> None:
    by_repo: dict[Path, tuple[git.Repo, list[AppStatus]]] = {}
    for item, app in zip(loaded, apps):
        root = git_root(item.directory)  # a monorepo's thousand specs: no git process each
        if root is not None:
            by_repo.setdefault(root, (git.Repo(root), []))[1].append(app)
    for repo, members in by_repo.values():
        History(repo).annotate(members)


class History:
    """The app repo's answers about tags, asked in as few git calls as possible."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        self._behind: dict[tuple[str, str], int] = {}

    def annotate(self, apps: list[AppStatus]) -> None:
        # A tag with a blank in it could not be a commit name, and would break cat-file's line protocol.
        tags = sorted({env.tag for app in apps for env in app.environments if env.tag and env.tag.split() == [env.tag]})
        commits = self._commits(self._resolve(tags))
        for app in apps:
            previous: EnvStatus | None = None
            for env in app.environments:
                env.commit = commits.get(env.tag or "")
                if previous and previous.commit and env.commit:
                    env.behind = self._count(env.commit.sha, previous.commit.sha)
                previous = env

    def _resolve(self, tags: list[str]) -> dict[str, str]:
        """tag -> full commit sha, for the tags this history knows (a shallow clone may not)."""
        if not tags:
            return {}
        done = self.repo.run("cat-file", "--batch-check=%(objectname) %(objecttype)",
                             stdin="".join(f"{tag}^{{commit}}\n" for tag in tags))
        lines = done.stdout.splitlines()
        return {tag: line.split()[0] for tag, line in zip(tags, lines) if line.endswith(" commit")}

    def _commits(self, shas: dict[str, str]) -> dict[str, Commit]:
        if not shas:
            return {}
        unique = sorted(set(shas.values()))
        logged = self.repo.output("log", "--no-walk=unsorted", "--format=%H%x00%aI%x00%s", *unique)
        by_sha = {}
        for line in logged.splitlines():
            sha, date, subject = line.split("\x00", 2)
            by_sha[sha] = Commit(sha, subject, date)
        return {tag: by_sha[sha] for tag, sha in shas.items() if sha in by_sha}

    def _count(self, have: str, ahead: str) -> int:
        if (have, ahead) not in self._behind:
            self._behind[have, ahead] = int(self.repo.output("rev-list", "--count", ahead, f"^{have}"))
        return self._behind[have, ahead]


# Shared with `shipspec affected`, which reads what runs exactly as this table does.
open_charts = _open_charts
app_status = _app
proposed_tag = _proposed_tag
