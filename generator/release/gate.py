"""`shipspec gate ENV --tag TAG [--wait D]`: does the environment before ENV run TAG, synced and healthy?

SPEC 1.2 "The promotion gate". The verdict is read from the previous
environment's Argo CD Application (release/argocd.py) and published as the
commit status `shipspec/gate` on the head of ENV's open promotion request, so
that a required status keeps production's pull request from merging before
staging runs the same image. Status strings are Argo CD's own:
SyncStatusCode, HealthStatusCode (gitops-engine pkg/health) and
OperationPhase (gitops-engine pkg/sync/common), as listed in its
assets/swagger.json's v1alpha1ApplicationStatus and the Go types behind it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import EXIT_FAILED, EXIT_OK, UsageError
from ..files.paths import SPEC_NAME
from ..files.specfile import load
from ..output import err, out
from ..spec import names
from ..spec.model import Spec
from . import argocd, httpjson, review, reviews
from .status import PROPOSAL_PREFIX

Verdict = Literal["open", "pending", "failed"]
STATE: dict[Verdict, review.State] = {"open": "success", "pending": "pending", "failed": "failure"}
FIRST_DELAY = 5.0  # seconds between looks: 5, 7.5, 11, ... up to MAX_DELAY
MAX_DELAY = 30.0  # well under a minute: a waiting gate prints a line at least once a minute
BACKOFF = 1.5


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    description: str  # what holds, or the first condition that does not
    url: str  # the previous environment's Application in the Argo CD UI


@dataclass(frozen=True)
class Gate:
    """One validated gate request."""

    spec: Spec
    env: str
    previous: str
    tag: str

    @property
    def application(self) -> str:
        return f"{self.spec.name}-{self.previous}"

    @property
    def branch(self) -> str:
        return f"{PROPOSAL_PREFIX}{self.spec.name}/{self.env}"


def prepare(env_name: str, tag: str, spec_path: str | None) -> Gate:
    """The request, validated: exit 2 (UsageError) for anything a user must change."""
    path = Path(spec_path or SPEC_NAME)
    if not path.is_file():
        raise UsageError(f"{path}: no such spec file; run gate next to {SPEC_NAME} or pass --spec")
    spec = load(path).spec
    if spec.argocd.server is None:
        raise UsageError(f"{path}: argocd.server is not set: the gate reads what runs from the Argo CD API; set "
                         "argocd.server to its https:// URL")
    known = [env.name for env in spec.environments]
    if env_name not in known:
        raise UsageError(f"unknown environment {env_name!r}: {path} defines {', '.join(known)}")
    index = known.index(env_name)
    if index == 0:
        raise UsageError(f"{env_name} is the first environment: no environment before it to gate on")
    reason = names.image_tag(tag)
    if reason:
        raise UsageError(f"--tag {tag!r}: {reason}")
    return Gate(spec, env_name, known[index - 1], tag)


def decide(app: argocd.Application, gate: Gate) -> Decision:
    """SPEC 1.2: open when Synced, Healthy, no operation running and TAG's image runs; failed at once when
    Degraded or the last sync ended Failed or Error; pending otherwise."""
    prev, tag = gate.previous, gate.tag
    if app.health == "Degraded":
        return Decision("failed", _with(f"{prev} is Degraded", app.health_message), app.url)
    if app.phase in ("Failed", "Error"):
        return Decision("failed", _with(f"{prev}'s last sync ended {app.phase}", app.operation_message), app.url)
    wanted = normalized(f"{gate.spec.image.repository}:{tag}")
    if wanted not in {normalized(image) for image in app.images}:
        return Decision("pending", _running(app, gate), app.url)
    if app.sync != "Synced":
        return Decision("pending", f"{prev} is {app.sync}, not Synced", app.url)
    if app.health != "Healthy":
        return Decision("pending", _with(f"{prev} is {app.health}, not Healthy", app.health_message), app.url)
    if app.phase in ("Running", "Terminating"):
        return Decision("pending", f"{prev} has a sync operation {app.phase.lower()}", app.url)
    return Decision("open", f"{prev} runs {tag}, Synced and Healthy", app.url)


def _running(app: argocd.Application, gate: Gate) -> str:
    """`stag runs 1a2b3c4, not 9f8e7d6`: the tags of the app's own image that the Application reports."""
    repository = normalized(gate.spec.image.repository)
    tags = sorted({reference.rpartition(":")[2] for reference in map(normalized, app.images)
                   if reference.rpartition(":")[0] == repository})
    if not tags:
        return f"{gate.previous} runs no {gate.spec.image.repository} image yet, not {gate.tag}"
    return f"{gate.previous} runs {', '.join(tags)}, not {gate.tag}"


