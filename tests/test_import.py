"""`shipspec import`: adopt what Argo CD already deploys, then `generate` without `--force`,
and prove nothing Argo CD renders changed (SPEC 1.2 "`shipspec import`")."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipspec.cli import main
from tests import chart_fixtures as charts
from tests.import_world import (
    FINALIZER, applications, argocd_reads, changed_files, commit_repo, copy_tree, git, helm_template, shared_fixtures,
    snapshot, write_files,
)
from tests.tools import require_tool
from tests.validators import assert_valid, validate_argocd_application

REPO = "https://github.com/acme/charts.git"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = master\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("SHIPSPEC_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)


def shipspec(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out + captured.err


def application(name: str, env: str, *, path: str, values: str, namespace: str, extra_meta: str = "",
                sync: str = "  syncPolicy:\n    automated: {}\n    syncOptions:\n    - CreateNamespace=true\n",
                helm_extra: str = "", spec_extra: str = "") -> str:
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}-{env}\n  namespace: argocd\n"
        f"{extra_meta}spec:\n  project: default\n  source:\n    repoURL: {REPO}\n    targetRevision: HEAD\n"
        f"    path: {path}\n    helm:\n{helm_extra}      valueFiles:\n      - {values}\n"
        f"  destination:\n    server: https://kubernetes.default.svc\n    namespace: {namespace}\n{sync}{spec_extra}"
    )


SEED_META = ("  labels:\n    team: payments\n  annotations:\n"
             "    notifications.argoproj.io/subscribe.on-sync-failed.slack: deploys\n"
             f"  finalizers:\n  - {FINALIZER}\n")
SEED_TAGS = {"dev": "4f1c2aa", "stag": "4f1c2aa", "prod": "9e8d7c6"}


def seed(root: Path, *, prod_extra: str = "") -> None:
    """The seed's layout: charts/myapp, values.<env>.yaml holding image.tag, one Application per env."""
    dataclasses.replace(charts.DEFAULT, name="myapp").write(root / "charts" / "myapp")
    files = {}
    for i, env in enumerate(("dev", "stag", "prod")):
        files[f"charts/myapp/values.{env}.yaml"] = (
            f"# {env}\nimage:\n  repository: acme/myapp\n  tag: '{SEED_TAGS[env]}'\n  pullPolicy: IfNotPresent\n"
            f"replicaCount: {i + 1}\ningress:\n  host: {env}.example.com\n")
        sync = ("  syncPolicy:\n    syncOptions:\n    - CreateNamespace=true\n" if env == "prod" else
                "  syncPolicy:\n    automated: {}\n    syncOptions:\n    - CreateNamespace=true\n")
        files[f"argocd/myapp-{env}.yaml"] = application(
            "myapp", env, path="charts/myapp", values=f"values.{env}.yaml", namespace=f"myapp-{env}",
            extra_meta=SEED_META, sync=sync, helm_extra="      releaseName: myapp\n",
            spec_extra=prod_extra if env == "prod" else "")
    write_files(root, files)


def registry_split(root: Path) -> None:
    """A bitnami-style chart (image.registry + image.repository) whose overlays set the tag only."""
    dataclasses.replace(charts.TEMPO).write(root / "charts" / "tempo")
    for env, tag in (("dev", "2.5.0"), ("stag", "2.4.2"), ("prod", "2.4.1")):
        write_files(root, {
            f"charts/tempo/values.{env}.yaml": f"tempo:\n  tag: \"{tag}\"\nreplicaCount: 2\n",
            f"argocd/tempo-{env}.yaml": application("tempo", env, path="charts/tempo", values=f"values.{env}.yaml",
                                                    namespace="observability"),
        })


