"""`shipspec affected` on real git monorepos, against a real charts repo released to by the real promote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shipspec.cli import main
from tests.test_promote import git, github, isolated_git  # noqa: F401

SPEC = """apiVersion: shipspec/v1
kind: App
name: {name}
image:
  repository: myrepo/{name}
charts:
  repo: {charts}
{extra}"""


@pytest.fixture(autouse=True)
def no_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITLAB_TOKEN", "GITHUB_TOKEN", "SHIPSPEC_CHARTS_TOKEN", "SHIPSPEC_CHARTS_URL", "CI_API_V4_URL"):
        monkeypatch.delenv(name, raising=False)


class Mono:
    """A monorepo: services/api (watches libs/common), services/web, services/worker, a README; and a charts repo."""

    def __init__(self, root: Path) -> None:
        self.root = root / "mono"
        self.charts = root / "charts.git"
        git(root, "init", "-q", "--bare", "-b", "master", str(self.charts))
        seed = root / "seed"
        git(root, "clone", "-q", self.charts.as_uri(), str(seed))
        (seed / "README.md").write_text("charts\n")
        git(seed, "add", ".")
        git(seed, "commit", "-q", "-m", "seed")
        git(seed, "push", "-q", "origin", "HEAD:master")
        self.root.mkdir()
        git(self.root, "init", "-q", "-b", "master")
        self.write("README.md", "the monorepo\n")
        self.write("libs/common/util.py", "x = 1\n")
        for name, extra in (("api", "watch: [../../libs/common/**]\n"), ("web", ""), ("worker", "")):
            self.write(f"services/{name}/shipspec.yaml", SPEC.format(name=name, charts=self.charts.as_uri(), extra=extra))
            self.write(f"services/{name}/main.py", "print(1)\n")
        self.commit("initial")

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, subject: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", subject)
        return git(self.root, "rev-parse", "HEAD")

    def tag(self) -> str:
        return git(self.root, "rev-parse", "--short=7", "HEAD")

    def release(self, app: str, env: str, *, pr: bool = False, tag: str | None = None) -> None:
        args = ["promote", env, "--tag", tag or self.tag(), "--spec", str(self.root / "services" / app / "shipspec.yaml")]
        done = subprocess.run([sys.executable, "-m", "shipspec", *args, *(["--pr"] if pr else [])], cwd=self.root, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr


@pytest.fixture()
def mono(tmp_path: Path) -> Mono:
    return Mono(tmp_path)


@pytest.fixture()
def affected(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, mono: Mono):
    def run(*args: str, cwd: Path | None = None) -> tuple[int, dict, str]:
        monkeypatch.chdir(cwd or mono.root)
        with pytest.raises(SystemExit) as exited:
            main(["affected", ".", "--format", "json", *args])
        captured = capsys.readouterr()
        return exited.value.code, json.loads(captured.out) if captured.out else {}, captured.err

    return run


def names(document: dict) -> list[str]:
    return [app["name"] for app in document["apps"] if app["affected"]]


def test_a_change_to_one_app_affects_that_app(mono: Mono, affected) -> None:
    base = mono.commit("noop") if False else git(mono.root, "rev-parse", "HEAD")
    mono.write("services/web/main.py", "print(2)\n")
    mono.commit("web change")
    code, document, err = affected("--base", base)
    assert (code, err, names(document)) == (0, "", ["web"])
    assert document["build"]["include"][0]["apps"] == "web"
    assert "make -C services/web docker-build test docker-scan || status=1" in document["script"]


def test_the_shared_library_affects_the_app_that_watches_it(mono: Mono, affected) -> None:
    base = git(mono.root, "rev-parse", "HEAD")
    mono.write("libs/common/util.py", "x = 2\n")
    mono.commit("lib change")
    assert names(affected("--base", base)[1]) == ["api"]


def test_a_readme_only_change_affects_nothing(mono: Mono, affected) -> None:
    base = git(mono.root, "rev-parse", "HEAD")
    mono.write("README.md", "more\n")
    mono.commit("docs")
    code, document, err = affected("--base", base)
    assert (code, err, names(document), document["count"]) == (0, "", [], 0)
    assert document["build"] == {"include": []} and document["release"] == {"include": []}


def test_a_spec_only_change_affects_its_app(mono: Mono, affected) -> None:
    base = git(mono.root, "rev-parse", "HEAD")
    spec = mono.root / "services/worker/shipspec.yaml"
    spec.write_text(spec.read_text() + "team: ops\n")
    mono.commit("spec")
    assert names(affected("--base", base)[1]) == ["worker"]


def test_a_pull_request_is_measured_from_the_merge_base(mono: Mono, affected) -> None:
    git(mono.root, "checkout", "-q", "-b", "feature")
    mono.write("services/api/main.py", "print(3)\n")
    mono.commit("api on the branch")
    git(mono.root, "checkout", "-q", "master")
    mono.write("services/web/main.py", "print(4)\n")
    mono.commit("web moved on master meanwhile")
    git(mono.root, "checkout", "-q", "feature")
    assert names(affected("--base", "master")[1]) == ["api"]  # not web: master's own change


def test_a_shallow_clone_counts_every_app_and_says_so(mono: Mono, affected, tmp_path: Path) -> None:
    base = git(mono.root, "rev-parse", "HEAD")
    mono.write("services/web/main.py", "print(2)\n")
    mono.commit("web change")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth=1", mono.root.as_uri(), str(shallow))
    code, document, err = affected("--base", base, cwd=shallow)
    assert code == 0 and names(document) == ["api", "web", "worker"] and document["complete"] is False
    assert "shallow clone" in err and "every app counts as affected" in err


def test_no_base_and_no_release_is_a_usage_error(affected) -> None:
    code, _document, err = affected()
    assert code == 2 and "--base REF" in err


def test_release_measures_against_what_runs(mono: Mono, affected, github) -> None:  # noqa: F811
    # Nothing released yet: master deploys stag for every app (the default table), and proposes prod
    # (offered the tag stag runs after this build).
    code, document, err = affected("--release", "master")
    assert (code, err) == (0, "")
    tag = mono.tag()
    by_name = {app["name"]: app for app in document["apps"]}
    assert by_name["web"]["deploy"] == ["stag"]
    assert by_name["web"]["propose"] == [{"env": "prod", "tag": tag, "new": True}]
    assert "make -C services/web docker-login docker-build test docker-push stag-commit prod-pr || status=1" \
        in document["script"]
    # stag of every app now runs this commit, and prod of web has the proposal open.
    for app in ("api", "web", "worker"):
        mono.release(app, "stag")
    mono.release("web", "prod", pr=True)
    mono.write("README.md", "docs only\n")
    mono.commit("docs")
    code, document, err = affected("--release", "master")
    by_name = {app["name"]: app for app in document["apps"]}
    assert by_name["web"]["deploy"] == [] and by_name["web"]["propose"] == []  # proposed already
    # api and worker: stag runs an unchanged commit, so no rebuild; prod is offered stag's tag, no build.
    assert by_name["api"]["deploy"] == [] and by_name["api"]["propose"] == [{"env": "prod", "tag": tag, "new": False}]
    assert "make -C services/api prod-pr TAG=" + tag + " || status=1" in document["script"]
    assert "docker-build" not in document["script"]


def test_a_failed_release_is_retried_by_the_next_push(mono: Mono, affected) -> None:
    for app in ("api", "web", "worker"):
        mono.release(app, "dev")
    mono.write("services/web/main.py", "print(2)\n")
    mono.commit("web change, whose release to dev fails")
    # (the release to dev did not happen: the charts repo still has the old tag)
    mono.write("services/api/main.py", "print(5)\n")
    mono.commit("api change")
    code, document, _ = affected("--release", "dev")
    by_name = {app["name"]: app for app in document["apps"]}
    assert by_name["web"]["deploy"] == ["dev"]  # retried, though this push did not touch web
    assert by_name["api"]["deploy"] == ["dev"]
    assert by_name["worker"]["deploy"] == []
    assert by_name["worker"]["propose"] == [{"env": "stag", "tag": by_name["worker"]["propose"][0]["tag"],
                                             "new": False}]


def test_a_tag_the_history_does_not_know_releases(mono: Mono, affected) -> None:
    mono.release("web", "dev", tag="deadbee")
    code, document, _ = affected("--release", "dev")
    web = next(app for app in document["apps"] if app["name"] == "web")
    assert web["deploy"] == ["dev"] and "does not know" in " ".join(web["reasons"])


def test_a_branch_an_app_does_not_release_is_a_build(mono: Mono, affected) -> None:
    base = git(mono.root, "rev-parse", "HEAD")
    mono.write("services/web/main.py", "print(2)\n")
    mono.commit("web change")
    code, document, _ = affected("--release", "feature-x", "--base", base)
    assert names(document) == ["web"] and document["release"] == {"include": []}


def test_text_output(mono: Mono, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    base = git(mono.root, "rev-parse", "HEAD")
    mono.write("libs/common/util.py", "x = 3\n")
    mono.commit("lib")
    monkeypatch.chdir(mono.root)
    with pytest.raises(SystemExit) as exited:
        main(["affected", ".", "--base", base])
    assert exited.value.code == 0
    assert capsys.readouterr().out == "api (services/api/shipspec.yaml): build\n1 of 3 apps affected\n"


def test_an_unreadable_charts_repo_is_exit_1(mono: Mono, affected, tmp_path: Path) -> None:
    code, _document, err = affected("--release", "master", "--charts-url", (tmp_path / "nowhere.git").as_uri())
    assert code == 1 and "clone" in err and "Traceback" not in err


def test_a_charts_checkout_is_read_with_charts_dir(mono: Mono, affected, tmp_path: Path) -> None:
    mono.release("web", "stag")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", mono.charts.as_uri(), str(checkout))
    code, document, _ = affected("--release", "master", "--charts-dir", str(checkout))
    web = next(app for app in document["apps"] if app["name"] == "web")
    assert code == 0 and web["deploy"] == []  # stag runs this very commit


def test_the_gitlab_child_pipeline_and_github_outputs(mono: Mono, affected, tmp_path: Path) -> None:
    from ci_tools import validate_gitlab_schema
    from validators import assert_valid, validate_yamllint

    base = git(mono.root, "rev-parse", "HEAD")
    child, outputs = tmp_path / "child.yml", tmp_path / "outputs"
    code, document, _ = affected("--base", base, "--gitlab-child", str(child), "--outputs", str(outputs))
    assert code == 0 and document["count"] == 0
    assert "no app affected" in child.read_text()  # GitLab refuses an empty child pipeline
    assert_valid(validate_gitlab_schema(child), "child pipeline")
    assert outputs.read_text().splitlines()[0] == "builds=0"
    code, document, _ = affected("--release", "master", "--gitlab-child", str(child), "--outputs", str(outputs))
    text = child.read_text()
    assert_valid(validate_gitlab_schema(child), "child pipeline")
    assert_valid(validate_yamllint(child), "child pipeline (yamllint)")
    assert 'resource_group: "shipspec-release-master-web"' in text and "no app affected" not in text
    lines = outputs.read_text().splitlines()
    assert lines[4:6] == ["builds=0", 'build={"include": []}'] and lines[6] == "releases=3"
    assert json.loads(lines[7].removeprefix("release="))["include"][0]["group"] == "api"


def test_more_apps_than_a_matrix_holds_are_batched_by_a_stable_bucket() -> None:
    from shipspec.release.affected import MAX_BATCHES, App, Result

    apps = [App(f"app{i}", f"s{i}/shipspec.yaml", f"s{i}", build=True) for i in range(1000)]
    result = Result("build", "x", None, apps, {app.spec: True for app in apps}, {app.spec: False for app in apps})
    entries = result.batches(False)
    assert len(entries) <= MAX_BATCHES
    assert sorted(name for e in entries for name in e["apps"].split()) == sorted(a.name for a in apps)
    again = Result("build", "x", None, apps[:400], {app.spec: True for app in apps},
                   {app.spec: False for app in apps}).batches(False)
    where = {name: e["group"] for e in entries for name in e["apps"].split()}
    assert all(where[name] == e["group"] for e in again for name in e["apps"].split())


NO_CRON = """branches:
  dev: {deploy: [dev], propose: [stag]}
  staging: {deploy: [stag]}
  master: {deploy: [stag], propose: [prod]}
