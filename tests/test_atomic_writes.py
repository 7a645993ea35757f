"""generate writes each app all or nothing: failures mid-run leave every file old, no temp file, exit 2.

Guarantee (generator/files/writer.py `write_all`): per batch of apps, every new
text is first written to a temp file next to its target and made durable
(one syncfs per filesystem on Linux, else an fsync per file); only then are
the temp files renamed over the targets. A failure while staging changes
nothing; a failure between renames puts back the files already replaced.
Apps of one run are written one after the other, so an earlier app may be
new while a later one is still old; a re-run finishes the job.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from shipspec.files import writer
from shipspec.cli import main
from samples import SAMPLES_DIR, seed_released


def shipspec(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code or 0)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/app (myapp sample, generated once) and tmp/charts; then the spec changes every file."""
    (tmp_path / "app").mkdir()
    seed_released(tmp_path / "charts")
    shutil.copy(SAMPLES_DIR / "myapp" / "shipspec.yaml", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    assert shipspec("generate") == 0
    spec = tmp_path / "app" / "shipspec.yaml"
    spec.write_text(spec.read_text().replace("name: myapp", "name: myapp\n# changed"))  # new digest: 8 updates
    return tmp_path


def _old_or_all_new(project: Path, before: dict[str, bytes], capsys: pytest.CaptureFixture[str]) -> None:
    after = snapshot(project)
    assert after == before, "a failed generate changed files"
    assert not [p for p in project.rglob("*") if p.name.endswith(".tmp")], "temp file left behind"
    err = capsys.readouterr().err
    assert "cannot write" in err and "nothing was changed" in err and "Traceback" not in err, err


def test_disk_full_while_staging_changes_nothing(project: Path, monkeypatch, capsys) -> None:
    before = snapshot(project)
    real_stage, calls = writer._stage, []

    def stage(path: Path, text: str) -> str:
        calls.append(path)
        if len(calls) == 5:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_stage(path, text)

    monkeypatch.setattr(writer, "_stage", stage)
    assert shipspec("generate") == 2
    _old_or_all_new(project, before, capsys)
    monkeypatch.undo()
    monkeypatch.chdir(project / "app")
    assert shipspec("generate") == 0  # re-runnable
    assert snapshot(project) != before


def test_failure_between_renames_puts_back_what_was_replaced(project: Path, monkeypatch, capsys) -> None:
    before = snapshot(project)
    real_replace, calls = os.replace, []

    def replace(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 4:
            raise OSError(errno.EIO, os.strerror(errno.EIO), dst)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    assert shipspec("generate") == 2
    _old_or_all_new(project, before, capsys)


def test_a_file_in_the_way_of_a_folder_refuses_cleanly(project: Path, capsys) -> None:
    folder = project / "charts" / "argocd"  # a file where a folder must be: fails even for root
    shutil.rmtree(folder)
    folder.write_text("not a folder\n")
    before = snapshot(project)
    assert shipspec("generate") == 2
    assert snapshot(project) == before
    assert "argocd" in capsys.readouterr().err


def test_new_folders_are_removed_when_the_write_fails(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "charts").mkdir()
    shutil.copy(SAMPLES_DIR / "myapp" / "shipspec.yaml", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    monkeypatch.setattr(writer, "_syncfs", lambda: None)  # the portable path: one fsync per file
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left")))
    assert shipspec("generate") == 2
    assert snapshot(tmp_path).keys() == {"app/shipspec.yaml"}
    assert not list((tmp_path / "charts").iterdir()), "empty folders left in the charts checkout"


def test_a_file_another_generate_is_about_to_rename_is_neither_stale_nor_pruned(project: Path) -> None:
    # What a generate running beside this one stages (writer._stage): this app's header, this app's folder.
    assert shipspec("generate") == 0
    overlay = project / "charts" / "charts" / "myapp" / "values.dev.yaml"
    staged = overlay.with_name(f".{overlay.name}.k3x_9q2z.tmp")
    staged.write_bytes(overlay.read_bytes())
    assert writer.is_staged(staged.name) and not writer.is_staged(overlay.name)
    assert shipspec("check") == 0  # proven in sync, nothing stale
    assert shipspec("generate") == 0 and staged.exists()  # not pruned from under the other generate


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs(2) is Linux-only")
def test_a_failed_syncfs_changes_nothing(project: Path, monkeypatch, capsys) -> None:
    import ctypes

    assert writer._syncfs() is not None, "Linux: staged files are made durable with syncfs"
    calls: list[int] = []

    def syncfs(fd: int) -> int:
        calls.append(fd)
        ctypes.set_errno(errno.EIO)
        return -1

    before = snapshot(project)
    monkeypatch.setattr(writer, "_syncfs", lambda: syncfs)
    assert shipspec("generate") == 2
    assert calls, "syncfs was not called"
    _old_or_all_new(project, before, capsys)


def test_an_exception_between_files_leaves_everything_old(project: Path, monkeypatch) -> None:
    before = snapshot(project)
    real_stage, calls = writer._stage, []

    def stage(path: Path, text: str) -> str:
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_stage(path, text)

    monkeypatch.setattr(writer, "_stage", stage)
    assert shipspec("generate") == 130
    assert snapshot(project) == before
    assert not [p for p in project.rglob("*.tmp")]


def test_two_generates_at_once_end_consistent(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES_DIR / "monorepo", tmp_path / "monorepo")
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "shipspec.yaml":
            path.unlink()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    runs = [subprocess.Popen([sys.executable, "-m", "shipspec", "generate", "monorepo"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in runs]
    for code, err in results:
        assert code == 0 and "Traceback" not in err, err
    assert not [p for p in tmp_path.rglob("*.tmp")]
    done = snapshot(tmp_path)
    check = subprocess.run([sys.executable, "-m", "shipspec", "generate", "monorepo"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and " 0 created, 0 updated" in check.stdout, check.stdout + check.stderr
    assert snapshot(tmp_path) == done


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs(2) is Linux-only")
def test_one_durability_barrier_per_filesystem_not_per_file(project: Path, monkeypatch) -> None:
    real, calls, fsyncs = writer._syncfs(), [], []
    monkeypatch.setattr(writer, "_syncfs", lambda: lambda fd: calls.append(fd) or real(fd))
    monkeypatch.setattr(os, "fsync", lambda fd: fsyncs.append(fd))
    assert shipspec("generate") == 0  # 8 files change, all on one filesystem
    assert len(calls) == 1 and not fsyncs
