"""Travis CI, simulated: which jobs a build has for a push, a pull request or a cron build, and what
their phases do.

- Conditions (docs.travis-ci.com/user/conditional-builds-stages-jobs, /user/conditions-v1) are read
  by tests/travis_conditions.py: the build's top-level `if:`, each stage's `if:` in `stages:` ("Stages
  that do not match the condition will be skipped silently") and each job's `if:` in `jobs.include`
  ("Jobs that do not match the condition will be skipped silently"); `branches: only/except` likewise.
  A pull request's `branch` is its target branch, `head_branch` its source branch; `type` is push,
  pull_request, cron or api.
- Stages (/user/build-stages): "each one of the stages runs one after another and will only proceed,
  if all jobs in the previous stage has passed successfully ... all jobs in the subsequent stages will
  be canceled"; a job without `stage` takes the previous job's stage, the first one `test`; the stage
  order is `stages:`, then first appearance. `jobs.allow_failures` (by name or stage) does not fail
  the build. Without `jobs.include` the build has one job from the top-level phases.
- Phases (/user/job-lifecycle): before_install, install, before_script, script, after_success or
  after_failure, before_deploy, deploy, after_deploy, after_script, all commands of a job in one bash
  session (travis-build runs each with `travis_cmd ... eval`, so `export` carries over). "If
  before_install, install or before_script returns a non-zero exit code, the build is errored and
  stops immediately. If script returns a non-zero exit code, the build is failed, but continues to run
  before being marked as failed"; after_* do not change the result. `deploy` runs only when the script
  passed and its `on:` holds (branch, default master; tags; condition: /user/deployment), never in a
  pull request ("pull request builds skip the deployment step altogether"); only `provider: script`
  is emulated.
- The clone (travis-ci/travis-build lib/travis/build/git/clone.rb; depth default 50 in
  lib/travis/build/git.rb, `git: depth: false` drops `--depth`, /user/customizing-the-build): a push or
  cron build runs `git clone --depth=50 --branch=<branch>` then `git checkout -qf <commit>`; a pull
  request clones without `--branch`, then `git fetch origin +refs/pull/<n>/merge:` and
  `git checkout -qf FETCH_HEAD`.
- Variables (/user/environment-variables): TRAVIS_BRANCH ("for push builds, or builds not triggered by
  a pull request, this is the name of the branch. For builds triggered by a pull request this is the
  name of the branch targeted by the pull request"), TRAVIS_EVENT_TYPE, TRAVIS_PULL_REQUEST (the number,
  or "false"), TRAVIS_PULL_REQUEST_BRANCH, TRAVIS_PULL_REQUEST_SHA, TRAVIS_COMMIT, TRAVIS_COMMIT_RANGE
  ("The range of commits that were included in the push or pull request. (Note that this is empty for
  builds triggered by the initial commit of a new branch.)"), TRAVIS_BUILD_DIR, TRAVIS_TEST_RESULT,
  TRAVIS_JOB_NAME, TRAVIS_BUILD_STAGE_NAME. `env.global` plain entries are set; `secure:` entries are
  replaced by the `secrets` the caller gives, which "are not available to pull requests from forks"
  (/user/environment-variables#defining-encrypted-variables-in-travisyml).
"""

from __future__ import annotations

import re
import shlex
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import travis_conditions
from ci_sim.common import ZERO_SHA, JobRun, Run, SimulationError, Stubs, git, make_merge_commit, rev, run_command

DEFAULT_DEPTH = 50
JOBS_LIMIT = 200  # "Build matrixes are currently limited to a maximum of 200 jobs" (/user/build-matrix)
PHASES = ("before_install", "install", "before_script", "script", "after_success", "after_failure",
          "before_deploy", "deploy", "after_deploy", "after_script")


@dataclass
class Event:
    """A build request: `type` push, pull_request, cron or api."""

    type: str
    branch: str                    # the pushed branch, or the pull request's target branch
    commit: str                    # TRAVIS_COMMIT: the pushed tip, or the pull request's merge commit
    commit_range: str = ""
    pull_request: int | None = None
    head_branch: str = ""
    head_sha: str = ""
    tag: str = ""
    fork: bool = False
    commit_message: str = ""

    def condition_data(self) -> dict[str, str]:
        return {"type": self.type, "branch": self.branch, "tag": self.tag, "head_branch": self.head_branch,
                "repo": "acme/app", "fork": str(self.fork).lower(), "sender": "dev",
                "commit_message": self.commit_message}