def published(root: Path, chart_home: Path) -> dict[str, Path]:
    """A published chart in a multi-source Application, the overlays in the charts repo; one release
    name, so each environment in a cluster of its own (in one namespace they would fight)."""
    folder = charts.DEFAULT.write(chart_home / "webapp")
    servers = {"dev": "https://kubernetes.default.svc", "prod": "https://prod.example.com"}
    for env, tag in (("dev", "1.27"), ("prod", "1.25")):
        write_files(root, {
            f"apps/web/values.{env}.yaml": f"image:\n  repository: nginx\n  tag: \"{tag}\"\nreplicaCount: 3\n",
            f"argocd/web-{env}.yaml": (
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-" + env + "\n"
                "  namespace: argocd\n  finalizers:\n  - " + FINALIZER + "\nspec:\n  project: web\n  sources:\n"
                "  - repoURL: https://charts.example.com\n    chart: webapp\n    targetRevision: 0.1.0\n"
                "    helm:\n      releaseName: web\n      valueFiles:\n      - $values/apps/web/values." + env
                + ".yaml\n  - repoURL: " + REPO + "\n    targetRevision: main\n    ref: values\n"
                "  destination:\n    server: " + servers[env] + "\n    namespace: web\n"
                "  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n"),
        })
    return {"webapp": folder}


def long_names(root: Path) -> None:
    """Environments named development/staging/production; no release name (Argo CD: the app's name)."""
    dataclasses.replace(charts.DEFAULT, name="shop").write(root / "deploy" / "shop")
    for i, env in enumerate(("production", "development", "staging")):
        write_files(root, {
            f"deploy/shop/values-{env}.yaml": f"image:\n  repository: ghcr.io/acme/shop\n  tag: v1.{i}.0\n"
                                             f"replicaCount: {i + 1}\nlogLevel: {env}\n",
            f"apps/shop-{env}.yaml": application(
                "shop", env, path="deploy/shop", values=f"values-{env}.yaml", namespace=f"shop-{env}",
                extra_meta="  labels:\n    app: shop\n    tier: web\n",
                sync="" if env == "production" else "  syncPolicy:\n    automated:\n      prune: true\n"),
        })


def single_ref(root: Path) -> None:
    """A chart that reads one "<repository>:<tag>" string (app.image), a CronJob."""
    charts.REF.write(root / "charts" / "nightly")
    for env, ref in (("dev", "busybox:1.37"), ("prod", "busybox:1.36")):
        write_files(root, {
            f"charts/nightly/values.{env}.yaml": f"app:\n  image: {ref}\n",
            f"argocd/nightly-{env}.yaml": application("nightly", env, path="charts/nightly",
                                                      values=f"values.{env}.yaml", namespace="batch"),
        })


def prove_adoption(capsys: pytest.CaptureFixture[str], tmp_path: Path, root: Path, app: str, names: list[str],
                   *, envs: tuple[str, ...] = (), chart_home: dict[str, Path] | None = None,
                   tag_at: tuple[str, ...] = ("image", "tag")) -> str:
    """import, generate, then every claim of SPEC 1.2 about what changed (nothing Argo CD renders)."""
    published_charts = chart_home or {}
    branch = git(root, "symbolic-ref", "--short", "HEAD")
    before = snapshot(root, names, published_charts)
    spec = tmp_path / "app" / "shipspec.yaml"
    code, imported = shipspec(capsys, "import", app, "--charts-dir", str(root), "--output", str(spec),
                              *(a for env in envs for a in ("--env", env)))
    assert code == 0, imported
    code, generated = shipspec(capsys, "generate", str(spec))
    assert code == 0, generated
    after = applications(root)
    overlays: set[str] = set()
    for name in names:
        old_file, old = before.apps[name]
        new_file, new = after[name]
        assert_valid(validate_argocd_application(new), new_file)
        assert helm_template(root, new, published_charts) == before.renders[name], name
        assert argocd_reads(new, branch) == argocd_reads(old, branch), name
        old_labels, new_labels = old["metadata"].get("labels") or {}, new["metadata"].get("labels") or {}
        assert old_labels.items() <= new_labels.items(), name
        assert set(new_labels) - set(old_labels) <= {"app", "env", "team"}, name
        sources = new["spec"].get("sources") or [new["spec"]["source"]]
        for source in sources:
            for value_file in (source.get("helm") or {}).get("valueFiles", []):
                overlay = value_file.removeprefix("$values/") if value_file.startswith("$") else \
                    f"{source['path']}/{value_file}"
                overlays.add(overlay)
                assert _at(yaml.safe_load((root / overlay).read_text()), tag_at) == \
                    _at(yaml.safe_load(before.files[overlay]), tag_at), f"{overlay}: the tag changed"
    code, checked = shipspec(capsys, "check", str(spec))
    assert code == 0, checked
    moved = {before.apps[n][0] for n in names} | {after[n][0] for n in names}
    assert changed_files(root) <= moved | overlays
    for overlay in overlays:  # only comments, key order and quoting; or values the chart already has
        old, new = yaml.safe_load(before.files[overlay]), yaml.safe_load((root / overlay).read_text())
        chart_values = _chart_values(root, overlay)
        assert _merge(chart_values, old) == _merge(chart_values, new), overlay
    return imported


