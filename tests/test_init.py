"""`shipspec init`: the scaffold, its chart under real Helm, and all-or-nothing writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO_ROOT, run_shipspec
from shipspec.files import workspace
from shipspec.cli import cli
from shipspec.spec.model import DEFAULT_ENVIRONMENTS
from shipspec.render.core import Output, render
from shipspec.render.scaffold import Answers, branches_for, spec_text
from shipspec.files.specfile import load
from validators import (
    assert_valid,
    helm_lint_and_template,
    kubernetes_validate_strict,
    make_dry_run,
    validate_argocd_application,
    validate_yamllint,
)

REPO = "git@github.com:myorg/charts.git"
FIVE = ("dev", "qa", "uat", "stag", "prod")
LAYOUTS = {
    "default": ["--name", "myapp", "--image", "myorg/myapp", "--charts-repo", REPO],
    "five-env": ["--name", "ledger", "--image", "registry.example.com:5000/fin/ledger", "--charts-repo", REPO,
                 "--team", "payments", "--namespace", "finance", *(arg for env in FIVE for arg in ("--env", env))],
}
APP_FILES = {"shipspec.yaml", "shipspec.schema.json", "Dockerfile", "README.md", ".gitignore", "local.mk", ".travis.yml", "Makefile"}
CHART_FILES = {".helmignore", "Chart.yaml", "values.yaml", "values.schema.json", "templates/_helpers.tpl",
               "templates/deployment.yaml", "templates/hpa.yaml", "templates/ingress.yaml", "templates/service.yaml",
               "templates/serviceaccount.yaml", "templates/NOTES.txt", "templates/tests/test-connection.yaml"}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def init(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    return run_shipspec("init", *args, cwd=workdir)


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def scaffolded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with `app/` and its `charts/` checkout, made by a non-interactive init."""
    workdir = tmp_path_factory.mktemp(request.param)
    proc = init(workdir, "app", *LAYOUTS[request.param])
    assert proc.returncode == 0, proc.stderr
    return workdir


def test_init_writes_the_service_repo_the_chart_and_the_generated_files(scaffolded: Path) -> None:
    spec = load(scaffolded / "app" / "shipspec.yaml").spec
    assert set(tree(scaffolded / "app")) == APP_FILES
    chart = {f"charts/{spec.name}/{path}" for path in CHART_FILES}
    overlays = {f"charts/{spec.name}/{env.values_file}" for env in spec.environments}
    # No Application until an environment's first release writes it; the root app syncs them from then on.
    assert set(tree(scaffolded / "charts")) == chart | overlays | {"bootstrap/apps.yaml"}


def test_generated_files_are_in_sync_with_the_spec(scaffolded: Path) -> None:
    loaded = load(scaffolded / "app" / "shipspec.yaml")
    charts = workspace.charts_root(loaded)
    for output, text in render(loaded, workspace.current_tags(loaded, charts)).items():
        assert workspace.disk_path(output, loaded.directory, charts).read_text() == text, output
    proc = run_shipspec("check", "app", cwd=scaffolded)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 in sync" in proc.stdout


def test_spec_opens_with_the_editor_schema_modeline_and_is_clean_yaml(scaffolded: Path) -> None:
    spec_path = scaffolded / "app" / "shipspec.yaml"
    first = spec_path.read_text().splitlines()[0]
    # Portable: relative to the spec (as yaml-language-server resolves it), never a path of this machine.
    assert first == "# yaml-language-server: $schema=./shipspec.schema.json"
    schema = json.loads((spec_path.parent / "shipspec.schema.json").read_text())
    assert schema == json.loads(run_shipspec("schema").stdout)
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(spec_path.read_text()))
    assert str(scaffolded) not in spec_path.read_text()
    assert_valid(validate_yamllint(spec_path), "shipspec.yaml")


def test_chart_lints_and_renders_valid_manifests_with_each_overlay(scaffolded: Path) -> None:
    spec = load(scaffolded / "app" / "shipspec.yaml").spec
    chart = scaffolded / "charts" / spec.charts.path
    for env in spec.environments:
        manifests = helm_lint_and_template(chart, [chart / env.values_file], release=spec.name,
                                           namespace=env.namespace or "")
        assert_valid(kubernetes_validate_strict(manifests), f"manifests of {env.name}")
        deployment = next(d for d in yaml.safe_load_all(manifests) if d and d["kind"] == "Deployment")
        # The overlay has no tag until the first release (and no Application deploys it yet).
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == f"{spec.image.repository}:0.1.0"


