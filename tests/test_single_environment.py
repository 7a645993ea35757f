"""SPEC 1.2: an app with a single environment needs no `branches`: master deploys it directly.

validate, generate, every provider's pipeline and promote agree with the table written out.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import run_shipspec
from test_every_shape_releases import _assert_promote_accepts, make_calls
from tools import require_tool

from shipspec.files.specfile import load
from shipspec.render.core import render

SPEC = """\
apiVersion: shipspec/v1
kind: App
name: solo
image:
  repository: acme/solo
charts:
  repo: git@github.com:acme/charts.git
environments:
  - name: prod
ci: {ci}
"""
WRITTEN_OUT = "branches:\n  master: {deploy: [prod]}\n"


def _bodies(spec: Path) -> dict[str, str]:
    """Every rendered file without its header (the spec's digest differs between the two specs)."""
    return {str(output): text.split("\n", 3)[3] for output, text in render(load(spec), {"prod": "abc1234"}).items()}


@pytest.mark.parametrize("ci", ["travis", "github", "gitlab"])
def test_the_default_renders_exactly_the_table_written_out(tmp_path: Path, ci: str) -> None:
    implicit, explicit = tmp_path / "implicit/shipspec.yaml", tmp_path / "explicit/shipspec.yaml"
    for path, extra in ((implicit, ""), (explicit, WRITTEN_OUT)):
        path.parent.mkdir()
        path.write_text(SPEC.format(ci=ci) + extra, encoding="utf-8")
    assert load(implicit).spec.branches == load(explicit).spec.branches
    assert _bodies(implicit) == _bodies(explicit)


@pytest.mark.parametrize("ci", ["travis", "github", "gitlab"])
def test_validate_generate_and_the_release_job_agree(tmp_path: Path, ci: str) -> None:
    make = require_tool("make")
    app = tmp_path / "app"
    app.mkdir()
    spec = app / "shipspec.yaml"
    spec.write_text(SPEC.format(ci=ci), encoding="utf-8")
    done = run_shipspec("validate", cwd=app)
    assert done.returncode == 0, done.stderr
    done = run_shipspec("generate", cwd=app)
    assert done.returncode == 0, done.stderr
    pipeline = next(path for path in app.rglob("*.yml"))
    calls = make_calls(yaml.safe_load(pipeline.read_text(encoding="utf-8")))
    releases = [goals for goals in calls if "prod-commit" in goals]
    assert releases, f"no job commits the tag to prod: {calls}"
    assert not any("prod-pr" in goals for goals in calls)
    for goals in releases:
        dry = subprocess.run([make, "-n", *goals, "TAG=abc1234", "SHIPSPEC=shipspec"], cwd=app,
                             capture_output=True, text=True, check=False)
        assert dry.returncode == 0, dry.stderr
        promotes = [shlex.split(line)[2:] for line in dry.stdout.splitlines() if line.startswith("shipspec promote")]
        assert promotes and all("--pr" not in args for args in promotes)
        for args in promotes:
            _assert_promote_accepts(args, spec)


def test_travis_releases_the_single_environment_only_from_master(tmp_path: Path) -> None:
    spec = tmp_path / "shipspec.yaml"
    spec.write_text(SPEC.format(ci="travis"), encoding="utf-8")
    travis = yaml.safe_load(next(text for output, text in render(load(spec)).items() if output.path == ".travis.yml"))
    releasing = [job for job in travis["jobs"]["include"] if "prod-commit" in " ".join(job.get("script", []))]
    assert len(releasing) == 1 and "branch = 'master'" in releasing[0]["if"], releasing
