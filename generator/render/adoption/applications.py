"""`shipspec import`, first half: each Application that deploys the app, read into what the spec
can say about it, with a Finding for every field it cannot say."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import UsageError
from .inputs import Adoption, Finding, Located, finding

FINALIZER = "resources-finalizer.argocd.argoproj.io"
NOTIFY_PREFIX = "notifications.argoproj.io/subscribe."
_TOP = {"apiVersion", "kind", "metadata", "spec"}
_METADATA = {"name", "namespace", "labels", "annotations", "finalizers"}
_SPEC = {"project", "source", "sources", "destination", "syncPolicy"}
_GIT_SOURCE = {"repoURL", "path", "targetRevision", "helm"}
_CHART_SOURCE = {"repoURL", "chart", "targetRevision", "helm"}
_VALUES_SOURCE = {"repoURL", "targetRevision", "ref"}
_HELM = {"releaseName", "valueFiles"}
_DESTINATION = {"server", "namespace"}
_SYNC = {"automated", "syncOptions"}
_AUTOMATED = {"prune", "selfHeal", "allowEmpty"}
# Why a field stays out of the spec, where the reason is more than "the spec has no such field".
_WHY = {
    ("helm", "values"): "inline values in the Application: shipspec keeps every value in a values file, where "
                        "releases change the tag",
    ("helm", "valuesObject"): "inline values in the Application: shipspec keeps every value in a values file, where "
                              "releases change the tag",
    ("helm", "parameters"): "Helm parameters in the Application: shipspec keeps every value in a values file",
    ("source", "kustomize"): "a Kustomize source: shipspec renders Helm Applications only",
    ("source", "plugin"): "a config management plugin source: shipspec renders Helm Applications only",
    ("source", "directory"): "a directory of manifests: shipspec renders Helm Applications only",
    ("destination", "name"): "a destination cluster by name: the spec names it by its server URL "
                             "(environments[].server)",
    ("syncPolicy", "retry"): "sync retries: the spec has no field for them",
    ("spec", "ignoreDifferences"): "the spec has no field for ignoreDifferences",
    ("spec", "revisionHistoryLimit"): "the spec has no field for revisionHistoryLimit (Argo CD keeps 10)",
}


@dataclass
class EnvApp:
    """One Application as the spec can say it."""

    doc: Located
    name: str
    env: str
    namespace: Any = None
    labels: dict[str, Any] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)
    finalizers: Any = None
    project: Any = None
    repo_url: Any = None
    revision: Any = None
    chart_path: Any = None  # the chart folder (git source), or the overlays' folder (published chart)
    published: dict[str, Any] | None = None  # repoURL, name, version of a published chart
    release_name: Any = None
    value_file: str | None = None  # charts-relative path of its one overlay
    server: Any = None
    dest_namespace: Any = None
    automated: dict[str, Any] | None = None
    sync_options: Any = None


def env_of(name: Any, app: str) -> str | None:
    """The environment of an Application named `<app>-<env>`, else None."""
    prefix = f"{app}-"
    return name[len(prefix):] if isinstance(name, str) and name.startswith(prefix) and len(name) > len(prefix) else None


def read(doc: Located, adoption: Adoption, found: list[Finding]) -> EnvApp | None:
    """The Application in `doc`, or None (with findings) when the spec cannot adopt it at all."""
    data = doc.data
    _unknown(doc, (), data, _TOP, found)
    name = doc.get(("metadata", "name"))
    env = env_of(name, adoption.app)
    if env is None:
        found.append(finding(doc, ("metadata", "name"), (
            f"{name!r} is not named <app>-<env> ({adoption.app}-<env>): shipspec names every Application so, "
            "and renaming one makes Argo CD delete it and create another")))
    if doc.documents > 1:
        found.append(finding(doc, (), f"holds {doc.documents} YAML documents: shipspec writes each Application "
                                      "in a file of its own, so it cannot take this file over"))
    app = EnvApp(doc, str(name), env or "")
    _unknown(doc, ("metadata",), doc.get(("metadata",)), _METADATA, found)
    app.namespace = doc.get(("metadata", "namespace"))
    app.labels = dict(doc.get(("metadata", "labels")) or {})
    app.annotations = dict(doc.get(("metadata", "annotations")) or {})
    app.finalizers = doc.get(("metadata", "finalizers")) or []
    spec = doc.get(("spec",))
    if not isinstance(spec, Mapping):
        found.append(finding(doc, ("spec",), "missing: an Application has a spec"))
        return None
    _unknown(doc, ("spec",), spec, _SPEC, found)
    app.project = spec.get("project")
    if "source" in spec:
        _git_source(doc, app, ("spec", "source"), adoption, found)
    elif isinstance(spec.get("sources"), list):
        _multi_source(doc, app, spec["sources"], found)
    else:
        found.append(finding(doc, ("spec",), "has neither source nor sources"))
    _unknown(doc, ("spec", "destination"), doc.get(("spec", "destination")), _DESTINATION, found)
    app.server = doc.get(("spec", "destination", "server"))
    app.dest_namespace = doc.get(("spec", "destination", "namespace"))
    if not app.dest_namespace:
        found.append(finding(doc, ("spec", "destination"), "has no namespace: the spec gives every environment one"))
    _sync(doc, app, found)
    return app if env is not None else None  # read whole, to list everything; not adoptable under its name


def _unknown(doc: Located, loc: tuple[Any, ...], node: Any, known: set[str], found: list[Finding]) -> None:
    if not isinstance(node, Mapping):
        return
    for key in node:
        if key not in known:
            parent = loc[-1] if loc else "spec"
            reason = _WHY.get((parent, key)) or _WHY.get(("spec", key)) or "the spec has no field for it"
            found.append(finding(doc, (*loc, key), reason))


def _git_source(doc: Located, app: EnvApp, loc: tuple[Any, ...], adoption: Adoption, found: list[Finding]) -> None:
    source = doc.get(loc)
    if not isinstance(source, Mapping):
        found.append(finding(doc, loc, "is not a mapping"))
        return
    if "chart" in source:
        found.append(finding(doc, (*loc, "chart"), (
            "a published chart in a single source reads value files from the chart itself: shipspec deploys "
            "published charts as multi-source Applications (charts.chart) with the overlays in the charts repo")))
        return
    _unknown(doc, loc, source, _GIT_SOURCE, found)
    app.repo_url, app.revision = source.get("repoURL"), source.get("targetRevision")
    path = source.get("path")
    app.chart_path = posixpath.normpath(path.strip("/")) if isinstance(path, str) and path.strip("/") else path
    if _non_helm(source):
        return
    if app.chart_path not in adoption.charts:
        found.append(finding(doc, (*loc, "path"), (
            f"{path!r} is not a Helm chart folder of this checkout (no Chart.yaml): shipspec renders Helm "
            "Applications only")))
        return
    helm = source.get("helm") or {}
    _unknown(doc, (*loc, "helm"), helm, _HELM, found)
    app.release_name = helm.get("releaseName") or app.name
    files = helm.get("valueFiles") or []
    if not isinstance(files, list) or len(files) != 1:
        count = f"names {len(files)} value files" if isinstance(files, list) and files else "names no value file"
        found.append(finding(doc, (*loc, "helm", "valueFiles") if files else (*loc,), (
            f"{count}: the spec gives every environment exactly one overlay (a layered file shared by "
            "environments would move them together)")))
        return
    value = files[0]
    if not isinstance(value, str) or "/" in value.strip("./") or value.startswith(("$", "http:", "https:")):
        found.append(finding(doc, (*loc, "helm", "valueFiles", 0), (
            f"{value!r} is not a file in the chart folder: shipspec keeps each overlay beside the chart "
            "(charts.path/<valuesFile>)")))
        return
    name = value.strip().removeprefix("./")
    if name == "values.yaml":
        found.append(finding(doc, (*loc, "helm", "valueFiles", 0), (
            "is the chart's own values.yaml, not an overlay of this environment: shipspec gives every "
            "environment an overlay of its own")))
        return
    app.value_file = f"{app.chart_path}/{name}"


def _non_helm(source: Mapping[str, Any]) -> bool:
    return any(key in source for key in ("kustomize", "plugin", "directory"))


def _multi_source(doc: Located, app: EnvApp, sources: list[Any], found: list[Finding]) -> None:
    loc = ("spec", "sources")
    charts = [i for i, s in enumerate(sources) if isinstance(s, Mapping) and "chart" in s]
    refs = [i for i, s in enumerate(sources) if isinstance(s, Mapping) and s.get("ref") == "values"]
    if len(sources) != 2 or len(charts) != 1 or len(refs) != 1:
        found.append(finding(doc, loc, (
            "shipspec deploys a published chart with two sources: the chart, and the charts repo as `ref: values`")))
        return
    chart_loc, ref_loc = (*loc, charts[0]), (*loc, refs[0])
    chart, ref = sources[charts[0]], sources[refs[0]]
    _unknown(doc, chart_loc, chart, _CHART_SOURCE, found)
    _unknown(doc, ref_loc, ref, _VALUES_SOURCE, found)
    url = chart.get("repoURL")
    if isinstance(url, str) and "://" not in url:
        url = f"oci://{url}"  # Argo CD takes an OCI registry without its scheme
    app.published = {"repoURL": url, "name": chart.get("chart"), "version": chart.get("targetRevision")}
    app.repo_url, app.revision = ref.get("repoURL"), ref.get("targetRevision")
    helm = chart.get("helm") or {}
    _unknown(doc, (*chart_loc, "helm"), helm, _HELM, found)
    app.release_name = helm.get("releaseName") or app.name
    files = helm.get("valueFiles") or []
    if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], str):
        found.append(finding(doc, (*chart_loc, "helm"), (
            "the spec gives every environment exactly one overlay ($values/<charts.path>/<valuesFile>)")))
        return
    value = files[0]
    if not value.startswith("$values/") or value.count("/") < 2:
        found.append(finding(doc, (*chart_loc, "helm", "valueFiles", 0), (
            "is not $values/<folder>/<file>: shipspec reads the overlay from a folder of the charts repo")))
        return
    app.value_file = posixpath.normpath(value.removeprefix("$values/"))
    app.chart_path = posixpath.dirname(app.value_file)


def _sync(doc: Located, app: EnvApp, found: list[Finding]) -> None:
    policy = doc.get(("spec", "syncPolicy")) or {}
    _unknown(doc, ("spec", "syncPolicy"), policy, _SYNC, found)
    if "automated" in policy:
        automated = policy.get("automated") or {}
        _unknown(doc, ("spec", "syncPolicy", "automated"), automated, _AUTOMATED, found)
        if automated.get("allowEmpty"):
            found.append(finding(doc, ("spec", "syncPolicy", "automated", "allowEmpty"),
                                 "the spec has no field for allowEmpty: true"))
        app.automated = {"prune": bool(automated.get("prune")), "selfHeal": bool(automated.get("selfHeal"))}
    app.sync_options = policy.get("syncOptions") or []


# The usual names, in promotion order (SPEC 1.2): dev < test < qa < stag/staging < uat < preprod < prod.
_RANKS = {
    "dev": 0, "develop": 0, "development": 0, "test": 1, "testing": 1, "qa": 2, "stag": 3, "stage": 3,
    "staging": 3, "uat": 4, "preprod": 5, "pre-prod": 5, "prod": 6, "production": 6,
}


def order(found: Sequence[str], given: Sequence[str], app: str) -> list[str]:
    """The environments in promotion order: --env's, else the usual names' (UsageError when neither)."""
    if given:
        missing = [env for env in given if env not in found]
        if missing:
            raise UsageError(
                f"no Application deploys {app} to {', '.join(missing)} (looked for {app}-{missing[0]}); the "
                f"environments found are: {', '.join(found) or 'none'}")
        return list(given)
    unknown = [env for env in found if env not in _RANKS]
    ranks = [_RANKS.get(env) for env in found]
    if unknown or len(set(ranks)) != len(ranks):
        why = f"{', '.join(unknown)} {'is not a usual name' if len(unknown) == 1 else 'are not usual names'}" \
            if unknown else "two of them share a rank"
        # The example: the usual names in their order, then the others (production still last).
        example = sorted(found, key=lambda env: (_RANKS.get(env, 5.5), found.index(env)))
        raise UsageError(
            f"cannot infer the promotion order of {', '.join(found)} ({why}): pass them in order, e.g. "
            + " ".join(f"--env {env}" for env in example))
    return sorted(found, key=lambda env: _RANKS[env])
