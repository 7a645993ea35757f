"""A monorepo's root pipeline, run as each provider would run it (tests/ci_sim), for a real git
monorepo (three apps, a shared library watched by one of them, a README) and a real charts repo:
exactly which apps build and which release, for each scenario of issue 22."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ci_sim import github, gitlab, travis
from ci_sim.common import Run, is_shallow
from ci_sim.repos import SourceRepo, shipspec

PIPELINES = {"travis": ".travis.yml", "github": ".github/workflows/shipspec.yml", "gitlab": ".gitlab-ci.yml"}
APPS = ("api", "web", "worker")
SECRETS = {"DOCKER_USER": "ci", "DOCKER_PASS": "pass", "CHARTS_TOKEN": "token", "GITHUB_TOKEN": "token"}
SPEC = """apiVersion: shipspec/v1
kind: App
name: {name}
image:
  repository: acme/{name}
charts:
  repo: {charts}
ci: {ci}
{extra}"""


class Monorepo:
    def __init__(self, root: Path, ci: str, extras: dict[str, str] | None = None) -> None:
        self.ci = ci
        self.charts = root / "charts.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "master", str(self.charts)], check=True)
        seed = SourceRepo(root / "seed")
        seed.commit("seed", {"README.md": "charts\n"})
        seed.git("push", "-q", self.charts.as_uri(), "HEAD:master")
        self.repo = SourceRepo(root / "src")
        files = {"README.md": "the monorepo\n", "libs/common/util.py": "x = 1\n"}
        for name in APPS:
            extra = "watch: [../../libs/common/**]\n" if name == "api" else ""
            extra += (extras or {}).get(name, "")
            files[f"services/{name}/shipspec.yaml"] = SPEC.format(name=name, charts=self.charts.as_uri(), ci=ci,
                                                                  extra=extra)
            files[f"services/{name}/Dockerfile"] = "FROM scratch\n"
            files[f"services/{name}/main.py"] = "print(1)\n"
        for path, text in files.items():
            target = self.repo.path / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        shipspec(self.repo.path, "generate", ".")
        self.repo.commit("first version")

    @property
    def path(self) -> Path:
        return self.repo.path

    def change(self, message: str, files: dict[str, str], branch: str = "master") -> str:
        """Commit on `branch`; regenerate, as a developer does before committing a spec change."""
        self.repo.checkout(branch)
        for path, text in files.items():
            (self.path / path).parent.mkdir(parents=True, exist_ok=True)
            (self.path / path).write_text(text)
        shipspec(self.path, "generate", ".")
        return self.repo.commit(message)

    def release(self, app: str, env: str) -> None:
        """What a successful release did: the real promote, into the real charts repo."""
        tag = self.repo.git("rev-parse", "--short=7", "HEAD")
        done = subprocess.run([sys.executable, "-m", "shipspec", "promote", env, "--tag", tag, "--spec",
                               f"services/{app}/shipspec.yaml"], cwd=self.path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    def run(self, kind: str, tmp_path: Path, **args: str) -> Run:
        """kind: pull_request (args head, base) or push (args branch, before)."""
        pipeline = self.path / PIPELINES[self.ci]
        if self.ci == "github":
            event = (github.pull_request(self.path, args["head"], args["base"]) if kind == "pull_request"
                     else github.push(self.path, args["branch"], args.get("before")))
            return github.simulate(self.path, pipeline, event, root=tmp_path, secrets=SECRETS)
        if self.ci == "gitlab":
            event = (gitlab.merge_request(self.path, args["head"], args["base"]) if kind == "pull_request"
                     else gitlab.push(self.path, args["branch"], args.get("before")))
            event.variables.update(SECRETS)
            return gitlab.simulate(self.path, pipeline, event, root=tmp_path)
        event = (travis.pull_request(self.path, args["head"], args["base"]) if kind == "pull_request"
                 else travis.push(self.path, args["branch"], args.get("before")))
        return travis.simulate(self.path, pipeline, event, root=tmp_path, secrets=SECRETS)


def apps_made(run: Run) -> dict[str, list[tuple[str, ...]]]:
    """{app: [make goals, ...]} over every job (and child pipeline) of the run."""
    made: dict[str, list[tuple[str, ...]]] = {}
    for job in run.all_jobs():
        for _cwd, argv in job.make_targets():
            assert argv[0] == "-C", argv
            made.setdefault(argv[1].removeprefix("services/"), []).append(argv[2:])
    return made


def verdict(run: Run) -> str:
    """The result of the one job named `shipspec` (Travis: every build is that one job)."""
    [job] = [job for job in run.all_jobs() if job.name == "shipspec"]
    return job.result


@pytest.fixture(params=["github", "gitlab", "travis"])
def mono(request: pytest.FixtureRequest, tmp_path: Path) -> Monorepo:
    return Monorepo(tmp_path / "world", request.param)


BUILD = {"github": ("docker-build", "test", "docker-scan")}


def test_a_pull_request_touching_one_app_builds_that_app(mono: Monorepo, tmp_path: Path) -> None:
    mono.repo.git("checkout", "-q", "-b", "feature")
    mono.change("web change", {"services/web/main.py": "print(2)\n"}, branch="feature")
    run = mono.run("pull_request", tmp_path / "run", head="feature", base="master")
    assert apps_made(run) == {"web": [("docker-build", "test", "docker-scan")]}
    assert run.status in ("success", "passed") and verdict(run) in ("success", "passed")


def test_a_push_touching_the_shared_library_builds_the_app_that_watches_it(mono: Monorepo, tmp_path: Path) -> None:
    before = mono.repo.sha()
    mono.repo.git("checkout", "-q", "-b", "feature")
    mono.change("library", {"libs/common/util.py": "x = 2\n"}, branch="feature")
    run = mono.run("push", tmp_path / "run", branch="feature", before=before)
    assert apps_made(run) == {"api": [("docker-build", "test", "docker-scan")]}
    assert verdict(run) in ("success", "passed")


def test_a_readme_only_push_builds_nothing_and_the_check_is_green(mono: Monorepo, tmp_path: Path) -> None:
    before = mono.repo.sha()
    mono.repo.git("checkout", "-q", "-b", "docs")
    mono.change("docs", {"README.md": "more words\n"}, branch="docs")
    run = mono.run("push", tmp_path / "run", branch="docs", before=before)
    assert apps_made(run) == {}
    assert run.status in ("success", "passed") and verdict(run) in ("success", "passed")


def test_a_push_after_a_failed_release_of_another_app_releases_it_now(mono: Monorepo, tmp_path: Path) -> None:
    for app in APPS:  # stag of every app runs the first version
        mono.release(app, "stag")
    mono.change("web change, whose release to stag then failed", {"services/web/main.py": "print(2)\n"})
    before = mono.repo.sha()
    mono.change("api change", {"services/api/main.py": "print(3)\n"})
    run = mono.run("push", tmp_path / "run", branch="master", before=before)
    made = apps_made(run)
    release = ("docker-login", "docker-build", "test", "docker-push", "stag-commit", "prod-pr")
    assert made["api"] == [release] and made["web"] == [release]  # web: retried, though untouched now
    first = mono.repo.git("rev-parse", "--short=7", "HEAD~2")
    assert made["worker"] == [("prod-pr", f"TAG={first}")]  # no rebuild: prod is offered what stag runs
    assert verdict(run) in ("success", "passed")


def test_a_spec_only_change_builds_its_app(mono: Monorepo, tmp_path: Path) -> None:
    mono.repo.git("checkout", "-q", "-b", "feature")
    spec = (mono.path / "services/worker/shipspec.yaml").read_text()
    mono.change("worker: a team", {"services/worker/shipspec.yaml": spec + "team: ops\n"}, branch="feature")
    run = mono.run("pull_request", tmp_path / "run", head="feature", base="master")
    assert apps_made(run) == {"worker": [("docker-build", "test", "docker-scan")]}


def test_an_app_that_fails_fails_the_shipspec_check(mono: Monorepo, tmp_path: Path) -> None:
    from ci_sim.common import Stubs

    mono.repo.git("checkout", "-q", "-b", "feature")
    mono.change("web and api", {"services/web/main.py": "print(2)\n", "services/api/main.py": "print(2)\n"},
                branch="feature")
    stubs = Stubs(tmp_path / "stubs")
    stubs.fail.append({"tool": "make", "word": "services/web"})
    pipeline = mono.path / PIPELINES[mono.ci]
    if mono.ci == "github":
        run = github.simulate(mono.path, pipeline, github.pull_request(mono.path, "feature", "master"),
                              root=tmp_path / "run", secrets=SECRETS, stubs=stubs)
    elif mono.ci == "gitlab":
        run = gitlab.simulate(mono.path, pipeline, gitlab.merge_request(mono.path, "feature", "master"),
                              root=tmp_path / "run", stubs=stubs)
    else:
        run = travis.simulate(mono.path, pipeline, travis.pull_request(mono.path, "feature", "master"),
                              root=tmp_path / "run", secrets=SECRETS, stubs=stubs)
    assert set(apps_made(run)) == {"api", "web"}  # every affected app runs, even after one failed
    assert run.status not in ("success", "passed")
    assert [job.name for job in run.all_jobs() if job.name == "shipspec"]
    assert verdict(run) not in ("success", "passed")


def test_a_shallow_clone_counts_every_app(mono: Monorepo, tmp_path: Path) -> None:
    """The checkout a CI makes by default (GitHub: one commit) cannot see the merge base: `affected`
    says so and counts every app; the root pipelines ask for the whole history instead."""
    mono.repo.git("checkout", "-q", "-b", "feature")
    mono.change("web change", {"services/web/main.py": "print(2)\n"}, branch="feature")
    event = github.pull_request(mono.path, "feature", "master")
    work = github.checkout(mono.path, event, tmp_path / "shallow", fetch_depth=1)
    assert is_shallow(work)
    done = subprocess.run([sys.executable, "-m", "shipspec", "affected", ".", "--base", "origin/master"], cwd=work,
                          capture_output=True, text=True)
    assert done.returncode == 0 and "every app counts as affected" in done.stderr
    assert done.stdout.endswith("3 of 3 apps affected\n")


def test_github_hands_the_charts_token_only_to_releasing_pushes(tmp_path: Path) -> None:
    """The step of job `affected` that reads the charts repo, its token's expression evaluated by GitHub's
    own expression engine for each kind of event."""
    import yaml

    mono = Monorepo(tmp_path / "world", "github")
    workflow = yaml.safe_load((mono.path / PIPELINES["github"]).read_text())
    [step] = [step for step in workflow["jobs"]["affected"]["steps"] if step.get("id") == "affected"]
    expression = step["env"]["SHIPSPEC_CHARTS_TOKEN"].strip().removeprefix("${{").removesuffix("}}")
    secrets = {"CHARTS_TOKEN": "token"}
    for event, ref, expected in (("pull_request", "refs/pull/1/merge", ""), ("push", "refs/heads/feature", ""),
                                 ("push", "refs/tags/v1", ""), ("push", "refs/heads/master", "token"),
                                 ("push", "refs/heads/dev", "token"), ("workflow_dispatch", "refs/heads/master", "")):
        context = {"github": {"event_name": event, "ref": ref}, "secrets": secrets}
        assert github.evaluate(expression, context) == expected, (event, ref)


# worker's staging builds release only on a push: its table has no `cron` for staging.
NO_CRON = """branches:
  dev: {deploy: [dev], propose: [stag]}
  staging: {deploy: [stag]}
  master: {deploy: [stag], propose: [prod]}
