"""The pure render: a valid spec in, the text of every file it generates out.

No filesystem, clock or environment is read here (templates are loaded once
per process), so `generate` and `check` consume one and the same result.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, NamedTuple

import jinja2

from .. import __version__, templating
from ..resources import compiled_templates_dir, templates_dir
from ..spec import defaults, names, valuepaths
from ..spec.model import Environment, Spec
from ..spec.validation import LoadedSpec
from . import header, plan, yamlout
from .providers import travis

Root = Literal["app", "charts"]
TRIVY_IMAGE = "docker.io/aquasec/trivy:0.72.0"
# Trivy's default cache is os.UserCacheDir()/trivy (pkg/cache/dir.go), /root/.cache/trivy in its
# image, which runs as root; --cache-dir names it anyway, so a custom scan.image uses it too.
TRIVY_CACHE = "/root/.cache/trivy"


class Output(NamedTuple):
    """A generated file: `app` paths are relative to the spec's folder, `charts` ones to the charts checkout."""

    root: Root
    path: str

    def __str__(self) -> str:
        return f"{self.root}:{self.path}"


class _Environment(jinja2.Environment):
    # `a.b` in a template is Python's own getattr: every object the templates read is a model, a
    # dataclass or a tuple with that attribute (no dict key stands in for one), and a missing
    # attribute is a bug that raises at once rather than an Undefined that raises later.
    getattr = staticmethod(getattr)  # type: ignore[assignment]

    def make_globals(self, d: Mapping[str, Any] | None) -> dict[str, Any]:  # type: ignore[override]
        # A plain dict rather than a ChainMap over the environment's (empty) globals: each render's
        # context lists a template's globals, and a ChainMap lists itself in Python.
        return {**self.globals, **(d or {})}


@cache
def environment() -> jinja2.Environment:
    env = _Environment(
        loader=templating.loader(templates_dir(), compiled_templates_dir()),
        auto_reload=False,  # installed templates do not change while we run: no stat per render
        undefined=jinja2.StrictUndefined,
        **templating.OPTIONS,
    )
    # The templates call no Jinja global (range, dict, lipsum...): without them a render's context
    # is its own variables only, not a copy of the globals made twice per file.
    env.globals.clear()
    env.filters.update(
        q=yamlout.scalar, key=yamlout.key, sh=yamlout.shell, shq=yamlout.shell_word, block=_block, checked_tag=yamlout.checked_tag,
        entry=yamlout.entry, item=yamlout.item,
    )
    return env


def _block(value: Any, indent: int) -> str:
    return "\n".join(yamlout.block(value, indent))


def outputs(spec: Spec, *, pipeline: bool = True) -> list[Output]:
    """Every file the spec can generate, in render order (an Application only once its environment has a tag);
    without its pipeline when it is an app of its repository's root pipeline (`pipeline` False)."""
    files = [Output("app", defaults.CI_FILES[spec.ci])] if pipeline else []
    files += [Output("app", "Makefile")]
    files += [values_output(spec, env) for env in spec.environments]
    files += [application_output(spec, env) for env in spec.environments]
    return files


def values_output(spec: Spec, env: Environment) -> Output:
    return Output("charts", f"{spec.charts.path}/{env.values_file}")


def application_output(spec: Spec, env: Environment) -> Output:
    return Output("charts", f"{spec.argocd.manifests}/{spec.name}-{env.name}.yaml")


def release_tag(env: Environment, tags: Mapping[str, str]) -> str | None:
    """The tag an environment runs: its pin, else the released tag; None before its first release."""
    return env.pin if env.pin is not None else (tags.get(env.name) or None)


def render(loaded: LoadedSpec, tags: Mapping[str, str] | None = None) -> dict[Output, str]:
    """Render every file of one spec; `tags` maps an environment to the tag its values file holds now.

    An environment without a tag (never released, not pinned) gets an overlay without one and no
    Application: nothing valid could be deployed before its first release writes both.
    """
    spec, tags = loaded.spec, tags or {}
    files = outputs(spec, pipeline=loaded.own_pipeline)
    bodies = [_PIPELINES[spec.ci](spec)] if loaded.own_pipeline else []
    bodies += [_makefile(spec)]
    released = [release_tag(env, tags) for env in spec.environments]
    where = valuepaths.tag_path(spec.image)
    note = header.note(where)
    bodies += [_values(spec, env, tag, where, note) for env, tag in zip(spec.environments, released)]
    chart_url = argocd_chart_url(spec)
    bodies += [_application(spec, env, chart_url) if tag else None for env, tag in zip(spec.environments, released)]
    # The file list in every header is what the spec can generate, so a release never changes app files.
    before, after = header.frame(__version__, loaded.repo_path, spec.name, header.digest(loaded.source),
                                 header.set_digest(map(str, files)), header.renderer_fingerprint())
    rendered = {}
    for output, body in zip(files, bodies):
        if body is not None:
            rendered[output] = f"{before}{header.body_digest(body)}{after}\n{body}"
    return rendered


