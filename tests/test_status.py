"""`shipspec status` against real git: a charts repo released to by the real promote, real app repos."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from shipspec.release import git as gitmodule
from shipspec.cli import main
from tests.fake_github import FakeGitHub
from tests.fake_gitlab import FakeGitLab
from tests.test_promote import App, World, git, github, isolated_git, promote, world  # noqa: F401

DATES = ("2026-01-01T10:00:00+00:00", "2026-01-02T10:00:00+00:00", "2026-01-03T10:00:00+00:00",
         "2026-01-04T10:00:00+00:00")
PINNED_STAG = "environments:\n  - name: dev\n  - name: stag\n    pin: {pin}\n  - name: prod\n"


@pytest.fixture(autouse=True)
def no_gitlab_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITLAB_TOKEN", "SHIPSPEC_CHARTS_TOKEN", "GITLAB_API_URL", "CI_API_V4_URL", "SHIPSPEC_CHARTS_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def status(capsys: pytest.CaptureFixture[str]):
    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            main(["status", *args])
        captured = capsys.readouterr()
        return exited.value.code, captured.out, captured.err

    return run


def dated_app(world: World, monkeypatch: pytest.MonkeyPatch, name: str = "myapp", **kwargs: str) -> App:  # noqa: F811
    """An app whose four commits have fixed dates, so the table's dates are known."""
    app = world.app(name, commits=0, **kwargs)
    for number, date in enumerate(DATES):
        monkeypatch.setenv("GIT_AUTHOR_DATE", date)
        monkeypatch.setenv("GIT_COMMITTER_DATE", date)
        app.commit(f"{name} change {number}")
    monkeypatch.delenv("GIT_AUTHOR_DATE")
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    return app


def release_history(app: App, promote) -> None:  # noqa: F811
    """dev runs tags[3], stag tags[1], prod nothing yet but a pull request proposing tags[1]."""
    for env, tag in (("dev", 0), ("stag", 0), ("dev", 2), ("stag", 1), ("dev", 3)):
        assert promote(env, "--tag", app.tags[tag], "--spec", str(app.spec))[0] == 0
    assert promote("prod", "--tag", app.tags[1], "--pr", "--spec", str(app.spec))[0] == 0


