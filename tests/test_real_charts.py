"""Real-world chart layouts end to end: generate, release with the real promote into a real git
charts repo, then `helm template` as Argo CD would, asserting the exact image and values.

Charts come from tests/chart_fixtures.py; a published chart is served from a local Helm
repository (`helm package` + `helm repo index`, over HTTP on 127.0.0.1).
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from shipspec.cli import main
from tests import chart_fixtures as charts
from tests.tools import require_tool
from tests.validators import assert_valid, helm_env, validate_argocd_application

TAG = "0a1b2c3"
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/nginx"
ENVS = ("dev", "stag", "prod")
REPLICAS = {"dev": 1, "stag": 2, "prod": 3}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args],
                          cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No machine git config or Helm home leaks in; the real Helm comes first on PATH."""
    config = tmp_path / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = master\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GITHUB_TOKEN", "SHIPSPEC_CHARTS_TOKEN", "SHIPSPEC_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    helm = Path(require_tool("helm"))
    for name, value in helm_env().items():
        if name.startswith(("HELM_", "KUBECONFIG")):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("PATH", f"{helm.parent}{os.pathsep}{os.environ['PATH']}")


@dataclass
class World:
    root: Path

    @property
    def bare(self) -> Path:
        return self.root / "charts.git"

    @property
    def checkout(self) -> Path:
        return self.root / "charts"

    @property
    def app(self) -> Path:
        return self.root / "app"

    def publish_charts(self) -> None:
        git(self.checkout, "add", "-A")
        git(self.checkout, "commit", "-q", "--allow-empty", "-m", "generated")
        git(self.checkout, "push", "-q", "origin", "HEAD:master")

    def fresh_clone(self, name: str) -> Path:
        git(self.root, "clone", "-q", self.bare.as_uri(), name)
        return self.root / name


def make_world(root: Path, spec: str, chart: charts.Chart | None, name: str = "myapp") -> World:
    world = World(root)
    git(root, "init", "-q", "--bare", "-b", "master", str(world.bare))
    git(root, "clone", "-q", world.bare.as_uri(), "charts")
    if chart is not None:
        chart.write(world.checkout / "charts" / name)
    world.app.mkdir()
    (world.app / "shipspec.yaml").write_text(spec.replace("CHARTS_REPO", world.bare.as_uri()))
    git(world.app, "init", "-q", "-b", "main")
    git(world.app, "add", "-A")
    git(world.app, "commit", "-q", "-m", "app")
    return world


def spec_text(repository: str, value_paths: str = "", extra: str = "", name: str = "myapp") -> str:
    envs = "".join(f"  - name: {env}\n    values: {{replicaCount: {REPLICAS[env]}}}\n" for env in ENVS)
    paths = f"  valuePaths: {value_paths}\n" if value_paths else ""
    return (f"apiVersion: shipspec/v1\nkind: App\nname: {name}\nimage:\n  repository: {repository}\n{paths}"
            f"charts:\n  repo: CHARTS_REPO\n{extra}environments:\n{envs}")


def shipspec(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out + captured.err


def argocd_render(clone: Path, env: str, name: str = "myapp") -> list[dict]:
    """`helm template` of the Application in the clone, resolved the way Argo CD resolves it."""
    application = yaml.safe_load((clone / "argocd" / f"{name}-{env}.yaml").read_text())
    assert_valid(validate_argocd_application(application), f"{name}-{env}.yaml")
    spec = application["spec"]
    release = (spec["sources"][0] if "sources" in spec else spec["source"])["helm"]["releaseName"]
    command = [require_tool("helm"), "template", release]
    if "sources" in spec:
        chart, ref = spec["sources"]
        assert ref == {"repoURL": (clone.parent / "charts.git").as_uri(), "targetRevision": "master", "ref": "values"}
        files = [clone / f.removeprefix("$values/") for f in chart["helm"]["valueFiles"]]
        command += [chart["chart"], "--repo", chart["repoURL"], "--version", chart["targetRevision"]]
    else:
        source = spec["source"]
        files = [clone / source["path"] / f for f in source["helm"]["valueFiles"]]
        command.append(str(clone / source["path"]))
    command += ["--namespace", spec["destination"]["namespace"], *(a for f in files for a in ("--values", str(f)))]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=helm_env())
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def images(documents: list[dict], kind: str) -> list[str]:
    workload = next(d for d in documents if d["kind"] == kind and not d["metadata"]["name"].endswith("-sidecar"))
    pod = workload["spec"]["jobTemplate"]["spec"]["template"]["spec"] if kind == "CronJob" else workload["spec"][
        "template"]["spec"]
    return [c["image"] for c in pod["initContainers"] + pod["containers"]]


