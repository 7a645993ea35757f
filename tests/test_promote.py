"""`shipspec promote` against real git: bare charts repos over file://, real app repos, a fake GitHub API."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from shipspec.cli import main
from shipspec.render.core import render
from shipspec.files.specfile import load
from tests.conftest import REPO_ROOT
from tests.fake_github import FakeGitHub

SECRET = "s3cr3t-t0ken-do-not-print"
VALUES_WITH_COMMENTS = """\
# Hand-written overlay: the release replaces it with what the spec renders.
image:
    repository:   myrepo/myapp      # odd indentation, padded values
    tag: old1234   # written by the release pipeline
    pullPolicy:   IfNotPresent
replicaCount:    2    # two replicas
resources: { limits: {cpu: 500m} }  # flow style stays flow style
"""


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args],
                          cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class App:
    directory: Path
    name: str
    tags: list[str] = field(default_factory=list)

    @property
    def spec(self) -> Path:
        return self.directory / "shipspec.yaml"

    def commit(self, subject: str) -> str:
        (self.directory / "code.txt").write_text(subject)
        git(self.directory, "add", "code.txt")
        git(self.directory, "commit", "-q", "-m", subject)
        self.tags.append(git(self.directory, "rev-parse", "--short=7", "HEAD"))
        return self.tags[-1]


@dataclass
class World:
    root: Path

    @property
    def bare(self) -> Path:
        return self.root / "myorg" / "charts.git"

    def seed(self, files: dict[str, str]) -> None:
        work = self.root / "seed"
        if work.exists():
            git(work, "pull", "-q", "origin", "master")
        else:
            git(self.root, "clone", "-q", self.bare.as_uri(), str(work))
        for path, text in files.items():
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_text(text)
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "seed")
        git(work, "push", "-q", "origin", "HEAD:master")

    def app(self, name: str = "myapp", *, repo: str | None = None, extra: str = "", commits: int = 3) -> App:
        app = App(self.root / "apps" / name, name)
        app.directory.mkdir(parents=True)
        app.spec.write_text(f"apiVersion: shipspec/v1\nkind: App\nname: {name}\nimage:\n  repository: myrepo/{name}\n"
                            f"charts:\n  repo: {repo or self.bare.as_uri()}\n{extra}")
        git(app.directory, "init", "-q", "-b", "main")
        for number in range(commits):
            app.commit(f"{name} change {number}")
        return app

    def show(self, path: str, ref: str = "master") -> str | None:
        done = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=self.bare, capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else None

    def subjects(self, ref: str = "master") -> list[str]:
        return git(self.bare, "log", "--format=%s", ref).splitlines()

    def head(self, ref: str = "master") -> str:
        return git(self.bare, "rev-parse", ref)


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user or system git config and no tokens leak in: results must not depend on the machine."""
    config = tmp_path / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = master\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                 "GITHUB_TOKEN", "GITHUB_API_URL", "SHIPSPEC_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return config


@pytest.fixture()
def world(tmp_path: Path) -> World:
    created = World(tmp_path / "w")
    created.bare.parent.mkdir(parents=True)
    git(created.root, "init", "-q", "--bare", "-b", "master", str(created.bare))
    created.seed({"README.md": "charts\n"})
    return created


@pytest.fixture()
def promote(capsys: pytest.CaptureFixture[str]):
    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            main(["promote", *args])
        captured = capsys.readouterr()
        return exited.value.code, captured.out, captured.err

    return run


def rendered(app: App, env: str, tag: str) -> dict[str, str]:
    return {o.path: text for o, text in render(load(app.spec), {env: tag}).items() if o.root == "charts"}


