"""`shipspec import`: the pure inverse of the chart side of the render.

The Applications that deploy an app, the overlays they name and the chart's values.yaml
(read by files/) in; the spec document that renders them out, with a Finding for every field
it cannot carry over. The document is proven before it is returned: it is validated, rendered,
and each rendered overlay and Application compared with the one it replaces, as Helm and
Argo CD read them (argocdview.py), so a spec import writes without findings renders
what runs now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ...errors import InvalidSpec
from ...spec import defaults
from ...spec.model import DEFAULT_ENVIRONMENTS
from . import values as av
from .applications import EnvApp, env_of, order, read
from .inputs import Adoption, Finding, Located, finding
from .settings import argocd_settings
from .specyaml import spec_lines

@dataclass
class Adopted:
    """The spec import writes (None: no environment could be adopted) and what it could not carry over."""

    document: dict[str, Any] | None
    findings: list[Finding] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)  # Application files -> the spec's file names
    tags: dict[str, str] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)  # Applications of environments outside --env

    def text(self) -> str:
        lines = []
        if self.findings:
            lines += ["# shipspec import could not carry over (the spec does not say these; fix them, or adopt",
                      "# them by hand, before the next generate):"]
            lines += [f"#   {item}" for item in self.findings]
        return "\n".join([*lines, *spec_lines(self.document or {}, 0)]) + "\n"


def adopt(adoption: Adoption) -> Adopted:
    found: list[Finding] = []
    apps: dict[str, EnvApp] = {}
    left_out = []
    for doc in adoption.applications:
        env = env_of(doc.get(("metadata", "name")), adoption.app)
        if adoption.envs and env is not None and env not in adoption.envs:
            left_out.append(f"{doc.path}: {doc.get(('metadata', 'name'))} (environment {env} is not in --env)")
            continue
        app = read(doc, adoption, found)
        if app is None:
            continue
        if app.env in apps:
            found.append(finding(doc, ("metadata", "name"), f"another Application, in {apps[app.env].doc.path}, "
                                                             "has this name"))
            continue
        apps[app.env] = app
    envs = order(list(apps), adoption.envs, adoption.app)
    result = Adopted(None, found, left_out=left_out)
    if not envs:
        result.findings = _sorted(found)
        return result
    built = _Builder(adoption, [apps[env] for env in envs], found)
    result.document, result.moves, result.tags = built.document(), built.moves, built.tags
    if result.document is not None and not found:  # with findings, the differences are already listed
        found += prove(adoption, built, result)
    result.findings = _sorted(found)
    return result


def _sorted(found: list[Finding]) -> list[Finding]:
    return sorted(dict.fromkeys(found), key=lambda f: (f.file, f.line or 0, f.column or 0, f.field))


class _Builder:
    """The spec document, field by field, from the Applications of every environment."""

    def __init__(self, adoption: Adoption, apps: list[EnvApp], found: list[Finding]) -> None:
        self.adoption, self.apps, self.found = adoption, apps, found
        self.moves: list[tuple[str, str]] = []
        self.tags: dict[str, str] = {}
        self.image: av.ImageAt | None = None
        self.values: dict[str, dict[str, Any]] = {}

    def one(self, get: Callable[[EnvApp], Any], loc: tuple[Any, ...], what: str) -> Any:
        """The value every environment has alike; a finding on each one that differs."""
        first = get(self.apps[0])
        for app in self.apps[1:]:
            if not av.same(get(app), first) and get(app) != first:
                self.found.append(finding(app.doc, loc, (
                    f"{what} {get(app)!r} differs from {first!r} ({self.apps[0].name}): the spec has one for "
                    "every environment")))
        return first

    def document(self) -> dict[str, Any] | None:
        app = self.adoption.app
        doc: dict[str, Any] = {"apiVersion": "shipspec/v1", "kind": "App", "name": app}
        team = self.one(lambda a: a.labels.get("team"), ("metadata", "labels", "team"), "label team")
        if isinstance(team, str):
            doc["team"] = team
        image = self._image()
        doc["image"] = image
        doc["charts"] = self._charts()
        argocd = argocd_settings(self)
        if argocd:
            doc["argocd"] = argocd
        doc["environments"] = self._environments()
        shared = av.common(list(self.values.values())) if len(self.values) > 1 else {}
        if shared:
            doc["values"] = shared
            for env in doc["environments"]:
                rest = av.without(env.get("values", {}), shared)
                if rest:
                    env["values"] = rest
                else:
                    env.pop("values", None)
        envs = tuple(a.env for a in self.apps)
        if envs != DEFAULT_ENVIRONMENTS:
            from ..scaffold import branches_for

            table = branches_for(envs) or {}
            doc["branches"] = {
                branch: {k: v for k, v in (("deploy", list(r.deploy)), ("propose", list(r.propose)),
                                             ("cron", r.cron)) if v}
                for branch, r in table.items()
            }
        return doc if image is not None else None

    def _image(self) -> dict[str, Any] | None:
        every: list[av.ImageAt] = []
        for app in self.apps:
            overlay = self._overlay(app)
            if overlay is not None:
                every += av.candidates(overlay.data, self._merged(app, overlay))
        chosen = av.choose(every)
        if not any(self.adoption.overlays.get(a.value_file or "") for a in self.apps):
            return None  # no overlay to read: each environment's finding says why
        if len(chosen) != 1:
            first = self.apps[0]
            where = ", ".join(".".join(at.keys) for at in chosen)
            self.found.append(Finding(
                first.value_file or first.doc.path, None, None, "",
                f"found image tags at {where}: shipspec releases one image and cannot tell which one is the app's"
                if chosen else "no image tag found: looked for a mapping with `repository` and `tag`, and for an "
                "`image: <repository>:<tag>` string" + (
                    " (a published chart's own values.yaml is not in the checkout: the overlays must name the "
                    "repository beside the tag)" if first.published is not None else "")))
            return None
        self.image = at = chosen[0]
        repositories: dict[str, str] = {}
        for app in self.apps:
            overlay = self._overlay(app)
            if overlay is None:
                continue
            image = av.image_of(at, overlay, self._chart_values(app), self.found)
            if image is not None:
                repositories[app.env], self.tags[app.env] = image
            values = av.strip(overlay.data, at.owned())
            bad = av.unsupported(overlay, values)
            if bad:
                self.found.append(bad)
            self.values[app.env] = values
        if not repositories:
            return None
        repository = next(iter(repositories.values()))
        for env, other in repositories.items():
            if other != repository:
                overlay = self._overlay(next(a for a in self.apps if a.env == env))
                assert overlay is not None
                self.found.append(finding(overlay, at.keys, (
                    f"runs image {other!r}, not {repository!r}: the spec builds one image for every environment")))
        image: dict[str, Any] = {"repository": repository}
        paths = at.value_paths()
        if paths:
            image["valuePaths"] = paths
        return image

    def _overlay(self, app: EnvApp) -> Located | None:
        if app.value_file is None:
            return None
        overlay = self.adoption.overlays.get(app.value_file)
        if overlay is None:
            if not any(f.file == app.doc.path and "valueFiles" in f.field for f in self.found):
                self.found.append(finding(app.doc, _value_files_loc(app), (
                    f"{app.value_file} is missing or is not a YAML mapping of values")))
            return None
        users = [name for name in self.adoption.users.get(app.value_file, ()) if name != app.name]
        if users:
            self.found.append(finding(app.doc, _value_files_loc(app), (
                f"{app.value_file} is also a value file of {', '.join(sorted(set(users)))}: shipspec gives each "
                "environment an overlay of its own, which its releases change")))
        return overlay

    def _chart_values(self, app: EnvApp) -> Any:
        chart = self.adoption.charts.get(app.chart_path) if app.published is None else None
        return chart.data if chart is not None else {}

    def _merged(self, app: EnvApp, overlay: Located) -> Any:
        from .argocdview import helm_values

        return helm_values(self._chart_values(app), overlay.data)

    def _charts(self) -> dict[str, Any]:
        app = self.adoption.app
        repo = self.one(lambda a: a.repo_url, _repo_loc(self.apps[0]), "repoURL")
        if repo is None:
            self.found.append(finding(self.apps[0].doc, ("spec",), "has no repoURL of the charts repo"))
        charts: dict[str, Any] = {"repo": repo}
        branch = self.one(lambda a: self._branch(a), _revision_loc(self.apps[0]), "targetRevision")
        if branch is not None and branch != "master":
            charts["branch"] = branch
        path = self.one(lambda a: a.chart_path, ("spec",), "chart folder")
        if path != defaults.chart_path(app):
            charts["path"] = path
        if self.adoption.checkout != defaults.CHECKOUT:
            charts["checkout"] = self.adoption.checkout
        published = self.one(lambda a: a.published, ("spec", "sources"), "published chart")
        if published is not None:
            charts["chart"] = published
        return charts

    def _branch(self, app: EnvApp) -> Any:
        if app.revision in (None, "", "HEAD"):
            if self.adoption.default_branch is None:
                self.found.append(finding(app.doc, _revision_loc(app), (
                    "tracks HEAD, and the charts checkout has no default branch to say which branch that is")))
            return self.adoption.default_branch
        return app.revision

    def _environments(self) -> list[dict[str, Any]]:
        """Each environment, its namespace written only where the spec's default would differ."""
        by_default = defaults.namespaces(self.adoption.app, [(a.env, str(a.server or ""), None) for a in self.apps])
        return [self._with_namespace(self._environment(a), a, default) for a, default in zip(self.apps, by_default)]

    @staticmethod
    def _with_namespace(env: dict[str, Any], app: EnvApp, default: str) -> dict[str, Any]:
        if app.dest_namespace == default:
            return env
        return {"name": env.pop("name"), "namespace": app.dest_namespace, **env}

    def _environment(self, app: EnvApp) -> dict[str, Any]:
        env: dict[str, Any] = {"name": app.env}
        if app.server != "https://kubernetes.default.svc":
            env["server"] = app.server
        if app.value_file is not None:
            name = PurePosixPath(app.value_file).name
            if name != defaults.values_file(app.env):
                env["valuesFile"] = name
        if app.automated is None:
            env["autoSync"] = False
        if app.release_name != self.adoption.app:
            env["releaseName"] = app.release_name
        values = self.values.get(app.env)
        if values:
            env["values"] = values
        return env


