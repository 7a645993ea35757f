"""GitLab CI, simulated: which jobs a pipeline creates for a push, a merge request or a schedule, in
which order they run, and what their scripts do.

Rules come from tests/gitlab_rules.py (`if` expressions, `changes` with `compare_to`, `exists`: see its
docstrings). The rest follows GitLab's documentation:

- `workflow:rules` "controls whether or not a whole pipeline is created. When no rules evaluate to
  true, the pipeline does not run" (docs.gitlab.com/ci/yaml/#workflowrules); job `rules`: the first
  matching rule decides, `when: never` or no match leaves the job out of the pipeline (#rules); a
  rule's `variables`, `allow_failure` and `when` apply to the job. `only`/`except` are refused.
- `changes`: merge request pipelines compare with the target branch (the merge request diff, from
  CI_MERGE_REQUEST_DIFF_BASE_SHA), branch pipelines with the previous commit of the push
  (CI_COMMIT_BEFORE_SHA..sha); "For new branch pipelines or when there is no Git push event, rules:
  changes always evaluates to true" (#ruleschanges); `compare_to` diffs from the merge base of that ref
  (gitlab app/models/ci/pipeline.rb #modified_paths_since). A child pipeline is given its parent's
  changed paths (an assumption: GitLab documents nothing for it).
- `needs` (#needs): a needed job that is not in the pipeline stops the pipeline from being created
  ("'job1' job needs 'job2' job, but it was not added to the pipeline") unless `optional: true`; jobs
  without `needs` wait for every job of the earlier `stages` (default stages .pre, build, test, deploy,
  .post; default stage test). `when` (#when): on_success runs when the jobs it waits for succeeded
  (a failure with `allow_failure` counts as success), on_failure when one failed, always in any case,
  manual waits for a click (shown as `manual`, not run). An empty pipeline is not created ("The
  resulting pipeline would have been empty", gitlab app/models/concerns/ci/has_completion_reason.rb).
- The runner (gitlab-runner; refspecs from gitlab app/presenters/ci/build_runner_presenter.rb): with a
  GIT_DEPTH above 0 (default 20, docs.gitlab.com/ci/pipelines/settings "Limit the number of changes
  fetched during clone") it fetches only the pipeline's persistent ref refs/pipelines/<id> and, for a
  branch pipeline, that branch (`+refs/heads/<b>:refs/remotes/origin/<b>`), so a merge request
  pipeline has no target branch; with GIT_DEPTH 0 every branch and tag; then a detached
  `git checkout -f <sha>`. GIT_STRATEGY none leaves the folder empty. `before_script` and `script` run
  in one bash with `set -eo pipefail` (gitlab-runner shells/bash.go; gitlab-runner issue 25394),
  `after_script` in its own shell, its failure ignored. Variables in `variables:` are expanded (#variables).
- Artifacts: `artifacts:paths` are kept after the job; a later job gets the artifacts of the jobs it
  `needs`, or of every job in an earlier stage (#dependencies). `trigger: include: - artifact: x,
  job: y` runs a child pipeline from job y's artifact (docs.gitlab.com/ci/pipelines/downstream_pipelines,
  CI_PIPELINE_SOURCE parent_pipeline, the trigger job's variables passed down); `strategy: depend`
  mirrors the child's status in the trigger job, otherwise the trigger job succeeds once the child is
  created; a child with no job fails its trigger job ("downstream pipeline can not be created, the
  resulting pipeline would have been empty"). Children of children are refused (two levels, as GitLab).
- `resource_group`, `image`, `services`, `cache`, `interruptible`, `tags`, `timeout`, `retry` are
  ignored. `extends`, `!reference` and `include: local` are resolved.
"""

from __future__ import annotations

import glob as globlib
import itertools
import re
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import gitlab_rules
from ci_sim.common import (ZERO_SHA, JobRun, Run, SimulationError, Stubs, changed_files, fetch_checkout, files_at,
                           git, rev, run_command)

DEFAULT_STAGES = [".pre", "build", "test", "deploy", ".post"]
DEFAULT_GIT_DEPTH = 20
# Limits (docs.gitlab.com/ci/yaml/#needs: "For GitLab.com, the limit is 50", the self-managed default
# too; #ruleschanges: "A maximum of 50 patterns or file paths can be defined per rules:changes section";
# downstream_pipelines: "You can include up to three configuration files when defining a child
# pipeline"). Jobs per pipeline (`ci_pipeline_size`) are off on self-managed and 500 on GitLab.com Free
# (docs.gitlab.com/user/gitlab_com "Maximum jobs in a single pipeline"): pass max_jobs to check one.
NEEDS_LIMIT = 50
CHANGES_LIMIT = 50
TRIGGER_INCLUDE_LIMIT = 3
RESERVED = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script",
            "after_script"}
