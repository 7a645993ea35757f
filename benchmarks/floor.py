"""The floor: the same job as `shipspec check`/`generate` with no framework of our own.

Per app: read the spec, parse it with libyaml, validate it with a pydantic v2
model of similar size, render the same kinds of files (Travis, Makefile, one
values overlay and one Argo CD Application per environment) with Jinja
templates compiled once per process, and compare them with disk (check) or
write what differs (generate). Like any CLI it imports click. It is the
yardstick shipspec's cost is measured against, not a product.

    python benchmarks/floor.py check DIR      # 0 in sync, 1 drift, 2 invalid
    python benchmarks/floor.py generate DIR   # 0 written or nothing to do, 2 invalid
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import click
import jinja2
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from floor_root import root_pipeline
from pydantic.alias_generators import to_camel

TEMPLATES = Path(__file__).resolve().parent / "floor_templates"
_TAG_LINE = re.compile(r'^  tag: (".*")', re.MULTILINE)
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")


def _matching(pattern: str, what: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"must be {what}")
        return value

    return AfterValidator(check)


Dns = Annotated[str, _matching(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", "a DNS-1123 label")]
Label = Annotated[str, _matching(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?", "a label value")]
Rel = Annotated[str, _matching(r"(?!/)(?!.*(^|/)\.\.(/|$))[^\x00-\x1f\\]+", "a relative path")]
Repo = Annotated[str, _matching(r"([a-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*", "an image")]
GitUrl = Annotated[str, _matching(r"(ssh|https|file)://\S*|[\w.~-]+@[\w.-]+:\S+", "a git URL")]
Secure = Annotated[str, _matching(r"[A-Za-z0-9+/]{40,}={0,2}", "encrypted")]
Line = Annotated[str, _matching(r"[^\x00-\x1f\x7f]+", "one line")]
Notify = Literal["always", "never", "change"]


class M(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel, populate_by_name=True)


class Image(M):
    repository: Repo
    dockerfile: Rel = "Dockerfile"
    context: Rel = "."
    sha_length: int = Field(7, ge=4, le=40)


class Test(M):
    command: Line | None = None


class Scan(M):
    enabled: bool = True
    severities: list[Literal["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]] = ["MEDIUM", "HIGH"]
    ignore_unfixed: bool = True
    fail_build: bool = False


class Charts(M):
    repo: GitUrl
    branch: Line = "master"
    path: Rel | None = None
    checkout: Line = "../charts"


class ArgoNotify(M):
    slack: Line
    triggers: list[Dns] = ["on-sync-succeeded", "on-sync-failed", "on-health-degraded"]


class ArgoCD(M):
    project: Dns = "default"
    namespace: Dns = "argocd"
    manifests: Rel = "argocd"
    cascade_delete: bool = True
    prune: bool = False
    self_heal: bool = False
    sync_options: list[Line] = []
    labels: dict[Label, Label] = {}
    notify: ArgoNotify | None = None


class Env(M):
    name: Dns
    namespace: Dns | None = None
    server: Annotated[str, _matching(r"https?://[^\s/]+(/\S*)?", "a server URL")] = "https://kubernetes.default.svc"
    values_file: Annotated[str, _matching(r"[^/\\\x00-\x1f]+", "a file name")] | None = None
    auto_sync: bool = True
    pin: Annotated[str, _matching(r"\w[\w.-]{0,127}", "a tag")] | None = None
    values: dict[str, Any] = {}


class Branch(M):
    deploy: list[Dns] = []
    propose: list[Dns] = []
    cron: bool = False


class Slack(M):
    secure: Secure
    on_success: Notify = "always"
    on_failure: Notify = "always"


class Travis(M):
    dist: Dns = "jammy"
    secure: list[Secure] = []
    slack: Slack | None = None


class Spec(M):
    api_version: Literal["shipspec/v1"]
    kind: Literal["App"]
    name: Dns
    team: Label | None = None
    image: Image
    test: Test = Test()
    scan: Scan = Scan()
    charts: Charts
    argocd: ArgoCD = ArgoCD()
    environments: list[Env] = Field(default_factory=lambda: [Env(name=n) for n in ("dev", "stag", "prod")])
    branches: dict[Line, Branch] | None = None
    travis: Travis = Travis()

    @model_validator(mode="after")
    def _defaults(self) -> Spec:
        self.charts.path = self.charts.path or f"charts/{self.name}"
        for env in self.environments:
            env.namespace = env.namespace or self.name
            env.values_file = env.values_file or f"values.{env.name}.yaml"
        if len({env.name for env in self.environments}) != len(self.environments):
            raise ValueError("duplicate environment names")
        if self.branches is None:
            self.branches = {
                "dev": Branch(deploy=["dev"], propose=["stag"]),
                "staging": Branch(deploy=["stag"], cron=True),
                "master": Branch(deploy=["stag"], propose=["prod"]),
            }
        return self


def quote(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return "null" if value is None else json.dumps(value)


def block(value: Any, indent: int = 0) -> list[str]:
    pad, lines = " " * indent, []
    if isinstance(value, dict):
        for key, item in value.items():
            name = key if _PLAIN_KEY.fullmatch(key) else quote(key)
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{name}:")
                lines.extend(block(item, indent + 2))
            else:
                lines.append(f"{pad}{name}: {_inline(item)}")
        return lines
    for item in value:
        if isinstance(item, (dict, list)) and item:
            inner = block(item, indent + 2)
            lines.append(f"{pad}- {inner[0][indent + 2:]}")
            lines.extend(inner[1:])
        else:
            lines.append(f"{pad}- {_inline(item)}")
    return lines


def _inline(value: Any) -> str:
    return "{}" if value == {} else "[]" if value == [] else quote(value)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
    )
    env.filters.update(q=quote, sh=shlex.quote, block=block)
    return env


class Floor:
    def __init__(self) -> None:
        templates = environment()
        self.makefile, self.values, self.application = (
            templates.get_template(name) for name in ("Makefile.j2", "values.yaml.j2", "application.yaml.j2")
        )
        self.drift = self.invalid = 0

    def render(self, spec_path: Path, spec: Spec) -> dict[Path, str]:
        header = f"# Generated from {spec_path.as_posix()}; edit the spec, not this file."
        here = spec_path.parent
        charts = here / spec.charts.checkout
        # A monorepo's apps (every workload app) have no pipeline of their own: the repository has one
        # at its root (`root_pipeline`), as shipspec renders it since monorepos (1.2).
        files = {here / "Makefile": self.makefile.render(header=header, spec=spec)}
        for env in spec.environments:
            values_path = charts / spec.charts.path / env.values_file
            tag = env.pin or _current_tag(values_path)
            files[values_path] = self.values.render(header=header, spec=spec, env=env, tag=tag)
            files[charts / spec.argocd.manifests / f"{spec.name}-{env.name}.yaml"] = self.application.render(
                header=header, spec=spec, env=env
            )
        return files

    def app(self, spec_path: Path, write: bool) -> None:
        try:
            spec = Spec.model_validate(yaml.load(spec_path.read_bytes(), Loader=yaml.CSafeLoader))
        except (yaml.YAMLError, ValidationError) as exc:
            self.invalid += 1
            click.echo(f"{spec_path}: invalid: {exc}", err=True)
            return
        for path, text in self.render(spec_path, spec).items():
            current = _read(path)
            if current == text:
                continue
            if write:
                path.parent.mkdir(parents=True, exist_ok=True)
                temporary = path.with_name(f".{path.name}.tmp")
                temporary.write_text(text, encoding="utf-8")
                os.replace(temporary, path)
            else:
                self.drift += 1
                diff = difflib.unified_diff((current or "").splitlines(True), text.splitlines(True), str(path), str(path))
                sys.stdout.writelines(diff)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _current_tag(path: Path) -> str:
    match = _TAG_LINE.search(_read(path) or "")
    return json.loads(match[1]) if match else ""


def _specs(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if "shipspec.yaml" in files:
            yield Path(top, "shipspec.yaml")


@click.command()
@click.argument("action", type=click.Choice(["check", "generate"]))
@click.argument("roots", nargs=-1, type=click.Path(exists=True, path_type=Path))
def main(action: str, roots: tuple[Path, ...]) -> None:
    floor = Floor()
    specs = [spec_path for root in roots or (Path("shipspec.yaml"),) for spec_path in _specs(root)]
    for spec_path in specs:
        floor.app(spec_path, write=action == "generate")
    if root_pipeline(specs, write=action == "generate") and action == "check":
        floor.drift += 1
    sys.exit(2 if floor.invalid else 1 if floor.drift else 0)


if __name__ == "__main__":
    main()
