"""Read a charts checkout for `shipspec import`: the Argo CD Applications that deploy an app,
the value files they name and the charts' values.yaml, each YAML document with the line and
column of every key, as the plain data render/adopt.py takes."""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError
from ..render.adoption.inputs import Adoption, Located
from .paths import display_path

_APPLICATION = re.compile(r"^kind:\s*[\"']?Application[\"']?\s*(#.*)?$", re.MULTILINE)
_SKIP_DIRS = {".git", "node_modules"}
MAX_FILE_BYTES = 1024 * 1024


def _marks(node: yaml.Node, loc: tuple[Any, ...], marks: dict[tuple[Any, ...], tuple[int, int]]) -> None:
    marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                name = key.value
                _marks(value, (*loc, name), marks)
                marks[(*loc, name)] = (key.start_mark.line + 1, key.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _marks(item, (*loc, i), marks)


def read_yaml(path: Path, shown: str) -> list[Located]:
    """Every document of a YAML file; UsageError (exit 2) naming the line of a syntax error."""
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{display_path(path)}: cannot read it as UTF-8 text: {exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(f"{display_path(path)}: larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        datas = list(yaml.safe_load_all(text))
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise UsageError(f"{display_path(path)}{where}: invalid YAML: {exc.problem or exc.context}; "
                         "nothing was written") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise UsageError(f"{display_path(path)}: invalid YAML: {exc}; nothing was written") from None
    documents = []
    for data, node in zip(datas, nodes):
        marks: dict[tuple[Any, ...], tuple[int, int]] = {}
        if node is not None:
            _marks(node, (), marks)
        documents.append(Located(shown, data, marks, len(datas)))
    return [doc for doc in documents if doc.data is not None] or documents


def _yaml_files(root: Path) -> Iterator[tuple[Path, str]]:
    """YAML files of the checkout outside chart folders (templates there are not YAML)."""
    for folder, dirs, files in os.walk(root):
        if "Chart.yaml" in files:
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                path = Path(folder, name)
                yield path, path.relative_to(root).as_posix()


def _is_application(doc: Located) -> bool:
    data = doc.data
    return isinstance(data, dict) and data.get("kind") == "Application" and \
        str(data.get("apiVersion", "")).startswith("argoproj.io/")


def _sources(data: dict[str, Any]) -> list[dict[str, Any]]:
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    sources = [spec["source"]] if isinstance(spec.get("source"), dict) else []
    return sources + [s for s in spec.get("sources") or [] if isinstance(s, dict)]


def _chart_name(root: Path, folder: str) -> str | None:
    try:
        data = yaml.safe_load((root / folder / "Chart.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return data.get("name") if isinstance(data, dict) else None


def _chart_folder(source: dict[str, Any]) -> str | None:
    path = source.get("path")
    return posixpath.normpath(path.strip().strip("/")) if isinstance(path, str) and path.strip("/ ") else None


def deploys(doc: Located, app: str, root: Path) -> bool:
    """SPEC 1.2: its Helm release name, chart name or chart folder is APP, or its name is APP-<env>."""
    data = doc.data
    name = (data.get("metadata") or {}).get("name") if isinstance(data.get("metadata"), dict) else None
    if isinstance(name, str) and name.startswith(f"{app}-"):
        return True
    for source in _sources(data):
        helm = source.get("helm") if isinstance(source.get("helm"), dict) else {}
        folder = _chart_folder(source)
        names = {helm.get("releaseName"), source.get("chart")}
        if folder is not None:
            names |= {posixpath.basename(folder), _chart_name(root, folder)}
        if app in names:
            return True
    return False


def _value_files(doc: Located) -> Iterator[str]:
    for source in _sources(doc.data):
        helm = source.get("helm") if isinstance(source.get("helm"), dict) else {}
        folder = _chart_folder(source)
        for value in helm.get("valueFiles") or []:
            if not isinstance(value, str):
                continue
            value = value.strip()
            if value.startswith("$values/"):
                yield posixpath.normpath(value.removeprefix("$values/"))
            elif folder is not None and not value.startswith(("$", "http:", "https:")):
                yield posixpath.normpath(posixpath.join(folder, value))


def default_branch(root: Path) -> str | None:
    """The branch HEAD of the charts repo means to Argo CD: the default branch of origin (its HEAD);
    in a repo without remotes, the branch checked out; None when git cannot tell."""
    origin = _git(root, "symbolic-ref", "--short", "refs/remotes/origin/HEAD")
    if origin:
        return origin.removeprefix("origin/")
    if _git(root, "remote") == "":  # no remote: this repo is the charts repo
        return _git(root, "symbolic-ref", "--short", "HEAD")
    return None


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def scan(root: Path, app: str, envs: tuple[str, ...], checkout: str) -> Adoption:
    """Everything import reads about `app` in the charts checkout at `root`."""
    if not root.is_dir():
        raise UsageError(f"charts checkout {display_path(root)} is not a directory; pass --charts-dir")
    applications: list[Located] = []
    users: dict[str, list[str]] = {}
    existing = set()
    for path, shown in _yaml_files(root):
        existing.add(shown)
        try:
            head = path.read_bytes()[:MAX_FILE_BYTES].decode("utf-8", errors="replace")
        except OSError:
            continue
        if not _APPLICATION.search(head):
            continue
        for doc in read_yaml(path, shown):
            if not _is_application(doc):
                continue
            name = (doc.data.get("metadata") or {}).get("name")
            for value_file in _value_files(doc):
                users.setdefault(value_file, []).append(str(name))
            if deploys(doc, app, root):
                applications.append(doc)
    if not applications:
        raise UsageError(
            f"no Argo CD Application in {display_path(root)} deploys {app} (none has the Helm release name, chart "
            f"name or chart folder {app}, or the name {app}-<env>); nothing was written")
    charts: dict[str, Located] = {}
    overlays: dict[str, Located | None] = {}
    for doc in applications:
        for source in _sources(doc.data):
            folder = _chart_folder(source)
            if folder is not None and folder not in charts and (root / folder / "Chart.yaml").is_file():
                values = root / folder / "values.yaml"
                shown = f"{folder}/values.yaml"
                charts[folder] = read_yaml(values, shown)[0] if values.is_file() else Located(shown, {})
        for value_file in _value_files(doc):
            if value_file not in overlays:
                overlays[value_file] = _overlay(root, value_file)
    return Adoption(app, applications, overlays, charts, users, envs, default_branch(root), checkout,
                    frozenset(existing))


def _overlay(root: Path, value_file: str) -> Located | None:
    path = root / value_file
    if value_file.startswith("..") or not path.is_file():
        return None
    docs = read_yaml(path, value_file)
    data = docs[0].data if docs else None
    if data is None:
        return Located(value_file, {})
    return docs[0] if isinstance(data, dict) and len(docs) == 1 else None
