"""The GitHub pulls client against a local fake API, and credential redaction."""

from __future__ import annotations

import socket

import pytest

from shipspec import redact
from shipspec.errors import OperationFailed, UsageError
from shipspec.release.github import GitHub, repository_of
from tests.fake_github import FakeGitHub


@pytest.fixture()
def api():
    with FakeGitHub() as fake:
        yield fake


def client(fake: FakeGitHub, token: str | None = None) -> GitHub:
    return GitHub("myorg", "charts", token or fake.token, fake.url)


@pytest.mark.parametrize(("url", "expected"), [
    ("git@github.com:myorg/charts.git", ("myorg", "charts")),
    ("github.com:myorg/charts", ("myorg", "charts")),
    ("ssh://git@github.com:22/myorg/charts.git", ("myorg", "charts")),
    ("https://x-access-token:secret@ghe.example.com/myorg/charts.git", ("myorg", "charts")),
    ("https://github.com/myorg/charts/", ("myorg", "charts")),
    ("file:///srv/git/myorg/charts.git", ("myorg", "charts")),
])
def test_repository_of_every_url_form(url: str, expected: tuple[str, str]) -> None:
    assert repository_of(url) == expected


def test_repository_of_without_owner_is_bad_input_and_redacted() -> None:
    with pytest.raises(UsageError) as caught:
        repository_of("https://user:hunter22secret@github.com/charts")
    assert "hunter22secret" not in caught.value.message
    assert "owner/repo" in caught.value.message


def test_upsert_creates_then_updates_the_same_pull(api: FakeGitHub) -> None:
    github = client(api)
    action, first = github.upsert_pull("shipspec/app/prod", "master", "app: promote a to prod", "body a")
    assert (action, first.number) == ("created", 1)
    action, second = github.upsert_pull("shipspec/app/prod", "master", "app: promote b to prod", "body b")
    assert (action, second.number) == ("updated", 1)
    assert len(api.pulls) == 1
    assert (api.pulls[0]["title"], api.pulls[0]["body"]) == ("app: promote b to prod", "body b")
    assert [(r.method, r.path) for r in api.requests] == [
        ("GET", "/repos/myorg/charts/pulls"), ("POST", "/repos/myorg/charts/pulls"),
        ("GET", "/repos/myorg/charts/pulls"), ("PATCH", "/repos/myorg/charts/pulls/1"),
    ]
    assert api.requests[0].query == {"head": "myorg:shipspec/app/prod", "base": "master", "state": "open"}
    assert api.requests[1].body == {"title": "app: promote a to prod", "head": "shipspec/app/prod",
                                    "base": "master", "body": "body a"}
    headers = api.requests[0].headers
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"


def test_a_pull_opened_concurrently_is_updated_not_duplicated(api: FakeGitHub) -> None:
    client(api).upsert_pull("shipspec/app/prod", "master", "t1", "b1")
    api.hide_next_list = True  # our list misses it, as if another run opened it meanwhile
    action, pull = client(api).upsert_pull("shipspec/app/prod", "master", "t2", "b2")
    assert (action, pull.number, len(api.pulls)) == ("updated", 1, 1)
    assert [r.method for r in api.requests[-4:]] == ["GET", "POST", "GET", "PATCH"]


def test_bad_token_is_a_clear_failure_without_the_token(api: FakeGitHub) -> None:
    with pytest.raises(OperationFailed) as caught:
        client(api, token="wrong-token-abcdef").upsert_pull("b", "master", "t", "body")
    message = caught.value.message
    assert "HTTP 401: Bad credentials" in message and "GITHUB_TOKEN" in message
    assert "wrong-token-abcdef" not in message


def test_unknown_repo_is_404_with_a_hint(api: FakeGitHub) -> None:
    with pytest.raises(OperationFailed) as caught:
        GitHub("myorg", "charts", api.token, api.url + "/nope").find_open_pull("b", "master")
    assert "HTTP 404" in caught.value.message and "charts.repo" in caught.value.message


def test_unreachable_api_is_a_network_failure() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(OperationFailed) as caught:
        GitHub("o", "r", "tok-123456", f"http://127.0.0.1:{port}").find_open_pull("b", "master")
    assert "cannot reach the API" in caught.value.message and "GITHUB_API_URL" in caught.value.message


def test_missing_token_is_an_operation_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with pytest.raises(OperationFailed, match="GITHUB_TOKEN is not set"):
        GitHub.from_environment("o", "r")


def test_api_root_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "tok-123456")
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3/")
    assert GitHub.from_environment("o", "r").api_root == "https://ghe.example.com/api/v3"
    monkeypatch.delenv("GITHUB_API_URL")
    assert GitHub.from_environment("o", "r").api_root == "https://api.github.com"


@pytest.mark.parametrize(("text", "expected"), [
    ("fatal: unable to access 'https://x-access-token:ghp_abc123@github.com/o/c.git/'",
     "fatal: unable to access 'https://x-access-token:***@github.com/o/c.git/'"),
    ("https://ghp_abc123@github.com/o/c.git", "https://***@github.com/o/c.git"),
    ("ssh://git@github.com/o/c.git", "ssh://git@github.com/o/c.git"),
    ("git@github.com:o/c.git", "git@github.com:o/c.git"),
    ("no url here", "no url here"),
])
def test_redact_url_credentials(text: str, expected: str) -> None:
    assert redact.redact(text) == expected


def test_redact_token_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "tok-from-env-42")
    assert redact.redact("Authorization: Bearer tok-from-env-42 failed") == "Authorization: Bearer *** failed"
