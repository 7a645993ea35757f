"""The review API behind `promote --pr` and `status`: GitHub pull requests or GitLab merge requests.

The interface only: `reviews.for_spec` picks the client (`charts.review`,
defaulted from the charts repo's host, SPEC 1.1), so callers never branch on
the host and this module never imports its implementations.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Literal, Protocol

from ..errors import OperationFailed


class Proposal(Protocol):
    """One open pull or merge request."""

    @property
    def number(self) -> int: ...

    @property
    def url(self) -> str: ...

    @property
    def label(self) -> str: ...  # "pull request #3", "merge request !3"

    @property
    def head(self) -> str: ...  # the sha of the request's head commit


State = Literal["pending", "success", "failure"]
# The commit status the promotion gate publishes (SPEC 1.2); a required check is named by it.
GATE_CONTEXT = "shipspec/gate"


class Review(Protocol):
    """Keep one open request per branch: find it, else create it; update it."""

    noun: str  # "pull request" | "merge request"

    def find_open_pull(self, branch: str, base: str) -> Proposal | None: ...

    def upsert_pull(self, branch: str, base: str, title: str, body: str) -> tuple[str, Proposal]: ...

    def set_status(self, sha: str, branch: str, state: State, description: str, target_url: str) -> None:
        """Publish the commit status GATE_CONTEXT on commit `sha` of `branch`."""


class OneOpenRequest(ABC):
    """What both APIs share: keep one open request per branch, even when runs race.

    A client supplies the three calls of its API; a create that loses a race to a
    concurrent run (the API refuses a second open request) updates the winner's.
    """

    @abstractmethod
    def find_open_pull(self, branch: str, base: str) -> Any: ...

    @abstractmethod
    def _create(self, branch: str, base: str, title: str, body: str) -> Any: ...

    @abstractmethod
    def _update(self, existing: Any, title: str, body: str) -> Any: ...

    @abstractmethod
    def _is_duplicate(self, error: OperationFailed) -> bool: ...

    def upsert_pull(self, branch: str, base: str, title: str, body: str) -> tuple[str, Any]:
        """Update the open request of `branch`, or open one; ('updated'|'created', request)."""
        existing = self.find_open_pull(branch, base)
        if existing is None:
            try:
                return "created", self._create(branch, base, title, body)
            except OperationFailed as exc:
                existing = self.find_open_pull(branch, base)
                if existing is None or not self._is_duplicate(exc):
                    raise
        return "updated", self._update(existing, title, body)
