"""What each CI build runs, decided once for every provider: SPEC's promotion table as jobs.

A build is started by an event: a pull request (into any base), a push of a
branch, a scheduled (cron) build of a branch, a push of a tag, or a manual or
API run. One job per releasing branch runs on a push of that branch (and on
its scheduled builds when `cron: true`); the one build-only job runs on every
other event. A provider module renders these conditions in its CI's syntax
and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..spec.model import Spec

EventKind = Literal["pull_request", "push", "schedule", "tag", "manual"]
CHECKS = ("docker-build", "test")


@dataclass(frozen=True)
class Event:
    """What started a build: `branch` is a push's or schedule's branch, a pull request's base, a tag's name."""

    kind: EventKind
    branch: str


@dataclass(frozen=True)
class Job:
    name: str
    targets: tuple[str, ...]  # make goals, in order, one make invocation
    branch: str | None = None  # the releasing branch; None for the build-only job
    cron: bool = False  # the branch's scheduled builds release too
    gates: tuple[str, ...] = ()  # with argocd.server: `<env>-gate` of each proposed environment, run after targets

    @property
    def releases(self) -> bool:
        return self.branch is not None

    def runs_on(self, event: Event) -> bool:
        """Whether a releasing job runs for `event` (the build-only job runs when no releasing job does)."""
        if self.branch is None or event.branch != self.branch:
            return False
        return event.kind == "push" or (self.cron and event.kind == "schedule")


def jobs(spec: Spec) -> list[Job]:
    """The build-only job first, then one job per releasing branch, in the spec's order."""
    assert spec.branches is not None  # filled for every valid spec
    gated = spec.argocd.server is not None  # SPEC 1.2: the gate runs right after the pull request opens
    releases = [
        # docker-push runs docker-scan first when scanning is on.
        Job(f"release {branch}", (*CHECKS, "docker-push", *(f"{env}-commit" for env in rule.deploy),
                                  *(f"{env}-pr" for env in rule.propose)), branch, rule.cron,
            tuple(f"{env}-gate" for env in rule.propose) * gated)
        for branch, rule in spec.branches.items()
        if rule.deploy or rule.propose
    ]
    scan = ("docker-scan",) if spec.scan.enabled else ()
    return [Job("build, test, scan", (*CHECKS, *scan)), *releases]


def selected(plan: list[Job], event: Event) -> list[Job]:
    """The jobs that run for `event`: SPEC's table, the reference every provider's rendering must match."""
    releasing = [job for job in plan if job.releases and job.runs_on(event)]
    return releasing or [job for job in plan if not job.releases]


def scheduled(plan: list[Job]) -> list[Job]:
    return [job for job in plan if job.cron]