def release_and_render(world: World, capsys, name: str = "myapp") -> dict[str, list[dict]]:
    """generate, check --render, commit, promote dev and stag with TAG; each environment's Argo CD render."""
    assert shipspec("generate", str(world.app / "shipspec.yaml"), capsys=capsys)[0] == 0
    code, output = shipspec("check", "--render", str(world.app / "shipspec.yaml"), capsys=capsys)
    assert code == 0, output
    world.publish_charts()
    for env in ("dev", "stag"):
        code, output = shipspec("promote", env, "--tag", TAG, "--spec", str(world.app / "shipspec.yaml"),
                                capsys=capsys)
        assert code == 0, output
    clone = world.fresh_clone("released")
    for full in ("1", "0"):  # both check paths agree that the released tags are not drift
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SHIPSPEC_FULL_CHECK", full)
            code, output = shipspec("check", "--charts-dir", str(clone), str(world.app / "shipspec.yaml"),
                                    capsys=capsys)
        assert code == 0, output
    return {env: argocd_render(clone, env, name) for env in ("dev", "stag")}


def assert_replicas(rendered: dict[str, list[dict]]) -> None:
    for env, documents in rendered.items():
        settings = next(doc for doc in documents if doc["kind"] == "ConfigMap")
        assert settings["data"]["replicas"] == str(REPLICAS[env]), env


