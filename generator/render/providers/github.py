"""GitHub Actions `if:` conditions, and the other per-job values, for the plan's jobs.

GitHub compares strings ignoring case and has no escape in a string literal
but a doubled quote; a `${{` anywhere in a YAML string starts an expression.
A branch name (git allows `$`, `{`, `'`) therefore reaches the workflow only
as an expression literal built here: plain when it is harmless, else a JSON
string with every other character as a \\uXXXX escape, read by `fromJSON`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..plan import Job

_HARMLESS = re.compile(r"[A-Za-z0-9._/-]*")
JOB_MINUTES = 60
GATE_SLACK_MINUTES = 5
# Pinned by full commit sha: the commits the tags point to in the actions' own repositories
# (github.com/actions/checkout tag v7.0.1, github.com/actions/setup-python tag v7.0.0, read with
# `git show-ref --tags` and `git rev-parse <tag>^{commit}` in snapshots of both repositories);
# both releases declare `runs: using: node24` in their action.yml.
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"  # v7.0.1
CHECKOUT_VERSION = "v7.0.1"
SETUP_PYTHON = "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97"  # v7.0.0
SETUP_PYTHON_VERSION = "v7.0.0"
# github.com/actions/cache tag v5.0.5, the newest tag in a snapshot of that repository (commit dated
# 2026-04-13), read with `git rev-parse v5.0.5^{commit}`; its action.yml declares `using: 'node24'`.
CACHE = "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae"  # v5.0.5
CACHE_VERSION = "v5.0.5"


@dataclass(frozen=True)
class GitHubJob:
    id: str
    job: Job
    condition: str
    group: str | None  # the concurrency group of a releasing job
    checkout_ref: str | None  # set when a scheduled build must check out its own branch
    ref: str | None = None  # the exact git ref a releasing job's push must have
    gate_minutes: int = 0  # the gate step's timeout: argocd.gateTimeout and a few minutes to publish

    @property
    def timeout(self) -> int:
        """The job's timeout-minutes: an hour for the build and release, plus the gate's wait."""
        return JOB_MINUTES + self.gate_minutes

    @property
    def trivy_cache(self) -> bool:
        """Whether the job keeps Trivy's database in the Actions cache: the build-only job, when it scans."""
        return not self.job.releases and "docker-scan" in self.job.targets


def gate_minutes(gate_seconds: int) -> int:
    """A gate step's timeout: argocd.gateTimeout in whole minutes, and a few to publish (0: no gate)."""
    return -(-gate_seconds // 60) + GATE_SLACK_MINUTES if gate_seconds else 0


def jobs(plan: list[Job], gate_seconds: int = 0) -> list[GitHubJob]:
    releases = [job for job in plan if job.branch is not None]
    build = f"!({' || '.join(f'({release_condition(job)})' for job in releases)})" if releases else "true"
    rendered = []
    for job in plan:
        if job.branch is None:
            rendered.append(GitHubJob("build", job, build, None, None))
            continue
        # GitHub runs schedules on the default branch: check out the cron branch, else the pushed commit.
        ref = f"${{{{ github.event_name == 'schedule' && {literal('refs/heads/' + job.branch)} || github.sha }}}}"
        rendered.append(GitHubJob(
            f"release-{len(rendered)}", job, release_condition(job), plain(f"shipspec-release-{job.branch}"),
            ref if job.cron else None, plain(f"refs/heads/{job.branch}"),
            gate_minutes(gate_seconds) if job.gates else 0,
        ))
    return rendered


def release_condition(job: Job) -> str:
    assert job.branch is not None
    push = f"github.event_name == 'push' && github.ref == {literal('refs/heads/' + job.branch)}"
    return f"{push} || github.event_name == 'schedule'" if job.cron else push


def literal(text: str) -> str:
    """An expression string literal that evaluates to exactly `text`."""
    if _HARMLESS.fullmatch(text):
        return f"'{text}'"
    escaped = "".join(c if c.isalnum() and c.isascii() else _json_escape(c) for c in text)
    return f"fromJSON('\"{escaped}\"')"


def _json_escape(char: str) -> str:
    units = char.encode("utf-16-be")  # a character beyond the BMP is a surrogate pair in JSON
    return "".join(f"\\u{int.from_bytes(units[i:i + 2], 'big'):04x}" for i in range(0, len(units), 2))


def plain(text: str) -> str:
    """A YAML string value that GitHub reads as exactly `text`, never as an expression."""
    return text if "${{" not in text else f"${{{{ {literal(text)} }}}}"
