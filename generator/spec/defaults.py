"""The defaults that locate an app's files, in the one place both need them:
the model (which resolves them) and check's fast path (which must not import
pydantic to find the files it proves in sync)."""

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