"""


def scheduled(mono: Monorepo, branch: str, tmp_path: Path) -> Run:
    """The provider's scheduled build of `branch` (GitHub: the schedule of the default branch, master)."""
    pipeline = mono.path / PIPELINES[mono.ci]
    if mono.ci == "github":
        return github.simulate(mono.path, pipeline, github.schedule(mono.path, "37 2 * * *"), root=tmp_path,
                               secrets=SECRETS)
    if mono.ci == "gitlab":
        event = gitlab.schedule(mono.path, branch)
        event.variables.update(SECRETS)
        return gitlab.simulate(mono.path, pipeline, event, root=tmp_path)
    return travis.simulate(mono.path, pipeline, travis.cron(mono.path, branch), root=tmp_path, secrets=SECRETS)


@pytest.mark.parametrize("ci", ["github", "gitlab", "travis"])
def test_a_scheduled_build_of_staging_releases_the_cron_apps_that_differ_from_what_stag_runs(
        ci: str, tmp_path: Path) -> None:
    mono = Monorepo(tmp_path / "world", ci, {"worker": NO_CRON})
    mono.repo.git("branch", "staging")
    for app in APPS:  # stag of every app runs the first version
        mono.release(app, "stag")
    mono.change("web and worker change on staging", {"services/web/main.py": "print(2)\n",
                                                     "services/worker/main.py": "print(2)\n"}, branch="staging")
    mono.repo.checkout("master")  # GitHub's schedule runs the default branch's workflow
    run = scheduled(mono, "staging", tmp_path / "run")
    # web: cron, changed; api: cron, unchanged (not redeployed); worker: changed, but no cron.
    assert apps_made(run) == {"web": [("docker-login", "docker-build", "test", "docker-push", "stag-commit")]}
    assert run.status in ("success", "passed") and verdict(run) in ("success", "passed")
    staging = mono.repo.git("rev-parse", "--short=7", "staging")
    # The release tags the staging commit it measured (make reads git's HEAD in the app's checkout).
    [job] = [job for job in run.all_jobs() if job.make_targets()]
    assert job.workspace is not None and mono.repo.git("-C", str(job.workspace), "rev-parse", "--short=7",
                                                       "HEAD") == staging

    mono.repo.checkout("staging")
    mono.release("web", "stag")  # what that release did
    mono.repo.checkout("master")
    again = scheduled(mono, "staging", tmp_path / "again")
    assert apps_made(again) == {}
    assert again.status in ("success", "passed") and verdict(again) in ("success", "passed")