LAYOUTS = {
    "default": (charts.DEFAULT, "myrepo/myapp", "", "", f"myrepo/myapp:{TAG}"),
    "registry-split": (charts.BITNAMI, ECR, "{registry: image.registry, repository: image.repository, tag: image.tag}",
                       "values:\n  global:\n    security:\n      allowInsecureImages: true\n", f"{ECR}:{TAG}"),
    "registry-split-docker-hub": (
        charts.BITNAMI, "acme/nginx", "{registry: image.registry, repository: image.repository, tag: image.tag}",
        "values:\n  global: {security: {allowInsecureImages: true}}\n", f"docker.io/acme/nginx:{TAG}"),
    "nested-statefulset": (charts.TEMPO, "quay.io/acme/tempo",
                           "{registry: tempo.registry, repository: tempo.repository, tag: tempo.tag}", "",
                           f"quay.io/acme/tempo:{TAG}"),
    "ref-string": (charts.REF, "localhost:5000/acme/nightly", "{ref: app.image}", "",
                   f"localhost:5000/acme/nightly:{TAG}"),
    "values-schema": (charts.SCHEMA, "myrepo/myapp", "", "", f"myrepo/myapp:{TAG}"),
    "dependency": (charts.DEPENDENCY, "myrepo/myapp", "", "", f"myrepo/myapp:{TAG}"),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_each_layout_renders_exactly_the_released_image(layout: str, tmp_path: Path, capsys) -> None:
    chart, repository, paths, extra, expected = LAYOUTS[layout]
    world = make_world(tmp_path, spec_text(repository, paths, extra), chart)
    rendered = release_and_render(world, capsys)
    for env, documents in rendered.items():
        assert images(documents, chart.kind) == [expected, expected], env
    assert_replicas(rendered)
    if chart.dependency:  # the subchart rendered too, with its own image, and check --render let it be
        sidecar = next(d for d in rendered["dev"] if d["metadata"]["name"].endswith("-sidecar"))
        assert sidecar["spec"]["template"]["spec"]["containers"][0]["image"] == "docker.io/library/busybox:1.36"


@pytest.fixture()
def helm_repo(tmp_path: Path) -> Iterator[str]:
    """A Helm chart repository on 127.0.0.1 serving BITNAMI (with its values schema) as nginx 0.1.0."""
    served = tmp_path / "helm-repo"
    served.mkdir()
    chart = charts.BITNAMI.write(tmp_path / "published" / "nginx")
    handler = functools.partial(QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    helm = require_tool("helm")
    for command in (["package", str(chart), "--destination", str(served)],
                    ["repo", "index", str(served), "--url", url]):
        subprocess.run([helm, *command], check=True, capture_output=True, env=helm_env())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


def published_spec(url: str, values: str = "    values: {replicaCount: 1}\n") -> str:
    paths = "{registry: image.registry, repository: image.repository, tag: image.tag}"
    extra = (f"  chart:\n    repoURL: {url}\n    name: nginx\n    version: 0.1.0\n"
             "values:\n  global: {security: {allowInsecureImages: true}}\n")
    return spec_text(ECR, paths, extra).replace("    values: {replicaCount: 1}\n", values)


def test_a_published_chart_deploys_unmodified_from_a_multi_source_application(
    helm_repo: str, tmp_path: Path, capsys
) -> None:
    world = make_world(tmp_path, published_spec(helm_repo), None)
    rendered = release_and_render(world, capsys)
    for env, documents in rendered.items():
        assert images(documents, "Deployment") == [f"{ECR}:{TAG}"] * 2, env
    assert_replicas(rendered)
    assert sorted(p.name for p in (world.checkout / "charts" / "myapp").iterdir()) == [
        f"values.{env}.yaml" for env in sorted(ENVS)]  # no chart copied: only the overlays


def test_check_render_reports_helm_refusing_a_published_charts_misspelled_value(
    helm_repo: str, tmp_path: Path, capsys
) -> None:
    world = make_world(tmp_path, published_spec(helm_repo, "    values: {replicas: 1}\n"), None)
    spec = str(world.app / "shipspec.yaml")
    assert shipspec("generate", spec, capsys=capsys)[0] == 0  # the schema is not in the charts checkout
    code, output = shipspec("check", "--render", spec, capsys=capsys)
    assert code == 1, output
    assert "/charts/charts/myapp/values.dev.yaml: dev: Helm refuses to render it:" in output
    assert "additional properties 'replicas' not allowed" in output and "values.stag.yaml" not in output


def test_check_render_reports_a_chart_that_reads_the_image_elsewhere(tmp_path: Path, capsys) -> None:
    world = make_world(tmp_path, spec_text("quay.io/acme/tempo"), charts.TEMPO)  # valuePaths forgotten
    spec = str(world.app / "shipspec.yaml")
    assert shipspec("generate", spec, capsys=capsys)[0] == 0
    assert shipspec("check", spec, capsys=capsys)[0] == 0  # the files are as the spec says...
    code, output = shipspec("check", "--render", spec, capsys=capsys)
    assert code == 1  # ...but the pod would keep the chart's default image
    for env in ENVS:
        assert (f"{env}: StatefulSet/myapp-tempo init container migrate runs 'docker.io/grafana/tempo:2.4.1', "
                "not 'quay.io/acme/tempo:0123abc'") in output
    assert output.count("runs 'docker.io/grafana/tempo:2.4.1'") == 2 * len(ENVS)


def test_check_render_reports_a_doubled_registry(tmp_path: Path, capsys) -> None:
    world = make_world(tmp_path, spec_text(ECR, "", "values:\n  global: {security: {allowInsecureImages: true}}\n"),
                       charts.BITNAMI)
    spec = str(world.app / "shipspec.yaml")
    assert shipspec("generate", spec, capsys=capsys)[0] == 0
    code, output = shipspec("check", "--render", spec, capsys=capsys)
    assert code == 1
    assert f"Deployment/myapp container app runs 'docker.io/{ECR}:0123abc', not '{ECR}:0123abc'" in output


def test_a_misspelled_value_is_reported_at_its_spec_line_by_validate_and_check(tmp_path: Path, capsys) -> None:
    world = make_world(tmp_path, spec_text("myrepo/myapp"), charts.SCHEMA)
    spec = world.app / "shipspec.yaml"
    assert shipspec("generate", str(spec), capsys=capsys)[0] == 0
    spec.write_text(spec.read_text().replace("{replicaCount: 2}", "{replicas: 2}"))
    line = spec.read_text().splitlines().index("    values: {replicas: 2}") + 1
    expected = (f"shipspec.yaml:{line}:14: environments[1].values.replicas: the chart allows no such value "
                "(did you mean replicaCount?)")
    for command in (["validate"], ["check"], ["check", "--render"]):
        code, output = shipspec(*command, str(spec), capsys=capsys)
        assert code == 2 and expected in output, command


def test_check_render_without_helm_is_one_clear_usage_error(tmp_path: Path, capsys, monkeypatch) -> None:
    world = make_world(tmp_path, spec_text("myrepo/myapp"), charts.DEFAULT)
    spec = str(world.app / "shipspec.yaml")
    assert shipspec("generate", spec, capsys=capsys)[0] == 0
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    code, output = shipspec("check", "--render", spec, capsys=capsys)
    assert (code, output) == (2, "shipspec: check --render needs Helm (v3.8 or later) on PATH: install it "
                                 "(https://helm.sh/docs/intro/install/), or run check without --render\n")
    assert shipspec("check", spec, capsys=capsys)[0] == 0  # without --render nothing needs Helm


def test_the_registry_split_sample_renders_its_committed_chart_with_the_right_image(capsys) -> None:
    from tests.samples import SAMPLES_DIR

    code, output = shipspec("check", "--render", str(SAMPLES_DIR / "registry-split"), capsys=capsys)
    assert (code, output) == (0, "1 app checked: 1 in sync, 0 drifted, 0 invalid\n")
