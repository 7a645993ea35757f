"""No secret from the environment or a URL reaches output or files; ciphertexts pass through; make never echoes one."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT
from shipspec.cli import cli
from samples import SAMPLES_DIR
from tools import require_tool

SECRET = "s3cr3t-Sentinel-7f4c2a91"
SECRET_ENV = {name: f"{SECRET}-{name}" for name in ("GITHUB_TOKEN", "GH_TOKEN", "DOCKER_PASS", "DOCKER_USER",
                                                    "GIT_PASSWORD")}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SECRET_ENV, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "shipspec", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def all_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("*") if p.is_file())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "charts").mkdir()
    shutil.copy(SAMPLES_DIR / "myapp" / "shipspec.yaml", tmp_path / "app")
    return tmp_path


def test_environment_secrets_never_reach_output_or_files(project: Path) -> None:
    app = project / "app"
    invalid = project / "bad"
    invalid.mkdir()
    (invalid / "shipspec.yaml").write_text("apiVersion: shipspec/v1\nkind: App\nname: Bad\n")
    commands = [("generate",), ("generate", "--dry-run"), ("validate", "--format", "json"), ("validate", "../bad"),
                ("generate", "../bad")] + ([("check",), ("check", "--format", "json")] if "check" in cli.commands else [])
    outputs = [run(*command, cwd=app) for command in commands]
    assert [o.returncode for o in outputs][:2] == [0, 0]
    for output in outputs:
        assert SECRET not in output.stdout + output.stderr, output.args
    assert SECRET not in all_text(project)


def test_a_token_in_the_charts_url_is_refused_and_not_printed(project: Path) -> None:
    spec = project / "app" / "shipspec.yaml"
    spec.write_text(spec.read_text().replace("git@github.com:myorg/charts.git",
                                             f"https://x-access-token:{SECRET}@github.com/myorg/charts.git"))
    before = all_text(project / "charts")
    for command in ("validate", "generate", "check"):
        result = run(command, cwd=project / "app")
        assert result.returncode == 2 and "charts.repo: must not carry credentials" in result.stdout + result.stderr
        assert SECRET not in result.stdout + result.stderr
    assert all_text(project / "charts") == before


def test_secure_ciphertexts_pass_through_untouched(project: Path) -> None:
    assert run("generate", cwd=project / "app").returncode == 0
    spec = yaml.safe_load((project / "app" / "shipspec.yaml").read_text())
    travis = yaml.safe_load((project / "app" / ".travis.yml").read_text())
    assert [entry["secure"] for entry in travis["env"]["global"]] == spec["travis"]["secure"]
    assert travis["notifications"]["slack"]["rooms"] == [{"secure": spec["travis"]["slack"]["secure"]}]


def test_plaintext_secrets_are_refused(project: Path) -> None:
    spec = project / "app" / "shipspec.yaml"
    text = spec.read_text()
    for bad in [text.replace("replicaCount: 2", f"dbPassword: {SECRET}"),
                text.replace("  secure:\n", f"  secure:\n    - DOCKER_PASS={SECRET}\n", 1)]:
        spec.write_text(bad)
        result = run("validate", cwd=project / "app")
        assert result.returncode == 2 and "shipspec.yaml:" in result.stderr
        assert SECRET not in result.stdout + result.stderr


def test_docker_login_takes_the_password_on_stdin_and_make_never_echoes_it(project: Path, tmp_path: Path) -> None:
    make = require_tool("make")
    assert run("generate", cwd=project / "app").returncode == 0
    makefile = (project / "app" / "Makefile").read_text()
    for line in makefile.splitlines():
        if any(name in line for name in ("DOCKER_PASS", "DOCKER_USER", "GITHUB_TOKEN")) and line.startswith("\t"):
            assert line.startswith("\t@"), f"a recipe line using a credential is echoed: {line!r}"
    fake = tmp_path / "bin"
    fake.mkdir()
    docker = fake / "docker"
    docker.write_text('#!/bin/sh\nprintf "%s\\n" "$*" > "$FAKE_ARGV"\ncat > "$FAKE_STDIN"\n')
    docker.chmod(docker.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, **SECRET_ENV, "PATH": f"{fake}:{os.environ['PATH']}", "FAKE_ARGV": str(tmp_path / "argv"),
           "FAKE_STDIN": str(tmp_path / "stdin")}
    env.pop("MAKEFLAGS", None)
    result = subprocess.run([make, "--no-print-directory", "docker-login"], cwd=project / "app", env=env,
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert (tmp_path / "stdin").read_text() == SECRET_ENV["DOCKER_PASS"] + "\n"
    argv = (tmp_path / "argv").read_text()
    assert "--password-stdin" in argv and SECRET_ENV["DOCKER_PASS"] not in argv