def test_deployment_quotes_the_image_and_defaults_the_tag_to_app_version(scaffolded: Path) -> None:
    spec = load(scaffolded / "app" / "shipspec.yaml").spec
    deployment = (scaffolded / "charts" / spec.charts.path / "templates" / "deployment.yaml").read_text()
    assert 'image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"' in deployment
    assert f'{{{{ include "{spec.name}.fullname" . }}}}' in deployment
    chart_text = "".join(p.read_text() for p in (scaffolded / "charts" / spec.charts.path).rglob("*") if p.is_file())
    assert "<CHARTNAME>" not in chart_text and "<IMAGE_REPOSITORY>" not in chart_text
    assert "Generated by shipspec" not in (scaffolded / "charts" / spec.charts.path / "values.yaml").read_text()



def test_the_chart_is_the_users_check_never_reports_it(tmp_path: Path) -> None:
    assert init(tmp_path, "app", *LAYOUTS["default"]).returncode == 0
    chart = tmp_path / "charts" / "charts" / "myapp"
    (chart / "values.yaml").write_text((chart / "values.yaml").read_text().replace("replicaCount: 1", "replicaCount: 3"))
    (chart / "templates" / "service.yaml").unlink()
    assert run_shipspec("check", "app", cwd=tmp_path).returncode == 0
    (chart / "values.dev.yaml").write_text((chart / "values.dev.yaml").read_text() + "replicaCount: 2\n")
    assert run_shipspec("check", "app", cwd=tmp_path).returncode == 1  # a generated overlay is checked

@pytest.mark.parametrize("typo", [{"replicaCont": 2}, {"image": {"pullPolicyy": "Always"}}])
def test_a_typo_in_an_environments_values_fails_generate_at_its_line_and_helm_lint(tmp_path: Path, typo: dict) -> None:
    assert init(tmp_path, "app", *LAYOUTS["default"]).returncode == 0
    spec_path, chart = tmp_path / "app" / "shipspec.yaml", tmp_path / "charts" / "charts" / "myapp"
    with_typo = f"  - name: stag\n    values: {json.dumps(typo)}\n"
    spec_path.write_text(spec_path.read_text().replace("  - name: stag\n", with_typo))
    before = (chart / "values.stag.yaml").read_text()
    done = run_shipspec("generate", "app", cwd=tmp_path)
    key = next(iter(typo)) if "image" not in typo else "pullPolicyy"
    line = spec_path.read_text().splitlines().index(f"    values: {json.dumps(typo)}") + 1
    field = "environments[1].values." + ("image.pullPolicyy" if "image" in typo else key)
    hint = "did you mean replicaCount?" if "image" not in typo else "did you mean pullPolicy?"
    assert done.returncode == 2
    assert f"shipspec.yaml:{line}:" in done.stderr
    assert f"{field}: the chart allows no such value ({hint})" in done.stderr
    assert (chart / "values.stag.yaml").read_text() == before  # nothing written
    # The same value in an overlay is what Helm itself refuses at sync time.
    overlay = tmp_path / "typo.yaml"
    overlay.write_text(yaml.safe_dump(typo))
    with pytest.raises(AssertionError, match=f"additional properties '{key}' not allowed"):
        helm_lint_and_template(chart, [chart / "values.stag.yaml", overlay], release="myapp")
    helm_lint_and_template(chart, [chart / "values.dev.yaml"], release="myapp")  # the other overlays still pass


def test_applications_pass_the_argocd_crd_schema(scaffolded: Path) -> None:
    root = yaml.safe_load((scaffolded / "charts" / "bootstrap" / "apps.yaml").read_text())
    assert_valid(validate_argocd_application(root), "bootstrap/apps.yaml")
    loaded = load(scaffolded / "app" / "shipspec.yaml")
    assert root["spec"]["source"] == {"repoURL": REPO, "targetRevision": "master", "path": "argocd",
                                      "directory": {"recurse": False}}
    released = render(loaded, {env.name: "0123abc" for env in loaded.spec.environments})
    applications = [(o.path, text) for o, text in released.items() if o.path.startswith("argocd/")]
    assert len(applications) == len(loaded.spec.environments)
    for path, text in applications:
        assert_valid(validate_argocd_application(yaml.safe_load(text)), path)


