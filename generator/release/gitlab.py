"""Just enough of the GitLab REST API (v4) to keep one open merge request per branch.

The same small interface as `github.GitHub` (find the open request of a
branch, create it, update it), so promote never branches on the host.
Endpoints and fields from GitLab's merge requests API,
https://docs.gitlab.com/api/merge_requests/ ("List project merge requests":
`source_branch`, `target_branch`, `state=opened`; "Create MR": `source_branch`,
`target_branch`, `title`, `description`; "Update MR": PUT by `iid`); the
answer's `iid` and `web_url` name the request. The project `:id` may be its
URL-encoded path (`/` as %2F: "Namespaced path encoding" in
https://docs.gitlab.com/api/rest/).
A personal, project or group access token goes in the `PRIVATE-TOKEN` header
(https://docs.gitlab.com/api/rest/authentication/).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any

from ..errors import OperationFailed, UsageError
from ..redact import redact, register
from ..spec import hosts
from . import httpjson
from .review import GATE_CONTEXT, OneOpenRequest, State

TOKEN_VARIABLES = ("GITLAB_TOKEN", "SHIPSPEC_CHARTS_TOKEN")
# GitLab answers a second open MR of one source branch with 409 and this text (seen on gitlab.com).
_DUPLICATE = re.compile(r"another open merge request already exists", re.I)
STATUS_ATTEMPTS = 3
STATUS_RETRY_SECONDS = 1.0
_SAME_STATE = re.compile(r"Cannot transition status via :(enqueue|run) from :(pending|running)")
_STATES = {"pending": "pending", "success": "success", "failure": "failed"}
_HINTS = {
    401: "GitLab rejected the token: check that GITLAB_TOKEN (or SHIPSPEC_CHARTS_TOKEN) is valid and not expired",
    403: "the token may not open merge requests in this project: it needs the api scope and at least the "
         "Developer role",
    404: "the project was not found or the token cannot see it: check charts.repo, GITLAB_API_URL and the "
         "token's access",
}


@dataclass(frozen=True)
class MergeRequest:
    number: int  # the project-scoped iid (`!3`), not GitLab's global id
    url: str
    head: str = ""  # `sha`: the merge request's head commit

    @property
    def label(self) -> str:
        return f"merge request !{self.number}"


def project_path(url: str) -> str:
    """`group/sub/charts` of a git URL: scp-like, ssh://, https:// or file://, `.git` optional."""
    parts = hosts.repo_path(url)
    if len(parts) < 2:
        raise UsageError(f"charts.repo {redact(url)!r}: cannot tell the GitLab project path (group/project) from it")
    return "/".join(parts)


