"""The validator layer itself: each check accepts a known-good input and
rejects a known-bad one, so a green suite means the validators ran."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

try:
    from . import argocd_schema, tools, validators
except ImportError:  # tests/ is on sys.path rather than imported as a package
    import argocd_schema  # type: ignore[no-redef]
    import tools  # type: ignore[no-redef]
    import validators  # type: ignore[no-redef]

SECURE = "Zm9v" * 171 + "=="  # as long as a 4096-bit `travis encrypt` output


# --- require_tool -----------------------------------------------------------

@pytest.mark.parametrize("name", tools.KNOWN_TOOLS)
def test_every_tool_is_installed(name: str) -> None:
    path = Path(tools.require_tool(name))
    assert path.is_absolute() and path.is_file()


def test_missing_tool_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="bash tests/install-tools.sh"):
        tools.require_tool("shipspec-no-such-tool")


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="shipspec-no-such-tool"):
        tools.require_tool("shipspec-no-such-tool")


def test_helm_is_the_pinned_helm_4() -> None:
    proc = subprocess.run([tools.require_tool("helm"), "version", "--template", "{{.Version}}"],
                          env=validators.helm_env(), capture_output=True, text=True, check=True)
    assert proc.stdout.startswith("v4.")


def test_helm_stays_out_of_home() -> None:
    proc = subprocess.run([tools.require_tool("helm"), "env"], env=validators.helm_env(),
                          capture_output=True, text=True, check=True)
    home = str(Path.home())
    paths = [line for line in proc.stdout.splitlines()
             if line.startswith(("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"))]
    assert len(paths) == 3 and not any(home + "/" in line for line in paths)


# --- Argo CD Application ----------------------------------------------------

def application(**spec_overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "myapp-dev",
            "namespace": "argocd",
            "labels": {"app": "myapp", "env": "dev", "team": "ops"},
            "annotations": {"notifications.argoproj.io/subscribe.on-sync-succeeded.slack":
                            "deploy-notifications"},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": "git@github.com:myorg/charts.git",
                "targetRevision": "master",
                "path": "charts/myapp",
                "helm": {"releaseName": "myapp", "valueFiles": ["values.dev.yaml"]},
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "myapp"},
            "syncPolicy": {"automated": {"prune": False, "selfHeal": False},
                           "syncOptions": ["CreateNamespace=true"]},
        },
    }
    doc["spec"].update(spec_overrides)
    return doc


def test_full_application_is_valid() -> None:
    assert validators.validate_argocd_application(application()) == []


def test_minimal_application_is_valid() -> None:
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
           "metadata": {"name": "myapp-prod"},
           "spec": {"project": "default", "destination": {"namespace": "myapp"},
                    "source": {"repoURL": "https://github.com/myorg/charts.git"}}}
    assert validators.validate_argocd_application(doc) == []


def test_typo_in_a_field_name_is_rejected_with_a_hint() -> None:
    doc = application()
    doc["spec"]["source"]["targetRevison"] = doc["spec"]["source"].pop("targetRevision")
    problems = validators.validate_argocd_application(doc)
    assert len(problems) == 1
    assert problems[0].startswith("spec.source: ")
    assert "'targetRevison' was unexpected" in problems[0]
    assert "did you mean 'targetRevision'" in problems[0]


@pytest.mark.parametrize(("mutate", "where"), [
    (lambda d: d.update(apiVersion="argoproj.io/v1"), "apiVersion"),
    (lambda d: d.update(kind="App"), "kind"),
    (lambda d: d["metadata"].pop("name"), "metadata"),
    (lambda d: d["metadata"].update(label={}), "metadata"),
    (lambda d: d["metadata"]["labels"].update(team=7), "metadata.labels.team"),
    (lambda d: d["metadata"]["labels"].update(team="two words"), "metadata.labels.team"),
    (lambda d: d["metadata"]["annotations"].update(note=True), "metadata.annotations.note"),
    (lambda d: d["metadata"].update(finalizers="resources-finalizer"), "metadata.finalizers"),
    (lambda d: d["metadata"].update(name="MyApp"), "metadata.name"),
    (lambda d: d["spec"].pop("destination"), "spec"),
    (lambda d: d["spec"]["syncPolicy"]["automated"].update(prune="false"),
     "spec.syncPolicy.automated.prune"),
    (lambda d: d["spec"]["source"]["helm"].update(valueFiles="values.dev.yaml"),
     "spec.source.helm.valueFiles"),
    (lambda d: d["spec"]["syncPolicy"].update(automatic={}), "spec.syncPolicy"),
])
def test_invalid_application_is_rejected(mutate: Any, where: str) -> None:
    doc = application()
    mutate(doc)
    problems = validators.validate_argocd_application(doc)
    assert problems and problems[0].startswith(f"{where}: "), problems


def test_preserve_unknown_fields_and_int_or_string_are_honoured() -> None:
    doc = application()
    doc["spec"]["source"]["helm"]["valuesObject"] = {"any": {"nested": ["thing", 1]}}
    doc["spec"]["source"]["kustomize"] = {"replicas": [{"name": "a", "count": 2},
                                                       {"name": "b", "count": "3"}]}
    assert validators.validate_argocd_application(doc) == []
    doc["spec"]["source"]["kustomize"]["replicas"][0]["count"] = [2]
    assert validators.validate_argocd_application(doc)[0].startswith(
        "spec.source.kustomize.replicas[0].count: ")


def test_converted_crd_is_a_valid_json_schema() -> None:
    schema = argocd_schema.application_json_schema(argocd_schema.require_crd_dir())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["spec"]["additionalProperties"] is False
    assert schema["properties"]["metadata"]["properties"]["labels"]["additionalProperties"] == {
        "type": "string", "pattern": argocd_schema._LABEL_VALUE}


def test_crd_dir_can_be_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARGOCD_CRD_DIR", str(tmp_path))
    assert argocd_schema.crd_dir() == tmp_path


@pytest.mark.parametrize("ci", ["", "true"])
def test_a_clone_without_the_crds_skips_with_one_line_and_fails_in_ci(ci: str, tmp_path: Path) -> None:
    # A real pytest run, as from a plain clone: no ../shared, nothing at ARGOCD_CRD_DIR.
    env = {**os.environ, "ARGOCD_CRD_DIR": str(tmp_path / "absent"), "CI": ci}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         str(tools.REPO_ROOT / "tests" / "test_generated_validators.py"), "-k", "argocd and minimal"],
        cwd=tools.REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    summary = proc.stdout.strip().splitlines()[-1]
    assert ("1 failed" if ci else "1 skipped") in summary, proc.stdout
    (line,) = [ln for ln in proc.stdout.splitlines() if "Argo CD CRD schema not found" in ln]
    assert "ARGOCD_CRD_DIR" in line and "v3.5.1" in line and "Traceback" not in proc.stdout


def test_application_problems_read_as_an_assertion() -> None:
    doc = application(sourceRepos=[])
    with pytest.raises(AssertionError, match=r"myapp-dev.yaml is invalid:\n  spec: "):
        validators.assert_valid(validators.validate_argocd_application(doc), "myapp-dev.yaml")


# --- Travis -----------------------------------------------------------------

GOOD_TRAVIS = f"""\
language: minimal
dist: jammy
services: [docker]
env:
  global:
    - secure: "{SECURE}"