def test_the_root_application_is_written_once_per_charts_repo(tmp_path: Path) -> None:
    assert init(tmp_path, "app", *LAYOUTS["default"]).returncode == 0
    root = tmp_path / "charts" / "bootstrap" / "apps.yaml"
    root.write_text(root.read_text() + "# mine\n")
    proc = init(tmp_path, "other", "--name", "other", "--image", "myorg/other", "--charts-repo", REPO)
    assert proc.returncode == 0, proc.stderr
    assert root.read_text().endswith("# mine\n")


def test_the_new_repo_commits_whole_and_its_makefile_runs(scaffolded: Path, tmp_path: Path) -> None:
    app = tmp_path / "app"
    for part in ("app", "charts"):
        subprocess.run(["cp", "-a", str(scaffolded / part), str(tmp_path / part)], check=True)
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "shipspec init"]):
        subprocess.run([*git, *step], cwd=app, check=True, capture_output=True)
    committed = subprocess.run([*git, "ls-files"], cwd=app, check=True, capture_output=True, text=True).stdout
    assert set(committed.split()) == APP_FILES
    proc = run_shipspec("check", cwd=app)  # the spec's path in its new repo is the one its headers name
    assert proc.returncode == 0, proc.stdout + proc.stderr
    head = subprocess.run([*git, "rev-parse", "--short=7", "HEAD"], cwd=app, check=True, capture_output=True,
                          text=True).stdout.strip()
    image = load(app / "shipspec.yaml").spec.image.repository
    assert make_dry_run(app, "run") == [f'docker run --rm --publish 8080:8080 "{image}:{head}"']  # local.mk is in


def test_init_is_deterministic(tmp_path: Path) -> None:
    for place in ("one", "two"):
        assert init(tmp_path / place, "app", *LAYOUTS["five-env"]).returncode == 0
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_interactive_init_asks_with_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    answers = "\nmyorg/shop\n" + REPO + "\n\n"  # name: the directory's; namespace: the name
    result = CliRunner().invoke(cli, ["init", "Shop_Front", "--interactive"], input=answers)
    assert result.exit_code == 0, result.output
    assert "App name [shop-front]:" in result.output and "Kubernetes namespace [shop-front]:" in result.output
    spec = load(tmp_path / "Shop_Front" / "shipspec.yaml").spec
    assert (spec.name, spec.image.repository, spec.charts.repo) == ("shop-front", "myorg/shop", REPO)
    # SPEC 1.2: the default environments share one cluster, so each gets <name>-<env>
    assert [env.namespace for env in spec.environments] == ["shop-front-dev", "shop-front-stag", "shop-front-prod"]
    assert (tmp_path / "charts" / "charts" / "shop-front" / "values.prod.yaml").is_file()



def test_an_invalid_answer_is_reported_like_validate(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "shipspec", "init", "app", "--interactive"], cwd=tmp_path, text=True,
        input=f"Not A Name\nmyorg/app\n{REPO}\n\n", capture_output=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert ": name: must be a DNS-1123 label" in proc.stderr and "(from --name)" in proc.stderr
    assert list(tmp_path.iterdir()) == []

def test_without_a_terminal_missing_values_are_named(tmp_path: Path) -> None:
    proc = init(tmp_path, "app", "--image", "myorg/app")
    assert proc.returncode == 2
    assert "--name, --charts-repo" in proc.stderr and "--image" not in proc.stderr.split("(")[0]
    proc = init(tmp_path, "app", "--yes")
    assert proc.returncode == 2 and "init needs --image, --charts-repo (they have no default)" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_yes_takes_the_directory_name(tmp_path: Path) -> None:
    assert init(tmp_path, "billing", "--yes", "--image", "myorg/billing", "--charts-repo", REPO).returncode == 0
    assert load(tmp_path / "billing" / "shipspec.yaml").spec.name == "billing"