def _chart_values(root: Path, overlay: str) -> Any:
    values = root / os.path.dirname(overlay) / "values.yaml"
    return yaml.safe_load(values.read_text()) if (values.parent / "Chart.yaml").is_file() else {}


def _merge(base: Any, over: Any) -> Any:
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _merge(merged.get(key), value) if key in merged else value
    return merged


def _at(tree: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree


def _charts_repo(tmp_path: Path, build: Any, branch: str = "main") -> Path:
    root = tmp_path / "charts"
    root.mkdir()
    build(root)
    commit_repo(root, branch)
    return root


def test_seed_layout_is_adopted_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _charts_repo(tmp_path, seed)
    output = prove_adoption(capsys, tmp_path, root, "myapp", ["myapp-dev", "myapp-stag", "myapp-prod"])
    assert output.splitlines()[-4:-1] == ["dev: runs 4f1c2aa", "stag: runs 4f1c2aa", "prod: runs 9e8d7c6"]
    spec = yaml.safe_load((tmp_path / "app" / "shipspec.yaml").read_text())
    assert spec["team"] == "payments"
    assert spec["argocd"] == {"syncOptions": ["CreateNamespace=true"],
                              "notify": {"slack": "deploys", "triggers": ["on-sync-failed"]}}
    assert spec["values"] == {"image": {"pullPolicy": "IfNotPresent"}}
    assert [env.get("autoSync", True) for env in spec["environments"]] == [True, True, False]
    assert spec["charts"] == {"repo": REPO, "branch": "main"}  # checkout ../charts and charts/myapp: defaults


def test_registry_split_image_found_where_the_tag_lives(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _charts_repo(tmp_path, registry_split)
    prove_adoption(capsys, tmp_path, root, "tempo", [f"tempo-{env}" for env in ("dev", "stag", "prod")],
                   tag_at=("tempo", "tag"))
    spec = yaml.safe_load((tmp_path / "app" / "shipspec.yaml").read_text())
    assert spec["image"] == {"repository": "docker.io/grafana/tempo", "valuePaths": {
        "registry": "tempo.registry", "repository": "tempo.repository", "tag": "tempo.tag"}}
    assert spec["values"] == {"replicaCount": 2}


def test_single_ref_string_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _charts_repo(tmp_path, single_ref)
    output = prove_adoption(capsys, tmp_path, root, "nightly", ["nightly-dev", "nightly-prod"],
                            tag_at=("app", "image"))
    assert "dev: runs 1.37" in output and "prod: runs 1.36" in output
    spec = yaml.safe_load((tmp_path / "app" / "shipspec.yaml").read_text())
    assert spec["image"] == {"repository": "busybox", "valuePaths": {"ref": "app.image"}}
    assert "values" not in spec and all("values" not in env for env in spec["environments"])


def test_published_chart_becomes_charts_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    homes: dict[str, Path] = {}
    root = _charts_repo(tmp_path, lambda r: homes.update(published(r, tmp_path / "published")))
    prove_adoption(capsys, tmp_path, root, "web", ["web-dev", "web-prod"], chart_home=homes, envs=("dev", "prod"))
    spec = yaml.safe_load((tmp_path / "app" / "shipspec.yaml").read_text())
    assert spec["charts"]["chart"] == {"repoURL": "https://charts.example.com", "name": "webapp", "version": "0.1.0"}
    assert spec["charts"]["path"] == "apps/web"
    assert spec["argocd"] == {"project": "web", "prune": True, "selfHeal": True}


def test_long_environment_names_in_promotion_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _charts_repo(tmp_path, long_names, branch="trunk")
    prove_adoption(capsys, tmp_path, root, "shop", ["shop-development", "shop-staging", "shop-production"])
    spec = yaml.safe_load((tmp_path / "app" / "shipspec.yaml").read_text())
    assert [env["name"] for env in spec["environments"]] == ["development", "staging", "production"]
    assert [env["releaseName"] for env in spec["environments"]] == [
        "shop-development", "shop-staging", "shop-production"]
    assert spec["argocd"]["labels"] == {"tier": "web"} and spec["argocd"]["manifests"] == "apps"
    assert spec["branches"]["development"] == {"deploy": ["development"], "propose": ["staging"]}


def test_unsupported_field_is_listed_and_nothing_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = "  ignoreDifferences:\n  - group: apps\n    kind: Deployment\n    jsonPointers:\n    - /spec/replicas\n"
    root = _charts_repo(tmp_path, lambda r: seed(r, prod_extra=extra))
    spec = tmp_path / "app" / "shipspec.yaml"
    code, output = shipspec(capsys, "import", "myapp", "--charts-dir", str(root), "--output", str(spec))
    assert code == 1
    assert "argocd/myapp-prod.yaml:28:3: spec.ignoreDifferences: the spec has no field for ignoreDifferences" in output
    assert not spec.exists() and not changed_files(root)
    code, output = shipspec(capsys, "import", "myapp", "--charts-dir", str(root), "--output", str(spec), "--force")
    assert code == 1
    text = spec.read_text()
    assert text.startswith("# shipspec import could not carry over")
    assert "#   argocd/myapp-prod.yaml:28:3: spec.ignoreDifferences:" in text
    assert shipspec(capsys, "validate", str(spec))[0] == 0


@pytest.mark.parametrize("layout, message", [
    ("argocd/broken.yaml", "argocd/broken.yaml:5:1: invalid YAML: expected ',' or ']'"),
])
def test_malformed_application_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str,
                                              message: str) -> None:
    root = _charts_repo(tmp_path, seed)
    (root / layout).write_text("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: [x\n")
    spec = tmp_path / "app" / "shipspec.yaml"
    code, output = shipspec(capsys, "import", "myapp", "--charts-dir", str(root), "--output", str(spec))
    assert code == 2 and message in output and "Traceback" not in output
    assert not spec.exists()


def test_nothing_deploys_the_app_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _charts_repo(tmp_path, seed)
    code, output = shipspec(capsys, "import", "billing", "--charts-dir", str(root), "--output", "s.yaml")
    assert code == 2 and "no Argo CD Application" in output and "deploys billing" in output
    assert not Path("s.yaml").exists()


def test_unknown_environment_order_asks_for_env(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _charts_repo(tmp_path, seed)
    os.rename(root / "argocd/myapp-stag.yaml", root / "argocd/myapp-canary.yaml")
    text = (root / "argocd/myapp-canary.yaml").read_text().replace("myapp-stag", "myapp-canary")
    (root / "argocd/myapp-canary.yaml").write_text(text)
    code, output = shipspec(capsys, "import", "myapp", "--charts-dir", str(root), "--output", "s.yaml")
    assert code == 2 and "(canary is not a usual name): pass them in order" in output
    # The example keeps what the names say (dev first, prod last), the unknown name between.
    assert "e.g. --env dev --env canary --env prod" in output, output
    code, output = shipspec(capsys, "import", "myapp", "--charts-dir", str(root), "--output", "s.yaml",
                            "--env", "dev", "--env", "canary", "--env", "prod")
    assert code == 0, output


def test_shared_overlay_and_non_helm_source_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def layout(root: Path) -> None:
        seed(root)
        text = (root / "argocd/myapp-dev.yaml").read_text().replace("myapp-dev", "other-dev")
        write_files(root, {"argocd/other-dev.yaml": text})
        stag = (root / "argocd/myapp-stag.yaml").read_text().replace(
            "    helm:\n      releaseName: myapp\n      valueFiles:\n      - values.stag.yaml\n",
            "    kustomize:\n      namePrefix: stag-\n")
        write_files(root, {"argocd/myapp-stag.yaml": stag})

    root = _charts_repo(tmp_path, layout)
    code, output = shipspec(capsys, "import", "myapp", "--charts-dir", str(root), "--output", "s.yaml")
    assert code == 1 and not Path("s.yaml").exists()
    assert "argocd/myapp-dev.yaml:20:7: spec.source.helm.valueFiles: charts/myapp/values.dev.yaml is also a value " \
           "file of other-dev" in output
    assert "argocd/myapp-stag.yaml:18:5: spec.source.kustomize: a Kustomize source" in output
    assert "Traceback" not in output


def test_generate_still_refuses_a_foreign_file_that_differs(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = _charts_repo(tmp_path, seed)
    spec = tmp_path / "app" / "shipspec.yaml"
    assert shipspec(capsys, "import", "myapp", "--charts-dir", str(root), "--output", str(spec))[0] == 0
    overlay = root / "charts/myapp/values.prod.yaml"
    overlay.write_text(overlay.read_text().replace("replicaCount: 3", "replicaCount: 5"))
    code, output = shipspec(capsys, "generate", str(spec))
    assert code == 2 and "refusing to overwrite 1 file" in output and "values.prod.yaml" in output


# The three public GitOps repos in ../shared/fixtures/gitops (see its README), as their teams run them.

def _gitops(tmp_path: Path, name: str) -> Path:
    root = tmp_path / "charts"
    copy_tree(shared_fixtures() / "gitops" / name, root)
    commit_repo(root, "main")
    return root


def test_udacity_nginx_staging_and_prod_adopted_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _gitops(tmp_path, "udacity-nginx")
    output = prove_adoption(capsys, tmp_path, root, "nginx", ["nginx-staging", "nginx-prod"], envs=("staging", "prod"))
    assert "left out solutions/argocd/argocd-nginx.yaml: nginx-alpine (environment alpine is not in --env)" in output
    spec = yaml.safe_load((tmp_path / "app" / "shipspec.yaml").read_text())
    assert [(e["name"], e["releaseName"], e["valuesFile"]) for e in spec["environments"]] == [
        ("staging", "nginx-staging", "values-staging.yaml"), ("prod", "nginx-prod", "values-prod.yaml")]


def test_udacity_without_env_cannot_order_alpine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _gitops(tmp_path, "udacity-nginx")
    code, output = shipspec(capsys, "import", "nginx", "--charts-dir", str(root), "--output", "s.yaml")
    assert code == 2 and "alpine is not a usual name" in output


def test_udacity_python_helloworld_lists_what_it_cannot_adopt(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = _gitops(tmp_path, "udacity-nginx")
    code, output = shipspec(capsys, "import", "python-helloworld", "--charts-dir", str(root), "--output", "s.yaml")
    assert code == 1, output
    assert "solutions/argocd/argocd-helm-python.yaml:4:3: metadata.name: 'python-helloworld' is not named " \
           "<app>-<env>" in output
    assert not Path("s.yaml").exists()


def test_app_of_apps_demo_inline_values_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _gitops(tmp_path, "app-of-apps-demo")
    code, output = shipspec(capsys, "import", "app", "--charts-dir", str(root), "--output", "s.yaml")
    assert code == 1, output
    for env in ("dev", "staging", "production"):
        assert f"k8s-apps/{env}/app.yaml:5:3: metadata.name: 'fof-jack-demo-{env}-app' is not named <app>-<env>" \
            in output
        assert f"k8s-apps/{env}/app.yaml:15:7: spec.source.helm.values: inline values in the Application" in output
    assert not Path("s.yaml").exists() and not changed_files(root)


def test_nodefront_layered_value_files_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _gitops(tmp_path, "nodefront")
    envs = ("development", "staging-eastus", "production-eastus")
    code, output = shipspec(capsys, "import", "nodefront-helm", "--charts-dir", str(root), "--output", "s.yaml",
                            *(a for env in envs for a in ("--env", env)))
    assert code == 1, output
    assert "argocd-helm/staging-eastus.yaml:20:7: spec.source.helm.valueFiles: names 2 value files" in output
    assert "argocd-helm/development.yaml:33:5: spec.syncPolicy.retry: sync retries" in output
    assert "argocd-helm/development.yaml:39:3: spec.revisionHistoryLimit:" in output
    assert "argocd-helm/development.yaml:9:5: metadata.labels.app: is 'nodefront'" in output
    assert "argocd-helm/development.yaml:20:11: spec.source.helm.valueFiles[0]: 'values/development.yaml' is not a " \
           "file in the chart folder" in output
    assert not Path("s.yaml").exists() and not changed_files(root)


def test_helm_is_available() -> None:
    require_tool("helm")


def test_readme_walkthrough_is_the_exact_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """README "Adopting an existing charts repo": every command of its console block, run on the seed's
    layout, prints exactly what the README shows."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## Adopting an existing charts repo"):]
    console = section[section.index("```console\n") + len("```console\n"):]
    console = console[:console.index("```\n")]
    root = _charts_repo(tmp_path, seed)
    app = tmp_path / "app"
    app.mkdir()
    monkeypatch.chdir(app)
    steps = [chunk.split("\n", 1) for chunk in console.split("$ ")[1:]]
    assert [command for command, _ in steps] == [
        "shipspec import myapp", "cat shipspec.yaml", "shipspec generate", "shipspec check"]
    for command, expected in steps:
        if command.startswith("cat "):
            shown = Path(command[4:]).read_text()
        else:
            code, shown = shipspec(capsys, *command.split()[1:])
            assert code == 0, shown
        assert shown == expected, command
    assert root.is_dir()


def test_udacity_directory_source_is_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _gitops(tmp_path, "udacity-nginx")
    code, output = shipspec(capsys, "import", "nginx", "--charts-dir", str(root), "--output", "s.yaml",
                            "--env", "staging", "--env", "prod", "--env", "alpine")
    assert code == 1, output
    assert "solutions/argocd/argocd-nginx.yaml:13:5: spec.source.path: 'exercises/manifests' is not a Helm chart " \
           "folder of this checkout (no Chart.yaml)" in output
    assert not Path("s.yaml").exists() and not changed_files(root)


def test_application_sharing_a_file_is_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def layout(root: Path) -> None:
        seed(root)
        both = (root / "argocd/myapp-dev.yaml").read_text() + "---\n" + (root / "argocd/myapp-stag.yaml").read_text()
        (root / "argocd/myapp-stag.yaml").unlink()
        write_files(root, {"argocd/myapp-dev.yaml": both})

    root = _charts_repo(tmp_path, layout)
    code, output = shipspec(capsys, "import", "myapp", "--charts-dir", str(root), "--output", "s.yaml")
    assert code == 1 and not Path("s.yaml").exists()
    assert "argocd/myapp-dev.yaml:1:1: holds 2 YAML documents: shipspec writes each Application in a file of its " \
           "own" in output


@pytest.mark.parametrize("edit", [
    ("argocd/myapp-dev.yaml", "    team: payments\n", "    team: checkout\n"),  # a label value
    ("argocd/myapp-dev.yaml", "      releaseName: myapp\n", ""),  # Argo CD would run release myapp-dev
    ("argocd/myapp-prod.yaml", "    - CreateNamespace=true\n", "    - CreateNamespace=false\n"),
])
def test_generate_refuses_an_application_argocd_reads_differently(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str, str]) -> None:
    root = _charts_repo(tmp_path, seed)
    spec = tmp_path / "app" / "shipspec.yaml"
    assert shipspec(capsys, "import", "myapp", "--charts-dir", str(root), "--output", str(spec))[0] == 0
    path, old, new = edit
    text = (root / path).read_text()
    assert old in text
    (root / path).write_text(text.replace(old, new))
    code, output = shipspec(capsys, "generate", str(spec))
    assert code == 2 and "refusing to overwrite 1 file" in output and path in output
    assert (root / path).read_text() == text.replace(old, new)
