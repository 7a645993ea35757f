"""What each Travis build runs: SPEC's promotion table as jobs with `if:` conditions.

Travis evaluates conditions when it accepts a build request. `branch` is a
pull request's *base* branch, so every releasing condition starts with
`type = push` (or `type IN (push, cron)`): false for every pull request,
whatever branch it targets. A tag push has `branch` set to the tag name;
`tag IS blank` keeps a tag that happens to share a branch name from releasing.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import Spec

@dataclass(frozen=True)
class Job:
    name: str
    condition: str
    targets: tuple[str, ...]  # make goals, in order, one make invocation
    releases: bool


def jobs(spec: Spec) -> list[Job]:
    """One job per releasing branch, and one build-only job for every other build."""
    assert spec.branches is not None  # filled for every valid spec
    checks = ["docker-build", "test"]
    releases: list[Job] = []
    for branch, rule in spec.branches.items():
        if not rule.deploy and not rule.propose:
            continue
        push = "docker-push"  # runs docker-scan first when scanning is on
        targets = (*checks, push, *(f"{env}-commit" for env in rule.deploy), *(f"{env}-pr" for env in rule.propose))
        releases.append(Job(f"release {branch}", release_condition(branch, cron=rule.cron), targets, True))
    scan = ("docker-scan",) if spec.scan.enabled else ()
    build_condition = f"NOT ({' OR '.join(f'({job.condition})' for job in releases)})" if releases else "true"
    build = Job("build, test, scan", build_condition, (*checks, *scan), False)
    return [build, *releases]


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
