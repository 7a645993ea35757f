"""Every generated file, checked by the tool that will read it: Travis's schema, the
Argo CD CRD (unknown fields rejected), yamllint, make + ShellCheck, and real Helm."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ci_tools import validate_github_schema, validate_gitlab_schema
from shipspec import defaults
from shipspec.render import Output, render
from samples import SAMPLES, load_sample, write_tree
from tools import require_tool
from validators import (
    _run,
    assert_valid,
    helm_env,
    helm_lint_and_template,
    kubernetes_validate_strict,
    make_dry_run,
    shellcheck_recipe,
    validate_argocd_application,
    validate_travis,
    validate_yamllint,
    yamllint_default_errors,
)

# Release tags that YAML 1.1, YAML 1.2 or Go would read as numbers if unquoted.
TAGS = {"dev": "0123456", "stag": "1e5", "qa": "1234567", "preprod": "12e34", "prod": "0x1f"}


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def sample(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    loaded = load_sample(request.param)
    rendered = render(loaded, TAGS)
    app, charts = write_tree(rendered, tmp_path_factory.mktemp(request.param))
    return loaded, rendered, app, charts


def test_the_providers_schema_accepts_the_pipeline(sample) -> None:
    loaded, _, app, _ = sample
    path = app / defaults.CI_FILES[loaded.spec.ci]
    check = {"travis": validate_travis, "github": validate_github_schema, "gitlab": validate_gitlab_schema}
    assert_valid(check[loaded.spec.ci](path), path.name)


def test_applications_pass_the_strict_argocd_crd_schema(sample) -> None:
    _, rendered, _, charts = sample
    applications = [o for o in rendered if o.path.startswith("argocd/")]
    assert applications
    for output in applications:
        document = yaml.safe_load((charts / output.path).read_text())
        assert_valid(validate_argocd_application(document), output.path)


def test_yamllint_accepts_every_yaml_file(sample) -> None:
    _, rendered, app, charts = sample
    for output in rendered:
        if output.path.endswith(".yml") or output.path.endswith(".yaml"):
            path = (app if output.root == "app" else charts) / output.path
            assert_valid(validate_yamllint(path), output.path)


def test_yamllint_default_config_finds_no_error_in_any_yaml_file(sample) -> None:
    # What a pre-commit yamllint hook without a config of its own runs on every file.
    _, rendered, app, charts = sample
    linted = 0
    for output in rendered:
        if output.path.endswith((".yml", ".yaml")):
            path = (app if output.root == "app" else charts) / output.path
            assert_valid(yamllint_default_errors(path), output.path)
            linted += 1
    assert linted >= 3


def _make_targets(loaded) -> list[str]:
    envs = [env.name for env in loaded.spec.environments]
    return ["help", "docker-build", "test", "docker-scan", "docker-login", "docker-push",
            *(f"{env}-commit" for env in envs[:-1]), *(f"{env}-pr" for env in envs[1:])]


def test_each_make_target_expands_outside_git_and_passes_shellcheck(sample) -> None:
    loaded, _, app, _ = sample
    for target in _make_targets(loaded):
        recipe = make_dry_run(app, target, TAG="abc1234")
        assert recipe, target
        assert_valid(shellcheck_recipe("\n".join(recipe) + "\n"), f"make {target}")


def test_make_without_tag_outside_git_fails_with_a_clear_message(sample) -> None:
    _, _, app, _ = sample
    proc = _run([require_tool("make"), "-n", "docker-build"], cwd=app)
    assert proc.returncode != 0
    assert "TAG is empty" in proc.stderr


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("chart")
    proc = _run([require_tool("helm"), "create", "app"], cwd=root, env=helm_env())
    assert proc.returncode == 0, proc.stderr
    return root / "app"


def test_helm_renders_each_overlay_with_the_exact_image(sample, chart: Path) -> None:
    loaded, rendered, _, charts = sample
    spec = loaded.spec
    if spec.image.value_paths.registry is not None or spec.image.value_paths.ref is not None:
        # `helm create`'s chart reads image.repository and image.tag; the other layouts are
        # rendered with charts that read them in tests/test_real_charts.py.
        assert Output("app", "Makefile") in rendered
        return
    for env in spec.environments:
        overlay = charts / spec.charts.path / env.values_file
        manifests = helm_lint_and_template(chart, [overlay], release=spec.name, namespace=env.namespace)
        deployment = next(d for d in yaml.safe_load_all(manifests) if d and d["kind"] == "Deployment")
        tag = env.pin if env.pin is not None else TAGS[env.name]
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == f"{spec.image.repository}:{tag}"
        assert_valid(kubernetes_validate_strict(manifests), f"helm template with {overlay.name}")
    assert Output("app", "Makefile") in rendered


def test_the_test_target_uses_the_checked_tag_quoted(sample) -> None:
    loaded, _, app, _ = sample
    if not loaded.spec.test.command or "$(TAG)" not in loaded.spec.test.command:
        pytest.skip("this sample's test.command does not use $(TAG)")
    (line,) = make_dry_run(app, "test", TAG="abc1234")
    assert '"abc1234"' in line and "abc1234" not in line.replace('"abc1234"', ""), line
    proc = _run([require_tool("make"), "-n", "test"], cwd=app)  # outside git: no tag
    assert proc.returncode != 0 and "TAG is empty" in proc.stderr, proc.stderr