def push(source: Path, branch: str, before: str | None = None) -> Event:
    """A push that moved `branch` from `before` (None: a new branch, empty commit range) to its tip."""
    sha = rev(source, f"refs/heads/{branch}")
    before_sha = rev(source, before) if before and before != ZERO_SHA else ""
    return Event("push", branch, sha, f"{before_sha}...{sha}" if before_sha else "",
                 commit_message=git(source, "log", "-1", "--format=%B", sha))


def pull_request(source: Path, head: str, base: str, number: int = 1, *, fork: bool = False) -> Event:
    """A pull request from `head` into `base`; GitHub's merge commit goes to refs/pull/<n>/merge."""
    sha = make_merge_commit(source, f"refs/heads/{head}", f"refs/heads/{base}", f"refs/pull/{number}/merge")
    head_sha, base_sha = rev(source, f"refs/heads/{head}"), rev(source, f"refs/heads/{base}")
    return Event("pull_request", base, sha, f"{base_sha}...{head_sha}", number, head, head_sha, fork=fork,
                 commit_message=git(source, "log", "-1", "--format=%B", head_sha))


def cron(source: Path, branch: str) -> Event:
    sha = rev(source, f"refs/heads/{branch}")
    return Event("cron", branch, sha, commit_message=git(source, "log", "-1", "--format=%B", sha))


def api(source: Path, branch: str) -> Event:
    sha = rev(source, f"refs/heads/{branch}")
    return Event("api", branch, sha, commit_message=git(source, "log", "-1", "--format=%B", sha))


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _condition(text: Any, event: Event) -> bool:
    return text is None or travis_conditions.evaluate(str(text), event.condition_data())


def _branches(config: Mapping[str, Any], event: Event) -> bool:
    """`branches: only/except` (/user/customizing-the-build#building-specific-branches); /regex/ allowed."""
    rules = config.get("branches")
    if not rules:
        return True

    def match(pattern: str) -> bool:
        if pattern.startswith("/") and pattern.endswith("/"):
            return re.search(pattern[1:-1], event.branch) is not None
        return pattern == event.branch
    if "only" in rules:
        return any(match(str(p)) for p in _list(rules["only"]))
    return not any(match(str(p)) for p in _list(rules.get("except")))


@dataclass
class _Job:
    name: str
    stage: str
    spec: dict[str, Any]
    allow_failure: bool = False
    env: dict[str, str] = field(default_factory=dict)


def plan(config: Mapping[str, Any], event: Event) -> tuple[list[_Job], str]:
    """The jobs of the build in stage order (an empty list and a reason when no build is created)."""
    if not _condition(config.get("if"), event):
        return [], "the build's if: does not hold"
    if not _branches(config, event):
        return [], "branches: excludes this branch"
    jobs_config = config.get("jobs") or config.get("matrix") or {}
    include = _list(jobs_config.get("include")) if isinstance(jobs_config, dict) else []
    if isinstance(jobs_config, dict) and jobs_config.get("exclude"):
        raise SimulationError("ci_sim does not emulate jobs.exclude")
    env_config = config.get("env")
    if (isinstance(env_config, dict) and env_config.get("jobs")) or (isinstance(env_config, list) and len(env_config) > 1):
        raise SimulationError("ci_sim does not emulate env.jobs (matrix expansion)")
    stage_conditions = {}
    stage_order: list[str] = []
    for stage in _list(config.get("stages")):
        name = stage if isinstance(stage, str) else stage["name"]
        stage_order.append(name.lower())
        stage_conditions[name.lower()] = None if isinstance(stage, str) else stage.get("if")
    allowed = _list(jobs_config.get("allow_failures")) if isinstance(jobs_config, dict) else []
    jobs, previous = [], "test"
    for index, spec in enumerate(include or [{}]):
        stage = str(spec.get("stage", previous)).lower()
        previous = stage
        if stage not in stage_order:
            stage_order.append(stage)
        if not _condition(stage_conditions.get(stage), event) or not _condition(spec.get("if"), event):
            continue
        name = spec.get("name") or f"job {index + 1}"
        allow = any(all(spec.get(key) == value or (key == "stage" and stage == str(value).lower())
                        for key, value in rule.items()) for rule in allowed)
        jobs.append(_Job(name, stage, dict(spec), allow))
    jobs.sort(key=lambda job: stage_order.index(job.stage))
    if len(jobs) > JOBS_LIMIT:
        raise SimulationError(f"the build has {len(jobs)} jobs, more than Travis's {JOBS_LIMIT}")
    if not jobs:
        return [], "no job's condition holds"
    return jobs, ""


