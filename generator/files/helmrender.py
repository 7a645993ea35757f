"""`check --render`: render every environment with Helm as Argo CD would, and check the image.

Argo CD runs `helm template` with the chart's values.yaml and then the
environment's overlay. A chart that reads the image somewhere else than
`image.valuePaths` says, a doubled registry, or a value the chart's schema
refuses all pass `helm lint`; they show only in what Helm renders. So each
environment's overlay (as the spec renders it, with a probe tag) goes
through the real Helm, and every container of the chart's own workloads must
run exactly `<image.repository>:<tag>`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import UsageError
from .paths import display_path
from .valueschema import PROBE_TAG

if TYPE_CHECKING:
    from ..spec.model import Environment, Spec
    from ..spec.validation import LoadedSpec

TIMEOUT_SECONDS = 300
_POD_SPECS = {  # workload kind -> where its pod template's spec is
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def helm() -> str:
    """The Helm binary on PATH; a UsageError naming what to install when there is none."""
    found = shutil.which("helm")
    if found is None:
        raise UsageError(
            "check --render needs Helm (v3.8 or later) on PATH: install it (https://helm.sh/docs/intro/install/), "
            "or run check without --render"
        )
    return found


def problems(loaded: LoadedSpec, charts: Path) -> list[tuple[str, str]]:
    """(file the user fixes, what is wrong) for every environment Helm renders wrongly; nothing for
    an app whose chart is neither published (charts.chart) nor in the charts checkout."""
    spec, binary = loaded.spec, helm()
    chart = _chart_argument(spec, charts)
    if not chart:
        return []
    found: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="shipspec-render-") as scratch:
        for env in spec.environments:
            shown = display_path(charts / (spec.charts.path or "") / (env.values_file or ""))
            found += [(shown, f"{env.name}: {message}") for message in _render_env(
                binary, spec, env, chart, Path(scratch), shown)]
    return found


def _chart_argument(spec: Spec, charts: Path) -> list[str] | str:
    """How `helm template` finds the chart: a published one by repository and version, else the folder."""
    published = spec.charts.chart
    if published is not None:
        if published.repo_url.startswith("oci://"):
            return [f"{published.repo_url.rstrip('/')}/{published.name}", "--version", published.version]
        return [published.name, "--repo", published.repo_url, "--version", published.version]
    folder = charts / (spec.charts.path or "")
    return str(folder) if (folder / "Chart.yaml").is_file() else ""


def _render_env(
    binary: str, spec: Spec, env: Environment, chart: list[str] | str, scratch: Path, shown: str
) -> list[str]:
    from ..render.core import overlay
    from ..render.yamlout import block

    tag = env.pin or PROBE_TAG
    values = scratch / f"{env.name}.yaml"
    values.write_text("\n".join(block(overlay(spec, env, tag), 0)) + "\n", encoding="utf-8")
    command = [binary, "template", env.release_name or spec.name, *([chart] if isinstance(chart, str) else chart),
               "--namespace", env.namespace or spec.name, "--values", str(values)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
                              env={**os.environ, "HELM_NO_PLUGINS": "1"})
    except subprocess.TimeoutExpired:
        return [f"helm template did not finish within {TIMEOUT_SECONDS}s"]
    if done.returncode != 0:
        error = done.stderr.strip().replace(str(values), shown) or f"exit status {done.returncode}"
        return [f"Helm refuses to render it: {error}"]
    expected = f"{spec.image.repository}:{tag}"
    return [f"{where} runs {image!r}, not {expected!r}: the chart does not read the image where image.valuePaths "
            "says, or reads it differently" for where, image in _containers(done.stdout)
            if _normalized(image) != _normalized(expected)]


def _containers(manifests: str) -> Iterator[tuple[str, str]]:
    """(kind/name container NAME, image) of every container and init container of the chart's own
    workloads; a dependency's (a subchart's) workloads run their own images."""
    for source, document in _documents(manifests):
        if not isinstance(document, Mapping) or document.get("kind") not in _POD_SPECS:
            continue
        if "/charts/" in source:
            continue
        pod = document
        for key in _POD_SPECS[document["kind"]]:
            pod = pod.get(key) if isinstance(pod, Mapping) else None
        if not isinstance(pod, Mapping):
            continue
        name = f"{document['kind']}/{(document.get('metadata') or {}).get('name', '?')}"
        for field in ("initContainers", "containers"):
            for container in pod.get(field) or []:
                if isinstance(container, Mapping):
                    label = "init container" if field == "initContainers" else "container"
                    yield f"{name} {label} {container.get('name', '?')}", str(container.get("image", ""))


def _documents(manifests: str) -> Iterator[tuple[str, Any]]:
    """Each rendered document with the template it came from (Helm's `# Source:` line)."""
    for chunk in manifests.split("\n---"):
        source = next((line[len("# Source: "):] for line in chunk.splitlines() if line.startswith("# Source: ")), "")
        try:
            yield source, yaml.safe_load(chunk)
        except yaml.YAMLError:
            continue  # Helm already parsed it; a document it could not would have failed the render


def _normalized(image: str) -> str:
    """Docker's reading of a reference: docker.io and library/ are implied."""
    first, slash, rest = image.partition("/")
    if not slash or not ("." in first or ":" in first or first == "localhost"):
        first, rest = "docker.io", image
    if first == "docker.io" and "/" not in rest:
        rest = f"library/{rest}"
    return f"{first}/{rest}"
