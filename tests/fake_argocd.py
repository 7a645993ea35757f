"""A small stand-in for the Argo CD API server, on 127.0.0.1 only, for tests of the promotion gate.

It serves `GET /api/v1/applications/{name}` (operation ApplicationService_Get
of Argo CD's assets/swagger.json) with `appNamespace` and `project` queries,
and answers as Argo CD 3.6 does (argoproj/argo-cd at 37ee009):

- the body is a `v1alpha1Application` marshalled by Go's encoding/json, so
  omitempty fields are absent (`operationState` before any operation,
  `summary.images` when empty) and `status.sync.status` is always present;
- errors are grpc-gateway's `runtimeError` `{"error", "code", "message"}`:
  401 code 16 "no session information" without a bearer token
  (server/server.go ErrNoSession), 403 code 7 "permission denied", and with a
  `project` query a 404 code 5 `applications.argoproj.io "<name>" not found`
  for a missing Application (server/application/application.go
  getAppEnforceRBAC).

Each Application answers from a script: a list of states, one per request,
the last repeated. A state is an Application body (see `application`), an
`(http status, body)` pair, or raw bytes (a malformed answer).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Union
from urllib.parse import parse_qs, unquote, urlsplit

# Argo CD uses a bearer value only when it is JWT-shaped, three dot-separated parts
# (util/jwt/jwt.go IsValid); tests use one.
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9qOmRlZmF1bHQ6Y2kifQ.c2lnbmF0dXJlLW9mLXRoZS1mYWtl"
PREFIX = "/api/v1/applications/"
State = Union[dict[str, Any], tuple[int, Any], bytes]


def error(code: int, message: str) -> dict[str, Any]:
    return {"error": message, "code": code, "message": message}


UNAUTHENTICATED = (401, error(16, "no session information"))
PERMISSION_DENIED = (403, error(7, "permission denied"))


def application(name: str, *, sync: str = "Synced", health: str = "Healthy", phase: str | None = "Succeeded",
                images: list[str] | None = None, namespace: str = "argocd", project: str = "default",
                health_message: str = "", operation_message: str = "") -> dict[str, Any]:
    """A v1alpha1Application as the API returns it (fields and enums of the swagger's definitions)."""
    source = {"repoURL": "https://github.com/myorg/charts.git", "path": "charts/myapp", "targetRevision": "master"}
    destination = {"server": "https://kubernetes.default.svc", "namespace": "myapp"}
    revision = "4c1b8f4f1fd1a6a1c1f0a1e2b3c4d5e6f7a8b9c0"
    status: dict[str, Any] = {
        "sync": {"status": sync, "revision": revision, "comparedTo": {"source": source, "destination": destination}},
        "health": {"status": health, **({"message": health_message} if health_message else {})},
        "summary": {"images": images} if images else {},
        "reconciledAt": "2026-01-01T00:00:10Z",
        "sourceType": "Helm",
    }
    if phase is not None:
        status["operationState"] = {
            "operation": {"sync": {"revision": revision}},
            "phase": phase,
            **({"message": operation_message} if operation_message else {}),
            **({"syncResult": {"revision": revision, "source": source}} if phase != "Running" else {}),
            "startedAt": "2026-01-01T00:00:00Z",
            **({"finishedAt": "2026-01-01T00:00:05Z"} if phase not in ("Running", "Terminating") else {}),
        }
    return {
        "metadata": {"name": name, "namespace": namespace, "resourceVersion": "12345",
                     "uid": "6f1c2e4a-0000-4000-8000-000000000001"},
        "spec": {"project": project, "source": source, "destination": destination},
        "status": status,
    }


@dataclass
class FakeArgoCD:
    token: str = TOKEN
    project: str = "default"
    namespace: str = "argocd"
    scripts: dict[str, list[State]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]], str]] = field(default_factory=list)  # path, query, auth

    def __enter__(self) -> FakeArgoCD:
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
        return f"http://{host}:{port}"

    def script(self, name: str, *states: State) -> None:
        self.scripts[name] = list(states)

    def answer(self, path: str, query: dict[str, list[str]], authorization: str) -> tuple[int, Any]:
        self.requests.append((path, query, authorization))
        if authorization != f"Bearer {self.token}":
            return UNAUTHENTICATED
        if not path.startswith(PREFIX) or "/" in path[len(PREFIX):]:
            return 404, error(5, "Not Found")
        name = unquote(path[len(PREFIX):])
        projects = query.get("project", [])
        if len(projects) > 1:
            return 400, error(3, "multiple projects specified - the get endpoint accepts either zero or one project")
        script = self.scripts.get(name)
        if query.get("appNamespace", [self.namespace]) != [self.namespace] or not script:
            # Argo CD hides a missing app behind "permission denied" unless a project is named.
            return (404, error(5, f'applications.argoproj.io "{name}" not found')) if projects \
                else PERMISSION_DENIED
        state = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(state, dict) and "spec" in state and projects != [state["spec"]["project"]] and projects:
            return 404, error(5, f'applications.argoproj.io "{name}" not found')
        return (200, state) if isinstance(state, (dict, bytes)) else state


def _handler(fake: FakeArgoCD) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            parts = urlsplit(self.path)
            status, body = fake.answer(parts.path, parse_qs(parts.query), self.headers.get("Authorization", ""))
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