IGNORED_KEYS = {"image", "services", "cache", "resource_group", "interruptible", "tags", "timeout", "retry",
                "environment", "coverage", "id_tokens", "secrets", "hooks", "inherit"}
_pipeline_ids = itertools.count(1001)


@dataclass
class Event:
    """What starts a pipeline: CI_PIPELINE_SOURCE `source` (push, merge_request_event, schedule, web),
    the commit, and what GitLab knows about it."""

    source: str
    sha: str
    ref: str                       # CI_COMMIT_REF_NAME: the branch (the source branch of a merge request)
    branch: str | None = None      # CI_COMMIT_BRANCH (not set in merge request pipelines)
    before_sha: str = ZERO_SHA
    default_branch: str = "master"
    merge_request: dict[str, str] | None = None  # iid, source_branch, target_branch, diff_base_sha
    open_merge_requests: bool = False
    variables: dict[str, str] = field(default_factory=dict)  # project (or schedule) CI/CD variables


def push(source: Path, branch: str, before: str | None = None, *, default_branch: str = "master",
         open_merge_requests: bool = False, variables: Mapping[str, str] | None = None) -> Event:
    """A push that moved `branch` from `before` (None: a new branch) to its tip."""
    return Event("push", rev(source, f"refs/heads/{branch}"), branch, branch,
                 rev(source, before) if before and before != ZERO_SHA else ZERO_SHA, default_branch,
                 open_merge_requests=open_merge_requests, variables=dict(variables or {}))


def merge_request(source: Path, head: str, target: str, iid: int = 1, *, default_branch: str = "master",
                  variables: Mapping[str, str] | None = None) -> Event:
    """A merge request pipeline (not merged results) of branch `head` into `target`: it runs on the
    source branch's head; refs/merge-requests/<iid>/head is written to `source` as GitLab does."""
    sha = rev(source, f"refs/heads/{head}")
    git(source, "update-ref", f"refs/merge-requests/{iid}/head", sha)
    base = git(source, "merge-base", f"refs/heads/{target}", sha)
    return Event("merge_request_event", sha, head, None, ZERO_SHA, default_branch,
                 {"iid": str(iid), "source_branch": head, "target_branch": target, "diff_base_sha": base},
                 variables=dict(variables or {}))


def schedule(source: Path, branch: str, *, default_branch: str = "master",
             variables: Mapping[str, str] | None = None) -> Event:
    return Event("schedule", rev(source, f"refs/heads/{branch}"), branch, branch, ZERO_SHA, default_branch,
                 variables=dict(variables or {}))


def web(source: Path, branch: str, *, default_branch: str = "master",
        variables: Mapping[str, str] | None = None) -> Event:
    return Event("web", rev(source, f"refs/heads/{branch}"), branch, branch, ZERO_SHA, default_branch,
                 variables=dict(variables or {}))


