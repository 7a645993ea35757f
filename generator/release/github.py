"""Just enough of the GitHub REST API to keep one open pull request per branch.

The transport is `httpjson` (standard library). The API root comes from
GITHUB_API_URL so GitHub Enterprise Server (`https://HOST/api/v3`) works too;
the token from GITHUB_TOKEN, else SHIPSPEC_CHARTS_TOKEN (SPEC 1.1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..errors import OperationFailed, UsageError
from ..redact import redact, register
from ..spec import hosts
from . import httpjson
from .review import GATE_CONTEXT, OneOpenRequest, State

DEFAULT_API = "https://api.github.com"
TOKEN_VARIABLES = ("GITHUB_TOKEN", "SHIPSPEC_CHARTS_TOKEN")
_HINTS = {
    401: "GitHub rejected the token: check that GITHUB_TOKEN is valid and not expired",
    403: "the token may not write pull requests in this repo, or the rate limit is exhausted",
    404: "the repo was not found or the token cannot see it: check charts.repo and the token's access",
}


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    head: str = ""  # head.sha: the commit a status must name to show on the pull request

    @property
    def label(self) -> str:
        return f"pull request #{self.number}"


def repository_of(url: str) -> tuple[str, str]:
    """(owner, repo) of a git URL: scp-like, ssh://, https:// or file://, `.git` optional."""
    parts = hosts.repo_path(url)
    if len(parts) < 2:
        raise UsageError(f"charts.repo {redact(url)!r}: cannot tell the GitHub owner/repo from it")
    return parts[-2], parts[-1]


class GitHub(OneOpenRequest):
    """A client for the pulls endpoints of one repository."""

    noun = "pull request"

    def __init__(self, owner: str, repo: str, token: str, api_root: str = DEFAULT_API) -> None:
        register(token)
        self.owner, self.repo, self._token = owner, repo, token
        self.api_root = api_root.rstrip("/")

    @classmethod
    def from_environment(cls, owner: str, repo: str) -> GitHub:
        token = token_from_environment()
        if not token:
            raise OperationFailed(
                "GITHUB_TOKEN is not set (nor SHIPSPEC_CHARTS_TOKEN): a pull request needs a GitHub token with "
                f"write access to {owner}/{repo} (set it as a secure variable of the CI job)"
            )
        return cls(owner, repo, token, os.environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API)

    def _create(self, branch: str, base: str, title: str, body: str) -> PullRequest:
        return self._pull(self._request("POST", "pulls", body={"title": title, "head": branch, "base": base,
                                                               "body": body}))

    def _update(self, existing: PullRequest, title: str, body: str) -> PullRequest:
        return self._pull(self._request("PATCH", f"pulls/{existing.number}", body={"title": title, "body": body}))

    def _is_duplicate(self, error: OperationFailed) -> bool:
        return "already exists" in error.message  # GitHub's 422 for a second pull request of one head

    def find_open_pull(self, branch: str, base: str) -> PullRequest | None:
        found = self._request("GET", "pulls", query={"head": f"{self.owner}:{branch}", "base": base, "state": "open"})
        if not isinstance(found, list):
            raise OperationFailed(f"GitHub API {self.api_root}: unexpected answer to the pull request list")
        return self._pull(found[0]) if found else None

    def _pull(self, data: Any) -> PullRequest:
        try:
            head = data.get("head") if isinstance(data.get("head"), dict) else {}
            return PullRequest(int(data["number"]), str(data.get("html_url") or data.get("url") or ""),
                               str(head.get("sha") or ""))
        except (TypeError, KeyError, ValueError):
            raise OperationFailed(f"GitHub API {self.api_root}: a pull request without a number") from None

    def set_status(self, sha: str, branch: str, state: State, description: str, target_url: str) -> None:
        """POST /repos/{owner}/{repo}/statuses/{sha} ("Create a commit status"; the token needs the
        "Commit statuses" write permission, classic scope repo:status). GitHub refuses a description over
        140 characters with 422 (seen in practice, not in its docs), so longer ones are cut."""
        body = {"state": state, "context": GATE_CONTEXT, "description": _cut(description, 140),
                "target_url": target_url}
        try:
            self._request("POST", f"statuses/{httpjson.quote(sha)}", body=body)
        except OperationFailed as exc:
            raise OperationFailed(exc.message + "\n  hint: publishing shipspec/gate needs the token's "
                                  "Commit statuses permission (read and write; classic scope repo:status)") from None

    def _request(self, method: str, path: str, *, query: dict[str, str] | None = None,
                 body: dict[str, Any] | None = None) -> Any:
        url = f"{self.api_root}/repos/{httpjson.quote(self.owner)}/{httpjson.quote(self.repo)}/{path}"
        url = httpjson.with_query(url, query)
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        try:
            return httpjson.call(method, url, headers, body=body, where=f"GitHub API {method} {redact(url)}",
                                 root_variable="GITHUB_API_URL")
        except httpjson.HttpFailure as failure:
            raise OperationFailed(_http_error(failure)) from None


def token_from_environment() -> str:
    """GITHUB_TOKEN, else SHIPSPEC_CHARTS_TOKEN; '' when neither is set."""
    return next((v for v in (os.environ.get(n, "").strip() for n in TOKEN_VARIABLES) if v), "")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _http_error(failure: httpjson.HttpFailure) -> str:
    data = failure.data if isinstance(failure.data, dict) else {}
    details = [str(data.get("message") or failure.reason)]
    details += [str(e.get("message") or e.get("code")) for e in data.get("errors") or [] if isinstance(e, dict)]
    message = f"{failure.where}: HTTP {failure.status}: {'; '.join(d for d in details if d)}"
    hint = _HINTS.get(failure.status)
    return redact(message + (f"\n  hint: {hint}" if hint else ""))
