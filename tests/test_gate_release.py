"""The gated release end to end, for each provider: the generated job of a `master` push runs as CI
would (its own command lines, its own env, secrets filled in) against a token-guarded charts repo
served by `git http-backend` (tests/git_http.py), the fake review API and the fake Argo CD API.

The job commits the tag to stag, opens prod's pull/merge request (posting `pending` on its head),
then the gate looks at stag's Application (Progressing, then Healthy with the tag) and publishes
`success` on that same head. The tokens appear in no output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fake_argocd import TOKEN as ARGO_TOKEN
from fake_argocd import FakeArgoCD, application
from fake_github import FakeGitHub
from fake_gitlab import FakeGitLab
from git_http import GitHTTP
from tools import require_tool

CHARTS_TOKEN = "ghs-gate-e2e-t0ken-never-printed"
SPEC = """\
apiVersion: shipspec/v1
kind: App
name: shop
image:
  repository: registry.example.com/acme/shop
charts:
  repo: {repo}
argocd:
  server: {server}
  gateTimeout: 2m
ci: {ci}
"""
STUB_DOCKER = "#!/bin/sh\n[ \"$1\" = login ] && cat > /dev/null\nexit 0\n"
REPOS = {"github": "https://github.com/acme/charts.git", "gitlab": "https://gitlab.example.invalid/acme/charts.git"}


def run(cwd: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def job_steps(ci: str, pipeline: dict[str, Any], secrets: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """The `release master` job's command lines with the environment CI gives each."""
    if ci == "travis":
        [job] = [j for j in pipeline["jobs"]["include"] if j["name"] == "release master"]
        return [(line, secrets) for line in [*job["before_script"], *job["script"]]]  # env.global: every line
    if ci == "github":
        [job] = [j for j in pipeline["jobs"].values() if j["name"] == "release master"]
        steps = []
        for step in job["steps"]:
            if "run" not in step or "GITHUB_REF" in step["run"]:
                continue
            env = {name: re.sub(r"\$\{\{ secrets\.(\w+) }}", lambda m: secrets.get(m[1], ""), str(value))
                   for name, value in step.get("env", {}).items()}
            steps.append((step["run"], env))
        return steps
    job = pipeline["release master"]
    variables = {name: re.sub(r"\$(\w+)", lambda m: secrets.get(m[1], ""), str(value))
                 for name, value in job.get("variables", {}).items() if not name.startswith("GIT_")}
    lines = [line for line in pipeline["default"]["before_script"] if line.startswith("shipspec ")]
    return [(line, {**secrets, **variables}) for line in [*lines, *job["script"]]]  # project variables: all


@pytest.mark.parametrize("ci", ["travis", "github", "gitlab"])
def test_a_gated_release_runs_end_to_end(tmp_path: Path, ci: str) -> None:
    require_tool("make")
    review = "gitlab" if ci == "gitlab" else "github"
    fake_review = FakeGitLab(token=CHARTS_TOKEN, projects=("acme/charts",)) if review == "gitlab" \
        else FakeGitHub(token=CHARTS_TOKEN)
    with GitHTTP(tmp_path, CHARTS_TOKEN) as server, fake_review as api, FakeArgoCD() as argo:
        bare = tmp_path / "charts.git"
        api.heads = lambda branch: run(bare, ["git", "rev-parse", f"refs/heads/{branch}"], os.environ).stdout.strip()
        app, home, bin_dir = tmp_path / "app", tmp_path / "home", tmp_path / "bin"
        for folder in (app, home, bin_dir):
            folder.mkdir()
        (bin_dir / "docker").write_text(STUB_DOCKER)
        (bin_dir / "docker").chmod(0o755)
        (tmp_path / "gitconfig").write_text("[user]\n\tname = Dev\n\temail = dev@example.com\n"
                                            "[init]\n\tdefaultBranch = master\n")
        base = {"PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]]),
                "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
                "LC_ALL": "C"}
        (app / "shipspec.yaml").write_text(SPEC.format(repo=REPOS[review], server=argo.url, ci=ci))
        (app / "Dockerfile").write_text("FROM scratch\n")
        assert run(app, ["shipspec", "generate"], base).returncode == 0
        for args in (["init", "-q", "-b", "master"], ["add", "-A"], ["commit", "-q", "-m", "shop: first"]):
            assert run(app, ["git", *args], base).returncode == 0
        tag = run(app, ["git", "rev-parse", "--short=7", "HEAD"], base).stdout.strip()
        assert run(tmp_path, ["git", "init", "-q", "--bare", "-b", "master", str(bare)], base).returncode == 0
        seed = tmp_path / "seed"
        seed.mkdir()
        (seed / "README.md").write_text("charts\n")
        for args in (["init", "-q", "-b", "master"], ["add", "-A"], ["commit", "-q", "-m", "seed"],
                     ["push", "-q", str(bare), "master"]):
            assert run(seed, ["git", *args], base).returncode == 0
        argo.script("shop-stag", application("shop-stag", health="Progressing", phase="Running",
                                             images=[f"registry.example.com/acme/shop:{tag}"]),
                    application("shop-stag", images=[f"registry.example.com/acme/shop:{tag}"]))
        # Test plumbing the runner would not need: the charts repo and the review API are local.
        base.update({"SHIPSPEC_CHARTS_URL": f"{server.url}/charts.git",
                     "GITHUB_API_URL" if review == "github" else "GITLAB_API_URL": api.url})
        # Travis: travis.secure entries, in every line; GitHub: secrets, only where a step names them;
        # GitLab: project CI/CD variables, in every line of a protected branch's job.
        secrets = {"DOCKER_USER": "ci", "DOCKER_PASS": "docker-pass-123", "ARGOCD_AUTH_TOKEN": ARGO_TOKEN,
                   **({"GITHUB_TOKEN": CHARTS_TOKEN} if ci == "travis" else {"CHARTS_TOKEN": CHARTS_TOKEN})}
        pipeline = yaml.safe_load((app / {"travis": ".travis.yml", "github": ".github/workflows/shipspec.yml",
                                          "gitlab": ".gitlab-ci.yml"}[ci]).read_text())
        outputs = []
        for line, env in job_steps(ci, pipeline, secrets):
            done = run(app, ["bash", "-ec", line], {**base, **env})
            outputs.append(done.stdout + done.stderr)
            assert done.returncode == 0, f"{line}: {done.stdout}{done.stderr}"
        head = run(bare, ["git", "rev-parse", "refs/heads/shipspec/shop/prod"], base).stdout.strip()
        gate_output = outputs[-1]
    expected = [(head, "pending"), (head, "success")] if review == "gitlab" else \
        [(head, "pending"), (head, "pending"), (head, "success")]
    assert api.status_sequence() == expected
    assert "gate prod: pending: stag is Progressing, not Healthy" in gate_output
    assert f"gate prod: open: stag runs {tag}, Synced and Healthy ({argo.url}/applications/argocd/shop-stag)" \
        in gate_output
    assert len(argo.requests) == 2 and all(auth == f"Bearer {ARGO_TOKEN}" for _, _, auth in argo.requests)
    assert not [out for out in outputs if CHARTS_TOKEN in out or ARGO_TOKEN in out]