def _with(what: str, detail: str) -> str:
    detail = " ".join(detail.split())
    return f"{what}: {detail}" if detail else what


def normalized(reference: str) -> str:
    """A reference as Docker reads it (distribution/reference ParseNormalizedNamed): docker.io and
    library/ implied, index.docker.io is docker.io, and a digest dropped (the gate compares tags)."""
    reference = reference.split("@", 1)[0]
    name, colon, tag = reference.rpartition(":")
    if not colon or "/" in tag:  # the colon was a registry port, not a tag
        name, tag = reference, ""
    first, slash, rest = name.partition("/")
    if not slash or not ("." in first or ":" in first or first == "localhost"):
        first, rest = "docker.io", name
    if first == "index.docker.io":
        first = "docker.io"
    if first == "docker.io" and "/" not in rest:
        rest = f"library/{rest}"
    return f"{first}/{rest}" + (f":{tag}" if tag else "")


class Publisher:
    """The commit status on the head of ENV's open request; nothing without one (or without a token)."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.last: Decision | None = None
        self._target: tuple[review.Review, str] | None = None
        self._looked = False

    def publish(self, decision: Decision) -> None:
        if decision == self.last:  # GitHub keeps at most 1000 statuses per commit and context
            return
        target = self._find()
        if target is not None:
            client, head = target
            client.set_status(head, self.gate.branch, STATE[decision.verdict], decision.description, decision.url)
            out(f"shipspec/gate {STATE[decision.verdict]} on {head[:12]} ({self.gate.branch})")
        self.last = decision

    def _find(self) -> tuple[review.Review, str] | None:
        if self._looked:
            return self._target
        self._looked = True
        spec, branch = self.gate.spec, self.gate.branch
        if not reviews.has_token(spec):
            err(f"shipspec: warning: no review API token (GITHUB_TOKEN, GITLAB_TOKEN or SHIPSPEC_CHARTS_TOKEN): "
                f"the verdict is not published on {branch}'s {'merge' if spec.charts.review == 'gitlab' else 'pull'} "
                "request")
            return None
        client = reviews.for_spec(spec)
        found = client.find_open_pull(branch, spec.charts.branch)
        if found is None or not found.head:
            out(f"no open {client.noun} for {branch}: the verdict is not published")
            return None
        self._target = (client, found.head)
        return self._target


def run(gate: Gate, *, wait: float = 0.0, clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep) -> int:
    """Decide, publish, and with `wait` look again (with backoff) until open, failed or the deadline."""
    client = argocd.ArgoCD.for_spec(gate.spec)
    publisher = Publisher(gate)
    deadline, delay = clock() + wait, FIRST_DELAY
    while True:
        try:
            decision: Decision | None = decide(client.application(gate.application), gate)
        except (httpjson.Unreachable, argocd.Unavailable) as exc:  # a blip: worth the rest of the wait
            if clock() >= deadline:
                raise
            err(f"shipspec: {exc.message}")
            decision = None
        left = deadline - clock()
        if decision is not None:
            waiting = decision.verdict == "pending" and left > 0
            out(f"gate {gate.env}: {decision.verdict}: {decision.description} ({decision.url})"
                + (f"; looking again in {min(delay, left):.0f}s, {_minutes(left)} left" if waiting else ""))
            publisher.publish(decision)
            if decision.verdict != "pending":
                return EXIT_OK if decision.verdict == "open" else EXIT_FAILED
        if left <= 0:
            if wait:
                out(f"gate {gate.env}: still pending after {_minutes(wait)}: leaving shipspec/gate pending; re-run "
                    f"`shipspec gate {gate.env} --tag {gate.tag}` (or make {gate.env}-gate TAG={gate.tag}) later")
            return EXIT_FAILED
        sleep(min(delay, left))
        delay = min(MAX_DELAY, delay * BACKOFF)


def _minutes(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def gate(env_name: str, tag: str, *, wait: str | None, spec: str | None,
         clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> int:
    """The command's core: validate (exit 2), then `run` (exit 0 open, 1 not open, failed or a fault)."""
    seconds = 0
    if wait is not None:
        reason = names.duration(wait)
        if reason:
            raise UsageError(f"--wait {wait!r}: {reason}")
        seconds = names.duration_seconds(wait) or 0
    return run(prepare(env_name, tag, spec), wait=seconds, clock=clock, sleep=sleep)