def test_table_and_json_after_a_history_of_releases(world: World, github: FakeGitHub, promote, status,  # noqa: F811
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    app = dated_app(world, monkeypatch)
    release_history(app, promote)
    spec = app.spec.read_text()
    app.spec.write_text(spec + PINNED_STAG.format(pin=app.tags[1]))  # freeze stag where it is
    monkeypatch.chdir(app.directory)
    tags = app.tags
    code, out, err = status()
    assert (code, err) == (0, "")
    assert out == (
        f"myapp (shipspec.yaml): master of {world.bare.as_uri()}\n"
        "  ENV   TAG      BEHIND  DATE        COMMIT          NOTE\n"
        f"  dev   {tags[3]}  -       2026-01-04  myapp change 3\n"
        f"  stag  {tags[1]}  2       2026-01-02  myapp change 1  pinned\n"
        f"  prod  -        -       -           -               awaiting first release; pull request #1 proposes {tags[1]}\n"
    )
    code, out, err = status("--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    shas = [git(app.directory, "rev-parse", tag) for tag in tags]
    assert document["apps"] == [{
        "name": "myapp",
        "spec": "shipspec.yaml",
        "charts": {"repo": world.bare.as_uri(), "branch": "master"},
        "environments": [
            {"name": "dev", "tag": tags[3], "pinned": False, "pin": None,
             "commit": {"sha": shas[3], "subject": "myapp change 3", "date": DATES[3]},
             "behind": None, "proposal": None},
            {"name": "stag", "tag": tags[1], "pinned": True, "pin": tags[1],
             "commit": {"sha": shas[1], "subject": "myapp change 1", "date": DATES[1]},
             "behind": {"environment": "dev", "commits": 2}, "proposal": None},
            {"name": "prod", "tag": None, "pinned": False, "pin": None, "commit": None, "behind": None,
             "proposal": {"kind": "pull request", "number": 1, "url": github.pulls[0]["html_url"],
                          "branch": "shipspec/myapp/prod", "tag": tags[1]}},
        ],
    }]
    assert set(document) == {"version", "apps"}


def test_without_a_token_no_api_is_asked(world: World, github: FakeGitHub, promote, status,  # noqa: F811
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    app = dated_app(world, monkeypatch)
    release_history(app, promote)
    asked = len(github.requests)
    monkeypatch.delenv("GITHUB_TOKEN")
    code, out, _err = status(str(app.spec))
    assert code == 0 and "prod  -        -       -           -               awaiting first release\n" in out
    assert len(github.requests) == asked


def test_a_monorepo_shares_one_clone_and_one_history(world: World, promote, status,  # noqa: F811
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    mono = world.root / "mono"
    mono.mkdir()
    git(mono, "init", "-q", "-b", "main")
    uri = world.bare.as_uri()
    for name in ("alpha", "beta"):
        (mono / name).mkdir()
        (mono / name / "shipspec.yaml").write_text(
            f"apiVersion: shipspec/v1\nkind: App\nname: {name}\nimage:\n  repository: myrepo/{name}\n"
            f"charts:\n  repo: {uri}\n")
    git(mono, "add", "-A")
    git(mono, "commit", "-q", "-m", "both apps")
    first = git(mono, "rev-parse", "--short=7", "HEAD")
    (mono / "alpha" / "code.txt").write_text("more")
    git(mono, "add", "-A")
    git(mono, "commit", "-q", "-m", "alpha grows")
    second = git(mono, "rev-parse", "--short=7", "HEAD")
    for name, env, tag in (("alpha", "dev", second), ("alpha", "stag", first), ("beta", "dev", first)):
        assert promote(env, "--tag", tag, "--spec", str(mono / name / "shipspec.yaml"))[0] == 0
    clones = []
    real_clone = gitmodule.clone
    monkeypatch.setattr(gitmodule, "clone", lambda *a, **k: clones.append(a) or real_clone(*a, **k))
    code, out, _err = status(str(mono), "--format", "json")
    apps = {app["name"]: app for app in json.loads(out)["apps"]}
    assert code == 0 and len(clones) == 1
    assert [(e["tag"], e["behind"]) for e in apps["alpha"]["environments"]] == [
        (second, None), (first, {"environment": "dev", "commits": 1}), (None, None)]
    assert [e["commit"]["subject"] if e["commit"] else None for e in apps["beta"]["environments"]] == [
        "both apps", None, None]


def test_charts_dir_reads_a_local_checkout(world: World, promote, status, tmp_path: Path,  # noqa: F811
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    app = dated_app(world, monkeypatch)
    assert promote("dev", "--tag", app.tags[2], "--spec", str(app.spec))[0] == 0
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", world.bare.as_uri(), str(checkout))
    # A hand-written overlay (not shipspec's layout) is read as YAML.
    (checkout / "charts/myapp/values.stag.yaml").write_text("image:\n  tag: 'abc1234'  # by hand\n")
    code, out, _err = status(str(app.spec), "--charts-dir", str(checkout))
    assert code == 0
    assert f"  dev   {app.tags[2]}  -       2026-01-03  myapp change 2\n" in out
    assert "  stag  abc1234  -       -           -               tag not in the app repo's history\n" in out


def test_an_open_gitlab_merge_request(world: World, promote, status, isolated_git: Path,  # noqa: F811
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    plain = "https://gitlab.example.invalid/myorg/charts.git"
    isolated_git.write_text(f'[url "{world.bare.as_uri()}"]\n\tinsteadOf = {plain}\n')
    with FakeGitLab() as fake:
        monkeypatch.setenv("GITLAB_TOKEN", fake.token)
        monkeypatch.setenv("GITLAB_API_URL", fake.url)
        app = dated_app(world, monkeypatch, repo=plain)
        assert promote("prod", "--tag", app.tags[3], "--pr", "--spec", str(app.spec))[0] == 0
        code, out, err = status(str(app.spec))
    assert (code, err) == (0, "")
    assert f"awaiting first release; merge request !1 proposes {app.tags[3]}\n" in out
    assert fake.token not in out


def test_a_rejected_token_warns_and_still_prints_the_table(world: World, github: FakeGitHub, promote,  # noqa: F811
                                                           status, monkeypatch: pytest.MonkeyPatch) -> None:
    app = dated_app(world, monkeypatch)
    release_history(app, promote)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-wrong-token-123456")
    code, out, err = status(str(app.spec))
    assert code == 0 and "awaiting first release\n" in out
    assert "warning: cannot list the open pull/merge requests" in err and "HTTP 401" in err
    assert "ghp-wrong-token-123456" not in out + err


def test_an_unreadable_charts_repo_exits_1(world: World, status) -> None:  # noqa: F811
    app = world.app(repo=(world.root / "missing.git").as_uri())
    code, out, err = status(str(app.spec))
    assert (code, out) == (1, "") and "git clone of branch master failed" in err and "Traceback" not in err


def test_charts_url_replaces_the_repo_and_is_redacted(world: World, status, isolated_git: Path,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-status-token"
    url = f"https://x-access-token:{secret}@git.example.invalid/myorg/charts.git"
    isolated_git.write_text(f'[url "{world.bare.as_uri()}"]\n\tinsteadOf = {url}\n')
    app = world.app(repo="https://git.example.invalid/myorg/charts.git")
    monkeypatch.setenv("SHIPSPEC_CHARTS_URL", url)
    code, out, err = status(str(app.spec))
    assert code == 0 and secret not in out + err
    assert "master of https://x-access-token:***@git.example.invalid/myorg/charts.git\n" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--charts-dir", "/nonexistent/charts"], "--charts-dir /nonexistent/charts: not a directory"),
    (["--format", "yaml"], "Invalid value for '--format'"),
])
def test_bad_input_exits_2(world: World, status, args: list[str], message: str) -> None:  # noqa: F811
    app = world.app()
    code, out, err = status(str(app.spec), *args)
    assert (code, out) == (2, "") and message in err


def test_an_invalid_spec_exits_2_with_its_position(world: World, status) -> None:  # noqa: F811
    app = world.app(extra="colour: blue\n")
    code, out, err = status(str(app.spec))
    assert (code, out) == (2, "") and "shipspec.yaml:8:1: colour: unknown field" in err


def test_status_is_in_the_help(status) -> None:
    code, out, _err = status("--help")
    assert code == 0 and "--charts-dir" in out and "Exit 0 ok, 1 charts repo unreadable, 2 bad input." in out


def test_dates_come_from_the_author_not_the_committer(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    app = dated_app(world, monkeypatch)
    done = subprocess.run(["git", "log", "-1", "--format=%aI", app.tags[0]], cwd=app.directory,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == DATES[0]


def test_the_benchmark_workload_has_a_release_history(tmp_path: Path, status, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import workload

    root = tmp_path / "mono"
    workload.create(root, 6)
    monkeypatch.chdir(root)
    with pytest.raises(SystemExit) as generated:
        main(["generate", "apps"])
    assert generated.value.code == 0
    capsys.readouterr()
    url = workload.releases(root, commits=20)
    code, out, _err = status("apps", "--format", "json", "--charts-url", url)
    apps = json.loads(out)["apps"]
    assert code == 0 and len(apps) == 6
    for app in apps:
        dev, stag, prod = app["environments"]
        assert dev["commit"]["subject"].startswith("change 1")  # released from the newest three commits
        for env, before in ((stag, dev), (prod, stag)):
            if not env["pinned"] and not before["pinned"]:
                assert env["commit"] is not None and env["behind"]["commits"] >= 3, app


def test_charts_dir_never_fetches_into_the_checkout(world: World, github: FakeGitHub, promote, status,  # noqa: F811
                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = dated_app(world, monkeypatch)
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", world.bare.as_uri(), str(checkout))
    assert promote("prod", "--tag", app.tags[2], "--pr", "--spec", str(app.spec))[0] == 0
    code, out, _err = status(str(app.spec), "--charts-dir", str(checkout))
    assert code == 0 and out.endswith("awaiting first release; pull request #1 open\n")  # not fetched yet
    assert not (checkout / ".git" / "shallow").exists() and not (checkout / ".git" / "FETCH_HEAD").exists()
    git(checkout, "fetch", "-q")
    code, out, _err = status(str(app.spec), "--charts-dir", str(checkout))
    assert out.endswith(f"awaiting first release; pull request #1 proposes {app.tags[2]}\n")


def test_a_review_client_that_cannot_be_built_is_a_warning(world: World, status,  # noqa: F811
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    app = world.app(extra="  review: gitlab\n")  # a file:// charts repo names no GitLab host
    work = world.root / "seed"
    git(work, "push", "-q", "origin", "HEAD:refs/heads/shipspec/myapp/dev")
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-some-token-123")
    code, out, err = status(str(app.spec))
    assert code == 0 and out.count("awaiting first release") == 3
    assert err.count("warning: cannot list the open pull/merge requests") == 1 and "set GITLAB_API_URL" in err