def test_direct_release_writes_the_files_whole_and_names_the_hand_edits_it_replaced(world: World, promote) -> None:
    world.seed({"charts/myapp/values.stag.yaml": VALUES_WITH_COMMENTS})
    app, before = world.app(), world.head()
    code, out, err = promote("stag", "--tag", app.tags[-1], "--spec", str(app.spec))
    assert (code, err) == (0, "shipspec: warning: old1234 not in the app repo's history (shallow clone?): "
                              f"cannot tell whether {app.tags[-1]} is older than old1234; releasing\n"
                              "shipspec: warning: charts/myapp/values.stag.yaml was edited by hand in the charts "
                              "repo; replacing it with what the spec renders (make the change in the spec)\n")
    assert out.startswith(f"released {app.tags[-1]} to stag: commit ")
    files = rendered(app, "stag", app.tags[-1])
    assert world.show("charts/myapp/values.stag.yaml") == files["charts/myapp/values.stag.yaml"]
    assert world.show("argocd/myapp-stag.yaml") == files["argocd/myapp-stag.yaml"]
    log = git(world.bare, "log", "-1", "--format=%B|%an <%ae>|%cn <%ce>|%P", "master")
    assert log == f"myapp: release {app.tags[-1]} to stag [skip ci]\n\nReplaces hand edits, as the spec renders " \
                  "these files whole:\n- charts/myapp/values.stag.yaml\n|shipspec <shipspec@localhost>|" \
                  f"shipspec <shipspec@localhost>|{before}"


def test_a_spec_change_reaches_the_charts_repo_with_the_next_release(world: World, promote) -> None:
    app = world.app()
    assert promote("dev", "--tag", app.tags[0], "--spec", str(app.spec))[0] == 0
    app.spec.write_text(app.spec.read_text() + "argocd:\n  syncOptions: [CreateNamespace=true]\nenvironments:\n"
                        "  - name: dev\n    autoSync: false\n    values: {replicaCount: 3}\n  - name: stag\n"
                        "  - name: prod\n")
    tag = app.commit("spec: three replicas in dev")
    code, out, err = promote("dev", "--tag", tag, "--spec", str(app.spec))
    assert (code, err) == (0, "") and out.startswith(f"released {tag} to dev")
    overlay = yaml.safe_load(world.show("charts/myapp/values.dev.yaml"))
    assert overlay == {"image": {"repository": "myrepo/myapp", "tag": tag}, "replicaCount": 3}
    application = yaml.safe_load(world.show("argocd/myapp-dev.yaml"))
    assert application["spec"]["syncPolicy"] == {"syncOptions": ["CreateNamespace=true"]}  # no automated sync
    assert world.subjects()[0] == f"myapp: release {tag} to dev [skip ci]"


def test_a_single_environment_app_releases_production_by_direct_commit(world: World, promote) -> None:
    app = world.app(extra="environments:\n  - name: prod\nbranches:\n  master: {deploy: [prod]}\n")
    code, out, _err = promote("prod", "--tag", app.tags[-1], "--spec", str(app.spec))
    assert code == 0 and out.startswith(f"released {app.tags[-1]} to prod")
    assert f'tag: "{app.tags[-1]}"' in world.show("charts/myapp/values.prod.yaml")
    assert world.show("argocd/myapp-prod.yaml") is not None


def test_new_values_file_is_the_rendered_one_with_a_quoted_tag(world: World, promote) -> None:
    app = world.app()
    code, _out, _err = promote("dev", "--tag", "1234567", "--spec", str(app.spec))
    values = world.show("charts/myapp/values.dev.yaml")
    assert code == 0 and values == rendered(app, "dev", "1234567")["charts/myapp/values.dev.yaml"]
    assert '  tag: "1234567"\n' in values and yaml.safe_load(values)["image"]["tag"] == "1234567"
    assert world.show("argocd/myapp-dev.yaml") is not None


def test_author_comes_from_git_config_when_set(world: World, promote, isolated_git: Path) -> None:
    isolated_git.write_text("[user]\n\tname = Release Bot\n\temail = bot@example.com\n")
    app = world.app()
    assert promote("dev", "--tag", app.tags[-1], "--spec", str(app.spec))[0] == 0
    assert git(world.bare, "log", "-1", "--format=%an <%ae>", "master") == "Release Bot <bot@example.com>"


