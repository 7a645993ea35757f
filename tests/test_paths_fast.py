"""The cheaper path helpers of check's full path (issue 25) give exactly what the plain ones give."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipspec.files import discovery, fastcheck, monorepo, paths, workspace
from shipspec.render.core import Output


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


def test_the_stale_scan_probes_only_what_the_listings_show(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / ".github" / "workflows").mkdir(parents=True)
    (app / ".github" / "workflows" / "shipspec.yml").write_text("x")
    (app / "Makefile").write_text("x")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / ".gitlab-ci.yml").write_text("x")
    (app / ".gitlab-ci.yml").symlink_to(tmp_path / "elsewhere" / ".gitlab-ci.yml")
    paths.forget()
    where = fastcheck.Layout("x", "../charts", "charts/x", "argocd")
    assert sorted(fastcheck.candidates(app, None, where)) == [
        "app:.github/workflows/shipspec.yml", "app:.gitlab-ci.yml", "app:Makefile"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / ".github").symlink_to(app / ".github")  # a link on the way: probed
    paths.forget()
    assert sorted(fastcheck.candidates(tmp_path / "other", None, where)) == ["app:.github/workflows/shipspec.yml"]


@pytest.mark.parametrize("link", ["Makefile", "charts", "charts/x", "charts/x/values.dev.yaml", "argocd",
                                  "argocd/x-dev.yaml", "none"])
def test_disk_path_and_checked_path_refuse_the_same_links(tmp_path: Path, monkeypatch, link: str) -> None:
    app, charts, outside = tmp_path / "app", tmp_path / "charts", tmp_path / "outside"
    for folder in (app, charts / "charts" / "x", charts / "argocd", outside / "charts" / "x", outside / "argocd"):
        folder.mkdir(parents=True, exist_ok=True)
    if link != "none":
        place = app / link if link == "Makefile" else charts / link
        if place.is_dir():
            place.rename(tmp_path / "moved")
        else:
            place.unlink(missing_ok=True)
        place.symlink_to(outside / link)
    monkeypatch.chdir(app)
    paths.forget()  # as check does first
    outputs = [Output("app", "Makefile"), Output("charts", "charts/x/values.dev.yaml"), Output("charts", "argocd/x-dev.yaml")]
    for output in outputs:
        answers: list[object] = []
        asks = [lambda: workspace.disk_path(output, Path("."), Path("../charts"))]  # asked now
        asks += [lambda: Path(workspace.checked_path(output, "." if output.root == "app" else "../charts"))] * 2
        for ask in asks:  # then check's way, from the run's listings, twice
            try:
                answers.append(ask())
            except Exception as exc:  # noqa: BLE001 - the same refusal either way
                answers.append(str(exc))
        assert answers[0] == answers[1] == answers[2], (output, answers)
        through = output.path == link or output.path.startswith(link + "/")
        assert ("symbolic link" in str(answers[0])) == (through and (output.root == "app") == (link == "Makefile"))


def test_read_file_reads_all_or_the_limit_plus_one(tmp_path: Path) -> None:
    small, big, empty = tmp_path / "small", tmp_path / "big", tmp_path / "empty"
    small.write_bytes(b"abc")
    big.write_bytes(bytes(range(256)) * 1000)  # beyond one read
    empty.write_bytes(b"")
    assert paths.read_file(small) == b"abc"
    assert paths.read_file(big) == big.read_bytes()
    assert paths.read_file(empty) == b""
    assert paths.read_file(big, 70_000) == big.read_bytes()[:70_001]
    assert paths.read_file(small, 10) == b"abc"
    with pytest.raises(FileNotFoundError):
        paths.read_file(tmp_path / "missing")
    with pytest.raises(IsADirectoryError):
        paths.read_file(tmp_path)
