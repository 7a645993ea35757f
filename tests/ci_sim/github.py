"""GitHub Actions, simulated: which jobs a workflow run starts for an event, and what their steps do.

The workflow is read by GitHub's own parser (`@actions/workflow-parser`, which also adds the implicit
`success() &&` to every `if:`) and every `${{ }}` is evaluated by GitHub's own expression engine
(`@actions/expressions`), both through tests/node/workflow-sim.mjs. This module supplies what those
packages leave to the service and the runner, each from GitHub's documentation:

- `on:` filters (docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax
  #onpushpull_requestpull_request_targetpathspaths-ignore, "Filter pattern cheat sheet"): branch
  filters match the pushed branch, or the pull request's base branch; `paths` runs the workflow when at
  least one changed file matches, the last matching pattern winning (a `!` pattern excludes); pull
  requests diff three-dot against the base, pushes two-dot against `before`, and a push of a new
  branch "A two-dot diff against the parent of the ancestor of the deepest commit pushed". A
  schedule runs on the default branch.
- `needs` ("If a job fails or is skipped, all jobs that need it are skipped unless the jobs use a
  conditional expression that causes the job to continue", workflow-syntax #jobsjob_idneeds) and the
  status functions (expressions #status-check-functions): for a job `success()` is true when every
  job it needs succeeded, `failure()` when any ancestor failed, `always()` always; `cancelled()` is
  false (nothing is cancelled here). A job whose `if` is false is `skipped`; `needs.<id>.result` is
  success, failure, cancelled or skipped (contexts #needs-context).
- `if:` runs before the matrix ("The jobs.<job_id>.if condition is evaluated before
  jobs.<job_id>.strategy.matrix is applied"); the matrix expands as workflow-syntax
  #jobsjob_idstrategymatrixinclude says ("the key:value pairs in the object will be added to each of
  the matrix combinations if none of the key:value pairs overwrite any of the original matrix values.
  If the object cannot be added to any of the matrix combinations, a new matrix combination will be
  created instead"), at most 256 jobs. An empty vector fails the job as the runner's converter does
  ("Matrix vector '{name}' does not contain any values", "Matrix must define at least one vector":
  actions/runner src/Sdk/WorkflowParser/Conversion/WorkflowTemplateConverter.cs; GitHub documents no
  empty matrix).
- `run:` steps (workflow-syntax #jobsjob_idstepsshell): no `shell` runs `bash -e {0}`, `shell: bash`
  runs `bash --noprofile --norc -eo pipefail {0}`, `sh` runs `sh -e {0}`; `working-directory`
  relative to the workspace; `defaults.run` of the workflow and the job. `$GITHUB_OUTPUT`,
  `$GITHUB_ENV`, `$GITHUB_PATH` and `$GITHUB_STEP_SUMMARY` are files read after each step
  (workflow-commands #setting-an-output-parameter, #setting-an-environment-variable, multiline
  `name<<DELIMITER`). Default variables: docs "Store information in variables", "Default environment
  variables".
- `actions/checkout` as its source does it (actions/checkout src/input-helper.ts, ref-helper.ts,
  git-source-provider.ts): no `ref` means the event's ref and sha; a 40-hex `ref` is a commit;
  `fetch-depth` default 1 fetches `+<sha>:refs/remotes/origin/<branch>` (or refs/remotes/pull/...) with
  `--depth=1 --no-tags`; `fetch-depth: 0` fetches `+refs/heads/*:refs/remotes/origin/*` and
  `+refs/tags/*:refs/tags/*` (plus the pull request ref); then `git checkout --force -B <branch>
  refs/remotes/origin/<branch>` for a branch, or a detached checkout. A pull_request event's sha is
  the merge commit at refs/pull/<n>/merge (events-that-trigger-workflows #pull_request: GITHUB_SHA
  "Last merge commit on the GITHUB_REF branch", GITHUB_REF "refs/pull/PULL_REQUEST_NUMBER/merge").
- setup-* and cache actions do nothing; upload-artifact/download-artifact copy files through the run.
  Concurrency is ignored; matrix runs and jobs run one after another.
"""

from __future__ import annotations

import atexit
import itertools
import json
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ci_sim.common import (ZERO_SHA, JobRun, Run, SimulationError, Stubs, changed_files, fetch_checkout, git,
                           make_merge_commit, rev, run_command)
from tools import REPO_ROOT, require_tool

