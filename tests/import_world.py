"""Charts repos for the `shipspec import` tests, and the proof that adoption changes nothing:
`helm template` of every Application as Argo CD renders it, before and after.

Independent of shipspec's own code on purpose: the Argo CD reading of an Application and
the render are written here again, from Argo CD's documentation, so a wrong inverse in
shipspec cannot hide behind the same mistake in its comparison.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from .tools import REPO_ROOT, in_ci, require_tool
    from .validators import helm_env
except ImportError:  # tests/ on sys.path
    from tools import REPO_ROOT, in_ci, require_tool  # type: ignore[no-redef]
    from validators import helm_env  # type: ignore[no-redef]

FINALIZER = "resources-finalizer.argocd.argoproj.io"


def shared_fixtures() -> Path:
    """../shared/fixtures: skipped without it on a developer machine, a failure under CI=true."""
    folder = REPO_ROOT.parent / "shared" / "fixtures"
    if not folder.is_dir():
        message = f"{folder} is missing: the real charts repos import is tested on"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return folder


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args],
                          cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit_repo(folder: Path, branch: str = "main") -> None:
    git(folder, "init", "-q", "-b", branch)
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "what runs now")


def write_files(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target)


def applications(root: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every Argo CD Application of the checkout by name: (file, document)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for folder, dirs, files in os.walk(root):
        if "Chart.yaml" in files:
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            if not name.endswith((".yaml", ".yml")):
                continue
            path = Path(folder, name)
            try:
                docs = list(yaml.safe_load_all(path.read_text()))
            except yaml.YAMLError:
                continue
            for doc in docs:
                if isinstance(doc, dict) and doc.get("kind") == "Application":
                    found[doc["metadata"]["name"].strip()] = (path.relative_to(root).as_posix(), doc)
    return found


def argocd_reads(app: dict[str, Any], default_branch: str) -> dict[str, Any]:
    """An Application as Argo CD reads it (its defaults written out); labels left out (compared apart)."""
    app = copy.deepcopy(app)
    meta, spec = app["metadata"], app["spec"]
    meta = {k: v for k, v in meta.items() if k != "labels" and v not in ({}, [], None)}
    sources = spec.get("sources") or [spec["source"]]
    for source in sources:
        for key in ("repoURL", "path"):
            if isinstance(source.get(key), str):
                source[key] = source[key].strip()
        if "chart" not in source and source.get("targetRevision", "HEAD") in ("HEAD", ""):
            source["targetRevision"] = default_branch  # Argo CD: HEAD of a git repo is its default branch
        if "helm" in source:
            source["helm"].setdefault("releaseName", meta["name"].strip())  # default: the Application's name
            source["helm"]["valueFiles"] = [f.strip() for f in source["helm"].get("valueFiles", [])]
    policy = spec.get("syncPolicy") or {}
    if "automated" in policy:
        policy["automated"] = {"prune": False, "selfHeal": False, "allowEmpty": False, **(policy["automated"] or {})}
    spec["syncPolicy"] = {k: v for k, v in policy.items() if v not in ([], None)}
    if not spec["syncPolicy"]:
        del spec["syncPolicy"]
    meta["name"] = meta["name"].strip()
    return {"metadata": meta, "spec": spec, "apiVersion": app["apiVersion"], "kind": app["kind"]}


def helm_template(root: Path, app: dict[str, Any], published: dict[str, Path]) -> str:
    """`helm template` as Argo CD renders the Application: the chart's values.yaml, then its
    valueFiles in order, its release name (default: the Application's name) and namespace."""
    spec, name = app["spec"], app["metadata"]["name"].strip()
    if "sources" in spec:
        chart = next(s for s in spec["sources"] if "chart" in s)
        folder = published[chart["chart"]]  # the published chart at that version, as Argo CD fetches it
        files = [root / f.strip().removeprefix("$values/") for f in chart["helm"]["valueFiles"]]
        helm = chart["helm"]
    else:
        source = spec["source"]
        folder = root / source["path"].strip()
        helm = source.get("helm") or {}
        files = [folder / f.strip() for f in helm.get("valueFiles", [])]
    command = [require_tool("helm"), "template", helm.get("releaseName") or name, str(folder),
               "--namespace", spec["destination"]["namespace"], *(a for f in files for a in ("--values", str(f)))]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=helm_env())
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Before:
    """What runs before import: per Application, its render, its document and its file."""

    renders: dict[str, str] = field(default_factory=dict)
    apps: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # path -> text of every file of the checkout


def snapshot(root: Path, names: list[str], published: dict[str, Path]) -> Before:
    found = applications(root)
    before = Before()
    for name in names:
        before.apps[name] = found[name]
        before.renders[name] = helm_template(root, found[name][1], published)
    for path in root.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            before.files[path.relative_to(root).as_posix()] = path.read_text()
    return before


def changed_files(root: Path) -> set[str]:
    git(root, "add", "-A")
    lines = git(root, "status", "--porcelain", "--no-renames").splitlines()
    return {line[3:] for line in lines}