def awaiting_release(spec: Spec, tags: Mapping[str, str]) -> list[str]:
    """Environments that have no tag yet, by name (the digest fast path sees them in that order)."""
    return sorted(env.name for env in spec.environments if release_tag(env, tags) is None)


@cache
def _compiled(name: str) -> jinja2.Template:
    return environment().get_template(name)


def _template(name: str, **context: Any) -> str:
    # Template.render, less its copy of `context` (made for us here) into a context of its own.
    template = _compiled(name)
    try:
        return "".join(template.root_render_func(template.new_context(context, shared=True)))
    except Exception:
        return template.environment.handle_exception()


def _travis(spec: Spec) -> str:
    jobs = plan.jobs(spec)
    return _template("travis.yml.j2", spec=spec, jobs=zip(jobs, travis.conditions(jobs)), version=__version__,
                     install=install_requirement(spec))


def _github(spec: Spec) -> str:
    from .providers import github  # like gitlab: imported by the apps that use it

    jobs = plan.jobs(spec)
    return _template(
        "github.yml.j2", spec=spec, jobs=github.jobs(jobs, gate_seconds(spec)), scheduled=plan.scheduled(jobs), version=__version__,
        checkout=github.CHECKOUT, checkout_version=github.CHECKOUT_VERSION, setup_python=github.SETUP_PYTHON,
        setup_python_version=github.SETUP_PYTHON_VERSION, cache=github.CACHE, cache_version=github.CACHE_VERSION,
        install=install_requirement(spec),
    )


def _gitlab(spec: Spec) -> str:
    from .providers import gitlab

    jobs = plan.jobs(spec)
    return _template(
        "gitlab-ci.yml.j2", spec=spec, jobs=gitlab.jobs(jobs), workflow_rules=gitlab.workflow_rules(jobs),
        version=__version__, install=install_requirement(spec),
    )


def gate_seconds(spec: Spec) -> int:
    """How long the app's gates wait (argocd.gateTimeout), 0 without argocd.server."""
    return names.duration_seconds(spec.argocd.gate_timeout) or 0 if spec.argocd.server is not None else 0


_PIPELINES = {"travis": _travis, "github": _github, "gitlab": _gitlab}


registry_host = valuepaths.registry_host


def install_requirement(spec: Spec) -> str:
    """The pip requirement every CI job installs shipspec from: `install`, else this exact version."""
    return spec.install or f"shipspec=={__version__}"


def _makefile(spec: Spec) -> str:
    envs = [env.name for env in spec.environments]
    # Production is released through a pull request, unless it is the app's only environment.
    commit_envs = envs[:-1] or envs
    # SPEC 1.2: with argocd.server, every environment released through a pull request has its gate.
    gate_envs = envs[1:] if spec.argocd.server is not None else []
    return _template(
        "Makefile.j2", spec=spec, commit_envs=commit_envs, pr_envs=envs[1:], gate_envs=gate_envs,
        previous=dict(zip(envs[1:], envs)),
        trivy_image=spec.scan.image or TRIVY_IMAGE, trivy_cache=TRIVY_CACHE,
        registry=registry_host(spec.image.repository),
    )


def overlay(spec: Spec, env: Environment, tag: str | None) -> dict[str, Any]:
    """The values an environment's overlay sets: the image at its value paths with `tag` (none
    without one), then the app-wide values and the environment's merged over them."""
    values: dict[str, Any] = {}
    for keys, value in valuepaths.image_entries(spec.image, tag):
        valuepaths.put(values, keys, value)
    # The rules keep every source off the owned paths, so this merge never overwrites them.
    return valuepaths.merge(values, valuepaths.merge(spec.values, env.values) if spec.values else env.values)


def _values(spec: Spec, env: Environment, tag: str | None, where: valuepaths.TagPath, note: str) -> str:
    body = "\n".join(yamlout.block(overlay(spec, env, tag), 0))
    if env.pin is not None:
        line = header.find_tag(body, where)
        if line is not None:
            comment = f"  # pinned by environments[{spec.environments.index(env)}].pin in the spec"
            body = body[: line.end()] + comment + body[line.end():]
    awaiting = application_output(spec, env).path if tag is None else None
    return _template("values.yaml.j2", note=note, awaiting=awaiting, body=body)


def _application(spec: Spec, env: Environment, chart_repo_url: str | None) -> str:
    return _template("application.yaml.j2", spec=spec, env=env, chart_repo_url=chart_repo_url)


def argocd_chart_url(spec: Spec) -> str | None:
    """charts.chart.repoURL as an Argo CD Helm source takes it: an OCI registry without its
    oci:// scheme (Argo CD's Helm user guide: "the oci:// syntax is not included")."""
    chart = spec.charts.chart
    if chart is None:
        return None
    return chart.repo_url.removeprefix("oci://").rstrip("/") if chart.repo_url.startswith("oci://") else chart.repo_url
