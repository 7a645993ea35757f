"""The committed sample projects are what users read first: they must be current and deployable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import run_shipspec
from tools import REPO_ROOT
from validators import assert_valid, helm_lint_and_template, kubernetes_validate_strict

SAMPLES = REPO_ROOT / "sample-projects"
SEED_CHART = SAMPLES / "charts" / "charts" / "myapp"


def test_every_committed_sample_is_in_sync() -> None:
    result = run_shipspec("check", str(SAMPLES), "--jobs", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    apps = len(list(SAMPLES.rglob("shipspec.yaml")))
    assert apps >= 5 and result.stdout.splitlines()[-1].startswith(f"{apps} apps checked: {apps} in sync")


@pytest.mark.parametrize("env", ["dev", "stag", "prod"])
def test_the_seed_chart_deploys_each_overlay(env: str, tmp_path: Path) -> None:
    overlay = SEED_CHART / f"values.{env}.yaml"
    tag = "0123456"  # all digits: a YAML reader that saw a number would drop the zero
    release = yaml.safe_load(overlay.read_text())
    manifests = helm_lint_and_template(SEED_CHART, [overlay], release="myapp")
    assert_valid(kubernetes_validate_strict(manifests), f"manifests of {overlay.name}")
    documents = [doc for doc in yaml.safe_load_all(manifests) if doc]
    deployment = next(doc for doc in documents if doc["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == release["replicaCount"]
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "myrepo/myapp:0.1.0", "an empty tag falls back to the chart's appVersion"
    released = tmp_path / overlay.name  # what promote leaves: the same overlay with a tag
    repository = '  repository: "myrepo/myapp"\n'
    released.write_text(overlay.read_text().replace(repository, f'{repository}  tag: "{tag}"\n'))
    tagged = helm_lint_and_template(SEED_CHART, [released], release="myapp")
    assert f'image: "myrepo/myapp:{tag}"' in tagged
