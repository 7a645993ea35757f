"""`shipspec rollback` against real git: a history of releases made by the real promote."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from shipspec.cli import main
from test_promote import App, World, git, github, isolated_git, promote, world  # noqa: F401 - fixtures
from tests.conftest import REPO_ROOT
from tests.fake_github import FakeGitHub


def versioned(world: World, replicas: list[int]) -> App:
    """An app with one commit per entry of `replicas`, each setting dev's replicaCount in the spec."""
    app = world.app(commits=0)
    base = app.spec.read_text()
    for count in replicas:
        app.spec.write_text(base + f"environments:\n  - name: dev\n    values: {{replicaCount: {count}}}\n"
                                   "  - name: stag\n  - name: prod\n")
        git(app.directory, "add", "shipspec.yaml")
        app.commit(f"{count} replicas in dev")
    return app


@pytest.fixture()
def rollback(capsys: pytest.CaptureFixture[str]):
    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            main(["rollback", *args])
        captured = capsys.readouterr()
        return exited.value.code, captured.out, captured.err

    return run


def overlay(world: World, env: str, ref: str = "master") -> dict:
    return yaml.safe_load(world.show(f"charts/myapp/values.{env}.yaml", ref))


def test_rollback_lands_the_old_tag_with_its_old_configuration(world: World, promote, rollback) -> None:
    app = versioned(world, [1, 2, 3])
    for tag in app.tags:
        assert promote("dev", "--tag", tag, "--spec", str(app.spec))[0] == 0
    assert overlay(world, "dev")["replicaCount"] == 3
    code, out, err = rollback("dev", "--to", app.tags[0], "--spec", str(app.spec))
    assert code == 0, err
    assert out.startswith(f"rolled back dev to {app.tags[0]}: commit ")
    assert overlay(world, "dev") == {"image": {"repository": "myrepo/myapp", "tag": app.tags[0]}, "replicaCount": 1}
    assert world.subjects()[0] == f"myapp: rollback dev to {app.tags[0]} (from {app.tags[2]}) [skip ci]"
    # The next ordinary promote moves dev forward again.
    newer = app.commit("after the rollback")
    assert promote("dev", "--tag", newer, "--spec", str(app.spec))[0] == 0
    assert overlay(world, "dev")["image"]["tag"] == newer and overlay(world, "dev")["replicaCount"] == 3


def test_a_tag_that_never_ran_is_refused_with_the_ones_that_did(world: World, promote, rollback) -> None:
    app = versioned(world, [1, 2, 3])
    for tag in app.tags[1:]:
        assert promote("dev", "--tag", tag, "--spec", str(app.spec))[0] == 0
    head = world.head()
    code, out, err = rollback("dev", "--to", app.tags[0], "--spec", str(app.spec))
    assert (code, out, world.head()) == (2, "", head)
    assert f"--to {app.tags[0]}: never ran in dev (tags that did, newest first: {app.tags[2]}, {app.tags[1]})" in err
    code, _out, err = rollback("dev", "--to", "0000000", "--spec", str(app.spec))
    assert code == 2 and "not a commit of the app repo" in err and "Traceback" not in err


def test_production_rolls_back_only_through_a_pull_request(world: World, github: FakeGitHub, promote,
                                                          rollback) -> None:
    app = versioned(world, [1, 2])
    for tag in app.tags:  # as merged prod pull requests leave it: commits on master
        world.seed({"charts/myapp/values.prod.yaml": f'image:\n  repository: myrepo/myapp\n  tag: "{tag}"\n'})
    code, _out, err = rollback("prod", "--to", app.tags[0], "--spec", str(app.spec))
    assert code == 2 and "only released through a pull request" in err
    code, out, err = rollback("prod", "--to", app.tags[0], "--pr", "--spec", str(app.spec))
    assert code == 0, err
    assert [pull["title"] for pull in github.pulls] == [f"myapp: roll back prod to {app.tags[0]}"]
    assert f"Rolls prod of myapp back to `{app.tags[0]}` (it runs `{app.tags[1]}` now)" in github.pulls[0]["body"]
    assert overlay(world, "prod", "shipspec/myapp/prod")["image"]["tag"] == app.tags[0]
    assert world.subjects("shipspec/myapp/prod")[0] == f"myapp: rollback prod to {app.tags[0]} (from {app.tags[1]})"


def test_a_rollback_and_another_apps_release_at_once_both_land(world: World, promote) -> None:
    app = versioned(world, [1, 2])
    other = world.app("other", commits=1)
    for tag in app.tags:
        assert promote("dev", "--tag", tag, "--spec", str(app.spec))[0] == 0
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    runs = [subprocess.Popen([sys.executable, "-m", "shipspec", *args], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for args in (["rollback", "dev", "--to", app.tags[0], "--spec", str(app.spec)],
                         ["promote", "dev", "--tag", other.tags[-1], "--spec", str(other.spec)])]
    results = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    assert [code for code, _, _ in results] == [0, 0], results
    assert overlay(world, "dev")["image"]["tag"] == app.tags[0]
    assert f'tag: "{other.tags[-1]}"' in world.show("charts/other/values.dev.yaml")
    assert set(world.subjects()[:2]) == {f"myapp: rollback dev to {app.tags[0]} (from {app.tags[1]}) [skip ci]",
                                         f"other: release {other.tags[-1]} to dev [skip ci]"}


def test_a_pinned_environment_is_left_alone(world: World, rollback) -> None:
    app = world.app(extra="environments:\n  - name: dev\n    pin: v1.0.0\n  - name: stag\n  - name: prod\n")
    code, out, _err = rollback("dev", "--to", app.tags[0], "--spec", str(app.spec))
    assert code == 0 and "pinned to v1.0.0" in out