def test_bad_input_gets_validate_messages_and_writes_nothing(tmp_path: Path) -> None:
    proc = init(tmp_path, "app", "--name", "My_App", "--image", "myorg/app:latest", "--charts-repo", REPO)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert any(line.startswith("app/shipspec.yaml:") and ": name: must be a DNS-1123 label" in line
               and line.endswith("(from --name)") for line in lines), proc.stderr
    assert any(": image.repository: " in line and "(from --image)" in line for line in lines)
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "message"), [
    (["--env", "dev", "--env", "dev"], ": environments[1].name: duplicate environment name 'dev' (from --env)"),
    (["--env", "Dev", "--env", "prod"], ": environments[0].name: must be a DNS-1123 label"),
    (["--namespace", "Team_NS"], ": environments[0].namespace: must be a DNS-1123 label"),
    (["--team", "a team"], ": team: must be a Kubernetes label value"),
])
def test_bad_environments_name_their_flag_only(tmp_path: Path, args: list[str], message: str) -> None:
    proc = init(tmp_path, "app", *LAYOUTS["default"], *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "branches" not in proc.stderr  # derived from --env: reporting it too would be noise
    assert list(tmp_path.iterdir()) == []


def test_refuses_when_any_file_exists_and_writes_nothing(tmp_path: Path) -> None:
    existing = tmp_path / "charts" / "charts" / "myapp" / "values.prod.yaml"
    existing.parent.mkdir(parents=True)
    existing.write_text("mine\n")
    proc = init(tmp_path, "app", *LAYOUTS["default"])
    assert proc.returncode == 2
    assert "refusing to overwrite: 1 file" in proc.stderr and "charts/charts/myapp/values.prod.yaml" in proc.stderr
    assert tree(tmp_path) == {"charts/charts/myapp/values.prod.yaml": b"mine\n"}
    assert not (tmp_path / "app").exists()


def test_a_failed_write_removes_everything_it_wrote(tmp_path: Path) -> None:
    # A path component longer than any file system allows: the service repo is written,
    # then the first write into the charts checkout fails.
    proc = init(tmp_path, "app", *LAYOUTS["default"], "--charts-dir", "../" + "c" * 300)
    assert proc.returncode == 2, proc.stderr
    assert "cannot write" in proc.stderr and "removed the 8 files already written" in proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("environments", [("prod",), ("stag", "prod"), DEFAULT_ENVIRONMENTS, FIVE,
                                          ("master", "qa", "prod")])
def test_every_environment_list_gets_a_valid_promotion_table(tmp_path: Path, environments: tuple[str, ...]) -> None:
    (tmp_path / "shipspec.yaml").write_text(spec_text(Answers("app", "myorg/app", REPO, environments=environments), "x"))
    spec = load(tmp_path / "shipspec.yaml").spec
    assert spec.branches is not None
    assert all(spec.production.name not in rule.deploy for rule in spec.branches.values()) or len(environments) == 1
    proposed = {env for rule in spec.branches.values() for env in rule.propose}
    assert proposed == set(environments[1:])  # every environment after the first is reachable


def test_five_environment_table() -> None:
    table = branches_for(FIVE)
    assert table is not None
    assert {name: (rule.deploy, rule.propose, rule.cron) for name, rule in table.items()} == {
        "dev": (("dev",), ("qa",), False),
        "qa": (("qa",), ("uat",), False),
        "uat": (("uat",), ("stag",), False),
        "stag": (("stag",), (), True),
        "master": (("stag",), ("prod",), False),
    }
    assert branches_for(("master", "qa", "prod")) is not None and "main" in branches_for(("master", "qa", "prod"))


@pytest.mark.parametrize(("ci", "pipeline"), [("github", ".github/workflows/shipspec.yml"), ("gitlab", ".gitlab-ci.yml")])
def test_init_ci_scaffolds_that_providers_pipeline_and_says_which_secrets(tmp_path: Path, ci: str, pipeline: str) -> None:
    proc = init(tmp_path, "app", *LAYOUTS["default"], "--ci", ci)
    assert proc.returncode == 0, proc.stderr
    assert set(tree(tmp_path / "app")) == APP_FILES - {".travis.yml"} | {pipeline}
    assert load(tmp_path / "app" / "shipspec.yaml").spec.ci == ci
    assert "DOCKER_USER, DOCKER_PASS and CHARTS_TOKEN" in proc.stdout and "travis" not in proc.stdout
    assert pipeline in (tmp_path / "app" / "README.md").read_text()
    checked = run_shipspec("check", "app", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize("chart_flags", [
    ["--chart", "oci://registry-1.docker.io/bitnamicharts/nginx@22.1.1"],
    ["--chart-repo", "oci://registry-1.docker.io/bitnamicharts", "--chart-name", "nginx", "--chart-version", "22.1.1"],
])
def test_init_on_a_published_chart_copies_no_chart(tmp_path: Path, chart_flags: list[str]) -> None:
    proc = init(tmp_path, "app", *LAYOUTS["default"], *chart_flags)
    assert proc.returncode == 0, proc.stderr
    spec = yaml.safe_load((tmp_path / "app" / "shipspec.yaml").read_text())
    assert spec["charts"]["chart"] == {"repoURL": "oci://registry-1.docker.io/bitnamicharts", "name": "nginx",
                                       "version": "22.1.1"}
    chart = tmp_path / "charts" / "charts" / "myapp"
    assert sorted(p.name for p in chart.iterdir()) == ["values.dev.yaml", "values.prod.yaml", "values.stag.yaml"]
    assert not (tmp_path / "charts" / "argocd").exists()  # the first release writes the Applications
    loaded = load(tmp_path / "app" / "shipspec.yaml")
    application = yaml.safe_load(render(loaded, {"dev": "0123abc"})[Output("charts", "argocd/myapp-dev.yaml")])
    assert_valid(validate_argocd_application(application), "myapp-dev.yaml")
    assert application["spec"]["sources"][0]["repoURL"] == "registry-1.docker.io/bitnamicharts"
    assert run_shipspec("check", "app", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(("flags", "message"), [
    (["--chart", "nginx@22.1.1"], "--chart 'nginx@22.1.1': expected REPO/NAME@VERSION"),
    (["--chart-repo", "https://charts.bitnami.com/bitnami"], "add --chart-name, --chart-version"),
    (["--chart", "https://x.io/c/nginx@1.0.0", "--chart-name", "a"], "drop --chart-name"),
    (["--chart", "https://x.io/c/nginx@~1.0"], "charts.chart.version: must be one exact chart version"),
])
def test_init_refuses_a_bad_chart_reference_and_writes_nothing(tmp_path: Path, flags: list[str], message: str) -> None:
    proc = init(tmp_path, "app", *LAYOUTS["default"], *flags)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "app").exists() and not (tmp_path / "charts").exists()


def test_schema_ref_overrides_the_vendored_schema(tmp_path: Path) -> None:
    url = "https://example.com/schemas/shipspec.schema.json"
    proc = init(tmp_path, "app", *LAYOUTS["default"], "--schema-ref", url)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "app" / "shipspec.yaml").read_text().splitlines()[0] == f"# yaml-language-server: $schema={url}"
    assert not (tmp_path / "app" / "shipspec.schema.json").exists()


def test_init_in_a_monorepo_adds_the_app_to_the_root_pipeline(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    first = init(repo, "services/api", "--name", "api", "--image", "myorg/api", "--charts-repo", REPO,
                 "--charts-dir", "charts")
    assert first.returncode == 0, first.stderr
    assert "(the root pipeline of every app of this repository)" in first.stdout
    assert not (repo / "services" / "api" / ".travis.yml").exists()
    assert (repo / ".travis.yml").read_text().splitlines()[1] == "# root pipeline of 1 app"
    second = init(repo, "services/new-svc", "--name", "new-svc", "--image", "myorg/new-svc", "--charts-repo", REPO,
                  "--charts-dir", "charts")
    assert second.returncode == 0, second.stderr
    assert "updated   .travis.yml" in second.stdout
    text = (repo / ".travis.yml").read_text()
    assert "# services/new-svc/shipspec.yaml" in text and "# services/api/shipspec.yaml" in text
    assert not (repo / "services" / "new-svc" / ".travis.yml").exists()
    checked = run_shipspec("check", ".", cwd=repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # an answer that contradicts the repository's pipeline: exit 2, nothing written
    third = init(repo, "services/gh", "--name", "gh", "--image", "myorg/gh", "--charts-repo", REPO, "--ci", "github",
                 "--charts-dir", "charts")
    assert third.returncode == 2 and "disagree on ci" in third.stderr and not (repo / "services" / "gh").exists()