def predefined(event: Event, pipeline_id: int, source: Path) -> dict[str, str]:
    """Predefined variables of the pipeline (docs.gitlab.com/ci/variables/predefined_variables)."""
    message = git(source, "log", "-1", "--format=%B", event.sha)
    variables = {
        "CI": "true", "GITLAB_CI": "true", "CI_SERVER": "yes", "CI_PIPELINE_SOURCE": event.source,
        "CI_PIPELINE_ID": str(pipeline_id), "CI_PIPELINE_IID": str(pipeline_id - 1000),
        "CI_COMMIT_SHA": event.sha, "CI_COMMIT_SHORT_SHA": event.sha[:8], "CI_COMMIT_BEFORE_SHA": event.before_sha,
        "CI_COMMIT_REF_NAME": event.ref, "CI_COMMIT_REF_SLUG": re.sub(r"[^a-z0-9]", "-", event.ref.lower())[:63],
        "CI_COMMIT_MESSAGE": message, "CI_COMMIT_TITLE": message.splitlines()[0] if message else "",
        "CI_DEFAULT_BRANCH": event.default_branch, "CI_PROJECT_NAME": "app", "CI_PROJECT_PATH": "acme/app",
        "CI_PROJECT_NAMESPACE": "acme", "CI_PROJECT_URL": "https://gitlab.example.com/acme/app",
        "CI_SERVER_URL": "https://gitlab.example.com", "CI_SERVER_HOST": "gitlab.example.com",
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4", "CI_REPOSITORY_URL": source.resolve().as_uri(),
        "GITLAB_USER_LOGIN": "dev",
    }
    if event.branch:
        variables["CI_COMMIT_BRANCH"] = event.branch
    if event.open_merge_requests and event.source == "push":
        variables["CI_OPEN_MERGE_REQUESTS"] = "acme/app!1"
    if event.merge_request:
        mr = event.merge_request
        variables.update({"CI_MERGE_REQUEST_IID": mr["iid"], "CI_MERGE_REQUEST_ID": str(100 + int(mr["iid"])),
                          "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": mr["source_branch"],
                          "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": mr["target_branch"],
                          "CI_MERGE_REQUEST_DIFF_BASE_SHA": mr["diff_base_sha"],
                          "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "", "CI_MERGE_REQUEST_TARGET_BRANCH_SHA": "",
                          "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
                          "CI_MERGE_REQUEST_REF_PATH": f"refs/merge-requests/{mr['iid']}/head"})
    return variables


