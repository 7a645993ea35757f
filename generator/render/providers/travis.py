"""Travis CI conditions (travis-ci/travis-conditions v1) for the plan's jobs.

Travis evaluates conditions when it accepts a build request. `branch` is a
pull request's *base* branch, so every releasing condition starts with
`type = push` (or `type IN (push, cron)`): false for every pull request,
whatever branch it targets. A tag push has `branch` set to the tag name;
`tag IS blank` keeps a tag that happens to share a branch name from releasing.
Manual and API builds have `type = api`: they only build.
"""

from __future__ import annotations

from ..plan import Job


def conditions(plan: list[Job]) -> list[str]:
    """Each job's `if:`, in the plan's order."""
    releases = [release_condition(job.branch, cron=job.cron) for job in plan if job.branch is not None]
    build = f"NOT ({' OR '.join(f'({condition})' for condition in releases)})" if releases else "true"
    return [release_condition(job.branch, cron=job.cron) if job.branch is not None else build for job in plan]


def release_condition(branch: str, *, cron: bool) -> str:
    kind = "type IN (push, cron)" if cron else "type = push"
    return f"{kind} AND tag IS blank AND {branch_equals(branch)}"


def branch_equals(branch: str) -> str:
    """`branch = <name>` in Travis conditions v1, which has quotes but no escapes."""
    # Always quoted: an unquoted `type` or `env...` would parse as an attribute or a call.
    if "'" not in branch:
        return f"branch = '{branch}'"
    if '"' not in branch:
        return f'branch = "{branch}"'
    # Both quote characters: a regex, every other character as a \xHH escape.
    escaped = "".join(c if c.isalnum() or ord(c) > 127 else f"\\x{ord(c):02x}" for c in branch)
    return f"branch =~ ^{escaped}$"
