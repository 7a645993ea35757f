"""Real git repositories for the simulators' tests: a sample project generated into a fresh repo, with
the release branches of SPEC's table (dev, staging, master) and helpers to commit on them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ci_sim.common import git, git_env
from tools import REPO_ROOT

IDENTITY = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev",
            "GIT_COMMITTER_EMAIL": "dev@example.com"}


class SourceRepo:
    """A git repository on disk the simulators clone from; `commit` writes files and commits them."""

    def __init__(self, path: Path, branch: str = "master") -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", branch)

    def git(self, *args: str) -> str:
        return git(self.path, *args, env={**git_env(), **IDENTITY})

    def commit(self, message: str, files: dict[str, str | None] | None = None) -> str:
        """Write (or, for None, delete) `files` and commit everything; returns the new sha."""
        for name, text in (files or {}).items():
            target = self.path / name
            if text is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("branch", "-f", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def sha(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)


def shipspec(cwd: Path, *args: str) -> str:
    shipspec_bin = shutil.which("shipspec", path=str(Path(sys.executable).parent)) or "shipspec"
    done = subprocess.run([shipspec_bin, *args], cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, "NO_COLOR": "1"})
    if done.returncode != 0:
        raise AssertionError(f"shipspec {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


def sample_repo(sample: str, path: Path) -> SourceRepo:
    """sample-projects/<sample> (spec, Makefile, everything beside it) in a new repository, generated
    there again by the shipspec under test and committed on master; dev and staging start at the same
    commit. A Dockerfile is added when the sample has none."""
    shutil.copytree(REPO_ROOT / "sample-projects" / sample, path)
    repo = SourceRepo(path)
    if not (path / "Dockerfile").exists():
        (path / "Dockerfile").write_text("FROM scratch\n")
    shipspec(path, "generate")
    repo.commit("app: first version")
    repo.branch("dev")
    repo.branch("staging")
    return repo
