"""What the READMEs tell a new user to run exists and does what the text says.

Every command the README that `shipspec init` writes names (for each CI
provider) is taken from the text, in order, and run on a fresh scaffold: the
shipspec commands for real (a release and a rollback against a local bare
charts repo), the make targets through `make -n` (their recipes checked against
the text), the `kubectl apply` of the root Application against the file it
names. The project README's Quick start is run the same way, exit code by exit
code.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools import REPO_ROOT, require_tool
from validators import validate_argocd_application

COMMAND = re.compile(r"`((?:shipspec|make|kubectl|travis) [^`]*)`")
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
# Commands of other tools that a test cannot run here: the provider's own CLI.
EXTERNAL = {"travis": "travis"}


def _env() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)  # the shipspec under test, first on PATH
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GIT_TERMINAL_PROMPT": "0"}


def run(command: list[str] | str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120, check=False,
                          shell=isinstance(command, str))


def commands(readme: str) -> list[str]:
    """Every command the text names, in order, its line breaks undone."""
    return [" ".join(found.split()) for found in COMMAND.findall(readme)]


@pytest.fixture(params=["travis", "github", "gitlab"])
def scaffold(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path, Path]:
    """(app, charts checkout, bare charts remote) right after `shipspec init`, both repos committed."""
    charts, app = tmp_path / "charts", tmp_path / "app"
    subprocess.run(["git", "init", "-q", str(charts)], check=True)
    done = run(["shipspec", "init", str(app), "--name", "shop", "--image", "acme/shop", "--charts-repo",
                "git@github.com:acme/charts.git", "--ci", request.param, "-y"], tmp_path)
    assert done.returncode == 0, done.stderr
    for repo in (app, charts):
        if not (repo / ".git").exists():
            subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True)
        subprocess.run([*GIT, "-C", str(repo), "commit", "-qm", "shipspec init"], check=True)
    bare = tmp_path / "charts.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(charts), str(bare)], check=True)
    return app, charts, bare


def test_every_command_the_scaffolded_readme_names_does_what_it_says(scaffold: tuple[Path, Path, Path]) -> None:
    app, charts, bare = scaffold
    make = require_tool("make")
    readme = (app / "README.md").read_text(encoding="utf-8")
    spec = yaml.safe_load((app / "shipspec.yaml").read_text(encoding="utf-8"))
    named = commands(readme)
    assert "kubectl apply -f argocd/" not in " ".join(named), "init writes no Application to apply"
    seen = set()
    for command in named:
        words = shlex.split(command)
        tool = words[0]
        seen.add(tool if tool != "shipspec" else f"shipspec {words[1]}")
        if tool == "shipspec":
            _shipspec(words[1:], app, charts, bare)
        elif tool == "make":
            _make(make, words[1:], app)
        elif tool == "kubectl":
            _kubectl(words[1:], charts, spec)
        else:
            assert EXTERNAL.get(tool) == spec.get("ci", "travis"), f"{command}: not this provider's CLI"
    assert {"shipspec generate", "shipspec check", "shipspec rollback", "make", "kubectl"} <= seen, seen


def _shipspec(args: list[str], app: Path, charts: Path, bare: Path) -> None:
    if args[0] in ("generate", "check"):
        done = run(["shipspec", *args], app)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    elif args[0] == "rollback":
        _rollback(args, app, bare)
    elif args == ["init"]:
        assert (app / "shipspec.yaml").is_file()  # named as what wrote the scaffold: the fixture ran it
    elif args[0] == "promote" and len(args) == 2:  # named as what `make <env>-commit` runs (checked there)
        assert args[1] in yaml.safe_dump(yaml.safe_load((app / "shipspec.yaml").read_text()))
        assert run(["shipspec", "promote", "--help"], app).returncode == 0
    else:
        pytest.fail(f"the README names `shipspec {' '.join(args)}`, which this test does not know how to check")


def _rollback(args: list[str], app: Path, bare: Path) -> None:
    """`rollback ENV --to <tag>`: release two tags, then roll back to the first, as the text says."""
    env = args[1]
    assert args[2:4] == ["--to", "<tag>"], args
    url = ["--charts-url", bare.as_uri()]
    if "--pr" in args:  # production: a pull request, here its dry run (the review API is not ours)
        _rollback_production(env, app, bare, url)
        return
    tags = []
    for step in range(2):
        (app / "Dockerfile").write_text((app / "Dockerfile").read_text() + f"# {step}\n")
        subprocess.run([*GIT, "-C", str(app), "commit", "-qam", f"change {step}"], check=True)
        tags.append(run(["git", "rev-parse", "--short=7", "HEAD"], app).stdout.strip())
        done = run(["shipspec", "promote", env, "--tag", tags[-1], *url], app)
        assert done.returncode == 0, done.stderr
        if step == 0:  # the first release writes the environment's Application, as the Setup says
            assert run(["git", "--git-dir", str(bare), "cat-file", "-e", f"master:argocd/shop-{env}.yaml"],
                       app).returncode == 0
    done = run(["shipspec", "rollback", env, "--to", tags[0], *url], app)
    assert done.returncode == 0, done.stderr
    overlay = run(["git", "--git-dir", str(bare), "show", f"master:charts/shop/values.{env}.yaml"], app).stdout
    assert yaml.safe_load(overlay)["image"]["tag"] == tags[0]


def _rollback_production(env: str, app: Path, bare: Path, url: list[str]) -> None:
    """Two tags that ran in production (as merged pull requests leave them), then its rollback's dry run."""
    tags = run(["git", "log", "--format=%h", "--abbrev=7", "-2"], app).stdout.split()[::-1]
    if len(tags) < 2:
        subprocess.run([*GIT, "-C", str(app), "commit", "-q", "--allow-empty", "-m", "another"], check=True)
        tags = run(["git", "log", "--format=%h", "--abbrev=7", "-2"], app).stdout.split()[::-1]
    clone = app.parent / "charts-clone"
    subprocess.run(["git", "clone", "-q", str(bare), str(clone)], check=True)
    overlay = clone / f"charts/shop/values.{env}.yaml"
    for tag in tags:
        overlay.write_text(f'image:\n  repository: "acme/shop"\n  tag: "{tag}"\n', encoding="utf-8")
        subprocess.run([*GIT, "-C", str(clone), "commit", "-qam", f"release {tag} to {env}"], check=True)
    subprocess.run(["git", "-C", str(clone), "push", "-q", "origin", "HEAD:master"], check=True)
    done = run(["shipspec", "rollback", env, "--to", tags[0], "--pr", "--dry-run", *url], app)
    assert done.returncode == 0, done.stderr
    assert tags[0] in done.stdout and "pull request" in done.stdout, done.stdout
    done = run(["shipspec", "rollback", env, "--to", tags[0], "--dry-run", *url], app)
    assert done.returncode == 2 and "pull request" in done.stderr, done.stderr  # as the text says: prod needs --pr