def test_same_promote_twice_makes_one_commit(world: World, promote) -> None:
    app = world.app()
    assert promote("stag", "--tag", app.tags[-1], "--spec", str(app.spec))[0] == 0
    head = world.head()
    code, out, _err = promote("stag", "--tag", app.tags[-1], "--spec", str(app.spec))
    assert (code, out, world.head()) == (
        0, f"stag already runs {app.tags[-1]} with the files the spec renders: nothing to do\n", head)


def test_an_older_commit_never_replaces_a_newer_one(world: World, promote) -> None:
    app = world.app()
    older, newer = app.tags[0], app.tags[-1]
    assert promote("stag", "--tag", newer, "--spec", str(app.spec))[0] == 0
    head = world.head()
    code, out, _err = promote("stag", "--tag", older, "--spec", str(app.spec))
    assert code == 0 and out == f"stag already runs {newer}, which contains {older}: not moving stag backwards\n"
    assert world.head() == head and f'tag: "{newer}"' in world.show("charts/myapp/values.stag.yaml")
    assert promote("stag", "--tag", app.commit("later"), "--spec", str(app.spec))[0] == 0  # forward still works


def test_a_pinned_environment_gets_its_pin_never_the_tag(world: World, promote) -> None:
    app = world.app(extra="environments:\n  - name: dev\n    pin: v1.0.0\n  - name: stag\n  - name: prod\n")
    code, out, _err = promote("dev", "--tag", app.tags[-1], "--spec", str(app.spec))
    # The pin is configuration too: the pipeline writes it, so a pin set in the spec reaches the charts repo.
    assert code == 0 and world.subjects()[0] == "myapp: pin dev at v1.0.0 [skip ci]"
    assert 'tag: "v1.0.0"  # pinned by environments[0].pin in the spec' in world.show("charts/myapp/values.dev.yaml")
    head = world.head()
    code, out, _err = promote("dev", "--tag", app.commit("later"), "--spec", str(app.spec))
    assert (code, world.head()) == (0, head)
    assert out == (f"dev is pinned to v1.0.0 in the spec: not releasing {app.tags[-1]} (remove the pin to release)\n"
                   "dev already runs v1.0.0 with the files the spec renders: nothing to do\n")


@pytest.mark.parametrize(("args", "message"), [
    (["qa", "--tag", "abc1234"], "unknown environment 'qa': shipspec.yaml defines dev, stag, prod"),
    (["stag", "--tag", "-bad"], "--tag '-bad': must be a Docker tag"),
    (["stag", "--tag", ""], "--tag '': must be a Docker tag"),
    (["prod", "--tag", "abc1234"], "prod is the production environment: it is only released through a pull "
                                   "request; add --pr"),
    (["stag", "--tag", "abc1234", "--spec", "missing.yaml"], "missing.yaml: no such spec file"),
    (["stag"], "Missing option '--tag'"),
])
def test_bad_input_exits_2_and_changes_nothing(world: World, args: list[str], message: str,
                                               monkeypatch: pytest.MonkeyPatch, promote) -> None:
    app = world.app()
    monkeypatch.chdir(app.directory)  # also proves the spec defaults to ./shipspec.yaml
    head = world.head()
    code, out, err = promote(*args)
    assert (code, out, world.head()) == (2, "", head)
    assert message in err and "Traceback" not in err


def test_invalid_spec_exits_2(world: World, promote) -> None:
    app = world.app(extra="colour: blue\n")
    code, _out, err = promote("stag", "--tag", "abc1234", "--spec", str(app.spec))
    assert code == 2 and "colour: unknown field" in err


def test_missing_charts_branch_fails_with_a_hint(world: World, promote) -> None:
    app = world.app(extra="  branch: release\n")
    code, _out, err = promote("stag", "--tag", app.tags[-1], "--spec", str(app.spec))
    assert code == 1 and "git clone of branch release failed" in err
    assert "hint: the branch does not exist in the charts repo" in err


