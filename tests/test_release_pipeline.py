"""The generated Travis pipeline, run as CI would, against a charts repo that demands a token.

The charts repo is served by git's own `git http-backend` on 127.0.0.1 and
refuses every request without `x-access-token:<token>`; the pull requests go
to the local fake GitHub API; `docker` is a stub on PATH. The jobs' own
commands (`before_script`, `script`) run in a real app repo, chosen by the
generated Travis conditions for each build. Afterwards Helm renders the
charts repo's released state as Argo CD would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fake_github import FakeGitHub
from git_http import GitHTTP
from tools import require_tool
from travis_conditions import evaluate
from validators import helm_env

from shipspec.render import scaffold
from shipspec.files.specfile import load

TOKEN = "ghs-e2e-t0ken-never-printed"
SPEC = """\
apiVersion: shipspec/v1
kind: App
name: shop
image:
  repository: registry.example.com/acme/shop
charts:
  repo: git@github.com:acme/charts.git
environments:
  - name: dev
    values:
      replicaCount: 1
  - name: stag
  - name: prod
"""
STUB_DOCKER = """#!/bin/sh
# Records each call; `docker login --password-stdin` reads the password like the real one.
echo "docker $*" >> "$DOCKER_LOG"
[ "$1" = login ] && cat > /dev/null
exit 0
"""
GIT_SHIM = """#!/bin/sh
# Records every git argv, then runs the real git.
printf '%s\\n' "$*" >> "$GIT_ARGV_LOG"
exec {git} "$@"
"""


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
    return done.stdout.strip()


class Pipeline:
    """An app repo, a token-guarded charts repo, and a runner of the generated Travis jobs."""

    def __init__(self, root: Path, server: GitHTTP, github: FakeGitHub) -> None:
        self.root, self.server, self.github = root, server, github
        self.app, self.bare = root / "app", root / "charts.git"
        self.outputs: list[str] = []
        bin_dir = root / "bin"
        bin_dir.mkdir()
        (bin_dir / "docker").write_text(STUB_DOCKER)
        (bin_dir / "git").write_text(GIT_SHIM.format(git=shutil.which("git")))
        for tool in bin_dir.iterdir():
            tool.chmod(0o755)
        (root / "home").mkdir()
        self.base_env = {
            "PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]]),
            "HOME": str(root / "home"), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(root / "gitconfig"),
            "DOCKER_LOG": str(root / "docker.log"), "GIT_ARGV_LOG": str(root / "git-argv.log"),
            "LC_ALL": "C",
        }
        (root / "gitconfig").write_text("[user]\n\tname = Dev\n\temail = dev@example.com\n"
                                        "[init]\n\tdefaultBranch = master\n")

    def secrets(self) -> dict[str, str]:
        """What `travis encrypt` entries give a push build of this repo (never a fork's pull request)."""
        return {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": self.github.url, "DOCKER_USER": "ci",
                "DOCKER_PASS": "docker-pass-123", "SHIPSPEC_CHARTS_URL": f"{self.server.url}/charts.git"}

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return run(cwd or self.app, "git", *args, env=self.base_env)

    def shipspec(self, *args: str) -> str:
        return run(self.app, "shipspec", *args, env=self.base_env)

    def setup(self) -> None:
        self.app.mkdir()
        (self.app / "shipspec.yaml").write_text(SPEC)
        (self.app / "Dockerfile").write_text("FROM scratch\n")
        self.shipspec("generate")  # no charts checkout: the app's own files; releases write the chart side
        self.git("init", "-q", "-b", "dev")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "shop: first version")
        # The charts repo holds the app's chart (what `shipspec init` scaffolds); nothing is released yet.
        seed = self.root / "seed"
        spec = load(self.app / "shipspec.yaml").spec
        for path, text in scaffold.chart_files(spec).items():
            (seed / path).parent.mkdir(parents=True, exist_ok=True)
            (seed / path).write_text(text)
        self.git("init", "-q", "--bare", "-b", "master", str(self.bare), cwd=self.root)
        self.git("config", "core.logAllRefUpdates", "always", cwd=self.bare)
        self.git("init", "-q", "-b", "master", cwd=seed)
        self.git("add", "-A", cwd=seed)
        self.git("commit", "-q", "-m", "charts: shop chart", cwd=seed)
        self.git("push", "-q", str(self.bare), "master", cwd=seed)

    def build(self, context: dict[str, str], env: dict[str, str]) -> str:
        """Run the one Travis job whose condition holds for `context`; returns its name."""
        travis = yaml.safe_load((self.app / ".travis.yml").read_text())
        jobs = [job for job in travis["jobs"]["include"] if evaluate(job["if"], context)]
        assert len(jobs) == 1, (context, [job["name"] for job in jobs])
        for command in [*jobs[0]["before_script"], *jobs[0]["script"]]:
            done = subprocess.run(["bash", "-ec", command], cwd=self.app, env={**self.base_env, **env},
                                  capture_output=True, text=True, check=False)
            self.outputs.append(done.stdout + done.stderr)
            assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        return jobs[0]["name"]

    def push(self, branch: str) -> str:
        self.git("checkout", "-q", branch)
        return self.build({"type": "push", "branch": branch, "tag": ""}, self.secrets())

    def charts(self, ref: str = "master") -> Path:
        """A fresh checkout of the charts repo at `ref`, as Argo CD reads it."""
        target = self.root / f"argocd-{ref.replace('/', '-')}"
        shutil.rmtree(target, ignore_errors=True)
        self.git("clone", "-q", "--branch", ref, str(self.bare), str(target), cwd=self.root)
        return target

    def subjects(self, ref: str) -> list[str]:
        return self.git("log", "--format=%s", ref, cwd=self.bare).splitlines()

    def short(self) -> str:
        return self.git("rev-parse", "--short=7", "HEAD")


