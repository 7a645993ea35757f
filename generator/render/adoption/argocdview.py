"""Argo CD Applications and values overlays as Argo CD and Helm read them: the equality that
`shipspec import` proves and that `generate` trusts to adopt a file it did not write.

Two Applications are the same when Argo CD reads the same `spec` from both (a missing or
`HEAD` revision of a git source is the repo's default branch, a missing Helm release name is
the Application's name, `automated: {}` is `prune: false, selfHeal: false`), with the same
name, namespace, annotations and finalizers, and the old labels kept (shipspec may add
`app`, `env` and `team`). Two overlays are the same when Helm merges them over the chart's
own values.yaml into the same values.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ...spec import valuepaths

SHIPSPEC_LABELS = ("app", "env", "team")
_AUTOMATED_DEFAULTS = {"prune": False, "selfHeal": False, "allowEmpty": False}


def _sources(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = [spec["source"]] if isinstance(spec.get("source"), dict) else []
    sources = spec.get("sources")
    return found + ([s for s in sources if isinstance(s, dict)] if isinstance(sources, list) else [])


def argocd_reads(application: Any, default_branch: str | None) -> Any:
    """The Application with Argo CD's defaults made explicit (a copy; anything odd is left as it is)."""
    if not isinstance(application, Mapping):
        return application
    app = copy.deepcopy(dict(application))
    metadata = app.get("metadata") if isinstance(app.get("metadata"), dict) else {}
    spec = app.get("spec")
    if not isinstance(spec, dict):
        return app
    for source in _sources(spec):
        if "chart" not in source and source.get("targetRevision") in (None, "", "HEAD") and default_branch:
            source["targetRevision"] = default_branch
        helm = source.get("helm")
        if isinstance(helm, dict) and not helm.get("releaseName"):
            helm["releaseName"] = metadata.get("name")
        if isinstance(helm, dict) and helm.get("valueFiles") == []:
            del helm["valueFiles"]
    policy = spec.get("syncPolicy")
    if isinstance(policy, dict):
        if isinstance(policy.get("automated"), dict) or policy.get("automated") is None and "automated" in policy:
            policy["automated"] = {**_AUTOMATED_DEFAULTS, **(policy.get("automated") or {})}
        if policy.get("syncOptions") in ([], None):
            policy.pop("syncOptions", None)
        if not policy:
            del spec["syncPolicy"]
    for key in ("labels", "annotations"):
        if metadata.get(key) in ({}, None):
            metadata.pop(key, None)
    if metadata.get("finalizers") in ([], None):
        metadata.pop("finalizers", None)
    return app


def application_differences(old: Any, new: Any, default_branch: str | None) -> list[str]:
    """What differs between an existing Application and the one the spec renders, as Argo CD reads
    them; empty when generate may replace `old` by `new`."""
    old, new = argocd_reads(old, default_branch), argocd_reads(new, default_branch)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ["not an Application"]
    found = [key for key in sorted({*old, *new} - {"metadata", "spec"}) if old.get(key) != new.get(key)]
    old_spec, new_spec = old.get("spec"), new.get("spec")
    if isinstance(old_spec, dict) and isinstance(new_spec, dict):
        found += [f"spec.{key}" for key in sorted({*old_spec, *new_spec}) if old_spec.get(key) != new_spec.get(key)]
    elif old_spec != new_spec:
        found.append("spec")
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    for key in sorted({*old_meta, *new_meta} - {"labels"}):
        if old_meta.get(key) != new_meta.get(key):
            found.append(f"metadata.{key}")
    old_labels, new_labels = old_meta.get("labels") or {}, new_meta.get("labels") or {}
    for key in sorted({*old_labels, *new_labels}):
        if key in old_labels and old_labels.get(key) != new_labels.get(key):
            found.append(f"metadata.labels.{key}")
        elif key not in old_labels and key not in SHIPSPEC_LABELS:
            found.append(f"metadata.labels.{key}")
    return found


def helm_values(chart_values: Any, overlay: Any) -> Any:
    """What Helm reads: the overlay merged over the chart's own values (mappings key by key)."""
    base = chart_values if isinstance(chart_values, Mapping) else {}
    return valuepaths.merge(base, overlay if isinstance(overlay, Mapping) else {})


def same_overlay(old: Any, new: Any, chart_values: Any) -> bool:
    """Whether Helm reads the same values from both overlays over the chart's values.yaml."""
    return helm_values(chart_values, old) == helm_values(chart_values, new)