def test_dry_run_shows_the_commit_and_pushes_nothing(world: World, promote) -> None:
    app, head = world.app(), world.head()
    code, out, _err = promote("stag", "--tag", app.tags[-1], "--dry-run", "--spec", str(app.spec))
    assert (code, world.head()) == (0, head)
    assert f"myapp: release {app.tags[-1]} to stag [skip ci]" in out
    assert f'+  tag: "{app.tags[-1]}"' in out and "+++ b/argocd/myapp-stag.yaml" in out
    assert out.endswith(f"dry run: nothing pushed; would push it to branch master of {world.bare.as_uri()}\n")


def test_a_token_in_the_charts_url_never_appears(world: World, promote, isolated_git: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    plain = "https://git.example.invalid/myorg/charts.git"
    url = f"https://x-access-token:{SECRET}@git.example.invalid/myorg/charts.git"
    # git itself rewrites the URL to the local bare repo, so the release really succeeds.
    isolated_git.write_text(f'[url "{world.bare.as_uri()}"]\n\tinsteadOf = {url}\n')
    app = world.app(repo=plain)
    results = [promote("stag", "--tag", app.tags[0], "--dry-run", "--spec", str(app.spec), "--charts-url", url),
               promote("stag", "--tag", app.tags[-1], "--spec", str(app.spec), "--charts-url", url)]
    assert [code for code, _, _ in results] == [0, 0]
    assert "https://x-access-token:***@git.example.invalid/myorg/charts.git" in results[1][1]
    broken = world.app("broken", repo="https://127.0.0.1:9/myorg/charts.git")
    monkeypatch.setenv("SHIPSPEC_CHARTS_URL", f"https://user:{SECRET}@127.0.0.1:9/myorg/charts.git")
    results.append(promote("stag", "--tag", broken.tags[-1], "--spec", str(broken.spec)))
    assert results[-1][0] == 1 and "git clone of branch master failed" in results[-1][2]
    assert "hint: a network problem reached the charts repo" in results[-1][2]
    assert all(SECRET not in out + err for _, out, err in results)


def test_a_spec_with_credentials_in_the_charts_url_is_refused(world: World, promote) -> None:
    app = world.app(repo=f"https://x-access-token:{SECRET}@git.example.invalid/myorg/charts.git")
    code, out, err = promote("stag", "--tag", app.tags[-1], "--spec", str(app.spec))
    assert code == 2 and "charts.repo: must not carry credentials" in err and SECRET not in out + err


def test_eight_apps_released_at_once_all_land(world: World) -> None:
    apps = [world.app(f"app{number}", commits=1) for number in range(8)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    runs = [subprocess.Popen([sys.executable, "-m", "shipspec", "promote", "stag", "--tag", app.tags[-1],
                              "--spec", str(app.spec)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for app in apps]
    results = [(run.wait(timeout=60), *run.communicate()) for run in runs]
    assert [code for code, _, _ in results] == [0] * 8, results
    print("rejected pushes:", [err.count("rejected") for _, _, err in results])
    assert sorted(world.subjects()[:8]) == sorted(f"{a.name}: release {a.tags[-1]} to stag [skip ci]" for a in apps)
    for app in apps:
        assert f'tag: "{app.tags[-1]}"' in world.show(f"charts/{app.name}/values.stag.yaml")
    assert git(world.bare, "rev-list", "--count", "master") == "9"  # seed + 8, nothing lost, nothing twice


@pytest.fixture()
def github(monkeypatch: pytest.MonkeyPatch):
    with FakeGitHub() as fake:
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        yield fake


def test_pull_request_is_created_then_updated_never_duplicated(world: World, github: FakeGitHub, promote) -> None:
    app = world.app(commits=4)
    base = app.tags[0]
    world.seed({"charts/myapp/values.prod.yaml": rendered(app, "prod", base)["charts/myapp/values.prod.yaml"]})
    master, branch = world.head(), "shipspec/myapp/prod"
    code, out, _err = promote("prod", "--tag", app.tags[2], "--pr", "--spec", str(app.spec))
    assert code == 0 and out.startswith("pull request #1 created: ")
    assert world.head() == master and f'tag: "{app.tags[2]}"' in world.show("charts/myapp/values.prod.yaml", branch)
    # A pull request's commit runs the charts repo's checks: no [skip ci].
    assert world.subjects(branch)[0] == f"myapp: release {app.tags[2]} to prod"
    pull = github.pulls[0]
    assert (pull["title"], pull["head"]["ref"], pull["base"]["ref"]) == (
        f"myapp: promote {app.tags[2]} to prod", branch, "master")
    assert f"- {app.tags[2]} myapp change 2\n- {app.tags[1]} myapp change 1\n" in pull["body"]
    assert "change 0" not in pull["body"] and "change 3" not in pull["body"]

    assert promote("prod", "--tag", app.tags[3], "--pr", "--spec", str(app.spec))[:2] == (
        0, f"pull request #1 updated: {pull['html_url']} (branch {branch} releases {app.tags[3]} to prod)\n")
    assert len(github.pulls) == 1 and pull["title"] == f"myapp: promote {app.tags[3]} to prod"
    assert f'tag: "{app.tags[3]}"' in world.show("charts/myapp/values.prod.yaml", branch)
    assert world.head(f"{branch}~1") == master  # the branch is master plus one release commit
    assert [r.method for r in github.requests].count("POST") == 1

    proposed = world.head(branch)
    assert promote("prod", "--tag", app.tags[3], "--pr", "--spec", str(app.spec))[0] == 0
    assert world.head(branch) == proposed and len(github.pulls) == 1  # a re-run rewrites nothing
    code, out, _err = promote("prod", "--tag", app.tags[1], "--pr", "--spec", str(app.spec))
    assert code == 0 and f"already proposes {app.tags[3]}, which contains {app.tags[1]}" in out
    assert world.head(branch) == proposed and world.head() == master


def test_pull_request_without_token_exits_1_and_pushes_nothing(world: World, promote) -> None:
    app = world.app()
    code, _out, err = promote("prod", "--tag", app.tags[-1], "--pr", "--spec", str(app.spec))
    assert code == 1 and "GITHUB_TOKEN is not set" in err
    assert world.show("charts/myapp/values.prod.yaml", "shipspec/myapp/prod") is None


def test_two_releases_of_one_environment_at_once_end_on_the_newer(world: World) -> None:
    app = world.app()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    runs = [subprocess.Popen([sys.executable, "-m", "shipspec", "promote", "stag", "--tag", tag, "--spec",
                              str(app.spec)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for tag in (app.tags[0], app.tags[-1])]
    results = [(run.wait(timeout=60), *run.communicate()) for run in runs]
    assert [code for code, _, _ in results] == [0, 0], results
    # Whichever landed first, the newer tag wins: it is re-applied on top of the older, never the reverse.
    assert f'tag: "{app.tags[-1]}"' in world.show("charts/myapp/values.stag.yaml")
    assert world.subjects().count(f"myapp: release {app.tags[-1]} to stag [skip ci]") == 1


def shipspec_command() -> str:
    installed = Path(sys.executable).parent / "shipspec"
    return str(installed) if installed.exists() else f"{sys.executable} -m shipspec"


def test_generated_makefile_targets_release(world: World, github: FakeGitHub) -> None:
    app = world.app()
    makefile = next(text for o, text in render(load(app.spec)).items() if o.path == "Makefile")
    (app.directory / "Makefile").write_text(makefile)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for target in ("stag-commit", "prod-pr"):
        done = subprocess.run(["make", "--no-print-directory", target, f"TAG={app.tags[-1]}",
                               f"SHIPSPEC={shipspec_command()}"], cwd=app.directory, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    assert world.subjects()[0] == f"myapp: release {app.tags[-1]} to stag [skip ci]"
    assert f'tag: "{app.tags[-1]}"' in world.show("charts/myapp/values.stag.yaml")
    assert f'tag: "{app.tags[-1]}"' in world.show("charts/myapp/values.prod.yaml", "shipspec/myapp/prod")
    assert [p["title"] for p in github.pulls] == [f"myapp: promote {app.tags[-1]} to prod"]


TAG_CASES = {
    "plain": ("image:\n  tag: abc   # keep\n", "abc"),
    "single-quoted": ("image: {tag: 'abc', repository: x}\n", "abc"),
    "duplicate key: the last wins": ("image:\n  tag: a\n  tag: b\n", "b"),
    "crlf": ("image:\r\n  tag: abc\r\n# end\r\n", "abc"),
    "pinned comment": ('image:\n  tag: "v1"  # pinned by environments[0].pin in the spec\nx: 1\n', "v1"),
    "empty": ('image:\n  tag: ""\n', None),
    "no tag": ("image:\n  repository: x\n", None),
    "alias": ("base: &t abc\nimage:\n  tag: *t\n", "abc"),
    "a mapping": ("image:\n  tag: {a: 1}\n", None),
    "not a mapping": ("- image\n", None),
}


@pytest.mark.parametrize("case", TAG_CASES)
def test_the_current_tag_is_read_from_any_overlay_shape(case: str) -> None:
    from shipspec.release.tagedit import current_tag

    text, expected = TAG_CASES[case]
    assert current_tag(text, "values.yaml") == expected


def test_a_broken_values_file_fails_with_its_position(world: World, promote) -> None:
    world.seed({"charts/myapp/values.stag.yaml": "image:\n  tag: [unclosed\n"})
    app = world.app()
    code, _out, err = promote("stag", "--tag", app.tags[-1], "--spec", str(app.spec))
    assert code == 1 and "charts/myapp/values.stag.yaml:3:1: not valid YAML" in err


def test_an_overlay_without_a_header_is_replaced_with_a_warning(world: World, promote) -> None:
    world.seed({"charts/myapp/values.stag.yaml": "image:\n  repository: myrepo/myapp\nreplicaCount: 2\n"})
    app = world.app()
    code, _out, err = promote("stag", "--tag", app.tags[-1], "--spec", str(app.spec))
    assert code == 0 and "values.stag.yaml was edited by hand in the charts repo; replacing it" in err
    assert world.show("charts/myapp/values.stag.yaml") == rendered(app, "stag", app.tags[-1])[
        "charts/myapp/values.stag.yaml"]


def test_a_push_the_remote_refuses_for_good_fails_at_once(world: World, promote) -> None:
    hook = world.bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'master is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    app, head = world.app(), world.head()
    code, _out, err = promote("stag", "--tag", app.tags[-1], "--spec", str(app.spec))
    assert code == 1 and "git push failed" in err and "master is protected" in err
    assert "re-applying" not in err and world.head() == head


def test_app_repo_option(world: World, tmp_path: Path, promote) -> None:
    app = world.app()
    outside = tmp_path / "outside.yaml"  # a spec copied out of its repo: the order check needs --app-repo
    outside.write_text(app.spec.read_text())
    assert promote("stag", "--tag", app.tags[-1], "--spec", str(outside))[0] == 0
    code, out, _err = promote("stag", "--tag", app.tags[0], "--spec", str(outside), "--app-repo", str(app.directory))
    assert code == 0 and "not moving stag backwards" in out
    code, _out, err = promote("stag", "--tag", app.tags[0], "--spec", str(outside), "--app-repo", str(tmp_path))
    assert code == 2 and "not a git repository" in err


def test_a_generated_overlay_stays_identical_to_a_fresh_render(world: World, promote) -> None:
    from shipspec.render import header

    app = world.app()
    path = "charts/myapp/values.stag.yaml"
    world.seed({path: rendered(app, "stag", app.tags[0])[path]})
    assert promote("stag", "--tag", app.tags[-1], "--spec", str(app.spec))[0] == 0
    text = world.show(path)
    assert text == rendered(app, "stag", app.tags[-1])[path]  # so `check` sees no drift after a release
    first, rest = header.split(text)
    assert header.parse(first).body_digest == header.body_digest(rest)
