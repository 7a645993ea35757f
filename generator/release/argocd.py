"""Just enough of the Argo CD API to read one Application: the promotion gate and `status`.

`GET <server>/api/v1/applications/<name>?appNamespace=<ns>&project=<project>`
(operation `ApplicationService_Get` in Argo CD's assets/swagger.json; the
answer is a `v1alpha1Application`). Sending `project` makes a missing
Application a 404 instead of the 403 Argo CD answers without it, which hides
whether an app exists (server/application/application.go `getAppEnforceRBAC`).
The token goes in `Authorization: Bearer` (docs/developer-guide/api-docs.md)
and comes from ARGOCD_AUTH_TOKEN, the argocd CLI's own variable
(common/common.go `EnvAuthToken`). Errors are grpc-gateway's
`{"error", "code", "message"}` (swagger `runtimeError`).
Field names and enums as read in
argoproj/argo-cd at 37ee009 (3.6.0).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..errors import OperationFailed
from ..redact import redact, register
from ..spec.model import Spec
from . import httpjson

TOKEN_VARIABLE = "ARGOCD_AUTH_TOKEN"
ROOT = "argocd.server in shipspec.yaml"


class Unavailable(OperationFailed):
    """Argo CD answered 5xx (restarting, or a proxy in front of it): worth another look later."""


@dataclass(frozen=True)
class Application:
    """What the gate and `status` read of a v1alpha1Application."""

    name: str
    sync: str  # status.sync.status: Synced | OutOfSync | Unknown
    health: str  # status.health.status: Healthy | Progressing | Degraded | Suspended | Missing | Unknown
    health_message: str
    phase: str | None  # status.operationState.phase (absent before any operation): Running | Failed | ...
    operation_message: str
    images: tuple[str, ...]  # status.summary.images (omitted when empty)
    url: str  # the Application in the Argo CD UI


class ArgoCD:
    """A read-only client for the Applications of one Argo CD project."""

    def __init__(self, server: str, token: str, *, project: str, namespace: str) -> None:
        register(token)
        self.server, self._token = server.rstrip("/"), token
        self.project, self.namespace = project, namespace

    @classmethod
    def for_spec(cls, spec: Spec) -> ArgoCD:
        """The client of the spec's argocd.server; OperationFailed when ARGOCD_AUTH_TOKEN is not set."""
        assert spec.argocd.server is not None
        token = token_from_environment()
        if not token:
            raise OperationFailed(
                f"{TOKEN_VARIABLE} is not set: the gate reads Argo CD with a token of a project role that may "
                f"`applications, get` in project {spec.argocd.project} (create one with `argocd proj role "
                f"create-token {spec.argocd.project} <role>` and set it as a secret of the CI job)")
        return cls(spec.argocd.server, token, project=spec.argocd.project, namespace=spec.argocd.namespace)

    def application(self, name: str) -> Application:
        url = httpjson.with_query(f"{self.server}/api/v1/applications/{httpjson.quote(name)}",
                                  {"appNamespace": self.namespace, "project": self.project})
        where = f"Argo CD GET {redact(url)}"
        try:
            data = httpjson.call("GET", url, {"Accept": "application/json", "Authorization": f"Bearer {self._token}"},
                                 where=where, root_variable=ROOT)
        except httpjson.HttpFailure as failure:
            if failure.status >= 500:
                raise Unavailable(self._http_error(failure, name)) from None
            raise OperationFailed(self._http_error(failure, name)) from None
        return self._parse(data, name, where)

    def _parse(self, data: Any, name: str, where: str) -> Application:
        status = data.get("status") if isinstance(data, dict) else None
        if not isinstance(status, dict) or not isinstance(data.get("metadata"), dict):
            raise OperationFailed(f"{where}: the answer is not an Argo CD Application (no metadata or status); "
                                  f"check that {ROOT} is the Argo CD API server")
        sync, health = _mapping(status, "sync"), _mapping(status, "health")
        operation = _mapping(status, "operationState")
        images = _mapping(status, "summary").get("images") or []
        if not isinstance(images, list):
            raise OperationFailed(f"{where}: status.summary.images is not a list")
        namespace = str(data["metadata"].get("namespace") or self.namespace)
        return Application(
            name=name, sync=str(sync.get("status") or "Unknown"), health=str(health.get("status") or "Unknown"),
            health_message=str(health.get("message") or ""),
            phase=str(operation["phase"]) if operation.get("phase") else None,
            operation_message=str(operation.get("message") or ""),
            images=tuple(str(image) for image in images),
            url=ui_url(self.server, namespace, name),
        )

    def _http_error(self, failure: httpjson.HttpFailure, name: str) -> str:
        data = failure.data if isinstance(failure.data, dict) else {}
        detail = str(data.get("message") or data.get("error") or failure.reason)
        where = f"{self.project}/{name} in namespace {self.namespace}"
        hints = {
            401: f"Argo CD rejected {TOKEN_VARIABLE} (expired, revoked, or not a token of this server): create a new "
                 f"one with `argocd proj role create-token {self.project} <role>` and update the secret",
            403: f"the token may not read Application {where}: its project role needs the policy "
                 f"`applications, get, {self.project}/*` (check argocd.project and argocd.namespace too)",
            404: f"Argo CD has no Application {where}: has the charts repo's Application been applied (it appears "
                 "after the environment's first release)? check argocd.project and argocd.namespace",
        }
        hint = hints.get(failure.status, f"check {ROOT} and Argo CD's own logs")
        return redact(f"{failure.where}: HTTP {failure.status}: {detail}\n  hint: {hint}")


def ui_url(server: str, namespace: str, name: str) -> str:
    """The UI's own link to an Application (ui/src/app/applications/components/utils.tsx `getAppUrl`:
    applications/<metadata.namespace>/<metadata.name>)."""
    return f"{server.rstrip('/')}/applications/{httpjson.quote(namespace)}/{httpjson.quote(name)}"


def token_from_environment() -> str:
    return os.environ.get(TOKEN_VARIABLE, "").strip()


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}