"""


def test_a_scheduled_build_releases_only_the_cron_apps_measured_as_a_push(mono: Mono, affected) -> None:
    # worker's staging rule lacks `cron`; api and web have the default table (staging: cron: true).
    mono.write("services/worker/shipspec.yaml",
               SPEC.format(name="worker", charts=mono.charts.as_uri(), extra=NO_CRON))
    mono.commit("worker: staging releases on a push only")
    for app in ("api", "web", "worker"):
        mono.release(app, "stag")
    mono.write("services/web/main.py", "print(2)\n")
    mono.write("services/worker/main.py", "print(2)\n")
    mono.commit("web and worker change")
    code, document, err = affected("--release", "staging", "--schedule")
    assert (code, err, document["mode"]) == (0, "", "schedule")
    by_name = {app["name"]: app for app in document["apps"]}
    assert by_name["web"]["deploy"] == ["stag"] and by_name["web"]["push"]  # changed since what stag runs
    assert not by_name["api"]["affected"]  # cron, but stag runs what it is built from: not redeployed
    assert not by_name["worker"]["affected"] and by_name["worker"]["reasons"] == []  # changed, but no cron
    assert names(document) == ["web"] and [e["apps"] for e in document["release"]["include"]] == ["web"]
    assert document["build"] == {"include": []}
    assert document["script"] == ("status=0\nmake -C services/web docker-login docker-build test docker-push "
                                  "stag-commit || status=1\nexit \"$status\"\n")
    # The same push would release worker too: the schedule is what leaves it alone.
    _code, pushed, _err = affected("--release", "staging")
    assert names(pushed) == ["web", "worker"] and pushed["mode"] == "release"
    # A failed release is retried by the next scheduled build; once done, nothing is left.
    _code, again, _err = affected("--release", "staging", "--schedule")
    assert names(again) == ["web"]
    mono.release("web", "stag")
    _code, done, _err = affected("--release", "staging", "--schedule")
    assert names(done) == [] and done["count"] == 0


def test_a_scheduled_build_of_a_branch_without_cron_releases_and_builds_nothing(mono: Mono, affected) -> None:
    mono.write("services/web/main.py", "print(2)\n")
    mono.commit("web change")
    for branch in ("master", "feature-x"):  # master releases on a push only; feature-x releases nothing
        code, document, err = affected("--release", branch, "--schedule")
        assert (code, err, names(document)) == (0, "", [])


def test_schedule_needs_release(affected) -> None:
    code, _document, err = affected("--base", "HEAD", "--schedule")
    assert code == 2 and "--schedule needs --release BRANCH" in err


def test_scheduled_github_outputs_carry_their_prefix(mono: Mono, affected, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    code, _document, _err = affected("--release", "staging", "--schedule", "--outputs", str(outputs),
                                     "--outputs-prefix", "scheduled_0_")
    lines = outputs.read_text().splitlines()
    assert code == 0 and [line.partition("=")[0] for line in lines] == [
        "scheduled_0_builds", "scheduled_0_build", "scheduled_0_releases", "scheduled_0_release"]
    assert lines[2] == "scheduled_0_releases=3"  # nothing runs in stag yet: every cron app releases
    code, _document, err = affected("--release", "staging", "--outputs", str(outputs), "--outputs-prefix", "a b")
    assert code == 2 and "--outputs-prefix" in err
