"""The files `shipspec init` writes besides the generated ones: a commented spec, the
service repo's starter files and the Helm chart skeleton.

`templates/init/*.j2` go through shipspec's one Jinja environment. `templates/chart/`
is Helm's own `{{ }}` templating, so those files are stored verbatim and never seen
by Jinja: like a Helm starter chart (`helm create --starter`) they spell the chart's
name `<CHARTNAME>`, replaced here by the app's name, and the image
`<IMAGE_REPOSITORY>`, replaced by the spec's image repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from ..resources import schema_source, template_texts
from ..spec import defaults
from ..spec.model import DEFAULT_ENVIRONMENTS, Spec
from .core import environment

SPEC_NAME = "shipspec.yaml"
DEFAULT_CHECKOUT = "../charts"
# The branch that proposes production; the first of these no environment's branch uses.
RELEASE_BRANCHES = ("master", "main", "release")
_SERVICE_TEMPLATES = {
    "Dockerfile": "Dockerfile.j2",
    "README.md": "README.md.j2",
    # Stored without its dot: a `.gitignore` in shipspec's own tree would apply to it.
    ".gitignore": "gitignore.j2",
    "local.mk": "local.mk.j2",
}
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


class Rule(NamedTuple):
    """One row of the spec's `branches` table. Plain data, not the model: the
    environment names are still unvalidated answers here."""

    deploy: tuple[str, ...]
    propose: tuple[str, ...] = ()
    cron: bool = False


@dataclass(frozen=True)
class Answers:
    """What `shipspec init` asks for; everything else takes the spec's defaults."""

    name: str
    image: str
    charts_repo: str
    checkout: str = DEFAULT_CHECKOUT
    environments: tuple[str, ...] = DEFAULT_ENVIRONMENTS
    team: str | None = None
    namespace: str | None = None
    ci: str = "travis"
    chart: tuple[str, str, str] | None = None  # a published chart: (repoURL, name, version)
    install: str | None = None  # the pip requirement CI installs shipspec from; None: this version


def default_name(folder: str) -> str:
    """A folder's name as an app name: lowercase, runs of other characters as '-'."""
    slug = _SLUG_JUNK.sub("-", folder.lower()).strip("-")
    return slug[:53].rstrip("-") or "app"


SCHEMA_NAME = "shipspec.schema.json"
# yaml-language-server resolves a relative $schema against the YAML file itself (its PR #499),
# so a copy beside the spec works on every clone, offline, and matches the shipspec that wrote it.
VENDORED_SCHEMA_REF = f"./{SCHEMA_NAME}"


def schema_text() -> str:
    """The JSON Schema init vendors beside the spec: the installed file, as `shipspec schema` prints it."""
    installed = schema_source()
    if installed is not None:
        return installed
    from ..spec.jsonschema import json_schema_text  # a source checkout that never wrote the schema out

    return json_schema_text()


def release_branch(environments: tuple[str, ...]) -> str:
    return next(b for b in RELEASE_BRANCHES if b not in environments[:-1])


def branches_for(environments: tuple[str, ...]) -> dict[str, Rule] | None:
    """The promotion table for a custom environment list; None where the spec's default fits.

    It generalises the default table: each pre-production environment's branch
    deploys it and proposes the next one, except the last before production,
    whose branch deploys it on pushes and cron builds; the release branch deploys
    that environment and proposes production.
    """
    if environments == DEFAULT_ENVIRONMENTS or len(environments) == 1:
        return None  # the spec's defaults (a single environment: master deploys it directly)
    release = release_branch(environments)
    *stages, before_prod, prod = environments
    table = {env: Rule((env,), (nxt,)) for env, nxt in zip(stages, (*stages[1:], before_prod))}
    table[before_prod] = Rule((before_prod,), cron=True)
    table[release] = Rule((before_prod,), (prod,))
    return table


def namespaces(answers: Answers) -> dict[str, str | None]:
    """The namespace init writes for each environment; None leaves the spec's default (the app's
    name, or `<name>-<env>` for environments that would share it). All of init's environments
    deploy to one cluster, so a namespace given for several becomes `<namespace>-<env>` each."""
    given = answers.namespace
    if given in (None, answers.name):
        return dict.fromkeys(answers.environments)
    if len(answers.environments) == 1:
        return {answers.environments[0]: given}
    return {env: f"{given}-{env}" for env in answers.environments}


def spec_text(answers: Answers, schema: str) -> str:
    """The commented shipspec.yaml for these answers (not yet validated)."""
    return environment().get_template("init/shipspec.yaml.j2").render(
        schema_ref=schema,
        name=answers.name,
        team=answers.team,
        image=answers.image,
        charts_repo=answers.charts_repo,
        checkout=None if answers.checkout == DEFAULT_CHECKOUT else answers.checkout,
        environments=answers.environments,
        namespaces=namespaces(answers),
        chart=answers.chart,
        branches=branches_for(answers.environments),
        release_branch=release_branch(answers.environments),
        ci=answers.ci,
        install=answers.install,
    )


def service_files(spec: Spec) -> dict[str, str]:
    """The service repo's starter files, relative to the spec's folder."""
    env = environment()
    ci_file = defaults.CI_FILES[spec.ci]
    root_app = root_application(spec)[0]
    return {
        path: env.get_template(f"init/{name}").render(spec=spec, ci_file=ci_file, root_app=root_app)
        for path, name in _SERVICE_TEMPLATES.items()
    }


def root_application(spec: Spec) -> tuple[str, str]:
    """(path in the charts checkout, text) of the charts repo's root "app of apps" Application."""
    slug = _SLUG_JUNK.sub("-", spec.argocd.manifests.lower()).strip("-")
    name = "apps" if spec.argocd.manifests == "argocd" else f"apps-{slug}"[:63].rstrip("-")
    path = f"bootstrap/{name}.yaml"
    return path, environment().get_template("init/root-app.yaml.j2").render(spec=spec, name=name, path=path)


def chart_files(spec: Spec) -> dict[str, str]:
    """The chart skeleton, relative to the charts checkout (under `charts.path`)."""
    return {
        f"{spec.charts.path}/{path}": text.replace("<CHARTNAME>", spec.name).replace(
            "<IMAGE_REPOSITORY>", spec.image.repository)
        for path, text in template_texts("chart").items()
    }
