"""The cheaper path helpers of check's full path (issue 25) give exactly what the plain ones give."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipspec.files import paths


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
    for shown in ("real/app/shipspec.yaml", "linked/app/shipspec.yaml", "linked/../real/app/shipspec.yaml",
                  "real/app/alias.yaml", "real/applink/shipspec.yaml", "real/app/missing.yaml",
                  str(tmp_path / "linked/app/shipspec.yaml"), "./real/app/shipspec.yaml"):
        assert paths._resolve(Path(shown)) == Path(shown).resolve(), shown


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
