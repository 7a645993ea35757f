"""The pre-commit hooks, run by the real pre-commit from a clone of this repository.

pre-commit installs the hook repository into its own virtualenv (shipspec's
dependencies come from PyPI), then runs the hooks in a throwaway git repo:
an in-sync app passes, a hand-edited generated file or an invalid spec fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_shipspec
from samples import SAMPLES_DIR
from tools import REPO_ROOT, require_tool

HOOKS = REPO_ROOT / ".pre-commit-hooks.yaml"


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})
    return done.stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository at HEAD with the working tree's package, templates and hook definitions, committed."""
    clone = tmp_path_factory.mktemp("hook-repo") / "shipspec"
    git("clone", "--quiet", "--no-hardlinks", str(REPO_ROOT), str(clone), cwd=REPO_ROOT)
    for name in ("generator", "templates", "schemas"):
        shutil.rmtree(clone / name, ignore_errors=True)
        shutil.copytree(REPO_ROOT / name, clone / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in (".pre-commit-hooks.yaml", "pyproject.toml", "hatch_build.py", "README.md"):
        shutil.copy(REPO_ROOT / name, clone / name)
    git("add", "-A", cwd=clone)
    git("commit", "--quiet", "--allow-empty", "-m", "working tree", cwd=clone)
    return clone


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A git repo with the myapp sample and its charts checkout, generated and staged."""
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "charts").mkdir()
    shutil.copy(SAMPLES_DIR / "myapp" / "shipspec.yaml", repo / "app")
    git("init", "--quiet", cwd=repo)
    assert run_shipspec("generate", "app/shipspec.yaml", cwd=repo).returncode == 0
    git("add", "-A", cwd=repo)
    return repo


def try_repo(hook_repo: Path, hook: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    pre_commit = require_tool("pre-commit")
    return subprocess.run(
        [str(pre_commit), "try-repo", str(hook_repo), hook, "--all-files", "--color", "never"],
        cwd=cwd, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PRE_COMMIT_HOME": str(home), "SHIPSPEC_DEBUG": ""},
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")  # one hook install for the module


def test_check_hook_passes_in_sync_and_fails_on_drift(hook_repo: Path, user_repo: Path, cache: Path) -> None:
    done = try_repo(hook_repo, "shipspec-check", user_repo, cache)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "shipspec check" in done.stdout and "Passed" in done.stdout
    makefile = user_repo / "app/Makefile"
    makefile.write_text(makefile.read_text().replace("docker-build:", "docker-build: # mine", 1))
    git("add", "-A", cwd=user_repo)
    done = try_repo(hook_repo, "shipspec-check", user_repo, cache)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout and "changed  app/Makefile: edited by hand" in done.stdout


def test_validate_hook_rejects_an_invalid_spec(hook_repo: Path, user_repo: Path, cache: Path) -> None:
    assert try_repo(hook_repo, "shipspec-validate", user_repo, cache).returncode == 0
    spec = user_repo / "app/shipspec.yaml"
    spec.write_text(spec.read_text().replace("name: myapp", "name: My_App", 1))
    git("add", "-A", cwd=user_repo)
    done = try_repo(hook_repo, "shipspec-validate", user_repo, cache)
    assert done.returncode == 1 and "app/shipspec.yaml:5:7: name:" in done.stdout, done.stdout + done.stderr


def test_the_check_hook_runs_when_any_providers_pipeline_changes() -> None:
    import re

    import yaml

    from shipspec.spec import defaults

    (hook,) = [h for h in yaml.safe_load(HOOKS.read_text()) if h["id"] == "shipspec-check"]
    pattern = re.compile(hook["files"])
    for name in (*defaults.CI_FILES.values(), "Makefile", "shipspec.yaml"):
        assert pattern.search(f"apps/api/{name}") and pattern.search(name), name
    assert not pattern.search(".github/workflows/other.yml")