MATRIX_LIMIT = 256  # "A matrix will generate a maximum of 256 jobs per workflow run" (docs, limits)
FILE_LIMIT = 500 * 1024  # "A workflow file larger than 500 KB will not start runs" (docs.github.com/en/actions/reference/limits)
# workflow-syntax #git-diff-comparisons: "Diffs are limited to 300 files. If there are files changed that
# aren't matched in the first 300 files returned by the filter, the workflow will not run"; "If you push
# more than 1,000 commits, or if GitHub does not generate the diff due to a timeout, the workflow will
# always run". GitHub does not say in which order it returns files: git's (sorted by path) is used.
DIFF_FILES_LIMIT = 300
DIFF_COMMITS_LIMIT = 1000
NOOP_ACTIONS = {"actions/setup-python", "actions/setup-node", "actions/setup-go", "actions/cache",
                "actions/cache/restore", "actions/cache/save", "azure/setup-helm", "docker/setup-buildx-action",
                "docker/login-action"}
_SHELLS = {None: ["bash", "-e", "{0}"], "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
           "sh": ["sh", "-e", "{0}"], "python": ["python", "{0}"]}
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


class _Engine:
    """One long-lived node process running tests/node/workflow-sim.mjs (parser and expression engine)."""

    _instance: _Engine | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        from ci_tools import node_modules  # skips locally, fails under CI=true, when they are missing

        node, modules = require_tool("node"), node_modules()
        scripts = REPO_ROOT / "tests" / "node"
        self.process = subprocess.Popen(
            [node, "--import", str(scripts / "json-loader.mjs"), str(scripts / "workflow-sim.mjs"),
             str(modules)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        atexit.register(self.close)

    @classmethod
    def get(cls) -> _Engine:
        with cls._lock:
            if cls._instance is None or cls._instance.process.poll() is not None:
                cls._instance = _Engine()
            return cls._instance

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # type: ignore[union-attr]
            self.process.wait(timeout=10)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line:
            raise SimulationError("the node expression engine stopped")
        return json.loads(line)


def parse_workflow(path: Path) -> dict[str, Any]:
    """The workflow as GitHub's parser converts it (events, jobs, normalized `if`s); its errors raise."""
    answer = _Engine.get().ask({"op": "parse", "path": str(path)})
    if answer.get("error") or answer.get("errors") or not answer.get("template"):
        raise SimulationError(f"{path}: GitHub's parser refuses the workflow: {answer.get('error') or answer.get('errors')}")
    return answer["template"]


def evaluate(expression: str, context: Mapping[str, Any], status: Mapping[str, bool] | None = None) -> Any:
    """The value of one expression (without `${{ }}`) in `context`, by @actions/expressions."""
    answer = _Engine.get().ask({"op": "eval", "expression": expression, "context": dict(context),
                                "status": dict(status or {"success": True, "failure": False, "cancelled": False})})
    if "error" in answer:
        raise SimulationError(f"cannot evaluate {expression!r}: {answer['error']}")
    return answer.get("value")


def as_string(value: Any) -> str:
    """A value as GitHub inserts it into a string (expressions #literals, coercion to string)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2)
    return str(value)


def truthy(value: Any) -> bool:
    """Expression truthiness (expressions: null, false, 0, -0, NaN and '' are falsy)."""
    return value not in (None, False, 0, "") and value == value


def interpolate(text: Any, context: Mapping[str, Any]) -> Any:
    """A raw YAML value with every `${{ expr }}` replaced by its value (a string holding only one
    expression keeps the expression's type)."""
    if isinstance(text, dict):
        return {key: interpolate(value, context) for key, value in text.items()}
    if isinstance(text, list):
        return [interpolate(value, context) for value in text]
    if not isinstance(text, str) or "${{" not in text:
        return text
    whole = _EXPRESSION.fullmatch(text.strip())
    if whole:
        return evaluate(whole[1], context)
    return _EXPRESSION.sub(lambda m: as_string(evaluate(m[1], context)), text)


def token_value(token: Any, context: Mapping[str, Any], status: Mapping[str, bool] | None = None) -> Any:
    """The value of a converted template token (tokens serialize as literals or {type, ...}: 1 sequence,
    2 mapping, 3 expression; see @actions/workflow-parser templates/tokens/types)."""
    if not isinstance(token, dict) or "type" not in token:
        return token
    kind = token["type"]
    if kind == 3:
        return evaluate(token["expr"], context, status)
    if kind == 2:
        return {as_string(token_value(pair["Key"], context)): token_value(pair["Value"], context)
                for pair in token["map"]}
    if kind == 1:
        return [token_value(item, context) for item in token["seq"]]
    raise SimulationError(f"ci_sim cannot evaluate template token {token!r}")


# --------------------------------------------------------------------------------------------- events

@dataclass
class Event:
    """A workflow trigger: `name` (push, pull_request, schedule, workflow_dispatch), the ref and sha the
    run gets (GITHUB_REF, GITHUB_SHA), the webhook payload (`github.event`) and, for the `paths`
    filter, the two commits to diff."""

    name: str
    ref: str
    sha: str
    payload: dict[str, Any]
    base_ref: str = ""
    head_ref: str = ""
    default_branch: str = "master"
    diff: tuple[str, str, bool] | None = None  # (base, head, three-dot), None: every path counts as changed


def push(source: Path, branch: str, before: str | None = None, *, default_branch: str = "master") -> Event:
    """A push of `branch` (its tip now) that moved it from `before` (None or zeros: a new branch)."""
    sha = rev(source, f"refs/heads/{branch}")
    before_sha = rev(source, before) if before and before != ZERO_SHA else ZERO_SHA
    created = before_sha == ZERO_SHA
    if created:
        others = [line for line in git(source, "for-each-ref", "--format=%(refname)", "refs/heads").splitlines()
                  if line != f"refs/heads/{branch}"]
        pushed = git(source, "rev-list", "--topo-order", sha, "--not", *others).splitlines() if others else []
        deepest = pushed[-1] if pushed else sha
        parent = git(source, "rev-parse", "--verify", "--quiet", f"{deepest}^", check=False)
        diff = (parent, sha, False) if parent else None
    else:
        diff = (before_sha, sha, False)
    payload = {"ref": f"refs/heads/{branch}", "before": before_sha, "after": sha, "created": created,
               "deleted": False, "forced": False, "repository": _repository(default_branch),
               "head_commit": {"id": sha, "message": git(source, "log", "-1", "--format=%B", sha)}}
    return Event("push", f"refs/heads/{branch}", sha, payload, default_branch=default_branch, diff=diff)


def pull_request(source: Path, head: str, base: str, number: int = 1, *, default_branch: str = "master",
                 action: str = "synchronize") -> Event:
    """A pull request from branch `head` into branch `base`; its merge commit is written to
    refs/pull/<number>/merge of `source`, as GitHub does, and is the run's sha. `action`: opened,
    synchronize (a push to it), reopened, ... (on.pull_request.types defaults to those three)."""
    ref = f"refs/pull/{number}/merge"
    sha = make_merge_commit(source, f"refs/heads/{head}", f"refs/heads/{base}", ref)
    head_sha, base_sha = rev(source, f"refs/heads/{head}"), rev(source, f"refs/heads/{base}")
    payload = {"action": action, "number": number, "repository": _repository(default_branch),
               "pull_request": {"number": number, "draft": False, "merge_commit_sha": sha,
                                "head": {"ref": head, "sha": head_sha}, "base": {"ref": base, "sha": base_sha}}}
    return Event("pull_request", ref, sha, payload, base_ref=base, head_ref=head, default_branch=default_branch,
                 diff=(base_sha, head_sha, True))


def schedule(source: Path, cron: str = "", *, default_branch: str = "master") -> Event:
    """A scheduled run: "Scheduled workflows run on the latest commit on the default or base branch"
    (events-that-trigger-workflows #schedule)."""
    sha = rev(source, f"refs/heads/{default_branch}")
    return Event("schedule", f"refs/heads/{default_branch}", sha,
                 {"schedule": cron, "repository": _repository(default_branch)}, default_branch=default_branch)


def workflow_dispatch(source: Path, branch: str, *, default_branch: str = "master") -> Event:
    sha = rev(source, f"refs/heads/{branch}")
    return Event("workflow_dispatch", f"refs/heads/{branch}", sha,
                 {"ref": f"refs/heads/{branch}", "inputs": {}, "repository": _repository(default_branch)},
                 default_branch=default_branch)


def _repository(default_branch: str) -> dict[str, Any]:
    return {"full_name": "acme/app", "name": "app", "default_branch": default_branch, "private": True,
            "owner": {"login": "acme"}}


def filter_match(pattern: str, text: str) -> bool:
    """One filter pattern (workflow-syntax "Filter pattern cheat sheet"): `*` any characters but `/`,
    `**` any characters, `?` zero or one of the preceding character, `+` one or more of it, `[]` a
    character class."""
    out, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if char == "*":
            out += "[^/]*"
        elif char in "?+":
            out += char
        elif char == "[":
            end = pattern.find("]", i)
            out += pattern[i:end + 1] if end > 0 else re.escape(char)
            i = end if end > 0 else i
        else:
            out += re.escape(char)
        i += 1
    return re.fullmatch(out, text) is not None


def filter_list(patterns: Sequence[str], text: str) -> bool:
    """Whether `text` is included by an ordered list of patterns where `!pattern` excludes again."""
    included = False
    for pattern in patterns:
        if pattern.startswith("!"):
            if filter_match(pattern[1:], text):
                included = False
        elif filter_match(pattern, text):
            included = True
    return included


def triggered(events: Mapping[str, Any], event: Event, source: Path) -> tuple[bool, str]:
    """Whether the workflow's `on:` starts a run for `event`, and why not."""
    if event.name not in events:
        return False, f"on: has no {event.name}"
    config = events[event.name] or {}
    if event.name == "schedule" or not isinstance(config, dict):
        return True, ""
    if event.name == "pull_request":
        # "By default, a workflow only runs when a pull_request event's activity type is opened,
        # synchronize, or reopened" (events-that-trigger-workflows #pull_request).
        types = config.get("types") or ["opened", "synchronize", "reopened"]
        if event.payload.get("action") not in types:
            return False, f"pull_request action {event.payload.get('action')} not in {types}"
    branch = event.base_ref if event.name == "pull_request" else event.ref.removeprefix("refs/heads/")
    if "branches" in config and not filter_list(config["branches"], branch):
        return False, f"branch {branch} not in on.{event.name}.branches"
    if "branches-ignore" in config and filter_list(config["branches-ignore"], branch):
        return False, f"branch {branch} in on.{event.name}.branches-ignore"
    if "paths" in config or "paths-ignore" in config:
        changed = changed_files(source, event.diff[0], event.diff[1], merge_base=event.diff[2]) \
            if event.diff else None
        if event.diff and not event.diff[2] and int(git(source, "rev-list", "--count",
                                                        f"{event.diff[0]}..{event.diff[1]}")) > DIFF_COMMITS_LIMIT:
            changed = None
        if changed is not None:
            changed = changed[:DIFF_FILES_LIMIT]
            if "paths" in config and not any(filter_list(config["paths"], path) for path in changed):
                return False, f"no changed path matches on.{event.name}.paths"
            if "paths-ignore" in config and all(filter_list(config["paths-ignore"], path) for path in changed):
                return False, f"every changed path matches on.{event.name}.paths-ignore"
    return True, ""


# ----------------------------------------------------------------------------------------------- jobs

def expand_matrix(matrix: Any) -> list[dict[str, Any]]:
    """The combinations of an evaluated `strategy.matrix` (raises SimulationError as GitHub fails the job)."""
    if not isinstance(matrix, dict):
        raise SimulationError(f"Unexpected matrix value {matrix!r}")
    vectors = {key: value for key, value in matrix.items() if key not in ("include", "exclude")}
    for key, value in vectors.items():
        if not isinstance(value, list):
            raise SimulationError(f"Matrix vector '{key}' is not a list: {value!r}")
        if not value:
            raise SimulationError(f"Matrix vector '{key}' does not contain any values")
    include = matrix.get("include") or []
    if not vectors and not include:
        raise SimulationError("Matrix must define at least one vector")
    combos = [dict(zip(vectors, values)) for values in itertools.product(*vectors.values())] if vectors else []
    for exclude in matrix.get("exclude") or []:
        combos = [combo for combo in combos if not all(combo.get(k) == v for k, v in exclude.items())]
    originals = [dict(combo) for combo in combos]  # only these take include objects; new ones do not
    for extra in include:
        added = False
        for combo, original in zip(combos, originals):
            if all(original[key] == value for key, value in extra.items() if key in original):
                combo.update(extra)
                added = True
        if not added:
            combos.append(dict(extra))
    if len(combos) > MATRIX_LIMIT:
        raise SimulationError(f"The matrix has {len(combos)} jobs, more than GitHub's {MATRIX_LIMIT}")
    return combos


@dataclass
class _World:
    source: Path
    root: Path
    event: Event
    template: dict[str, Any]
    raw: dict[str, Any]
    secrets: dict[str, str]
    variables: dict[str, str]
    stubs: Stubs
    artifacts: Path
    run: Run
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # job id -> {result, outputs}
    counter: itertools.count = field(default_factory=itertools.count)

    def github(self, job_id: str, workspace: Path) -> dict[str, Any]:
        event = self.event
        return {"event_name": event.name, "event": event.payload, "ref": event.ref, "sha": event.sha,
                "ref_name": event.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
                .removeprefix("refs/"), "ref_type": "tag" if event.ref.startswith("refs/tags/") else "branch",
                "base_ref": event.base_ref, "head_ref": event.head_ref, "repository": "acme/app",
                "repository_owner": "acme", "workspace": str(workspace), "run_id": "1", "run_number": "1",
                "run_attempt": "1", "actor": "dev", "triggering_actor": "dev", "job": job_id, "action": "",
                "server_url": "https://github.com", "api_url": "https://api.github.com", "token": "",
                "event_path": str(self.root / "event.json"), "workflow": self.template.get("name", "")}


def simulate(source: Path, workflow: Path, event: Event, *, root: Path, secrets: Mapping[str, str] | None = None,
             variables: Mapping[str, str] | None = None, stubs: Stubs | None = None) -> Run:
    """Run `workflow` (a file of the repository `source`, as committed or not) for `event` in folder
    `root`: the jobs the run shows, in the order they ran, with their results, matrix values, outputs and
    the stub calls their steps made."""
    root.mkdir(parents=True, exist_ok=True)
    if workflow.stat().st_size > FILE_LIMIT:
        return Run("github", created=False, status="none",
                   reason=f"{workflow.name} is {workflow.stat().st_size} bytes: larger than 500 KB, it starts no run")
    template = parse_workflow(workflow)
    raw = yaml.safe_load(workflow.read_text()) or {}
    run = Run("github", created=False, status="none")
    started, reason = triggered(template.get("events") or {}, event, source)
    if not started:
        run.reason = reason
        return run
    run.created = True
    (root / "event.json").write_text(json.dumps(event.payload))
    world = _World(source, root, event, template, raw, dict(secrets or {}), dict(variables or {}),
                   stubs or Stubs(root / "stubs"), root / "artifacts", run)
    for job in _ordered(template["jobs"]):
        _run_job(world, job)
    run.status = "failure" if any(job.result == "failure" for job in run.jobs) else "success"
    return run


def _ordered(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The jobs in file order, each after every job it needs."""
    done: list[dict[str, Any]] = []
    pending = list(jobs)
    while pending:
        ready = next((job for job in pending if all(need in {d["id"] for d in done} for need in job.get("needs") or [])),
                     None)
        if ready is None:
            raise SimulationError(f"needs cycle among {[job['id'] for job in pending]}")
        done.append(ready)
        pending.remove(ready)
    return done


def _ancestors(world: _World, job: dict[str, Any]) -> set[str]:
    by_id = {item["id"]: item for item in world.template["jobs"]}
    found, stack = set(), list(job.get("needs") or [])
    while stack:
        need = stack.pop()
        if need not in found:
            found.add(need)
            stack += by_id[need].get("needs") or []
    return found


def _run_job(world: _World, job: dict[str, Any]) -> None:
    job_id = job["id"]
    raw_job = (world.raw.get("jobs") or {}).get(job_id) or {}
    needs = {need: world.results[need] for need in job.get("needs") or []}
    context = {"github": world.github(job_id, world.root), "needs": needs, "vars": world.variables, "inputs": {}}
    status = {"success": all(item["result"] == "success" for item in needs.values()),
              "failure": any(world.results[a]["result"] == "failure" for a in _ancestors(world, job)),
              "cancelled": False}
    display = job.get("name") if isinstance(job.get("name"), str) else job_id
    if not truthy(token_value(job["if"], context, status)):
        world.run.jobs.append(JobRun(job_id, display, "skipped"))
        world.results[job_id] = {"result": "skipped", "outputs": {}}
        return
    combos: list[dict[str, Any] | None] = [None]
    if job.get("strategy") is not None:
        strategy = token_value(job["strategy"], context)
        try:
            combos = list(expand_matrix(strategy.get("matrix"))) if "matrix" in strategy else [None]
        except SimulationError as error:
            world.run.jobs.append(JobRun(job_id, display, "failure",
                                         error=f"Error when evaluating 'strategy' for job '{job_id}'. {error}"))
            world.results[job_id] = {"result": "failure", "outputs": {}}
            return
    outputs: dict[str, str] = {}
    results = []
    for combo in combos:
        one = _run_one(world, job, raw_job, context, combo)
        world.run.jobs.append(one)
        results.append(one.result)
        outputs.update({key: value for key, value in one.outputs.items() if value != ""})
    world.results[job_id] = {"result": "failure" if "failure" in results else "success", "outputs": outputs}


def _run_one(world: _World, job: dict[str, Any], raw_job: dict[str, Any], base: dict[str, Any],
             combo: dict[str, Any] | None) -> JobRun:
    job_id = job["id"]
    number = next(world.counter)
    home = world.root / "jobs" / f"{number}-{job_id}"
    workspace, temp = home / "work", home / "temp"
    workspace.mkdir(parents=True)
    temp.mkdir()
    context: dict[str, Any] = {**base, "github": world.github(job_id, workspace), "matrix": combo or {},
                               "strategy": {"fail-fast": True, "job-index": 0, "job-total": 1},
                               "secrets": {**world.secrets, "GITHUB_TOKEN": ""},
                               "runner": {"os": "Linux", "arch": "X64", "temp": str(temp), "name": "ci-sim",
                                          "tool_cache": str(temp)},
                               "job": {"status": "success"}, "steps": {}, "env": {}}
    name = token_value(job.get("name"), context) if job.get("name") is not None else job_id
    name = as_string(name) or job_id
    if combo and not (isinstance(job.get("name"), dict) and "matrix" in json.dumps(job["name"])):
        name += " (" + ", ".join(as_string(value) for value in combo.values()) + ")"
    result = JobRun(job_id, name, "success", matrix=combo, workspace=workspace)
    env = {**_env_map(world.template.get("env"), context), **_env_map(job.get("env"), context)}
    context["env"] = dict(env)
    defaults = {**((world.raw.get("defaults") or {}).get("run") or {}), **((raw_job.get("defaults") or {}).get("run") or {})}
    raw_steps = raw_job.get("steps") or []
    if len(raw_steps) != len(job.get("steps") or []):
        raise SimulationError(f"job {job_id}: the parser and the YAML disagree on its steps")
    runner_env = world.stubs.base_env(home / "home")
    extra_path: list[str] = []
    failed = False
    offset = world.stubs.log.stat().st_size
    logs = []
    for step, raw_step in zip(job["steps"], raw_steps):
        status = {"success": not failed, "failure": failed, "cancelled": False}
        context["job"] = {"status": "failure" if failed else "success"}
        if not truthy(token_value(step.get("if", {"type": 3, "expr": "success()"}), context, status)):
            context["steps"][step["id"]] = {"outcome": "skipped", "conclusion": "skipped", "outputs": {}}
            continue
        step_env = {**env, **_env_map(step.get("env"), context)}
        files = {key: temp / f"{key.lower()}-{uuid.uuid4().hex}" for key in
                 ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")}
        for path in files.values():
            path.touch()
        variables = {**runner_env, **_defaults(world, job_id, workspace, temp), **{k: str(v) for k, v in files.items()},
                     **{k: as_string(v) for k, v in step_env.items()}, **world.stubs.job_env(name, workspace)}
        if extra_path:
            variables["PATH"] = ":".join([*reversed(extra_path), variables["PATH"]])
        try:
            code, log = _step(world, step, raw_step, context, variables, workspace, temp, defaults)
        except SimulationError as error:
            code, log = 1, str(error)
            result.error = str(error)
        logs.append(f"## {as_string(step.get('name')) or step['id']}\n{log}")
        outputs = _read_pairs(files["GITHUB_OUTPUT"])
        new_env = _read_pairs(files["GITHUB_ENV"])
        env.update(new_env)
        context["env"] = dict(env)
        extra_path += [line for line in files["GITHUB_PATH"].read_text().splitlines() if line]
        summary = files["GITHUB_STEP_SUMMARY"].read_text()
        if summary:
            world.run.summaries.append(summary)
        continue_on_error = truthy(interpolate(raw_step.get("continue-on-error", False), context))
        outcome = "success" if code == 0 else "failure"
        conclusion = "success" if code == 0 or continue_on_error else "failure"
        context["steps"][step["id"]] = {"outcome": outcome, "conclusion": conclusion, "outputs": outputs}
        failed = failed or conclusion == "failure"
    result.calls, _ = world.stubs.calls_since(offset)
    result.log = "\n".join(logs)
    result.result = "failure" if failed else "success"
    result.env = {key: as_string(value) for key, value in env.items()}
    if job.get("outputs") is not None:
        result.outputs = {key: as_string(value) for key, value in token_value(job["outputs"], context).items()}
    return result


def _env_map(token: Any, context: Mapping[str, Any]) -> dict[str, Any]:
    value = token_value(token, context) if token is not None else {}
    return dict(value or {})


def _defaults(world: _World, job_id: str, workspace: Path, temp: Path) -> dict[str, str]:
    """The default environment variables of a GitHub-hosted runner (docs "Store information in
    variables", Default environment variables)."""
    event = world.event
    github = world.github(job_id, workspace)
    return {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event.name, "GITHUB_REF": event.ref,
            "GITHUB_REF_NAME": github["ref_name"], "GITHUB_REF_TYPE": github["ref_type"], "GITHUB_SHA": event.sha,
            "GITHUB_BASE_REF": event.base_ref, "GITHUB_HEAD_REF": event.head_ref, "GITHUB_REPOSITORY": "acme/app",
            "GITHUB_REPOSITORY_OWNER": "acme", "GITHUB_WORKSPACE": str(workspace), "GITHUB_JOB": job_id,
            "GITHUB_EVENT_PATH": str(world.root / "event.json"), "GITHUB_RUN_ID": "1", "GITHUB_RUN_NUMBER": "1",
            "GITHUB_RUN_ATTEMPT": "1", "GITHUB_ACTOR": "dev", "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": "https://api.github.com", "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
            "RUNNER_TEMP": str(temp)}


def _read_pairs(path: Path) -> dict[str, str]:
    """`name=value` lines and `name<<DELIMITER` blocks (workflow-commands, multiline strings)."""
    pairs: dict[str, str] = {}
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            pairs[key] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        if "=" in line:
            key, value = line.split("=", 1)
            pairs[key] = value
        elif line.strip():
            raise SimulationError(f"invalid line in {path.name}: {line!r}")
        i += 1
    return pairs


def _step(world: _World, step: dict[str, Any], raw_step: dict[str, Any], context: dict[str, Any],
          variables: dict[str, str], workspace: Path, temp: Path, defaults: Mapping[str, Any]) -> tuple[int, str]:
    if "run" in step:
        script = as_string(token_value(step["run"], context))
        shell = interpolate(raw_step.get("shell", defaults.get("shell")), context)
        folder = interpolate(raw_step.get("working-directory", defaults.get("working-directory")), context)
        cwd = workspace / folder if folder else workspace
        if not cwd.is_dir():
            return 1, f"working-directory {folder} does not exist"
        path = temp / f"{uuid.uuid4().hex}.sh"
        path.write_text(script)
        if shell in _SHELLS:
            argv = [part.replace("{0}", str(path)) for part in _SHELLS[shell]]
        elif isinstance(shell, str) and "{0}" in shell:
            argv = [part.replace("{0}", str(path)) for part in shell.split()]
        else:
            raise SimulationError(f"ci_sim does not emulate shell {shell!r}")
        return run_command(argv, cwd, variables)
    uses = step["uses"]
    action = uses.split("@", 1)[0]
    inputs = interpolate(raw_step.get("with") or {}, context)
    if action == "actions/checkout":
        return _checkout(world, inputs, workspace)
    if action in NOOP_ACTIONS:
        return 0, f"{uses}: no-op in ci_sim"
    if action == "actions/upload-artifact":
        target = world.artifacts / as_string(inputs.get("name", "artifact"))
        for pattern in as_string(inputs.get("path", "")).splitlines():
            for found in workspace.glob(pattern.strip()):
                destination = target / found.relative_to(workspace)
                destination.parent.mkdir(parents=True, exist_ok=True)
                (shutil.copytree if found.is_dir() else shutil.copy2)(found, destination)
        return 0, f"uploaded {target.name}"
    if action == "actions/download-artifact":
        target = world.artifacts / as_string(inputs.get("name", "artifact"))
        if not target.is_dir():
            return 1, f"Artifact not found: {target.name}"
        shutil.copytree(target, workspace / as_string(inputs.get("path", "")), dirs_exist_ok=True)
        return 0, f"downloaded {target.name}"
    raise SimulationError(f"ci_sim does not emulate the action {uses}")


def _checkout(world: _World, inputs: Mapping[str, Any], workspace: Path) -> tuple[int, str]:
    if inputs.get("repository") not in (None, "", "acme/app"):
        raise SimulationError(f"ci_sim checks out only the workflow's repository, not {inputs['repository']}")
    depth = int(as_string(inputs.get("fetch-depth", "1")) or 1)
    target = workspace / as_string(inputs.get("path", "")) if inputs.get("path") else workspace
    try:
        checkout(world.source, world.event, target, ref=as_string(inputs.get("ref", "")), fetch_depth=depth)
    except SimulationError as error:
        return 1, str(error)
    return 0, f"checked out {as_string(inputs.get('ref', '')) or world.event.ref} (fetch-depth {depth})"


def checkout(source: Path, event: Event, target: Path, *, ref: str = "", fetch_depth: int = 1) -> Path:
    """The folder `actions/checkout` makes for `event` with these inputs (see the module docstring)."""
    commit = ""
    if not ref:
        ref, commit = event.ref, event.sha
    elif re.fullmatch(r"[0-9a-fA-F]{40}", ref):
        ref, commit = "", ref
    depth = fetch_depth
    upper = ref.upper()
    if depth <= 0:
        refspecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
        if upper.startswith("REFS/PULL/"):
            refspecs.append(f"+{commit or ref}:refs/remotes/pull/{ref[len('refs/pull/'):]}")
        if commit and not upper.startswith(("REFS/HEADS/", "REFS/PULL/")):
            refspecs += _refspec(ref, commit)
    else:
        refspecs = _refspec(ref, commit)
    if upper.startswith("REFS/HEADS/"):
        branch = ref[len("refs/heads/"):]
        start = ["-B", branch, f"refs/remotes/origin/{branch}"]
    elif upper.startswith("REFS/PULL/"):
        start = [f"refs/remotes/pull/{ref[len('refs/pull/'):]}"]
    elif not ref:
        start = [commit]
    elif upper.startswith("REFS/"):
        start = [ref]
    else:
        start = ["-B", ref, f"refs/remotes/origin/{ref}"]
    fetch_checkout(source, target, refspecs=refspecs, depth=None if depth <= 0 else depth, checkout=start,
                   tags=depth <= 0)
    if depth <= 0 and upper.startswith("REFS/HEADS/") and commit:
        # testRef: the branch may have moved since the event; fetch the event's commit then.
        if git(target, "rev-parse", f"refs/remotes/origin/{ref[len('refs/heads/'):]}") != commit:
            git(target, "fetch", "-q", "origin", *_refspec(ref, commit))
            git(target, "checkout", "-q", "--force", *start)
    return target


def _refspec(ref: str, commit: str) -> list[str]:
    """actions/checkout ref-helper.ts getRefSpec."""
    upper = ref.upper()
    if commit:
        if upper.startswith("REFS/HEADS/"):
            return [f"+{commit}:refs/remotes/origin/{ref[len('refs/heads/'):]}"]
        if upper.startswith("REFS/PULL/"):
            return [f"+{commit}:refs/remotes/pull/{ref[len('refs/pull/'):]}"]
        if upper.startswith("REFS/TAGS/"):
            return [f"+{commit}:{ref}"]
        return [commit]
    if not upper.startswith("REFS/"):
        return [f"+refs/heads/{ref}*:refs/remotes/origin/{ref}*", f"+refs/tags/{ref}*:refs/tags/{ref}*"]
    if upper.startswith("REFS/HEADS/"):
        return [f"+{ref}:refs/remotes/origin/{ref[len('refs/heads/'):]}"]
    if upper.startswith("REFS/PULL/"):
        return [f"+{ref}:refs/remotes/pull/{ref[len('refs/pull/'):]}"]
    return [f"+{ref}:{ref}"]


__all__ = ["Event", "push", "pull_request", "schedule", "workflow_dispatch", "simulate", "checkout", "parse_workflow",
           "evaluate", "expand_matrix", "filter_match", "filter_list", "triggered"]