def simulate(source: Path, travis_file: Path, event: Event, *, root: Path, secrets: Mapping[str, str] | None = None,
             stubs: Stubs | None = None) -> Run:
    """Run the build `travis_file` defines for `event` (cloning `source`) in folder `root`."""
    root.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(travis_file.read_text()) or {}
    stubs = stubs or Stubs(root / "stubs")
    run = Run("travis", created=False, status="none")
    jobs, run.reason = plan(config, event)
    if not jobs:
        return run
    run.created = True
    failed_stage: str | None = None
    for number, job in enumerate(jobs, 1):
        if failed_stage is not None and job.stage != failed_stage:
            run.jobs.append(JobRun(job.name, job.name, "canceled", stage=job.stage, allow_failure=job.allow_failure))
            continue
        result = _run_job(source, config, event, job, number, root, stubs, dict(secrets or {}))
        run.jobs.append(result)
        if result.result == "failure" and not job.allow_failure:
            failed_stage = job.stage
    bad = [job for job in run.jobs if job.result in ("failure", "canceled") and not job.allow_failure]
    run.status = "failure" if bad else "success"
    return run


def _global_env(config: Mapping[str, Any], event: Event, secrets: Mapping[str, str]) -> dict[str, str]:
    env_config = config.get("env")
    env = _env_entries((env_config.get("global") if isinstance(env_config, dict) else env_config) or [])
    if not (event.type == "pull_request" and event.fork):
        env.update(secrets)
    return env


def _env_entries(entries: Any) -> dict[str, str]:
    """`FOO=bar BAZ="a b"` strings (or mappings); `secure:` entries are left to the caller's secrets."""
    env: dict[str, str] = {}
    for entry in _list(entries):
        if isinstance(entry, dict) and "secure" in entry:
            continue
        for word in shlex.split(str(entry)) if isinstance(entry, str) else [f"{k}={v}" for k, v in entry.items()]:
            key, _, value = word.partition("=")
            env[key] = value
    return env


def _clone(source: Path, config: Mapping[str, Any], event: Event, build_dir: Path) -> list[str]:
    return checkout(source, event, build_dir, depth=(config.get("git") or {}).get("depth", DEFAULT_DEPTH))


def checkout(source: Path, event: Event, build_dir: Path, *, depth: int | bool = DEFAULT_DEPTH) -> list[str]:
    """Clone `source` into `build_dir` as travis-build does (see the module docstring); returns the git
    commands it ran. `depth` False: the whole history."""
    args = ["clone", "-q"]
    if depth is not False:
        args.append(f"--depth={depth}")
    if event.pull_request is None:
        args.append(f"--branch={event.tag or event.branch}")
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    commands = [args + [source.resolve().as_uri(), str(build_dir)]]
    if event.pull_request is not None:
        commands.append(["-C", str(build_dir), "fetch", "-q", "origin", f"+refs/pull/{event.pull_request}/merge:"])
        commands.append(["-C", str(build_dir), "checkout", "-qf", "FETCH_HEAD"])
    else:
        commands.append(["-C", str(build_dir), "checkout", "-qf", event.tag or event.commit])
    for command in commands:
        git(build_dir.parent, *command)
    return [" ".join(command) for command in commands]


