"""Rules that span several fields; each finding is a `Finding(loc, message)`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from . import names, valuepaths
from .defaults import destination
from .model import Spec

Loc = tuple[str | int, ...]
Owned = list[tuple[str, valuepaths.Keys]]  # valuepaths.owned: (field of image.valuePaths, its keys)
Sources = list[tuple[dict[str, Any], Loc]]  # the values a spec sets, and where


class Finding(NamedTuple):
    """A problem of field `loc`, shown at `at` when `loc` is absent from the file."""

    loc: Loc
    message: str
    at: Loc | None = None


_RESERVED_LABELS = {"app", "env", "team"}
NOTIFY_PREFIX = "notifications.argoproj.io/subscribe."  # the Application template writes the same


def check(spec: Spec) -> list[Finding]:
    """Every cross-field problem of a valid model. Rules walk only what the spec sets: most specs
    set no labels, no notifications and few values, and every spec of a monorepo passes here."""
    owned = valuepaths.owned(spec.image)
    sources = [(values, loc) for values, loc in _value_sources(spec) if values]
    found = list(_environments(spec))
    if spec.branches is None or "branches" in spec.model_fields_set:  # a default table is right by construction
        found += _branches(spec)
    if spec.argocd.labels:
        found += _labels(spec)
    if spec.argocd.notify is not None:
        found += _kubernetes_keys(spec)
    found += _value_paths(spec, owned)
    if sources:
        found += _owned_values(sources, owned)
        found += _secrets(sources)
    return [Finding(*f) for f in found]


def _environments(spec: Spec) -> Iterator[tuple[Any, ...]]:
    seen_names: set[str] = set()
    file_owner: dict[str, str] = {}
    for i, env in enumerate(spec.environments):
        loc = ("environments", i)
        if env.name in seen_names:
            yield (*loc, "name"), f"duplicate environment name {env.name!r}"
        values_file = env.values_file or ""
        if values_file in file_owner:
            default = "" if "values_file" in env.model_fields_set else f" (the default for {env.name!r})"
            yield (*loc, "valuesFile"), (
                f"duplicate values file {values_file!r}{default}; environment {file_owner[values_file]!r} uses it"
            )
        seen_names.add(env.name)
        file_owner.setdefault(values_file, env.name)
        if len(spec.name) + len(env.name) > 62:
            full = f"{spec.name}-{env.name}"
            yield (*loc, "name"), f"{full!r} (<name>-<env>, the Application name) is over 63 characters"
    yield from _shared_destinations(spec)


def _shared_destinations(spec: Spec) -> Iterator[tuple[Any, ...]]:
    """Two environments in one namespace of one cluster under one Helm release name render the same
    objects: their Applications would fight over them (Argo CD's SharedResourceWarning, and with
    auto-sync an endless sync loop). The defaults never do this; only explicit namespaces can. Distinct
    release names (environments[].releaseName, as adopted charts repos often have) render apart."""
    first: dict[tuple[str, str, str], str] = {}
    for i, env in enumerate(spec.environments):
        where = (destination(env.server), env.namespace or "", env.release_name or spec.name)
        other = first.setdefault(where, env.name)
        if other != env.name:
            field = "namespace" if "namespace" in env.model_fields_set else "name"
            yield ("environments", i, field), (
                f"environments {other!r} and {env.name!r} both deploy release {where[2]!r} to namespace "
                f"{where[1]!r} on {env.server}: they render the same objects and their Applications would fight "
                "over them; give each its own namespace, server or releaseName"
            )


def _branches(spec: Spec) -> Iterator[tuple[Any, ...]]:
    if spec.branches is None:
        envs = ", ".join(env.name for env in spec.environments)
        yield Finding(
            ("branches",),
            f"required with custom environments ({envs}); the default table only fits dev, stag, prod "
            "(or a single environment, which master deploys)",
            at=("environments",),
        )
        return
    order = {env.name: i for i, env in enumerate(spec.environments)}
    production = spec.environments[-1].name if len(spec.environments) > 1 else None
    for branch, rule in spec.branches.items():
        deploy, propose = rule.deploy, rule.propose
        for field, envs in (("deploy", deploy), ("propose", propose)):
            for j, env in enumerate(envs):
                if env not in order:
                    yield ("branches", branch, field, j), f"no environment named {env!r}"
        for j, env in enumerate(deploy):
            if env == production:
                yield ("branches", branch, "deploy", j), (
                    f"{env!r} is production (the last environment); it only receives tags through a pull request"
                )
        for j, env in enumerate(propose):
            k = order.get(env)
            if k is None:
                continue
            if env in deploy:
                yield ("branches", branch, "propose", j), f"{env!r} is both deployed and proposed"
            elif k == 0:
                yield ("branches", branch, "propose", j), f"{env!r} is the first environment; deploy it instead"
            elif spec.environments[k - 1].name not in deploy:
                before = spec.environments[k - 1].name
                yield ("branches", branch, "propose", j), (
                    f"proposing {env!r} needs {before!r} deployed by the same branch, so only a tested tag moves on"
                )


def _labels(spec: Spec) -> Iterator[tuple[Any, ...]]:
    for key in spec.argocd.labels:
        if key in _RESERVED_LABELS:
            yield ("argocd", "labels", key), f"label {key!r} is set by shipspec (app, env, team)"


def _kubernetes_keys(spec: Spec) -> Iterator[tuple[Any, ...]]:
    """Keys built from several fields, checked whole as the API server will (names and label
    values come from one field each, and their types already hold the rule)."""
    if spec.argocd.notify is None:
        return
    for j, trigger in enumerate(spec.argocd.notify.triggers):
        key = f"{NOTIFY_PREFIX}{trigger}.slack"
        reason = names.label_key(key, "annotation")
        if reason:
            yield ("argocd", "notify", "triggers", j), (
                f"makes the annotation key {key!r}, which the API server rejects: it {reason}"
            )


def _value_paths(spec: Spec, owned: Owned) -> Iterator[tuple[Any, ...]]:
    paths, loc = spec.image.value_paths, ("image", "valuePaths")
    if paths.ref is not None:
        for field in ("registry", "repository", "tag"):
            if field in paths.model_fields_set:
                yield (*loc, field), 'cannot be set with `ref`, which holds the whole "<repository>:<tag>" string'
        return
    seen: dict[valuepaths.Keys, str] = {}
    for field, keys in owned:
        clash = next(((path, other) for path, other in seen.items() if _overlaps(path, keys)), None)
        if clash is not None:
            yield (*loc, field), (f"{'.'.join(keys)} overlaps image.valuePaths.{clash[1]} ({'.'.join(clash[0])}): "
                                  "each value path needs a key of its own")
        seen[keys] = field


def _overlaps(one: valuepaths.Keys, other: valuepaths.Keys) -> bool:
    shorter = min(len(one), len(other))
    return one[:shorter] == other[:shorter]


def _owned_values(sources: Sources, owned: Owned) -> Iterator[tuple[Any, ...]]:
    """Values may not set what shipspec writes; checked in every source, so the merge of any
    environment's values over the app-wide ones never does either."""
    for values, loc in sources:
        blocked: dict[Loc, list[str]] = {}  # a non-mapping where owned paths go -> those paths
        for field, keys in owned:
            found = valuepaths.find(values, keys) if keys[0] in values else None
            if found is None:
                continue
            at = (*loc, *keys[:found[0]])
            if found[0] < len(keys):
                blocked.setdefault(at, []).append(".".join(keys))
            elif field in ("tag", "ref"):
                yield at, "belongs to the release pipeline; freeze an environment with `pin` instead"
            else:
                yield at, f"is set by shipspec from image.repository at the top of the spec (image.valuePaths.{field})"
        for at, paths in blocked.items():
            listed = f"{', '.join(paths[:-1])} and {paths[-1]}" if len(paths) > 1 else paths[0]
            yield at, f"must be a mapping: shipspec writes {listed} under it"


