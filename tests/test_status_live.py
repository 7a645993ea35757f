"""`shipspec status` with argocd.server: live columns (sync, health, images) from the fake Argo CD API."""

from __future__ import annotations

import json

import pytest

from fake_argocd import TOKEN, FakeArgoCD, application
from tests.fake_github import FakeGitHub
from tests.test_promote import World, github, isolated_git, promote, world  # noqa: F401
from tests.test_status import dated_app, no_gitlab_variables, release_history, status  # noqa: F401


@pytest.fixture()
def argo(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ARGOCD_AUTH_TOKEN", TOKEN)
    with FakeArgoCD() as fake:
        yield fake


def test_live_columns_in_text_and_json(world: World, github: FakeGitHub, argo: FakeArgoCD, promote,  # noqa: F811
                                       status, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    app = dated_app(world, monkeypatch, extra=f"argocd:\n  server: {argo.url}\n")
    release_history(app, promote)
    tags = app.tags
    argo.script("myapp-dev", application("myapp-dev", images=[f"myrepo/myapp:{tags[3]}", "redis:7"]))
    argo.script("myapp-stag", application("myapp-stag", sync="OutOfSync", health="Progressing",
                                          images=[f"myrepo/myapp:{tags[0]}"]))
    monkeypatch.chdir(app.directory)
    code, out, err = status()
    assert (code, err) == (0, "")
    assert out == (
        f"myapp (shipspec.yaml): master of {world.bare.as_uri()}\n"
        "  ENV   TAG      BEHIND  DATE        COMMIT          SYNC       HEALTH       IMAGES"
        "                        NOTE\n"
        f"  dev   {tags[3]}  -       2026-01-04  myapp change 3  Synced     Healthy      myrepo/myapp:{tags[3]},redis:7\n"
        f"  stag  {tags[1]}  2       2026-01-02  myapp change 1  OutOfSync  Progressing  myrepo/myapp:{tags[0]}\n"
        f"  prod  -        -       -           -               -          -            -"
        f"                             awaiting first release; pull request #1 proposes {tags[1]}\n"
    )
    document = json.loads(status("--format", "json")[1])
    live = [env["live"] for env in document["apps"][0]["environments"]]
    assert live == [
        {"sync": "Synced", "health": "Healthy", "images": [f"myrepo/myapp:{tags[3]}", "redis:7"],
         "url": f"{argo.url}/applications/argocd/myapp-dev"},
        {"sync": "OutOfSync", "health": "Progressing", "images": [f"myrepo/myapp:{tags[0]}"],
         "url": f"{argo.url}/applications/argocd/myapp-stag"},
        None,  # no Application before the first release: Argo CD is not asked
    ]
    assert {path for path, _, _ in argo.requests} == {"/api/v1/applications/myapp-dev",
                                                      "/api/v1/applications/myapp-stag"}


def test_an_unreadable_argo_cd_warns_once_and_keeps_the_git_view(world: World, github: FakeGitHub,  # noqa: F811
                                                                 argo: FakeArgoCD, promote, status,  # noqa: F811
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    app = dated_app(world, monkeypatch, extra=f"argocd:\n  server: {argo.url}\n")
    release_history(app, promote)
    monkeypatch.setenv("ARGOCD_AUTH_TOKEN", "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.ZXhwaXJlZC10b2tlbi12YWx1ZQ")
    code, out, err = status(str(app.spec))
    assert code == 0 and err.count("shipspec: warning: no live columns from") == 1
    assert "HTTP 401" in err and "eyJleHAiOjF9" not in err + out
    assert f"  dev   {app.tags[3]}  -       2026-01-04  myapp change 3  -     -       -" in out
