"""How promote authenticates to the charts repo in CI: a token through git's credential helper.

A real git smart-HTTP server on 127.0.0.1 accepts only `x-access-token:<token>`.
The spec names the charts repo by its SSH URL, as teams do; git's own
`url.<base>.insteadOf` maps the HTTPS form promote derives from it onto the
local server, so the whole path (URL rewrite, credential helper, push) is real.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from git_http import GitHTTP

from shipspec.release import git
from shipspec.cli import main

TOKEN = "ghs-credential-t0ken-1234"
SPEC = """\
apiVersion: shipspec/v1
kind: App
name: shop
image:
  repository: acme/shop
charts:
  repo: git@github.com:acme/charts.git
"""


@pytest.mark.parametrize(("url", "expected"), [
    ("git@github.com:acme/charts.git", "https://github.com/acme/charts.git"),
    ("github.com:acme/charts", "https://github.com/acme/charts"),
    ("ssh://git@gitlab.example.com:2222/group/sub/charts.git", "https://gitlab.example.com/group/sub/charts.git"),
    ("https://github.com/acme/charts.git", "https://github.com/acme/charts.git"),
    ("file:///srv/charts.git", "file:///srv/charts.git"),
])
def test_ssh_urls_become_https_for_a_token(url: str, expected: str) -> None:
    assert git.https_url(url) == expected


def test_the_charts_token_comes_first_then_the_github_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "github-token-1")
    monkeypatch.setenv("SHIPSPEC_CHARTS_TOKEN", "charts-token-1")
    assert git.charts_token() == "charts-token-1"
    monkeypatch.setenv("SHIPSPEC_CHARTS_TOKEN", " ")
    assert git.charts_token() == "github-token-1"
    monkeypatch.delenv("GITHUB_TOKEN")
    assert git.charts_token() is None


def sh(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args], cwd=cwd,
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture()
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A token-guarded charts repo, and an app whose spec names it git@github.com:acme/charts.git."""
    bare = tmp_path / "charts.git"
    sh(tmp_path, "init", "-q", "--bare", "-b", "master", str(bare))
    seed = tmp_path / "seed"
    sh(tmp_path, "init", "-q", "-b", "master", str(seed))
    (seed / "README.md").write_text("charts\n")
    sh(seed, "add", "-A")
    sh(seed, "commit", "-q", "-m", "seed")
    sh(seed, "push", "-q", str(bare), "master")
    app = tmp_path / "app"
    app.mkdir()
    (app / "shipspec.yaml").write_text(SPEC)
    with GitHTTP(tmp_path, TOKEN) as server:
        config = tmp_path / "gitconfig"
        config.write_text(f'[url "{server.url}/charts.git"]\n\tinsteadOf = https://github.com/acme/charts.git\n')
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
        monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for name in ("SHIPSPEC_CHARTS_TOKEN", "GITHUB_TOKEN", "SHIPSPEC_CHARTS_URL"):
            monkeypatch.delenv(name, raising=False)
        yield server, bare, app


def promote(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(["promote", *args])
    captured = capsys.readouterr()
    return int(exited.value.code), captured.out + captured.err


def test_a_token_releases_over_https_through_the_credential_helper(served, monkeypatch, capsys) -> None:
    server, bare, app = served
    monkeypatch.setenv("SHIPSPEC_CHARTS_TOKEN", TOKEN)
    code, output = promote(capsys, "dev", "--tag", "abc1234", "--spec", str(app / "shipspec.yaml"))
    assert code == 0, output
    assert sh(bare, "log", "-1", "--format=%s", "master") == "shop: release abc1234 to dev [skip ci]"
    assert ("POST /charts.git/git-receive-pack", "ok") in server.requests
    assert TOKEN not in output


def test_a_wrong_token_fails_with_a_hint_and_is_never_shown(served, monkeypatch, capsys) -> None:
    _server, bare, app = served
    monkeypatch.setenv("GITHUB_TOKEN", "ghs-wrong-token-5678")
    code, output = promote(capsys, "dev", "--tag", "abc1234", "--spec", str(app / "shipspec.yaml"))
    assert code == 1 and "hint: authentication failed" in output
    assert "ghs-wrong-token-5678" not in output
    assert sh(bare, "log", "-1", "--format=%s", "master") == "seed"


def test_without_a_token_git_uses_its_own_setup(served, capsys) -> None:
    _server, bare, app = served
    # No token: the SSH URL goes to git as it is, and git's own configuration (here a rewrite to
    # the bare repo, standing in for a deploy key) decides how to reach it.
    with open(bare.parent / "gitconfig", "a", encoding="utf-8") as handle:
        handle.write(f'[url "{bare.as_uri()}"]\n\tinsteadOf = git@github.com:acme/charts.git\n')
    code, output = promote(capsys, "dev", "--tag", "abc1234", "--spec", str(app / "shipspec.yaml"))
    assert code == 0, output
    assert sh(bare, "log", "-1", "--format=%s", "master") == "shop: release abc1234 to dev [skip ci]"


def test_status_reads_a_token_guarded_charts_repo_like_promote(served, monkeypatch, capsys) -> None:
    server, _bare, app = served
    monkeypatch.setenv("SHIPSPEC_CHARTS_TOKEN", TOKEN)
    assert promote(capsys, "dev", "--tag", "abc1234", "--spec", str(app / "shipspec.yaml"))[0] == 0
    served_before = len(server.requests)
    with pytest.raises(SystemExit) as exited:
        main(["status", str(app / "shipspec.yaml"), "--format", "json"])
    output = capsys.readouterr()
    assert exited.value.code == 0, output.err
    (report,) = json.loads(output.out)["apps"]
    assert [env["tag"] for env in report["environments"]] == ["abc1234", None, None]
    assert len(server.requests) > served_before and TOKEN not in output.out + output.err
