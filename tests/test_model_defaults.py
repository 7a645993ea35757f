"""Every default of SPEC.md, read from the smallest valid spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipspec.errors import InvalidSpec
from shipspec.spec.loader import parse_document
from shipspec.spec.model import Spec
from shipspec.spec.validation import validate

MINIMAL = """\
apiVersion: shipspec/v1
kind: App
name: myapp
image:
  repository: myrepo/myapp
charts:
  repo: git@github.com:myorg/charts.git
"""


def spec_of(text: str) -> Spec:
    return validate(parse_document(text.encode(), "shipspec.yaml"))


@pytest.fixture(scope="module")
def spec() -> Spec:
    return spec_of(MINIMAL)


def test_top_level(spec: Spec) -> None:
    assert (spec.api_version, spec.kind, spec.name, spec.team) == ("shipspec/v1", "App", "myapp", None)


def test_image(spec: Spec) -> None:
    assert spec.image.repository == "myrepo/myapp"
    assert (spec.image.dockerfile, spec.image.context, spec.image.sha_length) == ("Dockerfile", ".", 7)


def test_test_step(spec: Spec) -> None:
    assert spec.test.command is None


def test_scan(spec: Spec) -> None:
    assert spec.scan.enabled is True
    assert spec.scan.severities == ["MEDIUM", "HIGH"]
    assert spec.scan.ignore_unfixed is True
    assert spec.scan.fail_build is False


def test_charts(spec: Spec) -> None:
    assert spec.charts.branch == "master"
    assert spec.charts.path == "charts/myapp"
    assert spec.charts.checkout == "../charts"


def test_argocd(spec: Spec) -> None:
    argocd = spec.argocd
    assert (argocd.project, argocd.namespace, argocd.manifests) == ("default", "argocd", "argocd")
    assert (argocd.cascade_delete, argocd.prune, argocd.self_heal) == (True, False, False)
    assert (argocd.sync_options, argocd.labels, argocd.notify) == ([], {}, None)


def test_notify_triggers_default() -> None:
    spec = spec_of(MINIMAL + "argocd:\n  notify:\n    slack: deploys\n")
    assert spec.argocd.notify is not None
    assert spec.argocd.notify.triggers == ["on-sync-succeeded", "on-sync-failed", "on-health-degraded"]


def test_environments(spec: Spec) -> None:
    assert [env.name for env in spec.environments] == ["dev", "stag", "prod"]
    for env in spec.environments:
        assert env.namespace == f"myapp-{env.name}"  # SPEC 1.2: they share one cluster
        assert env.server == "https://kubernetes.default.svc"
        assert env.values_file == f"values.{env.name}.yaml"
        assert env.auto_sync is True
        assert env.pin is None
        assert env.values == {}
    assert spec.production.name == "prod"


def test_environment_defaults_follow_the_app_and_env_names() -> None:
    spec = spec_of(MINIMAL.replace("myapp\n", "shop\n", 1) + "environments:\n  - name: qa\nbranches: {}\n")
    (env,) = spec.environments
    assert (env.namespace, env.values_file) == ("shop", "values.qa.yaml")
    assert spec.charts.path == "charts/shop"


def test_branches(spec: Spec) -> None:
    table = {name: (b.deploy, b.propose, b.cron) for name, b in (spec.branches or {}).items()}
    assert table == {
        "dev": (["dev"], ["stag"], False),
        "staging": (["stag"], [], True),
        "master": (["stag"], ["prod"], False),
    }


def test_default_branches_only_with_default_environments() -> None:
    with pytest.raises(InvalidSpec, match="branches: required with custom environments"):
        spec_of(MINIMAL + "environments:\n  - name: dev\n  - name: prod\n")


def test_explicit_default_environments_still_get_default_branches() -> None:
    spec = spec_of(MINIMAL + "environments:\n  - name: dev\n  - name: stag\n  - name: prod\n")
    assert set(spec.branches or {}) == {"dev", "staging", "master"}


def test_travis(spec: Spec) -> None:
    assert (spec.travis.dist, spec.travis.secure, spec.travis.slack) == ("jammy", [], None)


def test_slack_defaults() -> None:
    secure = "A" * 44
    spec = spec_of(MINIMAL + f"travis:\n  slack:\n    secure: {secure}\n")
    assert spec.travis.slack is not None
    assert (spec.travis.slack.on_success, spec.travis.slack.on_failure) == ("always", "always")


def test_explicit_null_means_default() -> None:
    spec = spec_of(MINIMAL + "environments:\n  - name: dev\n    namespace:\n  - name: stag\n  - name: prod\n")
    assert spec.environments[0].namespace == "myapp-dev"  # the default: it shares its cluster with stag and prod


def test_defaults_are_not_shared_between_specs() -> None:
    first, second = spec_of(MINIMAL), spec_of(MINIMAL)
    first.environments[0].values["x"] = 1
    first.scan.severities.append("LOW")
    assert second.environments[0].values == {} and second.scan.severities == ["MEDIUM", "HIGH"]


def test_sample_myapp(repo_root: Path) -> None:
    from shipspec.files.specfile import load

    spec = load(repo_root / "sample-projects" / "myapp" / "shipspec.yaml").spec
    assert (spec.argocd.project, spec.team, spec.environments[0].namespace) == ("myproject", "ops", "demo-app")
    assert spec.travis.slack is not None and len(spec.travis.secure) == 3


def test_ci_providers(spec: Spec) -> None:
    assert spec.ci == "travis"
    assert (spec.github.runs_on, spec.github.charts_token) == ("ubuntu-24.04", "CHARTS_TOKEN")
    assert (spec.gitlab.image, spec.gitlab.charts_token) == ("docker:27", "CHARTS_TOKEN")
    assert spec_of(MINIMAL + "ci: gitlab\ngitlab:\n  chartsToken: RELEASE\n").gitlab.charts_token == "RELEASE"
