"""A small stand-in for the GitHub pulls API, on 127.0.0.1 only, for tests.

It implements the three endpoints promote uses (list with head/base/state
filters, create, update) and "Create a commit status" (POST
/repos/{owner}/{repo}/statuses/{sha}: state error|failure|pending|success,
201; 422 on a description over 140 characters, as GitHub answers in
practice), answers like GitHub (401 on a bad token, 422 on a duplicate pull
request) and records every request so tests can assert on exactly what was
sent. `heads` resolves a branch to its commit, for the pulls' `head.sha`.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 1024 * 1024
_PULLS = re.compile(r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls(?:/(?P<number>\d+))?")
_STATUSES = re.compile(r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/statuses/(?P<sha>[0-9a-f]{40})")
STATUS_STATES = ("error", "failure", "pending", "success")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    token: str = "fake-github-token-0123456789"
    requests: list[Recorded] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    hide_next_list: bool = False  # simulate a concurrent run: the list misses a PR that exists
    statuses: list[dict[str, Any]] = field(default_factory=list)  # every commit status created, in order
    heads: Callable[[str], str | None] | None = None  # branch -> its commit sha

    def status_sequence(self, sha: str | None = None) -> list[tuple[str, str]]:
        """(sha, state) of each status created, or only the states of `sha`'s."""
        return [(s["sha"], s["state"]) for s in self.statuses if sha is None or s["sha"] == sha]

    def __enter__(self) -> FakeGitHub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.timeout = 5
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
        return f"http://{host}:{port}"

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        status = _STATUSES.fullmatch(path)
        if status and method == "POST":
            return self._status(status["owner"], status["repo"], status["sha"], body)
        match = _PULLS.fullmatch(path)
        if not match:
            return 404, {"message": "Not Found"}
        owner, repo, number = match["owner"], match["repo"], match["number"]
        if method == "GET" and number is None:
            return 200, self._list(owner, repo, query)
        if method == "POST" and number is None:
            return self._create(owner, repo, body)
        if method == "PATCH" and number is not None:
            return self._update(owner, repo, int(number), body)
        return 404, {"message": "Not Found"}

    def _list(self, owner: str, repo: str, query: dict[str, str]) -> list[dict[str, Any]]:
        if self.hide_next_list:
            self.hide_next_list = False
            return []
        found = [p for p in self.pulls if p["_repo"] == (owner, repo)
                 and query.get("state", "open") in ("all", p["state"])
                 and ("head" not in query or query["head"] == p["head"]["label"])
                 and ("base" not in query or query["base"] == p["base"]["ref"])]
        for pull in found:
            if self.heads is not None:
                pull["head"]["sha"] = self.heads(pull["head"]["ref"])
        return found

    def _status(self, owner: str, repo: str, sha: str, body: dict[str, Any]) -> tuple[int, Any]:
        if body.get("state") not in STATUS_STATES:
            return 422, {"message": "Validation Failed", "errors": [{"resource": "Status", "field": "state",
                                                                    "code": "invalid"}]}
        if len(body.get("description") or "") > 140:
            return 422, {"message": "Validation Failed", "errors": [
                {"resource": "Status", "code": "custom", "field": "description",
                 "message": "description is too long (maximum is 140 characters)"}]}
        created = {"_repo": (owner, repo), "sha": sha, "id": len(self.statuses) + 1, "state": body["state"],
                   "context": body.get("context", "default"), "description": body.get("description"),
                   "target_url": body.get("target_url")}
        self.statuses.append(created)
        return 201, created

    def _create(self, owner: str, repo: str, body: dict[str, Any]) -> tuple[int, Any]:
        label = f"{owner}:{body['head']}"
        if any(p["head"]["label"] == label and p["state"] == "open" for p in self.pulls):
            return 422, {"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "code": "custom", "message": f"A pull request already exists for {label}."}
            ]}
        number = len(self.pulls) + 1
        pull = {"_repo": (owner, repo), "number": number, "state": "open", "title": body["title"],
                "body": body.get("body"), "head": {"ref": body["head"], "label": label},
                "base": {"ref": body["base"]}, "html_url": f"https://github.example/{owner}/{repo}/pull/{number}"}
        self.pulls.append(pull)
        return 201, pull

    def _update(self, owner: str, repo: str, number: int, body: dict[str, Any]) -> tuple[int, Any]:
        pull = next((p for p in self.pulls if p["_repo"] == (owner, repo) and p["number"] == number), None)
        if pull is None:
            return 404, {"message": "Not Found"}
        pull.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
        return 200, pull


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
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
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                status, answer = 401, {"message": "Bad credentials"}
            else:
                status, answer = fake.handle(self.command, parts.path, query, body)
            data = json.dumps(answer, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

    return Handler
