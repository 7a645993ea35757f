"""The cheaper path helpers of check's full path (issue 25) give exactly what the plain ones give."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipspec.files import discovery, monorepo, paths


@pytest.mark.parametrize("shown", [
    "shipspec.yaml", "apps/a/shipspec.yaml", "./apps/a", "apps/a/../../charts/x.yaml", "apps/../apps/a",
    "..", "../x", "../here/apps/a", "..foo/x", ".", "a//b/",
])
def test_display_path_is_relpath_without_getcwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shown: str) -> None:
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert paths.display_path(Path(shown)) == Path(os.path.relpath(Path(shown))).as_posix()
    assert paths.display_path(tmp_path / shown) == (tmp_path / shown).as_posix()


def test_resolve_is_path_resolve_through_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real" / "app"
    real.mkdir(parents=True)
    (real / "shipspec.yaml").write_text("x", encoding="utf-8")
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    (real / "alias.yaml").symlink_to(real / "shipspec.yaml")
    (tmp_path / "real" / "applink").symlink_to(real)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real" / "up").symlink_to("app/..")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    shown_paths = ("real/app/shipspec.yaml", "linked/app/shipspec.yaml", "linked/../real/app/shipspec.yaml",
                   "real/app/alias.yaml", "real/applink/shipspec.yaml", "real/app/missing.yaml",
                   str(tmp_path / "linked/app/shipspec.yaml"), "./real/app/shipspec.yaml", "real/applink/../app",
                   "linked/applink/../../linked/app/./shipspec.yaml", "real/up/app", "dangling/x", "..", ".",
                   "real//app/", "real/app/shipspec.yaml/..", "/", "..foo/x", "real/..app")
    for listed in (False, True):
        for shown in shown_paths:
            paths.forget()
            if listed:  # answers from the folders' listings instead of lstat calls
                for folder in (tmp_path, tmp_path / "real", real):
                    paths.listing(str(folder))
            assert paths.resolve(Path(shown)) == Path(shown).resolve(), shown
            assert paths.resolve(Path(shown)) == Path(shown).resolve(), shown  # from what the run knows
            assert paths.real_path(shown) == os.path.realpath(shown), shown


def _tree(root: Path) -> None:
    """Specs in every place the walks must tell apart: nested repositories (a .git folder, a .git file,
    a .git link, the marker), folders they skip (hidden, node_modules), links to folders, odd spec entries."""
    spec = "name: x\n"
    for folder in ("a", "a/b", "a/b/c", "z", "z-y", "z/y", "n1", "n1/in", "n2", "n3", "m", "m2", ".hidden",
                   "node_modules", "apps/x", "apps/x/deep/er", "odd", "oddlink", "dirspec/shipspec.yaml",
                   "real", "fifo"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for folder in ("a", "a/b", "a/b/c", "z", "z-y", "z/y", "n1", "n1/in", "n2", "n3", "m", "m2", ".hidden",
                   "node_modules", "apps/x", "apps/x/deep/er", "real", "dirspec/shipspec.yaml"):
        (root / folder / "shipspec.yaml").write_text(spec)
    (root / "n1" / ".git").mkdir()
    (root / "n2" / ".git").write_text("gitdir: elsewhere\n")
    (root / "n3" / ".git").symlink_to(root / "n1" / ".git")
    (root / "m" / monorepo.MARKER).write_text("")
    (root / "m2" / monorepo.MARKER).mkdir()  # a folder is no marker
    (root / "apps" / ".git").symlink_to(root / "nowhere")  # a dangling .git: not a repository
    (root / "linked").symlink_to(root / "real")
    (root / "odd" / "shipspec.yaml").symlink_to(root / "real" / "shipspec.yaml")
    (root / "oddlink" / "shipspec.yaml").symlink_to(root / "nowhere")
    os.mkfifo(root / "fifo" / "shipspec.yaml")
    (root / "shipspec.yaml").write_text(spec)


def _walked_specs(top: Path) -> list[Path]:  # what discovery did with os.walk
    found = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in discovery._SKIP_DIRS)
        if paths.SPEC_NAME in files and Path(folder, paths.SPEC_NAME).is_file():
            found.append(Path(folder, paths.SPEC_NAME))
    return found


def _walked_members(root: Path) -> tuple[Path, ...]:  # what monorepo.members did with os.walk
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in discovery._SKIP_DIRS
                         and not (here / d / ".git").exists() and not (here / d / monorepo.MARKER).is_file())
        if paths.SPEC_NAME in files and (here / paths.SPEC_NAME).is_file():
            found.append(here / paths.SPEC_NAME)
    return tuple(sorted(found))


def test_walks_find_what_os_walk_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    for top in (".", "a", "apps", "linked", "z/", str(tmp_path)):
        assert discovery.find_specs([top]) == _walked_specs(Path(top)), top
    for root in (tmp_path, tmp_path / "n1", tmp_path / "m", tmp_path / "a"):
        monorepo.forget()
        assert monorepo.members(root) == _walked_members(root), root
        for folder in (root, *(spec.parent for spec in monorepo.members(root))):  # roots, now from the listings
            assert monorepo.root_of(folder) == _root_of(folder), folder
            assert paths.git_root(folder) == _git_root(folder), folder


def _root_of(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists() or (candidate / monorepo.MARKER).is_file():
            return candidate
    return None


def _git_root(folder: Path) -> Path | None:
    return next((candidate for candidate in (folder, *folder.parents) if (candidate / ".git").exists()), None)
