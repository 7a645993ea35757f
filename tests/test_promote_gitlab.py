"""`shipspec promote --pr` end to end against real git and the fake GitLab merge requests API."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from shipspec.render.core import render
from shipspec.files.specfile import load
from tests.conftest import REPO_ROOT
from tests.fake_gitlab import FakeGitLab
from tests.test_promote import World, isolated_git, promote, rendered, shipspec_command, world  # noqa: F401

PLAIN = "https://gitlab.example.invalid/myorg/charts.git"


@pytest.fixture()
def gitlab(monkeypatch: pytest.MonkeyPatch, isolated_git: Path, world: World):  # noqa: F811
    # git rewrites the GitLab URL to the local bare repo, so clone and push really happen.
    isolated_git.write_text(f'[url "{world.bare.as_uri()}"]\n\tinsteadOf = {PLAIN}\n')
    for name in ("GITLAB_TOKEN", "SHIPSPEC_CHARTS_TOKEN", "CI_API_V4_URL"):
        monkeypatch.delenv(name, raising=False)
    with FakeGitLab() as fake:
        monkeypatch.setenv("GITLAB_TOKEN", fake.token)
        monkeypatch.setenv("GITLAB_API_URL", fake.url)
        yield fake


def test_merge_request_is_created_then_updated_never_duplicated(world: World, gitlab: FakeGitLab,  # noqa: F811
                                                                promote) -> None:  # noqa: F811
    app = world.app(repo=PLAIN, commits=4)  # no charts.review: the host says gitlab
    world.seed({"charts/myapp/values.prod.yaml": rendered(app, "prod", app.tags[0])["charts/myapp/values.prod.yaml"]})
    master, branch = world.head(), "shipspec/myapp/prod"
    code, out, err = promote("prod", "--tag", app.tags[2], "--pr", "--spec", str(app.spec))
    assert (code, err) == (0, "")
    url = "https://gitlab.example/myorg/charts/-/merge_requests/1"
    assert out == f"merge request !1 created: {url} (branch {branch} releases {app.tags[2]} to prod)\n"
    assert world.head() == master and f'tag: "{app.tags[2]}"' in world.show("charts/myapp/values.prod.yaml", branch)
    merge_request = gitlab.merge_requests[0]
    assert (merge_request["title"], merge_request["source_branch"], merge_request["target_branch"]) == (
        f"myapp: promote {app.tags[2]} to prod", branch, "master")
    assert f"- {app.tags[2]} myapp change 2\n- {app.tags[1]} myapp change 1\n" in merge_request["description"]

    code, out, _err = promote("prod", "--tag", app.tags[3], "--pr", "--spec", str(app.spec))
    assert (code, out) == (0, f"merge request !1 updated: {url} (branch {branch} releases {app.tags[3]} to prod)\n")
    assert len(gitlab.merge_requests) == 1 and merge_request["title"] == f"myapp: promote {app.tags[3]} to prod"
    assert [r.method for r in gitlab.requests].count("POST") == 1
    assert {r.path for r in gitlab.requests} >= {"/api/v4/projects/myorg%2Fcharts/merge_requests"}


def test_a_rejected_token_fails_with_a_hint_and_never_prints_it(world: World, gitlab: FakeGitLab,  # noqa: F811
                                                               promote, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    secret = "glpat-not-the-right-one-42"
    monkeypatch.setenv("GITLAB_TOKEN", secret)
    app = world.app(repo=PLAIN)
    code, out, err = promote("prod", "--tag", app.tags[-1], "--pr", "--spec", str(app.spec))
    assert code == 1 and "HTTP 401: 401 Unauthorized" in err and "hint: GitLab rejected the token" in err
    assert secret not in out + err and "Traceback" not in err


def test_without_a_token_nothing_is_pushed(world: World, gitlab: FakeGitLab, promote,  # noqa: F811
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITLAB_TOKEN")
    app = world.app(repo=PLAIN)
    code, _out, err = promote("prod", "--tag", app.tags[-1], "--pr", "--spec", str(app.spec))
    assert code == 1 and "GITLAB_TOKEN is not set (nor SHIPSPEC_CHARTS_TOKEN)" in err
    assert world.show("charts/myapp/values.prod.yaml", "shipspec/myapp/prod") is None and not gitlab.requests


def test_generated_make_target_opens_the_merge_request(world: World, gitlab: FakeGitLab) -> None:  # noqa: F811
    app = world.app(repo=PLAIN)
    makefile = next(text for o, text in render(load(app.spec)).items() if o.path == "Makefile")
    (app.directory / "Makefile").write_text(makefile)
    done = subprocess.run(["make", "--no-print-directory", "prod-pr", f"TAG={app.tags[-1]}",
                           f"SHIPSPEC={shipspec_command()}"], cwd=app.directory,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "\nmerge request !1 created: " in done.stdout and gitlab.token not in done.stdout + done.stderr
    assert [m["title"] for m in gitlab.merge_requests] == [f"myapp: promote {app.tags[-1]} to prod"]
