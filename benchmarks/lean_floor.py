"""The lean floor (issue 25): the least a `check` of one app can cost in Python.

Per app: load the spec with libyaml (`yaml.CSafeLoader`), validate it with a
pydantic v2 model whose string rules are `pattern` constraints (checked in
pydantic-core, no Python validator), render the same 7 files shipspec renders
for a released app of the lean workload (Makefile, and per environment a
values overlay and an Argo CD Application; the workload is a monorepo, so its
one CI file is at the repository root, see floor_root.py) with Jinja templates
compiled once per process, and read each file once: an overlay's current tag
comes from the same bytes it is compared with. Like any CLI it imports click.

`floor.py` is the heavier yardstick (a model with Python validators, overlays
read twice); this one shows shipspec's fixed per-app cost where it is not
hidden under the floor's.

    python benchmarks/lean_floor.py check DIR      # 0 in sync, 1 drift, 2 invalid
    python benchmarks/lean_floor.py generate DIR   # 0 written or nothing to do, 2 invalid
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import click
import jinja2
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from floor_root import root_pipeline

TEMPLATES = Path(__file__).resolve().parent / "floor_templates"
_TAG_LINE = re.compile(r'^  tag: (".*")', re.MULTILINE)
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")


def _pattern(regex: str) -> Any:
    return StringConstraints(pattern=f"^(?:{regex})$")


Dns = Annotated[str, _pattern(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")]
Label = Annotated[str, _pattern(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")]
Rel = Annotated[str, _pattern(r"[^/\x00-\x1f\\][^\x00-\x1f\\]*")]
Repo = Annotated[str, _pattern(r"([a-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*")]
GitUrl = Annotated[str, _pattern(r"(ssh|https|file)://\S*|[\w.~-]+@[\w.-]+:\S+")]
Line = Annotated[str, _pattern(r"[^\x00-\x1f\x7f]+")]


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


class ArgoCD(M):
    project: Dns = "default"
    namespace: Dns = "argocd"
    manifests: Rel = "argocd"
    cascade_delete: bool = True
    prune: bool = False
    self_heal: bool = False
    sync_options: list[Line] = []
    labels: dict[Label, Label] = {}
    notify: None = None


class Env(M):
    name: Dns
    namespace: Dns | None = None
    server: Annotated[str, _pattern(r"https?://[^\s/]+(/\S*)?")] = "https://kubernetes.default.svc"
    values_file: Annotated[str, _pattern(r"[^/\\\x00-\x1f]+")] | None = None
    auto_sync: bool = True
    pin: None = None
    values: dict[str, Any] = {}


class Branch(M):
    deploy: list[Dns] = []
    propose: list[Dns] = []
    cron: bool = False


class Travis(M):
    dist: Dns = "jammy"
    secure: list[str] = []
    slack: None = None


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
        loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined, auto_reload=False,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
    )
    env.filters.update(q=quote, sh=shlex.quote, block=block)
    return env


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


class LeanFloor:
    def __init__(self) -> None:
        templates = environment()
        self.makefile, self.values, self.application = (
            templates.get_template(name) for name in ("Makefile.j2", "values.yaml.j2", "application.yaml.j2")
        )
        self.drift = self.invalid = 0

    def app(self, spec_path: str, write: bool) -> None:
        try:
            with open(spec_path, "rb") as handle:
                spec = Spec.model_validate(yaml.load(handle.read(), Loader=yaml.CSafeLoader))
        except (yaml.YAMLError, ValidationError) as exc:
            self.invalid += 1
            click.echo(f"{spec_path}: invalid: {exc}", err=True)
            return
        header = f"# Generated from {spec_path}; edit the spec, not this file."
        here = os.path.dirname(spec_path)
        charts = os.path.join(here, spec.charts.checkout)
        chart, manifests = os.path.join(charts, spec.charts.path), os.path.join(charts, spec.argocd.manifests)
        self.compare(os.path.join(here, "Makefile"), None, self.makefile.render(header=header, spec=spec), write)
        for env in spec.environments:
            path = os.path.join(chart, env.values_file)
            current = _read(path)  # read once: its tag, then the comparison
            match = _TAG_LINE.search(current or "")
            tag = json.loads(match[1]) if match else ""
            self.compare(path, current, self.values.render(header=header, spec=spec, env=env, tag=tag), write)
            application = self.application.render(header=header, spec=spec, env=env)
            self.compare(os.path.join(manifests, f"{spec.name}-{env.name}.yaml"), None, application, write)

    def compare(self, path: str, current: str | None, text: str, write: bool) -> None:
        current = _read(path) if current is None else current
        if current == text:
            return
        if write:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            temporary = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, path)
        else:
            self.drift += 1
            diff = difflib.unified_diff((current or "").splitlines(True), text.splitlines(True), path, path)
            sys.stdout.writelines(diff)


def _specs(root: str) -> list[str]:
    if os.path.isfile(root):
        return [root]
    found = []
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if "shipspec.yaml" in files:
            found.append(os.path.join(top, "shipspec.yaml"))
    return found


@click.command()
@click.argument("action", type=click.Choice(["check", "generate"]))
@click.argument("roots", nargs=-1, type=click.Path(exists=True))
def main(action: str, roots: tuple[str, ...]) -> None:
    floor = LeanFloor()
    specs = [spec_path for root in roots or ("shipspec.yaml",) for spec_path in _specs(root)]
    for spec_path in specs:
        floor.app(spec_path, write=action == "generate")
    if root_pipeline([Path(spec) for spec in specs], write=action == "generate") and action == "check":
        floor.drift += 1
    sys.exit(2 if floor.invalid else 1 if floor.drift else 0)


if __name__ == "__main__":
    main()