def _value_sources(spec: Spec) -> Iterator[tuple[dict[str, Any], Loc]]:
    yield spec.values, ("values",)
    for i, env in enumerate(spec.environments):
        yield env.values, ("environments", i, "values")


_PLAINTEXT = "looks like a plaintext secret; reference a Kubernetes Secret (e.g. existingSecret) instead"


def _secrets(sources: Sources) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    for values, loc in sources:
        _secret_values(values, loc, found)
    return found


def _secret_values(values: dict[str, Any], loc: Loc, found: list[tuple[Any, ...]]) -> None:
    # Every value of every spec passes here: only non-empty collections are descended into.
    for key, value in values.items():
        if isinstance(value, dict):
            if value:
                _secret_values(value, (*loc, key), found)
        elif isinstance(value, list):
            if value:
                _secret_items(value, (*loc, key), found)
        elif names.is_secret_key(key) and _is_literal(value):
            found.append(((*loc, key), _PLAINTEXT))


def _secret_items(items: list[Any], loc: Loc, found: list[tuple[Any, ...]]) -> None:
    for i, item in enumerate(items):
        if isinstance(item, dict):
            if item:
                _secret_values(item, (*loc, i), found)
        elif isinstance(item, list) and item:
            _secret_items(item, (*loc, i), found)


def _is_literal(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) or isinstance(value, str) and value != ""
