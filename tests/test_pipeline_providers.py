"""What the GitHub Actions and GitLab CI pipelines run, event by event, against SPEC's promotion table.

The plan is checked against the table once; each provider's rendering is then
evaluated by the provider's own rules: every GitHub job's `if:` by GitHub's
expression engine (@actions/expressions), every GitLab job's `rules:` (and the
`workflow:rules`) by tests/gitlab_rules.py. The make goals of the job that runs
are expanded by the real `make -n`, as for Travis in test_pipeline_meaning.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ci_tools import github_tools
from shipspec.render import plan
from shipspec.render.plan import Event
from gitlab_rules import included
from provider_cases import RELEASE, TABLES, rendered_app, spec_for
from test_pipeline_meaning import targets_run

KINDS = sorted(TABLES)
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("kind", KINDS)
def test_the_plan_runs_exactly_specs_table(kind: str, tmp_path: Path) -> None:
    jobs = plan.jobs(spec_for(kind, "travis", tmp_path).spec)
    for event, expected in TABLES[kind]:
        (job,) = plan.selected(jobs, event)
        if kind == "one-env":
            assert job.targets == (expected or ("docker-build", "test", "docker-scan")), event
        else:
            assert job.releases == ("docker-push" in expected), event


# --- GitHub Actions -----------------------------------------------------------------------------

def github_context(event: Event) -> dict[str, str]:
    context = {"sha": SHA, "event_name": {"manual": "workflow_dispatch", "tag": "push"}.get(event.kind, event.kind),
               "ref": f"refs/heads/{event.branch}", "base_ref": "", "head_ref": ""}
    if event.kind == "pull_request":
        context.update(ref="refs/pull/7/merge", base_ref=event.branch, head_ref="feature/x")
    elif event.kind == "tag":
        context["ref"] = f"refs/tags/{event.branch}"
    elif event.kind == "schedule":
        context["ref"] = "refs/heads/master"  # GitHub runs schedules on the default branch
    return context


def _inner(value: str) -> str:
    match = re.fullmatch(r"\$\{\{(.*)\}\}", value.strip(), re.DOTALL)
    return match.group(1) if match else f"'{value}'"


@pytest.fixture(scope="module", params=KINDS)
def github(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    kind = request.param
    rendered, app = rendered_app(kind, "github", tmp_path_factory.mktemp(f"gh-{kind}"))
    path = app / ".github" / "workflows" / "shipspec.yml"
    workflow = yaml.safe_load(path.read_text())
    jobs = workflow["jobs"]
    events = [event for event, _ in TABLES[kind]]
    contexts = [github_context(event) for event in events]
    refs = [next((s["with"].get("ref", "${{ github.sha }}") for s in job["steps"] if "with" in s), "") for job in
            jobs.values()]
    result = github_tools(path, [job["if"] for job in jobs.values()] + [_inner(ref) for ref in refs], contexts)
    runs = dict(zip(jobs, result["values"][:len(jobs)]))
    checkouts = dict(zip(jobs, result["values"][len(jobs):]))
    return {"kind": kind, "app": app, "workflow": workflow, "events": events, "runs": runs, "checkouts": checkouts,
            "tools": result}


def make_steps(job: dict[str, Any]) -> list[str]:
    commands = [step["run"] for step in job["steps"] if "run" in step]
    check = commands.index("shipspec check --skip-charts")
    makes = commands[check + 1:]
    assert all(command.startswith("make ") for command in makes), "after the check, only make calls"
    return makes


def test_github_parser_and_actionlint_accept_the_workflow(github) -> None:
    tools = github["tools"]
    assert (tools["parse"], tools["convert"], tools["actionlint"]) == ([], [], [])


def test_each_github_event_runs_exactly_the_targets_of_specs_table(github) -> None:
    jobs, table = github["workflow"]["jobs"], TABLES[github["kind"]]
    for index, (event, expected) in enumerate(table):
        running = [name for name, values in github["runs"].items() if values[index]]
        if event.kind == "schedule":
            continue  # one repository-wide event: test_github_schedule
        assert len(running) == 1, f"{event}: jobs {running}"
        steps = make_steps(jobs[running[0]])
        if github["kind"] == "one-env":
            assert steps[-1] == "make " + " ".join(expected or ("docker-build", "test", "docker-scan")), event
        else:
            assert targets_run(github["app"], steps) == expected, event
        if event.kind == "push" and expected is not None and "docker-push" in (expected or ()):
            assert github["checkouts"][running[0]][github["events"].index(event)] == SHA


def test_github_schedule_releases_each_cron_branch_from_its_own_checkout(github) -> None:
    workflow, table = github["workflow"], TABLES[github["kind"]]
    cron_jobs = [job for job in plan.jobs(spec_for(github["kind"], "github", Path(github["app"]).parent / "x").spec)
                 if job.cron]
    on = workflow[True] if True in workflow else workflow["on"]  # PyYAML reads `on` as a boolean
    assert ("schedule" in on) == bool(cron_jobs)
    if not cron_jobs:
        return  # no schedule trigger, so no schedule event
    schedules = [i for i, (event, _) in enumerate(table) if event.kind == "schedule"]
    for index in schedules:
        running = {name for name, values in github["runs"].items() if values[index]}
        checked_out = {github["checkouts"][name][index] for name in running}
        assert checked_out == {f"refs/heads/{job.branch}" for job in cron_jobs}
        if github["kind"] != "one-env":
            for name in running:
                assert targets_run(github["app"], make_steps(workflow["jobs"][name])) & {"docker-push"}


def test_github_secrets_reach_only_release_steps_and_never_a_pull_request(github) -> None:
    workflow, table = github["workflow"], TABLES[github["kind"]]
    assert workflow["permissions"] == {"contents": "read"}
    on = workflow[True] if True in workflow else workflow["on"]
    assert set(on) <= {"push", "pull_request", "schedule", "workflow_dispatch"}
    pull_requests = [i for i, (event, _) in enumerate(table) if event.kind == "pull_request"]
    for name, job in workflow["jobs"].items():
        assert isinstance(job["timeout-minutes"], int)
        uses_secrets = "secrets." in yaml.safe_dump(job)
        releases = any("docker-push" in step.get("run", "") for step in job["steps"])
        assert uses_secrets == releases, name
        if releases:
            assert not any(github["runs"][name][i] for i in pull_requests), name
            assert job["concurrency"]["cancel-in-progress"] is False
            assert all("secrets." not in yaml.safe_dump(step) for step in job["steps"] if "uses" in step)
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_every_github_action_is_pinned_with_its_version_in_a_comment(github) -> None:
    # The comment sits on the line above: `uses: <action>@<40 hex>  # vX.Y.Z` is over yamllint's
    # default 80 columns, and its `allow-non-breakable-words` only lets a line of one word through.
    text = (github["app"] / ".github" / "workflows" / "shipspec.yml").read_text()
    uses = re.findall(r"\n *# (\S+) (\S+)\n *- uses: ([^@\s]+)@(\S+)\n", text)
    assert len(uses) == text.count("uses:"), text
    assert all(name == action and re.fullmatch(r"v\d+\.\d+\.\d+", version) and re.fullmatch(r"[0-9a-f]{40}", sha)
               for name, version, action, sha in uses), uses


# --- GitLab CI ----------------------------------------------------------------------------------

def gitlab_variables(event: Event, *, open_mr: bool = False) -> dict[str, str]:
    source = {"pull_request": "merge_request_event", "tag": "push", "manual": "web"}.get(event.kind, event.kind)
    variables = {"CI_PIPELINE_SOURCE": source, "CI_COMMIT_REF_NAME": event.branch}
    if event.kind == "pull_request":
        variables.update(CI_MERGE_REQUEST_SOURCE_BRANCH_NAME="feature/x",
                         CI_MERGE_REQUEST_TARGET_BRANCH_NAME=event.branch, CI_COMMIT_REF_NAME="feature/x")
    elif event.kind == "tag":
        variables["CI_COMMIT_TAG"] = event.branch
    else:
        variables["CI_COMMIT_BRANCH"] = event.branch
    if open_mr and event.kind != "pull_request":
        variables["CI_OPEN_MERGE_REQUESTS"] = "acme/app!1"
    return variables


@pytest.fixture(scope="module", params=KINDS)
def gitlab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    kind = request.param
    _, app = rendered_app(kind, "gitlab", tmp_path_factory.mktemp(f"gl-{kind}"))
    pipeline = yaml.safe_load((app / ".gitlab-ci.yml").read_text())
    return {"kind": kind, "app": app, "pipeline": pipeline}


def gitlab_jobs(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: job for name, job in pipeline.items() if name not in {"workflow", "variables", "default"}}


def test_each_gitlab_pipeline_runs_exactly_the_targets_of_specs_table(gitlab) -> None:
    pipeline = gitlab["pipeline"]
    for event, expected in TABLES[gitlab["kind"]]:
        variables = gitlab_variables(event)
        assert included(pipeline["workflow"]["rules"], variables), f"{event}: no pipeline"
        running = [name for name, job in gitlab_jobs(pipeline).items() if included(job["rules"], variables)]
        assert len(running) == 1, f"{event}: jobs {running}"
        job = gitlab_jobs(pipeline)[running[0]]
        assert pipeline["default"]["before_script"][-1] == "shipspec check --skip-charts"
        assert all(command.startswith("make ") for command in job["script"])
        if gitlab["kind"] == "one-env":
            assert job["script"][-1] == "make " + " ".join(expected or ("docker-build", "test", "docker-scan"))
        else:
            assert targets_run(gitlab["app"], job["script"]) == expected, event
        releases = "resource_group" in job
        assert releases == any("docker-push" in command for command in job["script"])
        variables = job.get("variables", {})
        assert ("SHIPSPEC_CHARTS_TOKEN" in variables) == releases  # the token reaches release jobs only
        assert {name for name, value in variables.items() if "$" in value} <= {"SHIPSPEC_CHARTS_TOKEN", "TRIVY_CACHE"}
        # Every job scans (docker-push runs docker-scan first): make's TRIVY_CACHE is the cached path.
        assert variables["TRIVY_CACHE"] == "$CI_PROJECT_DIR/.trivy-cache"
        assert job["cache"]["paths"] == [".trivy-cache/"]


def test_gitlab_never_runs_two_pipelines_for_one_push(gitlab) -> None:
    pipeline, rules = gitlab["pipeline"], gitlab["pipeline"]["workflow"]["rules"]
    branches = {event.branch for event, _ in TABLES[gitlab["kind"]] if event.kind == "push"}
    releasing = {event.branch for event, want in TABLES[gitlab["kind"]] if event.kind == "push" and "docker-push" in (want or ())}
    for branch in branches:
        push_pipeline = included(rules, gitlab_variables(Event("push", branch), open_mr=True))
        mr = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": branch,
              "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_COMMIT_REF_NAME": branch}
        assert push_pipeline + included(rules, mr) == 1, branch
        # A releasing branch releases even while a merge request from it is open.
        assert push_pipeline == (branch in releasing), branch
        assert included(rules, gitlab_variables(Event("push", branch)))  # no merge request open
    release_jobs = [job for job in gitlab_jobs(pipeline).values() if "resource_group" in job]
    assert len({job["resource_group"] for job in release_jobs}) == len(release_jobs)
