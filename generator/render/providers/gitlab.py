"""GitLab CI `rules:` for the plan's jobs, and the `workflow:rules` that pick one pipeline per push.

Conditions use only `$CI_PIPELINE_SOURCE`, `$CI_COMMIT_BRANCH` (set in branch
pipelines: pushes, schedules, web and API runs; unset for tags and merge
requests) and `$CI_COMMIT_TAG`, with `==`, `=~` and `&&`
(docs.gitlab.com/ci/jobs/job_rules, "CI/CD variable expressions"). A branch
name that is not plainly safe inside a quoted string is matched by a regex
whose every other character is a \\xHH escape (RE2, as GitLab uses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..plan import Job

_HARMLESS = re.compile(r"[A-Za-z0-9._/-]+")
# docs.gitlab.com/ci/yaml/#resource_group: letters, digits, - _ / $ { } . and spaces, not starting
# or ending with /. `$`, `{` and `}` would expand variables, so only the first few are kept.
_NOT_IN_GROUP = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class GitLabJob:
    job: Job
    rules: list[dict[str, str]]
    resource_group: str | None


def jobs(plan: list[Job]) -> list[GitLabJob]:
    releases = [job for job in plan if job.branch is not None]
    never = [{"if": condition, "when": "never"} for job in releases for condition in release_conditions(job)]
    rendered = []
    for job in plan:
        if job.branch is None:
            rendered.append(GitLabJob(job, [*never, {"when": "on_success"}], None))
        else:
            group = f"shipspec-release-{_NOT_IN_GROUP.sub('-', job.branch)}"
            rendered.append(GitLabJob(job, [{"if": condition} for condition in release_conditions(job)], group))
    return rendered


def release_conditions(job: Job) -> list[str]:
    """The rules, any of which runs a releasing job: a push of its branch, and its schedules with `cron`."""
    assert job.branch is not None
    sources = ["push", "schedule"] if job.cron else ["push"]
    return [f'$CI_PIPELINE_SOURCE == "{source}" && {branch_equals("$CI_COMMIT_BRANCH", job.branch)}'
            for source in sources]


def workflow_rules(plan: list[Job]) -> list[dict[str, str]]:
    """One pipeline per push: a releasing branch always runs its branch pipeline (so it releases even
    with a merge request open), its merge requests none; other branches defer to their open merge
    request's pipeline (GitLab's "switch between branch pipelines and merge request pipelines")."""
    branches = [job.branch for job in plan if job.branch is not None]
    rules = [{"if": branch_equals("$CI_COMMIT_BRANCH", branch)} for branch in branches]
    rules += [
        {"if": f'$CI_PIPELINE_SOURCE == "merge_request_event" && '
               f'{branch_equals("$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", branch)}', "when": "never"}
        for branch in branches
    ]
    return [
        *rules,
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS', "when": "never"},
        {"if": "$CI_COMMIT_BRANCH"},
        {"if": "$CI_COMMIT_TAG"},
    ]


def branch_equals(variable: str, branch: str) -> str:
    if _HARMLESS.fullmatch(branch):
        return f'{variable} == "{branch}"'
    escaped = "".join(c if c.isalnum() and c.isascii() else _regex_escape(c) for c in branch)
    return f"{variable} =~ /^{escaped}$/"


def _regex_escape(char: str) -> str:
    return f"\\x{ord(char):02x}" if ord(char) < 0x80 else f"\\x{{{ord(char):x}}}"