def _run_job(source: Path, config: Mapping[str, Any], event: Event, job: _Job, number: int, root: Path, stubs: Stubs,
             secrets: Mapping[str, str]) -> JobRun:
    home = root / "jobs" / f"{number}-{uuid.uuid4().hex[:6]}"
    build_dir = home / "build" / "acme" / "app"
    result = JobRun(job.name, job.name, "success", stage=job.stage, allow_failure=job.allow_failure,
                    workspace=build_dir)
    try:
        clone_log = _clone(source, config, event, build_dir)
    except SimulationError as error:
        result.result, result.error = "failure", f"errored: {error}"
        return result
    phases = {phase: _list(job.spec.get(phase, config.get(phase))) for phase in PHASES}
    env = {
        "CI": "true", "TRAVIS": "true", "CONTINUOUS_INTEGRATION": "true", "HAS_JOSH_K_SEAL_OF_APPROVAL": "true",
        "TRAVIS_BRANCH": event.branch, "TRAVIS_BUILD_DIR": str(build_dir), "TRAVIS_BUILD_ID": "1",
        "TRAVIS_BUILD_NUMBER": "1", "TRAVIS_COMMIT": event.commit, "TRAVIS_COMMIT_MESSAGE": event.commit_message,
        "TRAVIS_COMMIT_RANGE": event.commit_range, "TRAVIS_EVENT_TYPE": event.type, "TRAVIS_JOB_ID": str(number),
        "TRAVIS_JOB_NAME": job.name, "TRAVIS_JOB_NUMBER": f"1.{number}", "TRAVIS_BUILD_STAGE_NAME": job.stage.title(),
        "TRAVIS_OS_NAME": "linux", "TRAVIS_DIST": str(config.get("dist", "xenial")),
        "TRAVIS_PULL_REQUEST": str(event.pull_request) if event.pull_request is not None else "false",
        "TRAVIS_PULL_REQUEST_BRANCH": event.head_branch, "TRAVIS_PULL_REQUEST_SHA": event.head_sha,
        "TRAVIS_PULL_REQUEST_SLUG": "acme/app" if event.pull_request is not None else "",
        "TRAVIS_REPO_SLUG": "acme/app", "TRAVIS_TAG": event.tag,
        "TRAVIS_SECURE_ENV_VARS": "false" if event.type == "pull_request" and event.fork else "true",
        **_global_env(config, event, secrets), **_env_entries(job.spec.get("env")),
    }
    result.env = dict(env)
    lines = ["_errored() { echo \"ci_sim: the job errored in $1\" >&2; exit 2; }", "export TRAVIS_TEST_RESULT="]
    for phase in ("before_install", "install", "before_script"):
        for command in phases[phase]:
            lines.append(f"eval {shlex.quote(str(command))} || _errored {phase}")
    lines.append("TRAVIS_TEST_RESULT=0")
    for command in phases["script"]:
        lines.append(f"eval {shlex.quote(str(command))} || TRAVIS_TEST_RESULT=1")
    lines.append('if [ "$TRAVIS_TEST_RESULT" = 0 ]; then')
    lines += [f"  eval {shlex.quote(str(c))} || true" for c in phases["after_success"]] or ["  :"]
    lines.append("else")
    lines += [f"  eval {shlex.quote(str(c))} || true" for c in phases["after_failure"]] or ["  :"]
    lines.append("fi")
    for deploy in phases["deploy"]:
        lines.append(f'if [ "$TRAVIS_TEST_RESULT" = 0 ] && {_deploy_guard(deploy, event)}; then')
        lines += [f"  eval {shlex.quote(str(c))} || TRAVIS_TEST_RESULT=1" for c in phases["before_deploy"]]
        lines += [f"  eval {shlex.quote(str(c))} || TRAVIS_TEST_RESULT=1" for c in _list(deploy.get("script"))]
        lines += [f"  eval {shlex.quote(str(c))} || true" for c in phases["after_deploy"]]
        lines.append("fi")
    lines += [f"eval {shlex.quote(str(c))} || true" for c in phases["after_script"]]
    lines.append('exit "$TRAVIS_TEST_RESULT"')
    path = home / "build.sh"
    path.write_text("\n".join(lines) + "\n")
    variables = {**stubs.base_env(home / "home"), **env, **stubs.job_env(job.name, build_dir)}
    offset = stubs.log.stat().st_size
    code, log = run_command(["bash", "--noprofile", "--norc", str(path)], build_dir, variables)
    result.calls, _ = stubs.calls_since(offset)
    result.log = "\n".join(clone_log) + "\n" + log
    if code != 0:
        result.result = "failure"
        result.error = "errored" if code == 2 and "ci_sim: the job errored" in log else "failed"
    return result


def _deploy_guard(deploy: Any, event: Event) -> str:
    """A shell test for one deploy's `on:` (/user/deployment#conditional-releases-with-on): by default
    only the master branch; `all_branches`, `branch`, `tags`, `condition`."""
    if not isinstance(deploy, dict) or deploy.get("provider") != "script":
        raise SimulationError(f"ci_sim emulates only `deploy: provider: script`, not {deploy!r}")
    on = deploy.get("on") or {}
    if event.pull_request is not None or (on.get("tags") and not event.tag):
        return "false"
    branches = [] if on.get("all_branches") else [str(b) for b in _list(on.get("branch", "master"))]
    if branches and event.branch not in branches:
        return "false"
    conditions = _list(on.get("condition"))
    return "( " + " && ".join(f"[[ {c} ]]" for c in conditions) + " )" if conditions else "true"


__all__ = ["Event", "push", "pull_request", "cron", "api", "simulate", "checkout", "plan", "Run", "JobRun", "SimulationError"]
