"""The gate's verdict on the pull/merge request: the exact commit status sequence on the right head.

Real git (a bare charts repo), the real `promote --pr`, the fake GitHub and
GitLab APIs (which learn each branch's head from the bare repo) and the fake
Argo CD API. A second release gets a fresh `pending` on its new head.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_argocd import TOKEN, FakeArgoCD, application
from shipspec.cli import main
from tests.fake_github import FakeGitHub
from tests.fake_gitlab import FakeGitLab
from tests.test_promote import World, git, isolated_git, promote, rendered, world  # noqa: F401

BRANCH = "shipspec/myapp/prod"
PLAIN_GITLAB = "https://gitlab.example.invalid/myorg/charts.git"


@pytest.fixture()
def argo(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ARGOCD_AUTH_TOKEN", TOKEN)
    for name in ("SHIPSPEC_CHARTS_TOKEN", "GITLAB_TOKEN", "CI_API_V4_URL", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with FakeArgoCD() as fake:
        yield fake


@pytest.fixture()
def gate(capsys: pytest.CaptureFixture[str]):
    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            main(["gate", *args])
        captured = capsys.readouterr()
        return exited.value.code, captured.out, captured.err  # type: ignore[return-value]

    return run


def heads(world: World):
    def head(branch: str) -> str | None:
        return git(world.bare, "rev-parse", f"refs/heads/{branch}")
    return head


def release_twice(world: World, argo: FakeArgoCD, fake: FakeGitHub | FakeGitLab, promote, gate,  # noqa: F811
                  app) -> tuple[list[str], list[str]]:
    """Two releases of prod through its request, each gated on stag; (heads, outputs of the gates)."""
    spec = str(app.spec)
    world.seed({"charts/myapp/values.prod.yaml": rendered(app, "prod", app.tags[0])["charts/myapp/values.prod.yaml"]})
    first, second = app.tags[1], app.tags[2]
    outputs = []
    assert promote("prod", "--tag", first, "--pr", "--spec", spec)[0] == 0
    one = world.head(BRANCH)
    argo.script("myapp-stag", application("myapp-stag", images=[f"myrepo/myapp:{first}"], health="Progressing"),
                application("myapp-stag", images=[f"myrepo/myapp:{first}"]))
    outputs.append(gate("prod", "--tag", first, "--spec", spec))  # pending (Progressing)
    outputs.append(gate("prod", "--tag", first, "--spec", spec))  # open
    assert promote("prod", "--tag", second, "--pr", "--spec", spec)[0] == 0
    two = world.head(BRANCH)
    assert two != one
    outputs.append(gate("prod", "--tag", second, "--spec", spec))  # stag still runs the first: pending
    argo.script("myapp-stag", application("myapp-stag", images=[f"myrepo/myapp:{second}"], health="Degraded"))
    outputs.append(gate("prod", "--tag", second, "--spec", spec))  # failed
    return [one, two], outputs


def test_github_receives_pending_success_then_a_fresh_pending_on_the_new_head(world: World, argo: FakeArgoCD,  # noqa: F811
                                                                              monkeypatch, promote, gate) -> None:  # noqa: F811
    with FakeGitHub(heads=heads(world)) as github:
        monkeypatch.setenv("GITHUB_TOKEN", github.token)
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        app = world.app(extra=f"argocd:\n  server: {argo.url}\n", commits=3)
        (one, two), outputs = release_twice(world, argo, github, promote, gate, app)
    assert github.status_sequence() == [(one, "pending"), (one, "pending"), (one, "success"),
                                        (two, "pending"), (two, "pending"), (two, "failure")]
    assert {s["context"] for s in github.statuses} == {"shipspec/gate"}
    assert {s["target_url"] for s in github.statuses} == {f"{argo.url}/applications/argocd/myapp-stag"}
    assert [s["description"] for s in github.statuses] == [
        f"waiting for stag to run {app.tags[1]}", "stag is Progressing, not Healthy",
        f"stag runs {app.tags[1]}, Synced and Healthy", f"waiting for stag to run {app.tags[2]}",
        f"stag runs {app.tags[1]}, not {app.tags[2]}", "stag is Degraded"]
    assert [code for code, _, _ in outputs] == [1, 0, 1, 1]
    assert outputs[1][1] == (f"gate prod: open: stag runs {app.tags[1]}, Synced and Healthy "
                             f"({argo.url}/applications/argocd/myapp-stag)\nshipspec/gate success on {one[:12]} "
                             f"({BRANCH})\n")
    assert all(github.token not in out + err and TOKEN not in out + err for _, out, err in outputs)


def test_gitlab_receives_the_sequence_and_its_400_on_pending_over_pending_is_tolerated(
        world: World, argo: FakeArgoCD, isolated_git: Path, monkeypatch, promote, gate) -> None:  # noqa: F811
    isolated_git.write_text(f'[url "{world.bare.as_uri()}"]\n\tinsteadOf = {PLAIN_GITLAB}\n')
    with FakeGitLab(heads=heads(world)) as gitlab:
        monkeypatch.setenv("GITLAB_TOKEN", gitlab.token)
        monkeypatch.setenv("GITLAB_API_URL", gitlab.url)
        app = world.app(repo=PLAIN_GITLAB, extra=f"argocd:\n  server: {argo.url}\n", commits=3)
        (one, two), outputs = release_twice(world, argo, gitlab, promote, gate, app)
        refused = [r for r in gitlab.requests if r.method == "POST" and "/statuses/" in r.path]
    # GitLab refuses the gate's `pending` over promote's `pending` (400): nothing to change, exit as decided.
    assert gitlab.status_sequence() == [(one, "pending"), (one, "success"), (two, "pending"), (two, "failed")]
    assert len(refused) == 6
    assert {(s["name"], s["ref"]) for s in gitlab.statuses} == {("shipspec/gate", BRANCH)}
    assert [code for code, _, _ in outputs] == [1, 0, 1, 1]
    assert all("Traceback" not in err and "Cannot transition" not in err for _, _, err in outputs)


def test_without_an_open_request_the_gate_reports_and_publishes_nothing(world: World, argo: FakeArgoCD,  # noqa: F811
                                                                       monkeypatch, gate) -> None:  # noqa: F811
    with FakeGitHub(heads=heads(world)) as github:
        monkeypatch.setenv("GITHUB_TOKEN", github.token)
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        app = world.app(extra=f"argocd:\n  server: {argo.url}\n", commits=1)
        argo.script("myapp-stag", application("myapp-stag", images=[f"myrepo/myapp:{app.tags[0]}"]))
        code, out, err = gate("prod", "--tag", app.tags[0], "--spec", str(app.spec))
    assert (code, err) == (0, "")
    assert out.endswith(f"no open pull request for {BRANCH}: the verdict is not published\n")
    assert github.statuses == []


def test_promote_without_argocd_server_publishes_no_status(world: World, monkeypatch, promote) -> None:  # noqa: F811
    with FakeGitHub(heads=heads(world)) as github:
        monkeypatch.setenv("GITHUB_TOKEN", github.token)
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        app = world.app(commits=2)
        assert promote("prod", "--tag", app.tags[1], "--pr", "--spec", str(app.spec))[0] == 0
    assert github.statuses == [] and len(github.pulls) == 1


def test_a_waiting_gate_publishes_only_when_the_verdict_changes(world: World, argo: FakeArgoCD,  # noqa: F811
                                                                monkeypatch, promote, capsys) -> None:  # noqa: F811
    from shipspec.release import gate as gatemodule

    with FakeGitHub(heads=heads(world)) as github:
        monkeypatch.setenv("GITHUB_TOKEN", github.token)
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        app = world.app(extra=f"argocd:\n  server: {argo.url}\n", commits=2)
        tag = app.tags[1]
        assert promote("prod", "--tag", tag, "--pr", "--spec", str(app.spec))[0] == 0
        progressing = application("myapp-stag", images=[f"myrepo/myapp:{tag}"], health="Progressing")
        argo.script("myapp-stag", progressing, progressing, progressing, application(
            "myapp-stag", images=[f"myrepo/myapp:{tag}"]))
        now = [0.0]
        code = gatemodule.gate("prod", tag, wait="10m", spec=str(app.spec), clock=lambda: now[0],
                               sleep=lambda seconds: now.__setitem__(0, now[0] + seconds))
    head = world.head(BRANCH)
    assert code == 0 and len(argo.requests) == 4
    assert github.status_sequence() == [(head, "pending"), (head, "pending"), (head, "success")]
    assert capsys.readouterr().out.count("shipspec/gate pending on") == 1  # three pending looks, one status


def test_gitlab_409_update_in_progress_is_retried(world: World, argo: FakeArgoCD, isolated_git: Path,  # noqa: F811
                                                  monkeypatch, promote) -> None:  # noqa: F811
    from shipspec.release import gitlab as gitlabmodule

    monkeypatch.setattr(gitlabmodule, "STATUS_RETRY_SECONDS", 0.0)
    isolated_git.write_text(f'[url "{world.bare.as_uri()}"]\n\tinsteadOf = {PLAIN_GITLAB}\n')
    with FakeGitLab(heads=heads(world), status_conflicts=2) as gitlab:
        monkeypatch.setenv("GITLAB_TOKEN", gitlab.token)
        monkeypatch.setenv("GITLAB_API_URL", gitlab.url)
        app = world.app(repo=PLAIN_GITLAB, extra=f"argocd:\n  server: {argo.url}\n", commits=2)
        assert promote("prod", "--tag", app.tags[1], "--pr", "--spec", str(app.spec))[0] == 0
        tries = [r for r in gitlab.requests if "/statuses/" in r.path]
    assert gitlab.status_sequence() == [(world.head(BRANCH), "pending")] and len(tries) == 3