def expand(value: str, variables: Mapping[str, str]) -> str:
    """`$VAR`, `${VAR}` replaced (unknown ones become empty, as in the runner) and `$$` kept as `$`."""
    def replace(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        return variables.get(match[1] or match[2], "")
    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", replace, value)


# ------------------------------------------------------------------------------------- configuration

class _Reference:
    def __init__(self, path: list[str]) -> None:
        self.path = path


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!reference", lambda loader, node: _Reference(loader.construct_sequence(node)))


def load_config(path: Path, project: Path) -> dict[str, Any]:
    """A CI file with its `include: local` files merged in, `!reference` tags and `extends` resolved."""
    config = yaml.load(path.read_text(), Loader=_Loader) or {}
    _check_changes(config, path)
    includes = config.pop("include", None) or []
    merged: dict[str, Any] = {}
    for include in includes if isinstance(includes, list) else [includes]:
        local = include if isinstance(include, str) else include.get("local")
        if local is None:
            raise SimulationError(f"ci_sim resolves only `include: local`, not {include!r}")
        merged.update(load_config(project / local.lstrip("/"), project))
    merged.update(config)
    merged = _resolve_references(merged, merged)
    for name, job in list(merged.items()):
        if isinstance(job, dict) and "extends" in job:
            merged[name] = _extend(merged, name, set())
    return merged


def _check_changes(config: Mapping[str, Any], path: Path) -> None:
    for name, job in config.items():
        for rule in (job.get("rules") or []) if isinstance(job, dict) and isinstance(job.get("rules"), list) else []:
            changes = rule.get("changes") if isinstance(rule, dict) else None
            paths = changes.get("paths", []) if isinstance(changes, dict) else changes or []
            if len(paths) > CHANGES_LIMIT:
                raise SimulationError(f"{path}: {name}: rules:changes has {len(paths)} patterns, at most {CHANGES_LIMIT}")


def _resolve_references(value: Any, config: Mapping[str, Any]) -> Any:
    if isinstance(value, _Reference):
        found: Any = config
        for key in value.path:
            found = found[key]
        return _resolve_references(found, config)
    if isinstance(value, dict):
        return {key: _resolve_references(item, config) for key, item in value.items()}
    if isinstance(value, list):
        out = []
        for item in value:
            resolved = _resolve_references(item, config)
            # A !reference inside a script list is flattened into it (docs #reference-tags).
            out.extend(resolved if isinstance(item, _Reference) and isinstance(resolved, list) else [resolved])
        return out
    return value


def _extend(config: dict[str, Any], name: str, seen: set[str]) -> dict[str, Any]:
    if name in seen:
        raise SimulationError(f"extends loop at {name}")
    job = dict(config[name])
    parents = job.pop("extends", [])
    base: dict[str, Any] = {}
    for parent in parents if isinstance(parents, list) else [parents]:
        base = _deep_merge(base, _extend(config, parent, seen | {name}) if "extends" in config[parent]
                           else config[parent])
    return _deep_merge(base, job)


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(
            merged.get(key), dict) else value
    return merged


def job_names(config: Mapping[str, Any]) -> list[str]:
    return [name for name, value in config.items()
            if isinstance(value, dict) and not name.startswith(".") and name not in RESERVED]


# ---------------------------------------------------------------------------------------- simulation

@dataclass
class _Job:
    name: str
    spec: dict[str, Any]
    stage: str
    when: str
    allow_failure: bool
    variables: dict[str, str]
    needs: list[str] | None  # None: wait for the earlier stages
    pipeline_needs: list[tuple[str, str]] = field(default_factory=list)  # (pipeline id, job): artifacts only


@dataclass
class _Pipeline:
    source: Path
    root: Path
    event: Event
    stubs: Stubs
    depth: int
    modified: list[str] | None
    trigger_variables: dict[str, str] = field(default_factory=dict)
    pipeline_source: str | None = None
    max_jobs: int | None = None


def modified_paths(source: Path, event: Event) -> list[str] | None:
    """What `rules:changes` compares (see the module docstring); None: it always matches."""
    if event.merge_request:
        return changed_files(source, event.merge_request["diff_base_sha"], event.sha)
    if event.source == "push" and event.before_sha != ZERO_SHA:
        return changed_files(source, event.before_sha, event.sha)
    return None


def simulate(source: Path, ci_file: Path, event: Event, *, root: Path, stubs: Stubs | None = None,
             max_jobs: int | None = None) -> Run:
    """Create and run the pipeline of `ci_file` (read from disk, includes relative to `source`) for
    `event`, in folder `root`. Returns the jobs it shows, in the order they ran; a trigger job's
    `child` is the downstream pipeline's Run. `max_jobs`: the instance's jobs-per-pipeline limit."""
    root.mkdir(parents=True, exist_ok=True)
    config = load_config(ci_file, source)
    world = _Pipeline(source, root, event, stubs or Stubs(root / "stubs"), 0, modified_paths(source, event),
                      max_jobs=max_jobs)
    return _run_pipeline(world, config)


def _run_pipeline(world: _Pipeline, config: dict[str, Any]) -> Run:
    event = world.event
    pipeline_id = next(_pipeline_ids)
    git(world.source, "update-ref", f"refs/pipelines/{pipeline_id}", event.sha)
    # Precedence (docs.gitlab.com/ci/variables/#cicd-variable-precedence), lowest first: predefined,
    # the file's global `variables`, the job's, project variables, pipeline (schedule, trigger) variables.
    predefined_variables = predefined(event, pipeline_id, world.source)
    if world.pipeline_source:
        predefined_variables["CI_PIPELINE_SOURCE"] = world.pipeline_source
    global_variables = _variables(config.get("variables"))
    above = {**event.variables, **world.trigger_variables}
    variables = {**predefined_variables, **global_variables, **above}
    run = Run("gitlab", created=False, status="none")
    files = files_at(world.source, event.sha)

    def since(ref: str) -> list[str]:
        target = rev(world.source, ref) or rev(world.source, f"refs/heads/{ref}")
        return changed_files(world.source, target, event.sha, merge_base=True)

    def decide(rules: Sequence[Mapping[str, Any]], known: Mapping[str, str]) -> Mapping[str, Any] | None:
        return gitlab_rules.decide(rules, known, modified=world.modified, files=files, modified_since=since)

    if "workflow" in config and (config["workflow"] or {}).get("rules") is not None:
        rule = decide(config["workflow"]["rules"], variables)
        if rule is None or rule.get("when") == "never":
            run.reason = "The pipeline did not run: no workflow:rules matched"
            return run
        global_variables.update(_variables(rule.get("variables")))
        variables = {**predefined_variables, **global_variables, **above}
    stages = list(config.get("stages") or DEFAULT_STAGES[1:4])
    stages = [".pre", *[s for s in stages if s not in (".pre", ".post")], ".post"]
    default = config.get("default") or {}
    jobs: dict[str, _Job] = {}
    for name in job_names(config):
        spec = config[name]
        if "only" in spec or "except" in spec:
            raise SimulationError(f"{name}: ci_sim does not emulate only/except")
        if "parallel" in spec:
            raise SimulationError(f"{name}: ci_sim does not emulate parallel")
        job_variables = _variables(spec.get("variables"))
        when, allow_failure = spec.get("when", "on_success"), spec.get("allow_failure", False)
        if spec.get("rules") is not None:
            rule = decide(spec["rules"], {**predefined_variables, **global_variables, **job_variables, **above})
            if rule is None or rule.get("when", when) == "never":
                continue
            when = rule.get("when", when)
            allow_failure = rule.get("allow_failure", allow_failure)
            job_variables.update(_variables(rule.get("variables")))
        elif when == "never":
            continue
        stage = spec.get("stage", "test")
        if stage not in stages:
            raise SimulationError(f"{name}: chosen stage {stage} does not exist; available stages are {stages}")
        needs, pipeline_needs = None, []
        if "needs" in spec:
            needs = []
            for need in spec["needs"] or []:
                needed = need if isinstance(need, str) else need.get("job")
                if needed is None or (isinstance(need, dict) and "project" in need):
                    raise SimulationError(f"{name}: ci_sim emulates needs on jobs of this or the parent pipeline only")
                if isinstance(need, dict) and "pipeline" in need:
                    # `needs:pipeline:job`: a child job fetches the artifacts of a job of its parent (#needspipelinejob)
                    pipeline_needs.append((expand(str(need["pipeline"]), {**predefined_variables, **global_variables,
                                                                          **job_variables, **above}), needed))
                    continue
                needs.append((needed, not isinstance(need, str) and bool(need.get("optional"))))
        jobs[name] = _Job(name, spec, stage, when, bool(allow_failure), job_variables, needs,  # type: ignore[arg-type]
                          pipeline_needs)
    for job in jobs.values():
        if job.needs is not None:
            for needed, optional in job.needs:  # type: ignore[misc]
                if needed not in jobs and not optional:
                    run.reason = f"'{job.name}' job needs '{needed}' job, but it was not added to the pipeline"
                    return run
            job.needs = [needed for needed, _ in job.needs if needed in jobs]  # type: ignore[misc]
    if not jobs:
        run.reason = "The resulting pipeline would have been empty. Review the rules configuration for the relevant jobs."
        return run
    for job in jobs.values():
        if job.needs is not None and len(job.needs) + len(job.pipeline_needs) > NEEDS_LIMIT:
            # The error GitLab shows (gitlab issue 419720).
            run.reason = f"One job can only need {NEEDS_LIMIT} others, but you have {len(job.needs)}."
            return run
    if world.max_jobs is not None and len(jobs) > world.max_jobs:
        run.reason = f"size_limit_exceeded: {len(jobs)} jobs, more than {world.max_jobs} (ci_pipeline_size)"
        return run
    run.created = True
    order = _order(jobs, stages)
    results: dict[str, JobRun] = {}
    for job in order:
        waits = job.needs if job.needs is not None else [
            other.name for other in jobs.values() if stages.index(other.stage) < stages.index(job.stage)]
        failed = any(results[w].result == "failure" and not results[w].allow_failure for w in waits)
        blocked = job.needs is not None and any(results[w].result in ("skipped", "manual", "canceled")
                                                and not results[w].allow_failure for w in waits)
        display = JobRun(job.name, job.name, "skipped", stage=job.stage, allow_failure=job.allow_failure)
        if job.when == "manual":
            display.result = "manual"
        elif job.when == "always" or (job.when == "on_failure" and failed) or (
                job.when in ("on_success", "delayed") and not failed and not blocked):
            display = _run_job(world, job, default, {**predefined_variables, **global_variables, **job.variables,
                                                     **above}, stages, jobs, results, pipeline_id)
        results[job.name] = display
        run.jobs.append(display)
    failed = [job for job in run.jobs if job.result == "failure" and not job.allow_failure]
    run.status = "failed" if failed else "success"
    return run


def _variables(block: Any) -> dict[str, str]:
    """A `variables:` block; a variable may be `{value: ..., description: ...}`."""
    out = {}
    for key, value in (block or {}).items():
        if isinstance(value, dict):
            value = value.get("value", "")
        out[str(key)] = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
    return out


def _order(jobs: Mapping[str, _Job], stages: list[str]) -> list[_Job]:
    """A run order: every job after what it waits for, otherwise by stage, then file order."""
    position = {name: index for index, name in enumerate(jobs)}
    pending = sorted(jobs.values(), key=lambda job: (stages.index(job.stage), position[job.name]))
    done: list[_Job] = []
    while pending:
        names = {job.name for job in done}
        for job in pending:
            waits = job.needs if job.needs is not None else [
                other.name for other in jobs.values() if stages.index(other.stage) < stages.index(job.stage)]
            if all(wait in names for wait in waits):
                done.append(job)
                pending.remove(job)
                break
        else:
            raise SimulationError(f"needs cycle among {[job.name for job in pending]}")
    return done


def _run_job(world: _Pipeline, job: _Job, default: Mapping[str, Any], variables: dict[str, str], stages: list[str],
             jobs: Mapping[str, _Job], results: Mapping[str, JobRun], pipeline_id: int) -> JobRun:
    home = world.root / "jobs" / f"{pipeline_id}-{re.sub(r'[^A-Za-z0-9_.-]', '_', job.name)}-{uuid.uuid4().hex[:6]}"
    workspace = home / "acme" / "app"
    result = JobRun(job.name, job.name, "success", stage=job.stage, allow_failure=job.allow_failure,
                    workspace=workspace)
    inherited: dict[str, str] = {}  # dotenv reports of the jobs this one depends on (#artifactsreportsdotenv)
    waits = job.needs if job.needs is not None else [
        other for other in results if stages.index(jobs[other].stage) < stages.index(job.stage)]
    dependencies = [(str(pipeline_id), name) for name in job.spec.get("dependencies", waits) or []]
    for pipeline, name in [*dependencies, *job.pipeline_needs]:
        dotenv = world.root / "artifacts" / pipeline / f"{name}.dotenv"
        if dotenv.is_file():
            inherited.update(_dotenv(dotenv))
    known = {"CI_JOB_NAME": job.name, "CI_JOB_STAGE": job.stage, "CI_JOB_ID": str(uuid.uuid4().int % 10**8),
             "CI_JOB_TOKEN": "ci-job-token", "CI_PROJECT_DIR": str(workspace), "CI_BUILDS_DIR": str(home),
             **variables, **inherited}
    for key in list(known):  # variables that name others are expanded (docs #use-cicd-variables-in-other-variables)
        if "$" in known[key] and not key.startswith(("CI_", "GITLAB_")):
            known[key] = expand(known[key], {k: v for k, v in known.items() if k != key})
    result.env = dict(known)
    if "trigger" in job.spec:
        return _trigger(world, job, known, result, results)
    strategy = known.get("GIT_STRATEGY", "fetch")
    depth = int(known.get("GIT_DEPTH") or DEFAULT_GIT_DEPTH) if known.get("GIT_DEPTH", "") != "0" else 0
    try:
        if strategy == "none":
            workspace.mkdir(parents=True)
        else:
            _checkout(world, workspace, depth, pipeline_id)
    except SimulationError as error:
        result.result, result.error = "failure", str(error)
        return result
    for pipeline, name in [*dependencies, *job.pipeline_needs]:
        stored = world.root / "artifacts" / pipeline / name
        if stored.is_dir():
            shutil.copytree(stored, workspace, dirs_exist_ok=True)
    before = job.spec.get("before_script", default.get("before_script", []))
    script = job.spec.get("script")
    if not script:
        raise SimulationError(f"{job.name}: a job needs a script or a trigger")
    after = job.spec.get("after_script", default.get("after_script", []))
    env = {**world.stubs.base_env(home / "home"), **known, **world.stubs.job_env(job.name, workspace)}
    offset = world.stubs.log.stat().st_size
    code, log = _bash([*_lines(before), *_lines(script)], workspace, env, home)
    if after:
        _, after_log = _bash(_lines(after), workspace, env, home)
        log += "\n## after_script\n" + after_log
    result.calls, _ = world.stubs.calls_since(offset)
    result.log = log
    result.result = "success" if code == 0 else "failure"
    artifacts = job.spec.get("artifacts") or {}
    when = artifacts.get("when", "on_success")
    keep = when == "always" or (when == "on_success") == (code == 0)
    dotenv = (artifacts.get("reports") or {}).get("dotenv")
    for report in ([dotenv] if isinstance(dotenv, str) else dotenv or []) if keep else []:
        if (workspace / report).is_file():
            target = world.root / "artifacts" / str(pipeline_id) / f"{job.name}.dotenv"
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a") as out:
                out.write((workspace / report).read_text() + "\n")
    if artifacts.get("paths") and keep:
        stored = world.root / "artifacts" / str(pipeline_id) / job.name
        for pattern in artifacts["paths"]:
            for found in globlib.glob(expand(pattern, known), root_dir=workspace, recursive=True):
                source = workspace / found
                target = stored / found
                target.parent.mkdir(parents=True, exist_ok=True)
                (shutil.copytree if source.is_dir() else shutil.copy2)(source, target, **(
                    {"dirs_exist_ok": True} if source.is_dir() else {}))
    return result


def _dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a dotenv report (GitLab reads no quotes and no multi-line values)."""
    pairs = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            pairs[key.strip()] = value
    return pairs


def _lines(block: Any) -> list[str]:
    if isinstance(block, str):
        return [block]
    out: list[str] = []
    for item in block or []:
        out.extend(_lines(item) if isinstance(item, list) else [str(item)])
    return out


def _bash(lines: Sequence[str], cwd: Path, env: Mapping[str, str], home: Path) -> tuple[int, str]:
    script = home / f"script-{uuid.uuid4().hex}.sh"
    script.write_text("set -eo pipefail\n" + "\n".join(lines) + "\n")
    return run_command(["bash", "--noprofile", "--norc", str(script)], cwd, env)


def _checkout(world: _Pipeline, workspace: Path, depth: int, pipeline_id: int) -> None:
    checkout(world.source, world.event, workspace, git_depth=depth, pipeline_id=pipeline_id)


def checkout(source: Path, event: Event, target: Path, *, git_depth: int = DEFAULT_GIT_DEPTH,
             pipeline_id: int | None = None) -> Path:
    """The runner's fetch (see the module docstring): the persistent pipeline ref, plus the branch (depth
    > 0) or every branch and tag (depth 0), then a detached checkout of the pipeline's sha."""
    if pipeline_id is None:
        pipeline_id = next(_pipeline_ids)
        git(source, "update-ref", f"refs/pipelines/{pipeline_id}", event.sha)
    depth = git_depth
    refspecs = [f"+refs/pipelines/{pipeline_id}:refs/pipelines/{pipeline_id}"]
    if depth > 0:
        if event.branch and not event.merge_request:
            refspecs.append(f"+refs/heads/{event.branch}:refs/remotes/origin/{event.branch}")
    else:
        refspecs += ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
    return fetch_checkout(source, target, refspecs=refspecs, depth=depth or None, checkout=[event.sha])