def _make(make: str, args: list[str], app: Path) -> None:
    variables = [word for word in args if "=" in word]
    goals = [word for word in args if "=" not in word]
    done = run([make, "-n", *goals, *variables, "TAG=abc1234" if not variables else "SHIPSPEC=shipspec"], app)
    assert done.returncode == 0, (args, done.stderr)  # a target the README names but the Makefile lacks fails
    recipe = done.stdout
    tag = next((word.split("=", 1)[1] for word in variables if word.startswith("TAG=")), "abc1234")
    goal = goals[0]
    if goal == "docker-build":
        assert f"acme/shop:{tag}" in recipe and "docker build" in recipe, recipe
    elif goal == "docker-push":
        assert "docker push" in recipe and "trivy" in recipe.lower(), recipe  # scan, then push
    elif goal == "docker-scan":
        assert "trivy" in recipe.lower(), recipe
    elif goal.endswith("-commit"):
        assert re.search(rf"shipspec promote {goal[:-7]} --tag [\"']?{tag}[\"']?$", recipe, re.MULTILINE), recipe
    elif goal.endswith("-pr"):
        assert re.search(rf"shipspec promote {goal[:-3]} --tag [\"']?{tag}[\"']? --pr", recipe), recipe
    elif goal == "help":
        assert run([make, "help"], app).returncode == 0


def _kubectl(args: list[str], charts: Path, spec: dict) -> None:
    assert args[0] == "apply", args
    namespace, path = args[args.index("-n") + 1], args[args.index("-f") + 1]
    manifest = charts / path
    assert manifest.is_file(), f"kubectl apply -f {path}: no such file in the charts checkout"
    document = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    assert validate_argocd_application(document) == []
    assert document["metadata"]["namespace"] == namespace == (spec.get("argocd") or {}).get("namespace", "argocd")
    assert document["spec"]["source"]["path"] == "argocd"  # it syncs the folder the releases write
    assert not list((charts / "argocd").glob("shop-*.yaml")), "the text says: none of this app's Applications yet"


def quick_start() -> list[tuple[str, str]]:
    """The Quick start's indented command lines after the install line: (command, comment)."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    lines = [line[4:] for line in section.splitlines() if line.startswith("    ")]
    return [(line.split("#", 1)[0].strip(), line.split("#", 1)[1].strip() if "#" in line else "") for line in lines]


def test_the_quick_start_does_what_it_says(tmp_path: Path) -> None:
    steps = quick_start()
    install, *rest = steps
    # The install line builds a venv from the clone; the suite runs against exactly that install.
    assert install[0] == "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/shipspec check sample-projects"
    done = run(["shipspec", "check", "sample-projects"], REPO_ROOT)
    assert done.returncode == 0 and "0 drifted, 0 invalid" in done.stdout, done.stdout
    demo = tmp_path / "demo"
    cwd = tmp_path
    for command, comment in rest:
        command = command.replace("/tmp/demo", str(demo))
        if command.startswith("export PATH="):
            continue  # _env() puts the shipspec under test first on PATH
        if " && cd " in command:
            first, _, target = command.partition(" && cd ")
            assert run(first.replace("sample-projects", str(REPO_ROOT / "sample-projects")), cwd).returncode == 0
            cwd, command = Path(target.split(" && ", 1)[0]), target.split(" && ", 1)[1]
        done = run(command, cwd)
        expected = re.search(r"exit (\d)", comment)
        assert done.returncode == (int(expected[1]) if expected else 0), (command, done.stdout, done.stderr)
        counted = re.search(r"updates the app's (\d+) files", comment)
        if counted:
            assert f"{counted[1]} updated" in done.stdout, done.stdout
        header_only = re.search(r"one line for the (\d+) header-only files", comment)
        if header_only:
            assert f"header   {header_only[1]} files differ only in their shipspec header" in done.stdout, done.stdout
            assert done.stdout.count("  changed  ") == 1 and "values.prod.yaml" in done.stdout, done.stdout