script:
  - make docker-build test
jobs:
  include:
    - stage: release
      if: type = push AND branch = dev
      script: make dev-commit
notifications:
  slack:
    rooms:
      - secure: "{SECURE}"
    on_success: always
"""


def test_valid_travis_file_passes(tmp_path: Path) -> None:
    path = tmp_path / ".travis.yml"
    path.write_text(GOOD_TRAVIS)
    assert validators.validate_travis(path) == []


def test_travis_wrong_types_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / ".travis.yml"
    path.write_text("language: minimal\ndist: [jammy]\nscript: {make: test}\n")
    problems = validators.validate_travis(path)
    assert [p.split(":")[0] for p in problems] == ["$.dist", "$.script"]


def test_travis_unparseable_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / ".travis.yml"
    path.write_text("script: [unclosed\n")
    assert validators.validate_travis(path)


# --- yamllint ---------------------------------------------------------------

def test_yamllint_accepts_travis_style_yaml(tmp_path: Path) -> None:
    text = "# generated by shipspec\n" + GOOD_TRAVIS + "deploy:\n  on:\n    branch: master\n"
    assert validators.validate_yamllint(text) == []
    (tmp_path / "x.yaml").write_text(text)
    assert validators.validate_yamllint(tmp_path / "x.yaml") == []


def test_yamllint_flags_duplicate_keys_and_yes() -> None:
    problems = validators.validate_yamllint("image:\n  tag: '1'\n  tag: '2'\nenabled: yes\n")
    assert any("(key-duplicates)" in p and ":3:3:" in p for p in problems), problems
    assert any("(truthy)" in p and ":4:" in p for p in problems), problems


# --- shellcheck and make -n -------------------------------------------------

def test_shellcheck_flags_unquoted_expansion() -> None:
    findings = validators.shellcheck_recipe('foo="a b"\necho $foo\n')
    assert len(findings) == 1 and findings[0].endswith("[SC2086]"), findings


def test_shellcheck_passes_clean_script() -> None:
    assert validators.shellcheck_recipe('foo="a b"\necho "$foo"\n') == []


def test_shellcheck_exclude() -> None:
    assert validators.shellcheck_recipe('echo $1\n', exclude=["SC2086"]) == []


MAKEFILE = """\
IMAGE ?= myrepo/myapp
TAG ?= latest
.PHONY: docker-build broken
docker-build:
\t@echo building
\tdocker build --tag '$(IMAGE):$(TAG)' .
broken:
\t$(error broken on purpose)
"""


def test_make_dry_run_expands_recipes(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(MAKEFILE)
    lines = validators.make_dry_run(tmp_path, "docker-build", TAG="abc1234")
    assert lines == ["echo building", "docker build --tag 'myrepo/myapp:abc1234' ."]
    assert validators.shellcheck_recipe("\n".join(lines)) == []


def test_make_dry_run_failure_raises(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(MAKEFILE)
    with pytest.raises(AssertionError, match="broken on purpose"):
        validators.make_dry_run(tmp_path, "broken")
    with pytest.raises(AssertionError, match="No rule to make target"):
        validators.make_dry_run(tmp_path, "no-such-target")


# --- helm and kubernetes-validate -------------------------------------------

@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("charts")
    subprocess.run([tools.require_tool("helm"), "create", "myapp"], cwd=where,
                   env=validators.helm_env(), check=True, capture_output=True)
    return where / "myapp"


def rendered_kinds(manifests: str) -> list[str]:
    return [doc["kind"] for doc in yaml.safe_load_all(manifests) if doc]


def test_helm_renders_chart_with_values_overlay(chart: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "values.dev.yaml"
    overlay.write_text('image:\n  repository: myrepo/myapp\n  tag: "0123456"\n')
    manifests = validators.helm_lint_and_template(chart, [overlay], release="myapp")
    assert "Deployment" in rendered_kinds(manifests)
    assert 'image: "myrepo/myapp:0123456"' in manifests
    assert validators.kubernetes_validate_strict(manifests) == []


def test_helm_lint_failure_raises(chart: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "values.bad.yaml"
    overlay.write_text("image: [not, a, mapping]\n")
    with pytest.raises(AssertionError, match="helm lint failed"):
        validators.helm_lint_and_template(chart, [overlay])


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: myapp
spec:
  replicas: 1
  selector:
    matchLabels: {app: myapp}
  template:
    metadata:
      labels: {app: myapp}
    spec:
      containers:
        - name: myapp
          image: "myrepo/myapp:0123456"
"""


def test_kubernetes_validate_rejects_unknown_field() -> None:
    assert validators.kubernetes_validate_strict(DEPLOYMENT) == []
    bad = DEPLOYMENT.replace("  replicas: 1", "  replica: 1")
    findings = validators.kubernetes_validate_strict(bad)
    assert len(findings) == 1 and "'replica' was unexpected" in findings[0], findings


def test_kubernetes_validate_rejects_wrong_type_in_second_document() -> None:
    bad = DEPLOYMENT + "---\n" + DEPLOYMENT.replace("replicas: 1", 'replicas: "1"')
    findings = validators.kubernetes_validate_strict(bad)
    assert len(findings) == 1 and "spec.replicas" in findings[0], findings


def test_kubernetes_validate_unknown_kind() -> None:
    doc = yaml.safe_dump(application())
    assert validators.kubernetes_validate_strict(doc)  # no schema: a problem by default
    assert validators.kubernetes_validate_strict(doc, allow_unknown_kinds=True) == []


def test_kubernetes_validate_unparseable_yaml() -> None:
    assert validators.kubernetes_validate_strict("kind: [unclosed\n")