def _trigger(world: _Pipeline, job: _Job, known: Mapping[str, str], result: JobRun,
             results: Mapping[str, JobRun]) -> JobRun:
    trigger = job.spec["trigger"]
    if not isinstance(trigger, dict) or "include" not in trigger:
        raise SimulationError(f"{job.name}: ci_sim runs only child pipelines (trigger: include)")
    if world.depth >= 2:
        raise SimulationError(f"{job.name}: child pipelines have a maximum depth of two levels")
    includes = trigger["include"] if isinstance(trigger["include"], list) else [trigger["include"]]
    if len(includes) > TRIGGER_INCLUDE_LIMIT:
        raise SimulationError(f"{job.name}: trigger:include has {len(includes)} files, at most {TRIGGER_INCLUDE_LIMIT}")
    config: dict[str, Any] = {}
    for include in includes:
        if isinstance(include, str) or "local" in include:
            local = include if isinstance(include, str) else include["local"]
            config.update(load_config(world.source / local.lstrip("/"), world.source))
            continue
        if "artifact" not in include:
            raise SimulationError(f"{job.name}: ci_sim includes only local files and artifacts in a trigger")
        producer = include.get("job")
        path = world.root / "artifacts" / known["CI_PIPELINE_ID"] / str(producer) / include["artifact"]
        if producer not in results or not path.is_file():
            result.result, result.error = "failure", f"{include['artifact']} of job {producer} is not an artifact"
            return result
        config.update(load_config(path, world.source))
    child_world = _Pipeline(world.source, world.root, world.event, world.stubs, world.depth + 1, world.modified,
                            trigger_variables={key: expand(value, known) for key, value in
                                               _variables(job.spec.get("variables")).items()},
                            pipeline_source="parent_pipeline", max_jobs=world.max_jobs)
    child = _run_pipeline(child_world, config)
    result.child = child
    if not child.created:
        result.result = "failure"
        result.error = ("downstream pipeline can not be created, the resulting pipeline would have been empty. "
                        f"({child.reason})")
        return result
    if trigger.get("strategy") == "depend":
        result.result = "success" if child.status == "success" else "failure"
    return result


__all__ = ["Event", "push", "merge_request", "schedule", "web", "simulate", "checkout", "load_config", "predefined",
           "modified_paths", "expand", "Run", "JobRun", "SimulationError"]
