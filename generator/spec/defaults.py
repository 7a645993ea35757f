"""The defaults that locate an app's files, in the one place both need them:
the model (which resolves them) and check's fast path (which must not import
pydantic to find the files it proves in sync), and the namespace default, which shapes every
Application (this module is part of the renderer fingerprint)."""

from __future__ import annotations

CHECKOUT = "../charts"
CI = "travis"
# The pipeline file `ci:` selects, next to the spec; the other two are stale if they carry the app's header.
CI_FILES = {"travis": ".travis.yml", "github": ".github/workflows/shipspec.yml", "gitlab": ".gitlab-ci.yml"}
MANIFESTS = "argocd"


def chart_path(name: str) -> str:
    return f"charts/{name}"


def values_file(environment: str) -> str:
    return f"values.{environment}.yaml"


def destination(server: str) -> str:
    """A cluster's API server URL as Argo CD compares destinations: without a trailing slash."""
    return server.rstrip("/")


def namespaces(app: str, environments: list[tuple[str, str, str | None]]) -> list[str]:
    """Each environment's namespace, from (name, server, namespace or None) in spec order.

    SPEC 1.2: the app's name, unless that would share the environment's server and namespace
    with another environment: then `<name>-<env>`. Under one release name such environments
    render the same objects, and their Applications fight over them.
    """
    taken: dict[tuple[str, str], int] = {}
    for _name, server, namespace in environments:
        key = (destination(server), namespace or app)
        taken[key] = taken.get(key, 0) + 1
    return [
        namespace or (app if taken[(destination(server), app)] == 1 else f"{app}-{name}")
        for name, server, namespace in environments
    ]