def api_root_for(repo: str) -> str:
    """GITLAB_API_URL, else CI_API_V4_URL, else https://<host of charts.repo>/api/v4 (self-managed works)."""
    for name in ("GITLAB_API_URL", "CI_API_V4_URL"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    host = hosts.repo_host(repo)
    if not host:
        raise OperationFailed(f"charts.repo {redact(repo)!r} names no host: set GITLAB_API_URL to the GitLab API "
                              "root, e.g. https://gitlab.example.com/api/v4")
    return f"https://{host}/api/v4"


class GitLab(OneOpenRequest):
    """A client for the merge requests endpoints of one project."""

    noun = "merge request"

    def __init__(self, project: str, token: str, api_root: str) -> None:
        register(token)
        self.project, self._token = project, token
        self.api_root = api_root.rstrip("/")

    @classmethod
    def from_environment(cls, repo: str) -> GitLab:
        project = project_path(repo)
        token = token_from_environment()
        if not token:
            raise OperationFailed(
                "GITLAB_TOKEN is not set (nor SHIPSPEC_CHARTS_TOKEN): a merge request needs a GitLab token with "
                f"the api scope on {project} (set it as a masked, protected CI/CD variable)"
            )
        return cls(project, token, api_root_for(repo))

    def _create(self, branch: str, base: str, title: str, body: str) -> MergeRequest:
        return self._merge_request(self._request("POST", "merge_requests", body={
            "source_branch": branch, "target_branch": base, "title": title, "description": body,
        }))

    def _update(self, existing: MergeRequest, title: str, body: str) -> MergeRequest:
        return self._merge_request(self._request("PUT", f"merge_requests/{existing.number}",
                                                 body={"title": title, "description": body}))

    def _is_duplicate(self, error: OperationFailed) -> bool:
        return bool(_DUPLICATE.search(error.message))

    def find_open_pull(self, branch: str, base: str) -> MergeRequest | None:
        found = self._request("GET", "merge_requests",
                              query={"source_branch": branch, "target_branch": base, "state": "opened"})
        if not isinstance(found, list):
            raise OperationFailed(f"GitLab API {self.api_root}: unexpected answer to the merge request list")
        return self._merge_request(found[0]) if found else None

    def _merge_request(self, data: Any) -> MergeRequest:
        try:
            return MergeRequest(int(data["iid"]), str(data.get("web_url") or ""), str(data.get("sha") or ""))
        except (TypeError, KeyError, ValueError):
            raise OperationFailed(f"GitLab API {self.api_root}: a merge request without an iid") from None

    def set_status(self, sha: str, branch: str, state: State, description: str, target_url: str) -> None:
        """POST /projects/:id/statuses/:sha ("Set the pipeline status of a commit", docs.gitlab.com/api/commits;
        the token needs the api scope and the Developer role). GitLab spells failure `failed`, limits the
        description to 255 characters, and answers 400 "Cannot transition status via :enqueue from :pending"
        to `pending` over its own `pending` (lib/api/commit_statuses.rb, app/models/commit_status.rb): already
        so, which is what was asked. `ref` names the merge request's source branch, as the docs require."""
        body = {"state": _STATES[state], "name": GATE_CONTEXT, "ref": branch, "description": description[:255],
                "target_url": target_url}
        for attempt in range(STATUS_ATTEMPTS):
            try:
                self._request("POST", f"statuses/{httpjson.quote(sha)}", body=body)
                return
            except OperationFailed as exc:
                if _SAME_STATE.search(exc.message):
                    return
                # 409 "Another update to this commit status is in progress": "Retry the request"
                # (docs.gitlab.com/ci/ci_cd_for_external_repos/external_commit_statuses).
                if "HTTP 409" not in exc.message or attempt == STATUS_ATTEMPTS - 1:
                    raise
                time.sleep(STATUS_RETRY_SECONDS * (attempt + 1))

    def _request(self, method: str, path: str, *, query: dict[str, str] | None = None,
                 body: dict[str, Any] | None = None) -> Any:
        url = httpjson.with_query(f"{self.api_root}/projects/{httpjson.quote(self.project)}/{path}", query)
        headers = {"Accept": "application/json", "PRIVATE-TOKEN": self._token}
        try:
            return httpjson.call(method, url, headers, body=body, where=f"GitLab API {method} {redact(url)}",
                                 root_variable="GITLAB_API_URL")
        except httpjson.HttpFailure as failure:
            raise OperationFailed(_http_error(failure)) from None


def token_from_environment() -> str:
    """GITLAB_TOKEN, else SHIPSPEC_CHARTS_TOKEN; '' when neither is set."""
    return next((v for v in (os.environ.get(n, "").strip() for n in TOKEN_VARIABLES) if v), "")


def _http_error(failure: httpjson.HttpFailure) -> str:
    message = f"{failure.where}: HTTP {failure.status}: {_details(failure.data) or failure.reason}"
    hint = _HINTS.get(failure.status)
    return redact(message + (f"\n  hint: {hint}" if hint else ""))


def _details(data: Any) -> str:
    """GitLab's `message` is a string, a list of strings, or a mapping of field -> list of strings."""
    if not isinstance(data, dict):
        return ""
    message = data.get("message", data.get("error", ""))
    if isinstance(message, dict):
        return "; ".join(f"{field} {' '.join(map(str, v if isinstance(v, list) else [v]))}"
                         for field, v in message.items())
    if isinstance(message, list):
        return "; ".join(map(str, message))
    return str(message)
