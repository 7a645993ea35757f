"""Same output before and after a performance change: `check` and `generate` on in-sync, drifted,
invalid, stale and symlinked trees of both workloads, run by two builds, compared byte for byte.

    python benchmarks/outputs.py BASE [HEAD]    # commits (git archive); HEAD default: the working tree

Each build works on fresh trees at the same absolute paths (so every message may name them), built
from the same deterministic workloads. Prints each difference; exit 1 when there is one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import workload  # noqa: E402

REPO = HERE.parent
APPS = 12


def _stale(root: Path) -> None:
    """Specs edited so that files they generated before are no longer produced."""
    apps = sorted((root / "apps").iterdir())
    switch = apps[1] / "shipspec.yaml"  # another CI provider: the old pipeline is stale
    switch.write_text(switch.read_text(encoding="utf-8") + "ci: gitlab\n", encoding="utf-8")
    moved = apps[4] / "shipspec.yaml"  # another manifests folder: the old Applications are stale
    moved.write_text(moved.read_text(encoding="utf-8").replace("argocd:\n", "argocd:\n  manifests: deploy\n", 1),
                     encoding="utf-8")


def _link(root: Path) -> None:
    """A Makefile that is a symbolic link out of the app's folder."""
    outside = root / "outside"
    outside.mkdir()
    (outside / "Makefile").write_text("all:\n", encoding="utf-8")
    makefile = sorted((root / "apps").iterdir())[2] / "Makefile"
    makefile.unlink()
    makefile.symlink_to(outside / "Makefile")


VARIANTS: dict[str, Callable[[Path], object]] = {
    "sync": lambda root: None,
    "drift": lambda root: workload.drift(root, 4),
    "invalid": lambda root: workload.break_specs(root, 4),
    "stale": _stale,
    "link": _link,
}
CHECKS = (
    ("check", "apps"),
    ("check", "--format", "json", "apps"),
    ("check", "--jobs", "2", "apps"),
    ("check", "--skip-charts", "apps"),
    ("check", "--charts-dir", "charts", "apps"),
    ("check", "--format", "json", "apps/app0003/shipspec.yaml", "apps/app0001"),
    ("generate", "--dry-run", "apps"),
)


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if ".git" in path.parts:
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        if path.is_symlink():
            digest.update(b"->" + os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _build(root: Path, shipspec: list[str], lean: bool, variant: str) -> None:
    if root.exists():
        shutil.rmtree(root)
    workload.create(root, APPS, lean=lean)
    env = {**os.environ, "SHIPSPEC_FULL_CHECK": "1"}
    subprocess.run([*shipspec, "generate", "apps"], cwd=root, check=True, capture_output=True, env=env)
    if lean:
        workload.release_all(root)
        subprocess.run([*shipspec, "generate", "apps"], cwd=root, check=True, capture_output=True, env=env)
    VARIANTS[variant](root)


def outputs(shipspec: list[str], place: Path) -> dict[str, object]:
    """Every command's exit code, stdout and stderr, and the tree after a real generate."""
    found: dict[str, object] = {}
    for lean in (False, True):
        for variant in VARIANTS:
            root = place / f"{'lean' if lean else 'classic'}-{variant}"
            _build(root, shipspec, lean, variant)
            before = _tree_digest(root)
            for words in CHECKS:
                for full in ("0", "1"):
                    env = {**os.environ, "SHIPSPEC_FULL_CHECK": full, "NO_COLOR": "1"}
                    done = subprocess.run([*shipspec, *words], cwd=root, capture_output=True, text=True, env=env)
                    found[f"{root.name}: {' '.join(words)} (full={full})"] = [done.returncode, done.stdout, done.stderr]
            found[f"{root.name}: tree untouched by check"] = _tree_digest(root) == before
            done = subprocess.run([*shipspec, "generate", "apps"], cwd=root, capture_output=True, text=True)
            found[f"{root.name}: generate"] = [done.returncode, done.stdout, done.stderr, _tree_digest(root)]
    return found


def _source(commit: str | None, workdir: Path) -> list[str]:
    tree = REPO
    if commit is not None:
        tree = workdir / f"src-{commit}"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return [sys.executable, str(HERE / "source_shipspec.py"), str(tree)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="the commit before the change")
    parser.add_argument("head", nargs="?", help="the commit after it (default: the working tree)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="shipspec-outputs-"))
    try:
        place = workdir / "trees"
        results = [outputs(_source(commit, workdir), place) for commit in (args.base, args.head)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    before, after = results
    differ = [key for key in before if before[key] != after.get(key)]
    for key in differ:
        print(f"DIFFERS: {key}\n  before: {json.dumps(before[key])[:2000]}\n  after:  {json.dumps(after.get(key))[:2000]}")
    print(f"{len(before)} outputs compared, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
