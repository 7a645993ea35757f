"""Validate Argo CD Application documents against the real CRD schema.

The CRD's openAPIV3Schema is a Kubernetes *structural* schema: the API server
prunes (or, with strict field validation, rejects) every field the schema does
not declare. JSON Schema accepts unknown fields by default, so the schema is
converted: objects that declare their fields get `additionalProperties: false`,
`x-kubernetes-int-or-string` becomes an int-or-string type, and metadata,
which the CRD leaves as a bare object, gets the ObjectMeta rules the API
server applies itself.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

try:
    from .tools import REPO_ROOT, in_ci
except ImportError:  # tests/ is on sys.path rather than imported as a package
    from tools import REPO_ROOT, in_ci  # type: ignore[no-redef]

API_VERSION = "argoproj.io/v1alpha1"
CRD_FILE = "application-crd.yaml"

_DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
# Label and annotation keys: optional DNS subdomain prefix (<= 253) and "/",
# then a name of at most 63 characters.
_QUALIFIED_NAME = (r"^((?=[^/]{1,253}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?"
                   r"(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                   r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"

_STRING_MAP_KEYS = {"type": "string", "pattern": _QUALIFIED_NAME}
OBJECT_META = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 253, "pattern": _DNS1123_SUBDOMAIN},
        "namespace": {"type": "string", "maxLength": 63, "pattern": _DNS1123_LABEL},
        "labels": {"type": "object", "propertyNames": _STRING_MAP_KEYS,
                   "additionalProperties": {"type": "string", "pattern": _LABEL_VALUE}},
        "annotations": {"type": "object", "propertyNames": _STRING_MAP_KEYS,
                        "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string", "minLength": 1}},
        # The rest of ObjectMeta: legal, but set by the server, not by us.
        "generateName": {"type": "string"},
        "uid": {"type": "string"},
        "resourceVersion": {"type": "string"},
        "generation": {"type": "integer"},
        "creationTimestamp": {"type": ["string", "null"]},
        "deletionTimestamp": {"type": ["string", "null"]},
        "deletionGracePeriodSeconds": {"type": "integer"},
        "ownerReferences": {"type": "array", "items": {"type": "object"}},
        "managedFields": {"type": "array", "items": {"type": "object"}},
    },
}


def crd_dir() -> Path:
    """Where the CRDs are: $ARGOCD_CRD_DIR, else shared/crds beside the repo."""
    override = os.environ.get("ARGOCD_CRD_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "crds"


# No package on PyPI or npm carries Argo CD's CRDs (checked for issue 14: only unofficial clients
# and plugins match "argocd"), so a clone without ../shared gets them from Argo CD itself.
_WHERE_TO_GET = (
    "copy manifests/crds/*.yaml of Argo CD v3.5.1 (github.com/argoproj/argo-cd, tag v3.5.1) there, "
    "or set ARGOCD_CRD_DIR to a folder that has them"
)


def require_crd_dir() -> Path:
    """The CRD folder; when it lacks the Application CRD, skip the test (fail it under CI=true)."""
    directory = crd_dir().resolve()
    if (directory / CRD_FILE).is_file():
        return directory
    message = f"Argo CD CRD schema not found: no {CRD_FILE} in {directory}; {_WHERE_TO_GET}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def structural_to_json_schema(node: Any) -> Any:
    """Convert a Kubernetes structural schema node into strict JSON Schema."""
    if isinstance(node, list):
        return [structural_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: structural_to_json_schema(value) for key, value in node.items()
           if not key.startswith("x-kubernetes-") and key not in {"description", "nullable"}}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("anyOf", None)
        out["type"] = ["integer", "string"]
    if node.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
    preserves_unknown = node.get("x-kubernetes-preserve-unknown-fields") is True
    if node.get("type") == "object" and not preserves_unknown and "additionalProperties" not in node:
        # Undeclared fields would be pruned by the API server: reject them.
        out["additionalProperties"] = False
    return out


def _application_version_schema(directory: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the CRD is 7,000 lines
    crd = yaml.load((directory / CRD_FILE).read_text(encoding="utf-8"), Loader=loader)
    versions = {v["name"]: v for v in crd["spec"]["versions"]}
    schema: dict[str, Any] = versions["v1alpha1"]["schema"]["openAPIV3Schema"]
    return schema


@cache
def application_json_schema(directory: Path) -> dict[str, Any]:
    """The strict JSON Schema for an Application, built from the CRD in `directory`."""
    schema: dict[str, Any] = structural_to_json_schema(_application_version_schema(directory))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind"})
    schema["properties"]["apiVersion"] = {"const": API_VERSION}
    schema["properties"]["kind"] = {"const": "Application"}
    schema["properties"]["metadata"] = OBJECT_META
    return schema


@cache
def _validator(directory: Path) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(application_json_schema(directory))


def _location(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "<document>"


def _hint(error: jsonschema.ValidationError) -> str:
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return ""
    known = list(error.schema.get("properties", {}))
    hints = []
    for unexpected in sorted(set(error.instance) - set(known)):
        close = difflib.get_close_matches(unexpected, known, n=1)
        if close:
            hints.append(f"did you mean {close[0]!r} instead of {unexpected!r}?")
    return f" ({'; '.join(hints)})" if hints else ""


def application_problems(doc: Mapping[str, Any]) -> list[str]:
    """Every schema violation in an Application, as `path: message (hint)`."""
    validator = _validator(require_crd_dir())
    errors = sorted(validator.iter_errors(dict(doc)), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_location(e.absolute_path)}: {e.message}{_hint(e)}" for e in errors]
