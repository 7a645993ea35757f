"""`shipspec import`, the argocd settings: what every Application has alike (project, namespace,
folder, finalizer, sync policy, labels, notification subscriptions), with a Finding where one
differs or says what the spec cannot."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any, Protocol

from ...spec import defaults
from .applications import FINALIZER, NOTIFY_PREFIX, EnvApp
from .inputs import Adoption, Finding, finding


class Builder(Protocol):
    """The spec being built (inverse._Builder): what these settings read and where they report."""

    adoption: Adoption
    apps: list[EnvApp]
    found: list[Finding]
    moves: list[tuple[str, str]]

    def one(self, get: Callable[[EnvApp], Any], loc: tuple[Any, ...], what: str) -> Any: ...


def argocd_settings(built: Builder) -> dict[str, Any]:
    argocd: dict[str, Any] = {}
    first = built.apps[0]
    project = built.one(lambda a: a.project, ("spec", "project"), "project")
    if project is None:
        built.found.append(finding(first.doc, ("spec",), "has no project (Argo CD requires one)"))
    elif project != "default":
        argocd["project"] = project
    namespace = built.one(lambda a: a.namespace, ("metadata", "namespace"), "namespace")
    if namespace is None:
        built.found.append(finding(first.doc, ("metadata",), (
            "has no namespace: the spec names the namespace Argo CD runs in (argocd.namespace)")))
    elif namespace != "argocd":
        argocd["namespace"] = namespace
    folder = built.one(lambda a: posixpath.dirname(a.doc.path), (), "folder")
    manifests = folder or "."
    if manifests != defaults.MANIFESTS:
        argocd["manifests"] = manifests
    for app in built.apps:
        target = f"{manifests}/{built.adoption.app}-{app.env}.yaml" if folder else f"{built.adoption.app}-{app.env}.yaml"
        if app.doc.path != target:
            if target in built.adoption.existing:
                built.found.append(finding(app.doc, (), (
                    f"shipspec writes this Application to {target}, which holds something else")))
            built.moves.append((app.doc.path, target))
    finalizers = built.one(lambda a: a.finalizers, ("metadata", "finalizers"), "finalizers")
    if finalizers not in ([], [FINALIZER]):
        built.found.append(finding(first.doc, ("metadata", "finalizers"), (
            f"the spec adds {FINALIZER} or nothing (argocd.cascadeDelete)")))
    if finalizers == []:
        argocd["cascadeDelete"] = False
    automated = [a.automated for a in built.apps if a.automated is not None]
    if automated:
        policy = built.one(lambda a: a.automated or automated[0], ("spec", "syncPolicy", "automated"), "automated")
        if policy["prune"]:
            argocd["prune"] = True
        if policy["selfHeal"]:
            argocd["selfHeal"] = True
    options = built.one(lambda a: a.sync_options, ("spec", "syncPolicy", "syncOptions"), "syncOptions")
    if options:
        argocd["syncOptions"] = options
    labels = built.one(lambda a: {k: v for k, v in a.labels.items() if k not in ("app", "env", "team")},
                      ("metadata", "labels"), "labels")
    if labels:
        argocd["labels"] = labels
    for app in built.apps:
        for key, expected in (("app", built.adoption.app), ("env", app.env)):
            if key in app.labels and app.labels[key] != expected:
                built.found.append(finding(app.doc, ("metadata", "labels", key), (
                    f"is {app.labels[key]!r}: shipspec sets the label {key}={expected}")))
    notify = _notify(built)
    if notify:
        argocd["notify"] = notify
    return argocd

def _notify(built: Builder) -> dict[str, Any] | None:
    subscriptions = built.one(lambda a: a.annotations, ("metadata", "annotations"), "annotations")
    triggers, channels = [], set()
    for key, value in subscriptions.items():
        trigger = key.removeprefix(NOTIFY_PREFIX).removesuffix(".slack")
        if key.startswith(NOTIFY_PREFIX) and key.endswith(".slack") and isinstance(value, str):
            triggers.append(trigger)
            channels.add(value)
        else:
            built.found.append(finding(built.apps[0].doc, ("metadata", "annotations", key), (
                "the spec has no field for it: it writes only Slack notification subscriptions (argocd.notify)")))
    if len(channels) > 1:
        built.found.append(finding(built.apps[0].doc, ("metadata", "annotations"), (
            "subscribes several Slack channels: argocd.notify has one")))
    if not triggers:
        return None
    notify: dict[str, Any] = {"slack": sorted(channels)[0]}
    if triggers != ["on-sync-succeeded", "on-sync-failed", "on-health-degraded"]:
        notify["triggers"] = triggers
    return notify
