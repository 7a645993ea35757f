"""A small stand-in for GitLab's merge requests API (v4), on 127.0.0.1 only, for tests.

It serves the three endpoints shipspec uses (list with source_branch /
target_branch / state filters, create, update by iid) under any API root
prefix (`/api/v4` like gitlab.com, `/gitlab/api/v4` like a self-managed
instance under a relative URL), resolves the project from its URL-encoded
path, and answers like GitLab: 401 `{"message": "401 Unauthorized"}` on a
bad PRIVATE-TOKEN, 404 `{"message": "404 Project Not Found"}`, 409 on a
second open merge request of one source branch. Every request is recorded.
"Set the pipeline status of a commit" (POST /projects/:id/statuses/:sha:
state pending|running|success|failed|canceled|skipped, 201) keeps GitLab's
state machine for a same-named status: `pending` over `pending` (and
`running` over `running`) is the 400 "Cannot transition status ..." GitLab
answers. `heads` resolves a branch to its commit, for the merge requests' `sha`.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

MAX_BODY = 1024 * 1024
# The raw (still encoded) path: the project id is one segment with %2F inside.
_MRS = re.compile(r"(?P<root>.*/api/v4)/projects/(?P<project>[^/]+)/merge_requests(?:/(?P<iid>\d+))?")
_STATUSES = re.compile(r"(?P<root>.*/api/v4)/projects/(?P<project>[^/]+)/statuses/(?P<sha>[0-9a-f]{40})")
STATUS_STATES = ("pending", "running", "success", "failed", "canceled", "skipped")


@dataclass
class Recorded:
    method: str
    path: str  # as sent, still URL-encoded
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitLab:
    token: str = "glpat-fake-gitlab-token-0123"
    projects: tuple[str, ...] = ("myorg/charts",)
    root: str = "/api/v4"
    requests: list[Recorded] = field(default_factory=list)
    merge_requests: list[dict[str, Any]] = field(default_factory=list)
    hide_next_list: bool = False  # simulate a concurrent run: the list misses an MR that exists
    statuses: list[dict[str, Any]] = field(default_factory=list)  # every commit status created, in order
    heads: Callable[[str], str | None] | None = None  # branch -> its commit sha
    status_conflicts: int = 0  # answer this many status writes with GitLab's 409 (an update in progress)

    def status_sequence(self, sha: str | None = None) -> list[tuple[str, str]]:
        """(sha, state) of each status created, or only the states of `sha`'s."""
        return [(s["sha"], s["status"]) for s in self.statuses if sha is None or s["sha"] == sha]

    def __enter__(self) -> FakeGitLab:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.root}"

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        status = _STATUSES.fullmatch(path)
        if status and method == "POST" and status["root"] == self.root:
            if unquote(status["project"]) not in self.projects:
                return 404, {"message": "404 Project Not Found"}
            return self._status(unquote(status["project"]), status["sha"], body)
        match = _MRS.fullmatch(path)
        if not match or match["root"] != self.root:
            return 404, {"error": "404 Not Found"}
        project = unquote(match["project"])
        if project not in self.projects:
            return 404, {"message": "404 Project Not Found"}
        iid = match["iid"]
        if method == "GET" and iid is None:
            return 200, self._list(project, query)
        if method == "POST" and iid is None:
            return self._create(project, body)
        if method == "PUT" and iid is not None:
            return self._update(project, int(iid), body)
        return 404, {"error": "404 Not Found"}

    def _list(self, project: str, query: dict[str, str]) -> list[dict[str, Any]]:
        if self.hide_next_list:
            self.hide_next_list = False
            return []
        found = [m for m in self.merge_requests if m["_project"] == project
                 and query.get("state", "all") in ("all", m["state"])
                 and query.get("source_branch", m["source_branch"]) == m["source_branch"]
                 and query.get("target_branch", m["target_branch"]) == m["target_branch"]]
        for merge_request in found:
            if self.heads is not None:
                merge_request["sha"] = self.heads(merge_request["source_branch"])
        return found

    def _status(self, project: str, sha: str, body: dict[str, Any]) -> tuple[int, Any]:
        if self.status_conflicts:
            self.status_conflicts -= 1
            return 409, {"message": "Another update to this commit status is in progress"}
        state, name = body.get("state"), body.get("name") or body.get("context") or "default"
        if state not in STATUS_STATES:
            return 400, {"error": "state does not have a valid value"}
        same = [s for s in self.statuses if (s["_project"], s["sha"], s["name"]) == (project, sha, name)]
        last = same[-1]["status"] if same else None
        if last in ("pending", "running") and state == last:
            event = "enqueue" if state == "pending" else "run"
            return 400, {"message": f'Cannot transition status via :{event} from :{last} '
                                    f'(Reason(s): Status cannot transition via "{event}")'}
        created = {"_project": project, "id": len(self.statuses) + 1, "sha": sha, "ref": body.get("ref"),
                   "status": state, "name": name, "description": body.get("description"),
                   "target_url": body.get("target_url"), "allow_failure": False}
        self.statuses.append(created)
        return 201, created

    def _create(self, project: str, body: dict[str, Any]) -> tuple[int, Any]:
        missing = [k for k in ("source_branch", "target_branch", "title") if not body.get(k)]
        if missing:
            return 400, {"error": f"{', '.join(missing)} is missing"}
        same = [m for m in self.merge_requests if m["_project"] == project and m["state"] == "opened"
                and m["source_branch"] == body["source_branch"]]
        if same:
            return 409, {"message": [f"Another open merge request already exists for this source branch: "
                                     f"!{same[0]['iid']}"]}
        iid = 1 + sum(1 for m in self.merge_requests if m["_project"] == project)
        merge_request = {
            "_project": project, "id": 1000 + len(self.merge_requests), "iid": iid, "state": "opened",
            "title": body["title"], "description": body.get("description"),
            "source_branch": body["source_branch"], "target_branch": body["target_branch"],
            "web_url": f"https://gitlab.example/{project}/-/merge_requests/{iid}",
        }
        self.merge_requests.append(merge_request)
        return 201, merge_request

    def _update(self, project: str, iid: int, body: dict[str, Any]) -> tuple[int, Any]:
        found = next((m for m in self.merge_requests if m["_project"] == project and m["iid"] == iid), None)
        if found is None:
            return 404, {"message": "404 Not found"}
        found.update({k: v for k, v in body.items() if k in ("title", "description")})
        return 200, found


def _handler(fake: FakeGitLab) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def _serve(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            body = json.loads(raw) if raw else None
            headers = {k.lower(): v for k, v in self.headers.items()}  # HTTP names are case-insensitive
            fake.requests.append(Recorded(self.command, parts.path, query, headers, body))
            if headers.get("private-token") != fake.token:
                status, answer = 401, {"message": "401 Unauthorized"}
            else:
                status, answer = fake.handle(self.command, parts.path, query, body)
            data = json.dumps(answer, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _serve

    return Handler
