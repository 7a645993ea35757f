"""The review API behind `promote --pr` and `status`: GitHub pull requests or GitLab merge requests.

`charts.review` (defaulted from the charts repo's host, SPEC 1.1) picks the
client; callers only see the `Review` interface, so they never branch on the
host.
"""

from __future__ import annotations

from typing import Protocol

from . import github, gitlab
from .model import Spec


class Proposal(Protocol):
    """One open pull or merge request."""

    @property
    def number(self) -> int: ...

    @property
    def url(self) -> str: ...

    @property
    def label(self) -> str: ...  # "pull request #3", "merge request !3"


class Review(Protocol):
    """Keep one open request per branch: find it, else create it; update it."""

    noun: str  # "pull request" | "merge request"

    def find_open_pull(self, branch: str, base: str) -> Proposal | None: ...

    def upsert_pull(self, branch: str, base: str, title: str, body: str) -> tuple[str, Proposal]: ...


def for_spec(spec: Spec) -> Review:
    """The review client of the spec's charts repo; OperationFailed when its token is not set."""
    if spec.charts.review == "gitlab":
        return gitlab.GitLab.from_environment(spec.charts.repo)
    return github.GitHub.from_environment(*github.repository_of(spec.charts.repo))


def has_token(spec: Spec) -> bool:
    """Whether `for_spec` would find a token: `status` asks the API only then."""
    module = gitlab if spec.charts.review == "gitlab" else github
    return bool(module.token_from_environment())
