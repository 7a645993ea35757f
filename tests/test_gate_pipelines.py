"""Each provider's generated job that opens a pull request runs the gate right after it.

The job's command lines are read from the generated CI file and expanded by
the real `make -n`: the promote --pr of an environment comes first, then its
`shipspec gate ... --wait <argocd.gateTimeout>`. Without argocd.server, no
job and no Makefile mentions the gate.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from ci_tools import validate_gitlab_schema
from tools import require_tool
from validators import _make_env, assert_valid, validate_travis, validate_yamllint, yamllint_default_errors

from shipspec.files.specfile import load
from shipspec.render.core import render

SPEC = """\
apiVersion: shipspec/v1
kind: App
name: myapp
image:
  repository: myorg/myapp
charts:
  repo: git@github.com:myorg/charts.git
{argocd}ci: {ci}
"""
GATED = "argocd:\n  server: https://argocd.example.com\n  gateTimeout: 45m\n"


def job_commands(ci: str, pipeline: dict, name: str) -> list[tuple[str, dict]]:
    """(command line, the env it gets) of the named job, in order."""
    if ci == "travis":
        [job] = [job for job in pipeline["jobs"]["include"] if job["name"] == name]
        return [(line, {}) for line in job["script"]]
    if ci == "github":
        [job] = [job for job in pipeline["jobs"].values() if job["name"] == name]
        return [(step["run"], step.get("env", {})) for step in job["steps"] if str(step.get("run", "")).startswith("make ")]
    return [(line, pipeline[name].get("variables", {})) for line in pipeline[name]["script"]]


def render_app(tmp_path: Path, ci: str, argocd: str) -> tuple[Path, dict]:
    (tmp_path / "shipspec.yaml").write_text(SPEC.format(ci=ci, argocd=argocd))
    files = {o.path: text for o, text in render(load(tmp_path / "shipspec.yaml")).items() if o.root == "app"}
    (tmp_path / "Makefile").write_text(files.pop("Makefile"))
    [pipeline] = files.values()
    return tmp_path, yaml.safe_load(pipeline)


def expand(app: Path, line: str) -> list[str]:
    words = line.split()
    assert words[0] == "make"
    done = subprocess.run([require_tool("make"), "-n", *words[1:], "TAG=abc1234", "SHIPSPEC=shipspec"], cwd=app,
                          capture_output=True, text=True, env=_make_env(), check=True)
    return [command for command in done.stdout.splitlines() if command.startswith("shipspec ")]


@pytest.mark.parametrize("ci", ["travis", "github", "gitlab"])
def test_the_job_that_opens_the_pull_request_then_runs_the_gate(tmp_path: Path, ci: str) -> None:
    app, pipeline = render_app(tmp_path, ci, GATED)
    for job, env, previous in (("release dev", "stag", "dev"), ("release master", "prod", "stag")):
        commands = [(command, step_env) for line, step_env in job_commands(ci, pipeline, job)
                    for command in expand(app, line)]
        promoted = [c for c, _ in commands].index(f'shipspec promote {env} --tag "abc1234" --pr')
        assert [c for c, _ in commands][promoted + 1:] == [f'shipspec gate {env} --tag "abc1234" --wait "45m"']
        if ci == "github":  # the Argo CD token reaches the gate's step only
            assert [e.get("ARGOCD_AUTH_TOKEN") for _, e in commands] == [None] * (promoted + 1) + [
                "${{ secrets.ARGOCD_AUTH_TOKEN }}"]
    staging = [command for line, _ in job_commands(ci, pipeline, "release staging") for command in expand(app, line)]
    assert not [c for c in staging if " gate " in c]  # stag is committed directly: nothing to gate


def test_github_passes_the_argo_cd_token_to_the_gate_step_only(tmp_path: Path) -> None:
    _, pipeline = render_app(tmp_path, "github", GATED)
    steps = [step for job in pipeline["jobs"].values() for step in job["steps"]]
    holders = [step["run"] for step in steps if "ARGOCD_AUTH_TOKEN" in step.get("env", {})]
    assert holders == ["make stag-gate", "make prod-gate"]
    gates = [step for step in steps if step.get("run") == "make prod-gate"]
    assert gates[0]["timeout-minutes"] == 50  # 45m and five to publish
    [master] = [job for job in pipeline["jobs"].values() if job["name"] == "release master"]
    assert master["timeout-minutes"] == 110


@pytest.mark.parametrize("ci", ["travis", "github", "gitlab"])
def test_without_argocd_server_nothing_mentions_the_gate(tmp_path: Path, ci: str) -> None:
    app, pipeline = render_app(tmp_path, ci, "")
    assert "gate" not in (app / "Makefile").read_text().lower()
    assert "gate" not in yaml.safe_dump(pipeline).lower() and "ARGOCD" not in yaml.safe_dump(pipeline)


@pytest.mark.parametrize("ci", ["travis", "gitlab"])  # GitHub: the gated sample, with actionlint and zizmor
def test_gated_pipelines_pass_their_providers_schema_and_yamllint(tmp_path: Path, ci: str) -> None:
    app, _ = render_app(tmp_path, ci, GATED)
    files = {o.path: text for o, text in render(load(app / "shipspec.yaml")).items() if o.root == "app"}
    [(name, text)] = [(path, text) for path, text in files.items() if path != "Makefile"]
    path = app / name
    path.write_text(text)
    assert_valid(validate_travis(path) if ci == "travis" else validate_gitlab_schema(path), name)
    assert_valid(validate_yamllint(path), name)
    assert_valid(yamllint_default_errors(path), name)
