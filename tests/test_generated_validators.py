"""Every generated file, checked by the tool that will read it: Travis's schema, the
Argo CD CRD (unknown fields rejected), yamllint, make + ShellCheck, and real Helm."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ci_tools import github_tools, validate_github_schema, validate_gitlab_schema, zizmor
from shipspec.spec import defaults
from shipspec.render.core import Output, render
from shipspec.files.specfile import load
from samples import SAMPLES, load_sample, standalone, write_tree
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
    loaded = standalone(request.param)  # every spec's own pipeline; root pipelines: test_root_pipeline.py
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
            *(f"{env}-commit" for env in envs[:-1]), *(f"{env}-pr" for env in envs[1:]),
            *(f"{env}-gate" for env in envs[1:] if loaded.spec.argocd.server)]


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


# Only the samples this applies to: a case that does not apply is not generated, never skipped.
TAG_COMMAND_SAMPLES = sorted(name for name in SAMPLES if "$(TAG)" in (load_sample(name).spec.test.command or ""))


def test_some_sample_runs_its_tests_on_the_tag() -> None:
    assert TAG_COMMAND_SAMPLES


@pytest.mark.parametrize("sample", TAG_COMMAND_SAMPLES, indirect=True)
def test_the_test_target_uses_the_checked_tag_quoted(sample) -> None:
    loaded, _, app, _ = sample
    assert "$(TAG)" in loaded.spec.test.command
    (line,) = make_dry_run(app, "test", TAG="abc1234")
    assert '"abc1234"' in line and "abc1234" not in line.replace('"abc1234"', ""), line
    proc = _run([require_tool("make"), "-n", "test"], cwd=app)  # outside git: no tag
    assert proc.returncode != 0 and "TAG is empty" in proc.stderr, proc.stderr


# Long values wherever a spec puts free text, branch names that the providers' conditions must
# escape, and a published chart (the multi-source Application): every shape, not just the samples.
LONG_SPEC = """\
apiVersion: shipspec/v1
kind: App
name: a-service-name-that-is-long-enough-to-need-folding
team: the-platform-team-with-a-long-name
image:
  repository: registry.example.com:5000/some-group/some-subgroup/another-level/a-service-name
charts:
  repo: https://git.example.com/some-group/some-subgroup/another-level/deployment-charts.git
  checkout: ../charts
  path: charts/some-group/some-subgroup/another-level/a-service-name-that-is-long
  chart:
    repoURL: oci://registry.example.com:5000/some-group/some-subgroup/helm-charts/published
    name: a-published-chart-with-a-name-that-is-long-enough
    version: 22.1.1-rc.1+build.20260101.abcdef0123456789
environments:
  - name: dev
    server: https://kubernetes.dev.some-cluster.some-region.example.com:6443/some/long/path
  - name: prod
branches:
  "feature/release-train-for-the-next-quarter-with-a-long-name": {deploy: [dev], cron: true}
  "release/$weird{name}'with\\"quotes\\"-and-more-characters-than-fit": {deploy: [dev], propose: [prod]}
"""
PROVIDER_BLOCKS = {
    "travis": "",
    "github": "github:\n  runsOn: ubuntu-24.04-arm\n"
              "  chartsToken: A_CHARTS_TOKEN_SECRET_WITH_A_NAME_LONG_ENOUGH_TO_OVERFLOW\n",
    "gitlab": "gitlab:\n  image: registry.example.com:5000/some-group/ci-images/docker-with-make:27.3.1\n"
              "  chartsToken: A_CHARTS_TOKEN_VARIABLE_WITH_A_NAME_LONG_ENOUGH_TO_OVERFLOW\n",
}


@pytest.mark.parametrize("ci", sorted(PROVIDER_BLOCKS))
def test_yamllint_default_config_accepts_long_values_for_every_provider(ci: str, tmp_path: Path) -> None:
    text = f"{LONG_SPEC}ci: {ci}\n{PROVIDER_BLOCKS[ci]}"
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "shipspec.yaml").write_text(text, encoding="utf-8")
    loaded = load(tmp_path / "spec" / "shipspec.yaml")
    rendered = render(loaded, {"dev": "0123456", "prod": "1e5"})
    app, charts = write_tree(rendered, tmp_path / "tree")
    linted = [o for o in rendered if o.path.endswith((".yml", ".yaml"))]
    assert len(linted) == 5  # the pipeline, two overlays, two Applications
    for output in linted:
        path = (app if output.root == "app" else charts) / output.path
        assert_valid(yamllint_default_errors(path), output.path)
        if output.path == defaults.CI_FILES[ci]:
            check = {"travis": validate_travis, "github": validate_github_schema, "gitlab": validate_gitlab_schema}
            assert_valid(check[ci](path), output.path)
        elif output.path.startswith("argocd/"):
            application = yaml.safe_load(path.read_text())
            assert_valid(validate_argocd_application(application), output.path)
            # Folded, the values read back exactly.
            chart, overlay = application["spec"]["sources"]
            assert chart["chart"] == loaded.spec.charts.chart.name
            assert chart["targetRevision"] == loaded.spec.charts.chart.version
            assert chart["helm"]["releaseName"] == loaded.spec.name
            assert overlay["repoURL"] == loaded.spec.charts.repo
    pipeline = yaml.safe_load((app / defaults.CI_FILES[ci]).read_text())
    if ci == "github":
        assert {job["runs-on"] for job in pipeline["jobs"].values()} == {loaded.spec.github.runs_on}
        # GitHub's own parser and actionlint read the folded `if:` and `run:` values; zizmor finds nothing.
        workflow = app / defaults.CI_FILES[ci]
        assert_valid(zizmor(workflow), "workflow (zizmor)")
        tools = github_tools(workflow)
        assert_valid(tools["parse"] + tools["convert"] + tools["actionlint"], "workflow (parser, actionlint)")
    if ci == "gitlab":
        assert pipeline["default"]["image"] == loaded.spec.gitlab.image
