"""The GitLab merge requests client against a local fake API, and the review factory."""

from __future__ import annotations

import pytest

from shipspec.release import reviews
from shipspec.errors import OperationFailed, UsageError
from shipspec.release.github import GitHub
from shipspec.release.gitlab import GitLab, api_root_for, project_path
from shipspec.spec.model import Spec
from tests.fake_gitlab import FakeGitLab

VARIABLES = ("GITLAB_TOKEN", "SHIPSPEC_CHARTS_TOKEN", "GITHUB_TOKEN", "GITLAB_API_URL", "CI_API_V4_URL",
             "GITHUB_API_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def api():
    with FakeGitLab(projects=("group/sub/charts",)) as fake:
        yield fake


def client(fake: FakeGitLab, token: str | None = None, project: str = "group/sub/charts") -> GitLab:
    return GitLab(project, token or fake.token, fake.url)


def spec(repo: str, review_api: str | None = None):
    charts = {"repo": repo, **({"review": review_api} if review_api else {})}
    data = {"apiVersion": "shipspec/v1", "kind": "App", "name": "app", "image": {"repository": "o/app"},
            "charts": charts}
    return Spec.model_validate(data)


@pytest.mark.parametrize(("url", "expected"), [
    ("git@gitlab.com:group/sub/charts.git", "group/sub/charts"),
    ("ssh://git@gitlab.example.com:2222/group/charts.git", "group/charts"),
    ("https://gitlab.example.com/group/sub/deeper/charts", "group/sub/deeper/charts"),
    ("file:///srv/git/group/charts.git", "srv/git/group/charts"),
])
def test_project_path_of_every_url_form(url: str, expected: str) -> None:
    assert project_path(url) == expected


def test_project_path_without_a_group_is_bad_input_and_redacted() -> None:
    with pytest.raises(UsageError, match="group/project") as caught:
        project_path("https://oauth2:hunter22secret@gitlab.com/charts")
    assert "hunter22secret" not in caught.value.message


def test_upsert_creates_then_updates_the_same_merge_request(api: FakeGitLab) -> None:
    gitlab = client(api)
    action, first = gitlab.upsert_pull("shipspec/app/prod", "master", "app: promote a to prod", "body a")
    assert (action, first.number, first.label) == ("created", 1, "merge request !1")
    assert first.url == "https://gitlab.example/group/sub/charts/-/merge_requests/1"
    action, second = gitlab.upsert_pull("shipspec/app/prod", "master", "app: promote b to prod", "body b")
    assert (action, second.number) == ("updated", 1)
    assert len(api.merge_requests) == 1
    assert (api.merge_requests[0]["title"], api.merge_requests[0]["description"]) == ("app: promote b to prod",
                                                                                      "body b")
    project = "/api/v4/projects/group%2Fsub%2Fcharts/merge_requests"
    assert [(r.method, r.path) for r in api.requests] == [
        ("GET", project), ("POST", project), ("GET", project), ("PUT", f"{project}/1"),
    ]
    assert api.requests[0].query == {"source_branch": "shipspec/app/prod", "target_branch": "master",
                                     "state": "opened"}
    assert api.requests[1].body == {"source_branch": "shipspec/app/prod", "target_branch": "master",
                                    "title": "app: promote a to prod", "description": "body a"}
    assert api.requests[3].body == {"title": "app: promote b to prod", "description": "body b"}
    assert api.requests[0].headers["private-token"] == api.token and "authorization" not in api.requests[0].headers


def test_a_merge_request_opened_concurrently_is_updated_not_duplicated(api: FakeGitLab) -> None:
    client(api).upsert_pull("shipspec/app/prod", "master", "t1", "b1")
    api.hide_next_list = True  # our list misses it, as if another run opened it meanwhile: GitLab says 409
    action, merge_request = client(api).upsert_pull("shipspec/app/prod", "master", "t2", "b2")
    assert (action, merge_request.number, len(api.merge_requests)) == ("updated", 1, 1)
    assert [r.method for r in api.requests[-4:]] == ["GET", "POST", "GET", "PUT"]


def test_a_closed_merge_request_is_not_reused(api: FakeGitLab) -> None:
    client(api).upsert_pull("shipspec/app/prod", "master", "t1", "b1")
    api.merge_requests[0]["state"] = "merged"
    action, merge_request = client(api).upsert_pull("shipspec/app/prod", "master", "t2", "b2")
    assert (action, merge_request.number) == ("created", 2)


def test_bad_token_is_401_with_a_hint_and_without_the_token(api: FakeGitLab) -> None:
    with pytest.raises(OperationFailed) as caught:
        client(api, token="glpat-wrong-token-abcdef").upsert_pull("b", "master", "t", "body")
    message = caught.value.message
    assert "HTTP 401: 401 Unauthorized" in message and "GITLAB_TOKEN" in message
    assert "glpat-wrong-token-abcdef" not in message


def test_unknown_project_is_404_with_a_hint(api: FakeGitLab) -> None:
    with pytest.raises(OperationFailed) as caught:
        client(api, project="group/other").find_open_pull("b", "master")
    message = caught.value.message
    assert "HTTP 404: 404 Project Not Found" in message and "group%2Fother" in message
    assert "hint: the project was not found" in message and "charts.repo" in message


def test_a_self_managed_api_root_under_a_relative_url(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitLab(root="/gitlab/api/v4") as fake:
        monkeypatch.setenv("GITLAB_TOKEN", fake.token)
        monkeypatch.setenv("GITLAB_API_URL", fake.url + "/")
        gitlab = reviews.for_spec(spec("https://git.corp.example/myorg/charts.git", "gitlab"))
        assert isinstance(gitlab, GitLab) and gitlab.api_root == fake.url
        assert gitlab.upsert_pull("shipspec/app/dev", "master", "t", "b")[0] == "created"
        assert fake.requests[-1].path == "/gitlab/api/v4/projects/myorg%2Fcharts/merge_requests"


def test_api_root_order(monkeypatch: pytest.MonkeyPatch) -> None:
    repo = "git@gitlab.corp.example:group/charts.git"
    assert api_root_for(repo) == "https://gitlab.corp.example/api/v4"
    monkeypatch.setenv("CI_API_V4_URL", "https://ci.example/api/v4")
    assert api_root_for(repo) == "https://ci.example/api/v4"
    monkeypatch.setenv("GITLAB_API_URL", "https://explicit.example/api/v4")
    assert api_root_for(repo) == "https://explicit.example/api/v4"
    monkeypatch.delenv("GITLAB_API_URL")
    monkeypatch.delenv("CI_API_V4_URL")
    with pytest.raises(OperationFailed, match="set GITLAB_API_URL"):
        api_root_for("file:///srv/group/charts.git")


def test_token_order_and_missing_token(monkeypatch: pytest.MonkeyPatch) -> None:
    gitlab_spec = spec("git@gitlab.com:group/charts.git")
    with pytest.raises(OperationFailed, match="GITLAB_TOKEN is not set") as caught:
        reviews.for_spec(gitlab_spec)
    assert "masked, protected CI/CD variable" in caught.value.message
    assert not reviews.has_token(gitlab_spec)
    monkeypatch.setenv("SHIPSPEC_CHARTS_TOKEN", "charts-token-123")
    assert reviews.for_spec(gitlab_spec)._token == "charts-token-123"
    monkeypatch.setenv("GITLAB_TOKEN", "gitlab-token-456")
    assert reviews.for_spec(gitlab_spec)._token == "gitlab-token-456"
    github_spec = spec("git@github.com:myorg/charts.git")
    assert reviews.for_spec(github_spec)._token == "charts-token-123"  # GITHUB_TOKEN, else SHIPSPEC_CHARTS_TOKEN
    monkeypatch.setenv("GITHUB_TOKEN", "github-token-789")
    assert reviews.for_spec(github_spec)._token == "github-token-789"


@pytest.mark.parametrize(("repo", "explicit", "expected"), [
    ("git@gitlab.com:group/charts.git", None, "gitlab"),
    ("https://gitlab.corp.example/group/charts.git", None, "gitlab"),
    ("ssh://git@code-gitlab.example:22/group/charts.git", None, "gitlab"),
    ("git@github.com:myorg/charts.git", None, "github"),
    ("https://ghe.example.com/myorg/charts.git", None, "github"),
    ("file:///srv/git/myorg/charts.git", None, "github"),
    ("https://git.corp.example/myorg/charts.git", "gitlab", "gitlab"),
    ("git@gitlab.com:group/charts.git", "github", "github"),
])
def test_review_api_defaults_from_the_host(repo: str, explicit: str | None, expected: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = spec(repo, explicit)
    assert loaded.charts.review == expected
    monkeypatch.setenv("SHIPSPEC_CHARTS_TOKEN", "charts-token-123")
    monkeypatch.setenv("GITLAB_API_URL", "https://gitlab.example/api/v4")
    assert isinstance(reviews.for_spec(loaded), GitLab if expected == "gitlab" else GitHub)


@pytest.mark.parametrize(("repo", "host"), [
    ("git@GitLab.Example.com:group/charts.git", "gitlab.example.com"),
    ("gitlab.example.com:group/charts", "gitlab.example.com"),
    ("ssh://git@[2001:db8::1]:2222/group/charts.git", "2001:db8::1"),
    ("https://user@gitlab.example.com:8443/group/charts.git", "gitlab.example.com"),
    ("file:///srv/git/charts.git", ""),
    ("/srv/git/charts.git", ""),
])
def test_repo_host(repo: str, host: str) -> None:
    from shipspec.spec.hosts import repo_host

    assert repo_host(repo) == host
