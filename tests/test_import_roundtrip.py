"""Property: for random valid specs, render the charts side, import it back (the pure inverse),
and the imported spec renders the same files: every Application byte for byte (below the
header, which names the spec's digest), every overlay the same values (key order may differ)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from shipspec.render import header
from shipspec.render.adoption.inputs import Adoption, Located
from shipspec.render.adoption.inverse import adopt
from shipspec.render.core import application_output, render, values_output
from shipspec.render.scaffold import branches_for
from shipspec.render.yamlout import block
from shipspec.spec.loader import parse_document
from shipspec.spec.validation import LoadedSpec, validate

RANKS = [["dev", "development"], ["test"], ["qa"], ["stag", "staging"], ["uat"], ["preprod"], ["prod", "production"]]
KEYS = ["replicaCount", "logLevel", "ingress", "resources", "debug", "host"]
scalars = st.one_of(st.integers(-5, 500), st.booleans(), st.sampled_from(["a", "info", "1.0", "yes", "x y", ""]))
trees = st.recursive(scalars, lambda inner: st.dictionaries(st.sampled_from(KEYS), inner, max_size=3), max_leaves=6)
values = st.dictionaries(st.sampled_from(KEYS), trees, max_size=4)
tags = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,11}", fullmatch=True)


@st.composite
def specs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str]]:
    name = draw(st.sampled_from(["myapp", "web", "api-gw"]))
    ranks = draw(st.lists(st.sampled_from(range(len(RANKS))), min_size=1, max_size=4, unique=True))
    envs = [draw(st.sampled_from(RANKS[rank])) for rank in sorted(ranks)]
    image: dict[str, Any] = {"repository": draw(st.sampled_from(
        ["acme/app", "ghcr.io/acme/app", "registry.example.com:5000/team/app", "nginx"]))}
    paths = draw(st.sampled_from([None, {"registry": "image.registry", "repository": "image.repository",
                                         "tag": "image.tag"},
                                  {"repository": "app.image.repository", "tag": "app.image.tag"},
                                  {"ref": "app.image"}]))
    if paths:
        image["valuePaths"] = paths
    charts: dict[str, Any] = {"repo": "git@github.com:acme/charts.git",
                              "branch": draw(st.sampled_from(["master", "main"]))}
    if draw(st.booleans()):
        charts["path"] = f"deploy/{name}"
    if draw(st.booleans()):
        charts["chart"] = {"repoURL": draw(st.sampled_from(["https://charts.example.com", "oci://ghcr.io/acme"])),
                           "name": "webapp", "version": "1.2.3"}
    argocd: dict[str, Any] = {
        "project": draw(st.sampled_from(["default", "shop"])),
        "namespace": draw(st.sampled_from(["argocd", "gitops"])),
        "manifests": draw(st.sampled_from(["argocd", "apps/prod"])),
        "cascadeDelete": draw(st.booleans()), "prune": draw(st.booleans()), "selfHeal": draw(st.booleans()),
        "syncOptions": draw(st.lists(st.sampled_from(["CreateNamespace=true", "PruneLast=true"]), unique=True)),
        "labels": draw(st.dictionaries(st.sampled_from(["tier", "owner"]), st.sampled_from(["web", "x"]))),
    }
    if draw(st.booleans()):
        argocd["notify"] = {"slack": "deploys", "triggers": draw(st.lists(
            st.sampled_from(["on-sync-failed", "on-deployed"]), min_size=1, unique=True))}
    environments = []
    for env in envs:
        entry: dict[str, Any] = {"name": env, "values": draw(values), "autoSync": draw(st.booleans())}
        for key, choice in (("namespace", f"{name}-{env}"), ("server", "https://k8s.example.com"),
                            ("releaseName", f"{name}-{env}"), ("valuesFile", f"values-{env}.yaml")):
            if draw(st.booleans()):
                entry[key] = choice
        environments.append(entry)
    spec: dict[str, Any] = {"apiVersion": "shipspec/v1", "kind": "App", "name": name, "image": image,
                            "charts": charts, "argocd": argocd, "environments": environments, "values": draw(values)}
    if draw(st.booleans()):
        spec["team"] = "payments"
    table = branches_for(tuple(envs))
    if table is not None:
        spec["branches"] = {b: {"deploy": list(r.deploy), "propose": list(r.propose), "cron": r.cron}
                            for b, r in table.items()}
    return spec, {env: draw(tags) for env in envs}


def _loaded(text: str) -> LoadedSpec:
    raw = text.encode()
    return LoadedSpec(validate(parse_document(raw, "shipspec.yaml")), Path("shipspec.yaml"), raw, "shipspec.yaml")


@settings(max_examples=examples(60), deadline=None)
@given(specs())
def test_import_inverts_the_render(drawn: tuple[dict[str, Any], dict[str, str]]) -> None:
    document, tags = drawn
    loaded = _loaded("\n".join(block(document)) + "\n")
    spec = loaded.spec
    files = render(loaded, tags)
    apps = [Located(application_output(spec, e).path, yaml.safe_load(files[application_output(spec, e)]))
            for e in spec.environments]
    overlays = {values_output(spec, e).path: Located(values_output(spec, e).path,
                                                     yaml.safe_load(files[values_output(spec, e)]))
                for e in spec.environments}
    charts = {} if spec.charts.chart else {spec.charts.path: Located(f"{spec.charts.path}/values.yaml", {})}
    users = {path: [f"{spec.name}-{e.name}"] for path, e in zip(overlays, spec.environments)}
    adopted = adopt(Adoption(spec.name, apps, overlays, charts, users, (), spec.charts.branch, spec.charts.checkout,
                             frozenset(overlays) | {a.path for a in apps}))
    assert adopted.findings == [] and adopted.moves == []
    assert adopted.tags == tags
    again = render(_loaded(adopted.text()), adopted.tags)
    for output, text in files.items():
        if output.root != "charts":
            continue
        old, new = header.split(text)[1], header.split(again[output])[1]
        if output.path.startswith(f"{spec.argocd.manifests}/"):
            assert new == old, output.path
        else:
            assert yaml.safe_load(new) == yaml.safe_load(old), output.path