def argocd_render(checkout: Path, app: str, env: str) -> list[dict]:
    """`helm template` of one Application as Argo CD renders it: its chart, values.yaml, then valueFiles."""
    application = yaml.safe_load((checkout / "argocd" / f"{app}-{env}.yaml").read_text())
    source = application["spec"]["source"]
    chart = checkout / source["path"]
    values = [arg for name in source["helm"]["valueFiles"] for arg in ("--values", str(chart / name))]
    done = subprocess.run([require_tool("helm"), "template", source["helm"]["releaseName"], str(chart),
                           "--namespace", application["spec"]["destination"]["namespace"], *values],
                          capture_output=True, text=True, env=helm_env(), check=False)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def deployment(documents: list[dict]) -> dict:
    return next(doc for doc in documents if doc["kind"] == "Deployment")


@pytest.fixture()
def pipeline(tmp_path: Path):
    require_tool("make")
    with GitHTTP(tmp_path, TOKEN) as server, FakeGitHub(token=TOKEN) as github:
        world = Pipeline(tmp_path, server, github)
        world.setup()
        yield world


def test_the_generated_travis_pipeline_releases_through_a_token_guarded_charts_repo(pipeline: Pipeline) -> None:
    first = pipeline.short()
    assert pipeline.push("dev") == "release dev"
    assert pipeline.subjects("master")[0] == f"shop: release {first} to dev [skip ci]"
    # A pull request's commit runs the charts repo's checks, so it does not skip CI.
    assert pipeline.subjects("shipspec/shop/stag")[0] == f"shop: release {first} to stag"
    assert [pull["title"] for pull in pipeline.github.pulls] == [f"shop: promote {first} to stag"]

    refs = pipeline.git("for-each-ref", cwd=pipeline.bare)
    requests = len(pipeline.server.requests)
    pipeline.git("checkout", "-q", "-b", "feature/x")
    (pipeline.app / "code.txt").write_text("x\n")
    pipeline.git("add", "code.txt")
    pipeline.git("commit", "-q", "-m", "feature")
    # A fork's pull request: no secret at all, and it must still build, test and scan.
    name = pipeline.build({"type": "pull_request", "branch": "master", "tag": "", "head_branch": "feature/x"}, {})
    assert name == "build, test, scan"
    assert pipeline.git("for-each-ref", cwd=pipeline.bare) == refs and len(pipeline.server.requests) == requests

    pipeline.git("checkout", "-q", "-b", "master", "dev")
    assert pipeline.push("master") == "release master"
    assert pipeline.subjects("master")[0] == f"shop: release {first} to stag [skip ci]"
    assert pipeline.subjects("shipspec/shop/prod")[0] == f"shop: release {first} to prod"

    pipeline.git("checkout", "-q", "dev")
    spec = pipeline.app / "shipspec.yaml"
    spec.write_text(spec.read_text().replace("replicaCount: 1", "replicaCount: 3"))
    pipeline.shipspec("generate")
    pipeline.git("commit", "-q", "-am", "shop: three replicas in dev")
    second = pipeline.short()
    assert pipeline.push("dev") == "release dev"
    assert pipeline.subjects("master")[0] == f"shop: release {second} to dev [skip ci]"

    checkout = pipeline.charts()
    dev = deployment(argocd_render(checkout, "shop", "dev"))
    assert dev["spec"]["replicas"] == 3  # the spec edit reached the charts repo through the release
    assert dev["spec"]["template"]["spec"]["containers"][0]["image"] == f"registry.example.com/acme/shop:{second}"
    stag = deployment(argocd_render(checkout, "shop", "stag"))
    assert stag["spec"]["template"]["spec"]["containers"][0]["image"] == f"registry.example.com/acme/shop:{first}"
    assert not (checkout / "argocd" / "shop-prod.yaml").exists()  # prod waits for its pull request
    prod = deployment(argocd_render(pipeline.charts("shipspec/shop/prod"), "shop", "prod"))
    assert prod["spec"]["template"]["spec"]["containers"][0]["image"] == f"registry.example.com/acme/shop:{first}"

    # Every request the charts repo served carried the token; none reached it without one.
    assert {outcome for _, outcome in pipeline.server.requests} <= {"401", "ok"}
    assert any(where.startswith("POST /charts.git/git-receive-pack") for where, _ in pipeline.server.requests)
    # master only ever moved forward: every value it held is an ancestor of what it holds now.
    for old in pipeline.git("reflog", "--format=%H", "master", cwd=pipeline.bare).splitlines():
        pipeline.git("merge-base", "--is-ancestor", old, "master", cwd=pipeline.bare)
    assert_token_nowhere(pipeline)


def assert_token_nowhere(pipeline: Pipeline) -> None:
    """The token in no output, no git argument and no file that the run left anywhere."""
    assert not [output for output in pipeline.outputs if TOKEN in output]
    assert TOKEN not in (pipeline.root / "git-argv.log").read_text()
    for path in pipeline.root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert TOKEN.encode() not in path.read_bytes(), path
