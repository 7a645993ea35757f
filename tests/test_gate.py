"""`shipspec gate` against a local fake Argo CD API (tests/fake_argocd.py) and the fake review APIs.

Waiting runs on a fake clock: `sleep` advances it, so a 20-minute deadline
takes no real time, and every look the gate takes is a real HTTP request.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from argocd_schema import application_problems, require_crd_dir
from fake_argocd import PERMISSION_DENIED, TOKEN, FakeArgoCD, application
from shipspec.cli import main
from shipspec.errors import OperationFailed
from shipspec.release import gate as gatemodule

NEW, OLD = "9f8e7d6", "1a2b3c4"
APP = "myapp-stag"
NO_REVIEW_TOKEN = "shipspec: warning: no review API token (GITHUB_TOKEN, GITLAB_TOKEN or SHIPSPEC_CHARTS_TOKEN)"


def spec_text(server: str, repository: str = "myorg/myapp", extra: str = "") -> str:
    return (f"apiVersion: shipspec/v1\nkind: App\nname: myapp\nimage:\n  repository: {repository}\n"
            f"charts:\n  repo: git@github.com:myorg/charts.git\nargocd:\n  server: {server}\n{extra}")


@pytest.fixture()
def argo(monkeypatch: pytest.MonkeyPatch):
    for name in ("GITHUB_TOKEN", "SHIPSPEC_CHARTS_TOKEN", "GITLAB_TOKEN", "GITHUB_API_URL", "GITLAB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARGOCD_AUTH_TOKEN", TOKEN)
    with FakeArgoCD() as fake:
        yield fake


@pytest.fixture()
def spec(tmp_path: Path, argo: FakeArgoCD) -> Path:
    path = tmp_path / "shipspec.yaml"
    path.write_text(spec_text(argo.url))
    return path


class Clock:
    def __init__(self) -> None:
        self.now, self.sleeps = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def gate(spec: Path, *args: str, capsys: pytest.CaptureFixture[str], clock: Clock | None = None,
         wait: str | None = None) -> tuple[int, str, str]:
    """The gate through its core with a fake clock (wait), or through the CLI (no wait)."""
    if clock is not None:
        try:
            code = gatemodule.gate("prod", NEW, wait=wait, spec=str(spec), clock=clock, sleep=clock.sleep)
        except OperationFailed as exc:
            print(exc.message)
            code = exc.exit_code
    else:
        with pytest.raises(SystemExit) as exited:
            main(["gate", *args, "--spec", str(spec)])
        code = exited.value.code  # type: ignore[assignment]
    captured = capsys.readouterr()
    # Without a review API token the verdict is only reported (tests of publishing are below).
    err = "".join(line for line in captured.err.splitlines(True) if not line.startswith(NO_REVIEW_TOKEN))
    return code, captured.out, err


def healthy(**overrides: Any) -> dict[str, Any]:
    return application(APP, **{"images": [f"myorg/myapp:{NEW}"], **overrides})


def test_fake_answers_are_applications_the_crd_accepts() -> None:
    require_crd_dir()
    for body in (healthy(), healthy(phase=None, health="Progressing"), healthy(phase="Running"),
                 healthy(images=[]), healthy(health="Degraded", health_message="Back-off pulling image")):
        assert application_problems({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **body}) == []


def test_progressing_then_healthy_opens_after_polls_with_backoff(spec, argo, capsys) -> None:
    argo.script(APP, healthy(health="Progressing", phase="Running"), healthy(health="Progressing"), healthy())
    clock = Clock()
    code, out, err = gate(spec, capsys=capsys, clock=clock, wait="20m")
    assert (code, err) == (0, "")
    assert clock.sleeps == [5.0, 7.5]  # backoff, and no third wait once open
    assert len(argo.requests) == 3
    path, query, auth = argo.requests[0]
    assert (path, query, auth) == (f"/api/v1/applications/{APP}", {"appNamespace": ["argocd"], "project": ["default"]},
                                   f"Bearer {TOKEN}")
    lines = out.splitlines()
    assert lines[0].startswith("gate prod: pending: stag is Progressing, not Healthy (")
    assert lines[-1] == f"gate prod: open: stag runs {NEW}, Synced and Healthy ({argo.url}/applications/argocd/{APP})"


def test_deadline_leaves_pending_and_exits_1_with_a_line_at_least_once_a_minute(spec, argo, capsys) -> None:
    argo.script(APP, healthy(sync="OutOfSync"))
    clock = Clock()
    code, out, _ = gate(spec, capsys=capsys, clock=clock, wait="20m")
    assert code == 1
    assert sum(clock.sleeps) == 20 * 60 and max(clock.sleeps) <= 30  # a line after every look: < 1 minute apart
    lines = out.splitlines()
    assert len(lines) == len(clock.sleeps) + 2
    assert all(line.startswith("gate prod: pending: stag is OutOfSync, not Synced") for line in lines[:-1])
    assert lines[-1].startswith("gate prod: still pending after 20m00s: leaving shipspec/gate pending; re-run")


@pytest.mark.parametrize(("state", "verdict", "description"), [
    (dict(sync="OutOfSync"), "pending", "stag is OutOfSync, not Synced"),
    (dict(images=[f"myorg/myapp:{OLD}", "redis:7"]), "pending", f"stag runs {OLD}, not {NEW}"),
    (dict(images=[]), "pending", f"stag runs no myorg/myapp image yet, not {NEW}"),
    (dict(phase="Running"), "pending", "stag has a sync operation running"),
    (dict(health="Suspended"), "pending", "stag is Suspended, not Healthy"),
    (dict(health="Degraded", health_message="Deployment exceeded its progress deadline"), "failed",
     "stag is Degraded: Deployment exceeded its progress deadline"),
    (dict(phase="Failed", operation_message="one or more objects failed to apply"), "failed",
     "stag's last sync ended Failed: one or more objects failed to apply"),
    (dict(phase="Error"), "failed", "stag's last sync ended Error"),
    (dict(phase=None), "open", f"stag runs {NEW}, Synced and Healthy"),  # no operation ever ran
    (dict(images=[f"docker.io/myorg/myapp:{NEW}@sha256:{'a' * 64}"]), "open", f"stag runs {NEW}, Synced and Healthy"),
])
def test_each_state_gives_the_verdict_spec_says(spec, argo, capsys, state, verdict, description) -> None:
    argo.script(APP, healthy(**state))
    code, out, err = gate(spec, "prod", "--tag", NEW, capsys=capsys)
    assert code == (0 if verdict == "open" else 1) and err == ""
    assert out == f"gate prod: {verdict}: {description} ({argo.url}/applications/argocd/{APP})\n"


def test_degraded_fails_fast_without_waiting_for_the_deadline(spec, argo, capsys) -> None:
    argo.script(APP, healthy(health="Progressing"), healthy(health="Degraded"))
    clock = Clock()
    code, out, _ = gate(spec, capsys=capsys, clock=clock, wait="1h")
    assert code == 1 and clock.sleeps == [5.0] and len(argo.requests) == 2
    assert out.splitlines()[-1].startswith("gate prod: failed: stag is Degraded (")


def test_docker_reads_nginx_as_docker_io_library_nginx(tmp_path, argo, capsys) -> None:
    path = tmp_path / "shipspec.yaml"
    path.write_text(spec_text(argo.url, repository="nginx"))
    argo.script(APP, application(APP, images=[f"docker.io/library/nginx:{NEW}"]))
    assert gate(path, "prod", "--tag", NEW, capsys=capsys)[0] == 0
    argo.script(APP, application(APP, images=[f"index.docker.io/library/nginx:{NEW}"]))
    assert gate(path, "prod", "--tag", NEW, capsys=capsys)[0] == 0
    argo.script(APP, application(APP, images=[f"ghcr.io/library/nginx:{NEW}"]))
    assert gate(path, "prod", "--tag", NEW, capsys=capsys)[:2] == (
        1, f"gate prod: pending: stag runs no nginx image yet, not {NEW} ({argo.url}/applications/argocd/{APP})\n")


@pytest.mark.parametrize(("setup", "expected"), [
    ("wrong-token", ["HTTP 401: no session information", "Argo CD rejected ARGOCD_AUTH_TOKEN",
                     "argocd proj role create-token default <role>"]),
    ("forbidden", ["HTTP 403: permission denied", "applications, get, default/*"]),
    ("missing", ['HTTP 404: applications.argoproj.io "myapp-stag" not found', "Argo CD has no Application "
                 "default/myapp-stag in namespace argocd"]),
    ("malformed", ["the answer is not JSON; check argocd.server in shipspec.yaml"]),
    ("not-an-app", ["the answer is not an Argo CD Application"]),
    ("no-token", ["ARGOCD_AUTH_TOKEN is not set", "applications, get"]),
])
def test_faults_exit_1_with_a_hint_and_never_print_the_token(spec, argo, capsys, monkeypatch, setup,
                                                             expected) -> None:
    argo.script(APP, healthy())
    if setup == "wrong-token":
        monkeypatch.setenv("ARGOCD_AUTH_TOKEN", "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.ZXhwaXJlZC10b2tlbi12YWx1ZQ")
    elif setup == "forbidden":
        argo.script(APP, PERMISSION_DENIED)
    elif setup == "missing":
        argo.scripts.clear()
    elif setup == "malformed":
        argo.script(APP, b'{"metadata": {"name": "myapp-stag"}, "status": {')
    elif setup == "not-an-app":
        argo.script(APP, {"items": []})
    elif setup == "no-token":
        monkeypatch.delenv("ARGOCD_AUTH_TOKEN")
    code, out, err = gate(spec, "prod", "--tag", NEW, capsys=capsys)
    assert code == 1 and out == ""
    for text in expected:
        assert text in err
    assert "Traceback" not in err and TOKEN not in err and "eyJleHAiOjF9" not in err


def test_unreachable_argo_cd_is_exit_1_and_retried_while_waiting(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ARGOCD_AUTH_TOKEN", TOKEN)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    path = tmp_path / "shipspec.yaml"
    path.write_text(spec_text(f"http://127.0.0.1:{port}"))
    code, out, err = gate(path, "prod", "--tag", NEW, capsys=capsys)
    assert code == 1 and "cannot reach the API" in err and "check argocd.server in shipspec.yaml" in err
    clock = Clock()
    code, out, err = gate(path, capsys=capsys, clock=clock, wait="2m")
    assert code == 1 and sum(clock.sleeps) == 120 and "cannot reach the API" in out


@pytest.mark.parametrize(("args", "spec_extra", "message"), [
    (["qa", "--tag", NEW], "", "unknown environment 'qa'"),
    (["dev", "--tag", NEW], "", "dev is the first environment: no environment before it to gate on"),
    (["prod", "--tag", "bad tag"], "", "--tag 'bad tag'"),
    (["prod", "--tag", NEW, "--wait", "20 minutes"], "", "--wait '20 minutes': must be a duration like 90s"),
    (["prod", "--tag", NEW, "--wait", "0s"], "", "--wait '0s': must be more than 0s"),
])
def test_bad_input_is_exit_2(spec, capsys, args, spec_extra, message) -> None:
    code, out, err = gate(spec, *args, capsys=capsys)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


def test_without_argocd_server_the_gate_is_bad_input(tmp_path, capsys) -> None:
    path = tmp_path / "shipspec.yaml"
    path.write_text(spec_text("x").replace("argocd:\n  server: x\n", ""))
    code, _, err = gate(path, "prod", "--tag", NEW, capsys=capsys)
    assert code == 2 and "argocd.server is not set" in err


@pytest.mark.parametrize(("field", "value", "message"), [
    ("server", "http://argocd.example.com", "must use https:// (http:// only for a loopback address)"),
    ("server", "https://admin:pw@argocd.example.com", "must not carry credentials"),
    ("server", "argocd.example.com", "must be the https:// URL of the Argo CD API server"),
    ("gateTimeout", "1m30", "must be a duration like 90s, 20m or 1h30m"),
    ("gateTimeout", "7h", "must be more than 0s and at most 6h"),
])
def test_spec_errors_are_located_and_exit_2(tmp_path, capsys, field, value, message) -> None:
    path = tmp_path / "shipspec.yaml"
    text = spec_text("https://argocd.example.com")
    text = text.replace("  server: https://argocd.example.com\n", f"  {field}: {value}\n") if field == "server" \
        else text + f"  gateTimeout: {value}\n"
    path.write_text(text)
    with pytest.raises(SystemExit) as exited:
        main(["validate", str(path)])
    err = capsys.readouterr().err
    line = 9 if field == "server" else 10
    assert exited.value.code == 2 and f"shipspec.yaml:{line}:" in err and f"argocd.{field}: {message}" in err


def test_a_5xx_is_exit_1_at_once_but_looked_at_again_while_waiting(spec, argo, capsys) -> None:
    unavailable = (503, {"error": "upstream connect error", "code": 14, "message": "upstream connect error"})
    argo.script(APP, unavailable)
    code, _, err = gate(spec, "prod", "--tag", NEW, capsys=capsys)
    assert code == 1 and "HTTP 503: upstream connect error" in err and "Traceback" not in err
    argo.script(APP, unavailable, healthy())
    clock = Clock()
    code, out, err = gate(spec, capsys=capsys, clock=clock, wait="5m")
    assert code == 0 and clock.sleeps == [5.0] and "HTTP 503" in err
