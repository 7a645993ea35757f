"""The pure render: a valid spec in, the text of every file it generates out.

No filesystem, clock or environment is read here (templates are loaded once
per process), so `generate` and `check` consume one and the same result.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, NamedTuple

import jinja2

from generator import __version__, header, pipeline, yamlout
from generator.model import Environment, Spec
from generator.resources import templates_dir
from generator.spec import LoadedSpec

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


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(
        q=yamlout.scalar, key=yamlout.key, sh=yamlout.shell, block=_block, checked_tag=yamlout.checked_tag,
        entry=yamlout.entry, item=yamlout.item,
    )
    return env


def _block(value: Any, indent: int) -> str:
    return "\n".join(yamlout.block(value, indent))


def outputs(spec: Spec) -> list[Output]:
    """Every file the spec generates, in render order."""
    chart, manifests = spec.charts.path, spec.argocd.manifests
    files = [Output("app", ".travis.yml"), Output("app", "Makefile")]
    files += [Output("charts", f"{chart}/{env.values_file}") for env in spec.environments]
    files += [Output("charts", f"{manifests}/{spec.name}-{env.name}.yaml") for env in spec.environments]
    return files


def render(loaded: LoadedSpec, tags: Mapping[str, str] | None = None) -> dict[Output, str]:
    """Render every file of one spec; `tags` maps an environment to the tag its values file holds now."""
    spec, tags = loaded.spec, tags or {}
    files = outputs(spec)
    bodies = [_travis(spec), _makefile(spec)]
    bodies += [_values(spec, env, tags.get(env.name, "")) for env in spec.environments]
    bodies += [_application(spec, env) for env in spec.environments]
    spec_digest, set_digest = header.digest(loaded.source), header.set_digest(map(str, files))
    rendered = {}
    for output, body in zip(files, bodies):
        line = header.Header(
            __version__, loaded.repo_path, spec.name, spec_digest, set_digest, header.body_digest(body),
            header.renderer_fingerprint(),
        ).line()
        rendered[output] = f"{line}\n{body}"
    return rendered


def _template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def _travis(spec: Spec) -> str:
    jobs = pipeline.jobs(spec)
    return _template("travis.yml.j2", spec=spec, jobs=jobs, version=__version__)


def registry_host(repository: str) -> str | None:
    """The registry of an image reference, or None for Docker Hub (Docker's own rule)."""
    first, slash, _ = repository.partition("/")
    return first if slash and ("." in first or ":" in first or first == "localhost") else None


def _makefile(spec: Spec) -> str:
    envs = [env.name for env in spec.environments]
    return _template(
        "Makefile.j2", spec=spec, commit_envs=envs[:-1], pr_envs=envs[1:],
        trivy_image=spec.scan.image or TRIVY_IMAGE, trivy_cache=TRIVY_CACHE,
        registry=registry_host(spec.image.repository),
    )


def _values(spec: Spec, env: Environment, current_tag: str) -> str:
    values = dict(env.values)
    image_extra = values.pop("image", None)
    extra = {k: v for k, v in image_extra.items() if k not in {"repository", "tag"}} if isinstance(
        image_extra, dict) else {}
    return _template(
        "values.yaml.j2", spec=spec, env=env, tag=env.pin if env.pin is not None else current_tag,
        image_extra=extra, values=values,
    )


def _application(spec: Spec, env: Environment) -> str:
    return _template("application.yaml.j2", spec=spec, env=env)