def test_github_measures_and_releases_each_cron_branch_from_its_own_commit(tmp_path: Path) -> None:
    """Two cron branches (staging by default, and api's `nightly`): one schedule event of the default
    branch checks out each, and each release job builds the very commit of its branch."""
    nightly = """branches:
  dev: {deploy: [dev], propose: [stag]}
  staging: {deploy: [stag], cron: true}
  master: {deploy: [stag], propose: [prod]}
  nightly: {deploy: [dev], cron: true}
"""
    mono = Monorepo(tmp_path / "world", "github", {"api": nightly})
    workflow = (mono.path / PIPELINES["github"]).read_text()
    assert "scheduled-0:" in workflow and "scheduled-1:" in workflow and "scheduled-2:" not in workflow
    mono.repo.git("branch", "staging")
    mono.repo.git("branch", "nightly")
    for app in APPS:
        mono.release(app, "stag")
    mono.release("api", "dev")
    mono.change("api on nightly", {"services/api/main.py": "print(7)\n"}, branch="nightly")
    mono.change("web on staging", {"services/web/main.py": "print(8)\n"}, branch="staging")
    mono.repo.checkout("master")
    run = scheduled(mono, "staging", tmp_path / "run")
    release = ("docker-login", "docker-build", "test", "docker-push")
    assert apps_made(run) == {"api": [(*release, "dev-commit")], "web": [(*release, "stag-commit")]}
    heads = {}
    for job in run.all_jobs():
        for _cwd, argv in job.make_targets():
            assert job.workspace is not None
            heads[argv[1].removeprefix("services/")] = mono.repo.git("-C", str(job.workspace), "rev-parse", "HEAD")
    assert heads == {"api": mono.repo.git("rev-parse", "nightly"), "web": mono.repo.git("rev-parse", "staging")}
    assert verdict(run) == "success"