def _value_files_loc(app: EnvApp) -> tuple[Any, ...]:
    if app.published is None:
        return ("spec", "source", "helm", "valueFiles")
    return ("spec", "sources")


def _repo_loc(app: EnvApp) -> tuple[Any, ...]:
    return ("spec", "source", "repoURL") if app.published is None else ("spec", "sources")


def _revision_loc(app: EnvApp) -> tuple[Any, ...]:
    return ("spec", "source", "targetRevision") if app.published is None else ("spec", "sources")


def prove(adoption: Adoption, built: _Builder, result: Adopted) -> list[Finding]:
    """Render the document and compare each overlay and Application with the one it replaces."""
    import yaml

    from ...spec.loader import parse_document
    from ...spec.validation import LoadedSpec, validate
    from .argocdview import application_differences, same_overlay
    from ..core import application_output, render, values_output

    raw = result.text().encode("utf-8")
    try:
        spec = validate(parse_document(raw, "shipspec.yaml"))
    except InvalidSpec as exc:
        return [Finding("shipspec.yaml", p.line, p.column, p.field, f"the spec import would write is invalid: "
                        f"{p.message}") for p in exc.problems]
    rendered = render(LoadedSpec(spec, PurePosixPath("shipspec.yaml"), raw, "shipspec.yaml"),  # type: ignore[arg-type]
                      result.tags)
    found = []
    for app, env in zip(built.apps, spec.environments):
        overlay = adoption.overlays.get(app.value_file or "")
        text = rendered.get(values_output(spec, env))
        if overlay is not None and text is not None and app.env in result.tags:
            if not same_overlay(overlay.data, yaml.safe_load(text), built._chart_values(app)):
                found.append(Finding(overlay.path, None, None, "", (
                    "the spec would render values Helm reads differently (the published chart's own values are "
                    "not in the checkout, or a value the spec cannot hold)")))
        text = rendered.get(application_output(spec, env))
        if text is None:
            continue
        differences = application_differences(app.doc.data, yaml.safe_load(text), adoption.default_branch)
        for field_name in differences:
            if not any(f.file == app.doc.path for f in built.found):
                found.append(Finding(app.doc.path, None, None, field_name, "the spec would render it differently"))
    return found
