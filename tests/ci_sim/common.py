"""What the three simulators share: the result types, the logging stubs, git and the checkout helper."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ZERO_SHA = "0" * 40
STUB_TOOLS = ("make", "docker")


class SimulationError(Exception):
    """The pipeline cannot run at all as written (the provider would refuse it, or the simulator cannot
    emulate a construct it uses): a test failure, never a silent pass."""


@dataclass(frozen=True)
class Call:
    """One call of a stubbed tool: its argv (without the tool), the folder it ran in relative to the
    job's checkout ("." for the root; absolute when outside it) and the job that made it."""

    tool: str
    argv: tuple[str, ...]
    cwd: str
    job: str


@dataclass
class JobRun:
    """One job as the provider shows it: `result` is success, failure, skipped (created but not run:
    a needed job failed, an `if:` was false), manual (waits for a click) or canceled."""

    id: str
    name: str
    result: str
    matrix: dict[str, Any] | None = None
    stage: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    log: str = ""
    error: str | None = None
    workspace: Path | None = None
    env: dict[str, str] = field(default_factory=dict)  # the variables the job's commands saw
    allow_failure: bool = False
    child: Run | None = None  # a GitLab trigger job's downstream pipeline

    @property
    def ran(self) -> bool:
        return self.result in ("success", "failure")

    def make_targets(self) -> list[tuple[str, tuple[str, ...]]]:
        """(folder, argv) of every `make` this job ran, in order."""
        return [(call.cwd, call.argv) for call in self.calls if call.tool == "make"]


@dataclass
class Run:
    """A whole pipeline (workflow run, pipeline, build). `created` is False when the provider starts
    nothing at all (an `on:` filter, `workflow:rules`, a build-level condition); `status` is the
    pipeline's own result: success, failure, or none when it was not created."""

    provider: str
    created: bool
    status: str
    jobs: list[JobRun] = field(default_factory=list)
    reason: str = ""
    summaries: list[str] = field(default_factory=list)

    def job(self, name: str) -> JobRun:
        """The one job named (or with id) `name`; a matrix job's runs are `name (value, ...)`."""
        found = [job for job in self.jobs if name in (job.name, job.id)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} jobs named {name!r} in {[job.name for job in self.jobs]}")
        return found[0]

    def results(self) -> dict[str, str]:
        """{job name: result} for every job the pipeline shows."""
        return {job.name: job.result for job in self.jobs}

    def ran(self) -> list[str]:
        """Names of the jobs that ran (succeeded or failed), in the order they ran."""
        return [job.name for job in self.jobs if job.ran]

    def calls(self, tool: str | None = None) -> list[Call]:
        return [call for job in self.jobs for call in job.calls if tool in (None, call.tool)]

    def make_targets(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(job, folder, argv) of every `make` any job ran."""
        return [(call.job, call.cwd, call.argv) for call in self.calls("make")]

    def all_jobs(self) -> list[JobRun]:
        """The jobs of this pipeline and of every downstream pipeline it triggered."""
        found = []
        for job in self.jobs:
            found.append(job)
            if job.child is not None:
                found += job.child.all_jobs()
        return found


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False,
                          env=dict(env) if env is not None else git_env())
    if check and done.returncode != 0:
        raise SimulationError(f"git {' '.join(args)} in {cwd}: {done.stdout}{done.stderr}")
    return done.stdout.strip()


def git_env() -> dict[str, str]:
    """git without the developer's or the machine's configuration."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return env


def rev(source: Path, ref: str) -> str:
    return git(source, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")


def changed_files(source: Path, base: str, head: str, *, merge_base: bool = False) -> list[str]:
    """Paths that differ between `base` and `head` (`merge_base`: from their merge base, git's `...`)."""
    spec = f"{base}...{head}" if merge_base else f"{base}..{head}"
    return [line for line in git(source, "diff", "--name-only", "--no-renames", spec).splitlines() if line]


def files_at(source: Path, sha: str) -> list[str]:
    return git(source, "ls-tree", "-r", "--name-only", sha).splitlines()


def make_merge_commit(source: Path, head: str, base: str, ref: str) -> str:
    """The commit a pull/merge request's merge ref points at: `head` merged into `base`, stored at `ref`
    (GitHub's refs/pull/<n>/merge, "Merge <head> into <base>"), without touching any branch or work tree."""
    head_sha, base_sha = rev(source, head), rev(source, base)
    tree = git(source, "merge-tree", "--write-tree", base_sha, head_sha)
    sha = git(source, "commit-tree", tree.splitlines()[0], "-p", base_sha, "-p", head_sha,
              "-m", f"Merge {head_sha} into {base_sha}", env={**git_env(), **_IDENTITY})
    git(source, "update-ref", ref, sha)
    return sha


_IDENTITY = {"GIT_AUTHOR_NAME": "CI", "GIT_AUTHOR_EMAIL": "ci@example.com", "GIT_COMMITTER_NAME": "CI",
             "GIT_COMMITTER_EMAIL": "ci@example.com"}


def fetch_checkout(source: Path, dest: Path, *, refspecs: Sequence[str], depth: int | None,
                   checkout: Sequence[str], tags: bool = False) -> Path:
    """A checkout made as CI runners make them: `git init`, fetch `refspecs` from the source repository
    (over file://, so `--depth` is honoured as it is over the network), then `git checkout <checkout>`.
    `depth` None or 0 fetches the whole history."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    git(dest, "init", "-q")
    git(dest, "remote", "add", "origin", source.resolve().as_uri())
    fetch = ["-c", "protocol.version=2", "fetch", "-q", "--prune", "--no-recurse-submodules"]
    fetch += ["--tags"] if tags else ["--no-tags"]
    if depth:
        fetch.append(f"--depth={depth}")
    git(dest, *fetch, "origin", *refspecs)
    git(dest, "checkout", "-q", "--force", *checkout)
    return dest


def is_shallow(checkout: Path) -> bool:
    return git(checkout, "rev-parse", "--is-shallow-repository") == "true"


_STUB = """#!{python} -I
# ci_sim stub of `{tool}`: logs its argv (JSON lines in $CI_SIM_LOG) and exits 0, or 1 when a rule in
# $CI_SIM_FAIL matches ({{"tool", "word" (one argv word), "cwd" (folder suffix, optional)}}).
import json, os, sys
argv = sys.argv[1:]
{intercept}
cwd = os.getcwd()
workspace = os.environ.get("CI_SIM_WORKSPACE", "")
where = os.path.relpath(cwd, workspace) if workspace and (cwd + "/").startswith(workspace + "/") else cwd
with open(os.environ["CI_SIM_LOG"], "a") as log:
    log.write(json.dumps({{"tool": "{tool}", "argv": argv, "cwd": where, "job": os.environ.get("CI_SIM_JOB", "")}}) + "\\n")
for rule in json.loads(os.environ.get("CI_SIM_FAIL", "[]")):
    if rule["tool"] == "{tool}" and rule["word"] in argv and where.endswith(rule.get("cwd", "")):
        print("ci_sim: {tool} " + " ".join(argv) + " fails (as the test asked)", file=sys.stderr)
        sys.exit(1)
if "{tool}" == "docker" and argv[:1] == ["login"] and "--password-stdin" in argv:
    sys.stdin.read()
{after}
"""
_PYTHON = """#!/bin/sh
# ci_sim stub of `{name}`: `-m pip install ...` (installing shipspec from PyPI) is a no-op, since the
# shipspec under test is already on PATH; anything else runs the real interpreter.
if [ "$1" = -m ] && [ "$2" = pip ] && [ "$3" = install ]; then
  printf '%s\\n' "{{\\"tool\\": \\"pip\\", \\"argv\\": [], \\"cwd\\": \\".\\", \\"job\\": \\"$CI_SIM_JOB\\"}}" >> "$CI_SIM_LOG"
  exit 0
fi
exec {python} "$@"
"""
_NOOP = """#!/bin/sh
# ci_sim stub of `{name}` (a package manager of the CI image): does nothing.
exit 0
"""


class Stubs:
    """A bin folder with `make` and `docker` that log their argv, `python`/`python3`/`pip` that skip
    `pip install` (the shipspec under test is already installed) and `apk`/`apt-get` that do nothing.

    `real_make`: after logging, `make` runs the real make (so the Makefile's commands, and the real
    shipspec they call, run; docker stays a stub). `fail`: rules that make a stub exit 1, e.g.
    {"tool": "make", "word": "docker-push", "cwd": "services/api"}.
    """

    def __init__(self, root: Path, *, real_make: bool = False) -> None:
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.log = root / "calls.jsonl"
        self.log.touch()
        self.fail: list[dict[str, str]] = []
        python = sys.executable
        real = shutil.which("make")
        for tool in STUB_TOOLS:
            after = f"os.execv({real!r}, [{real!r}, *argv])" if tool == "make" and real_make and real else ""
            self._write(tool, _STUB.format(python=python, tool=tool, intercept="", after=after))
        for name in ("python", "python3"):
            self._write(name, _PYTHON.format(name=name, python=python))
        self._write("pip", _PYTHON.format(name="pip", python=python).replace('"$1" = -m ] && [ "$2" = pip ] && [ "$3"', '"$1"'))
        for name in ("apk", "apt-get"):
            self._write(name, _NOOP.format(name=name))

    def _write(self, name: str, text: str) -> None:
        path = self.bin / name
        path.write_text(text)
        path.chmod(0o755)

    def base_env(self, home: Path) -> dict[str, str]:
        """The environment a fresh runner gives every command: stubs first, then the venv (the real
        shipspec), then the system PATH; an empty HOME; git without any user configuration."""
        home.mkdir(parents=True, exist_ok=True)
        gitconfig = self.root / "gitconfig"
        if not gitconfig.exists():
            gitconfig.write_text("[user]\n\tname = CI\n\temail = ci@example.com\n[advice]\n\tdetachedHead = false\n")
        return {
            "PATH": os.pathsep.join([str(self.bin), str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            "HOME": str(home), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(gitconfig),
            "CI_SIM_LOG": str(self.log), "CI_SIM_FAIL": json.dumps(self.fail),
        }

    def job_env(self, job: str, workspace: Path) -> dict[str, str]:
        return {"CI_SIM_JOB": job, "CI_SIM_WORKSPACE": str(workspace.resolve()),
                "CI_SIM_FAIL": json.dumps(self.fail)}

    def calls_since(self, offset: int) -> tuple[list[Call], int]:
        """The calls logged after byte `offset`, and the new offset (pip installs left out)."""
        data = self.log.read_bytes()
        calls = []
        for line in data[offset:].decode().splitlines():
            record = json.loads(line)
            if record["tool"] in STUB_TOOLS:
                calls.append(Call(record["tool"], tuple(record["argv"]), record["cwd"], record["job"]))
        return calls, len(data)


def run_command(argv: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float = 120) -> tuple[int, str]:
    """Run one command as a runner does: its own process, stdout and stderr in one log."""
    try:
        done = subprocess.run(list(argv), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as expired:
        return 124, f"{expired.output or ''}\nci_sim: timed out after {timeout}s"
    return done.returncode, done.stdout
