"""Validate each environment's values against the chart's `values.schema.json`, before any sync.

Helm validates the coalesced values (the chart's values.yaml, then the
overlay) against the schema at render time, so a misspelled key fails only
when Argo CD syncs. This runs the same check at `validate` and `check` time
and reports it where the user can fix it: the spec line that set the value.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import InvalidSpec, Problem, UsageError
from ..spec import valuepaths
from ..spec.loader import Document
from .paths import display_path, read_file
from .specfile import load_document

if TYPE_CHECKING:
    from ..spec.model import Environment, Spec
    from ..spec.validation import LoadedSpec

SCHEMA_FILE = "values.schema.json"
PROBE_TAG = "0123abc"  # stands in for the release's tag, which the pipeline writes later
Loc = tuple[str | int, ...]


def verify(loaded: LoadedSpec, charts: Path) -> None:
    """Raise InvalidSpec with every value the chart in `charts` refuses; nothing when it has no schema."""
    chart = f"{charts}/{loaded.spec.charts.path}" if loaded.spec.charts.path else str(charts)
    schema = _read_schema(f"{chart}/{SCHEMA_FILE}")  # text: most charts have none, and no Path is built
    if schema is None:
        return
    defaults = _chart_defaults(Path(chart, "values.yaml"))
    doc = load_document(loaded.path, display_path(loaded.path))
    problems = [p for i, env in enumerate(loaded.spec.environments) for p in _env_problems(
        doc, loaded.spec, i, env, schema, defaults)]
    if problems:
        raise InvalidSpec(sorted(set(problems), key=lambda p: (p.line or 0, p.column or 0, p.field)))


def _read_schema(path: str) -> dict[str, Any] | None:
    try:
        text = read_file(path).decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{display_path(Path(path))}: cannot read the chart's values schema ({exc})") from None
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{display_path(Path(path))}: not valid JSON ({exc}); Helm would refuse it too") from None
    if not isinstance(schema, dict):
        raise UsageError(f"{display_path(Path(path))}: a values schema must be a JSON object")
    return schema


def _chart_defaults(path: Path) -> dict[str, Any]:
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}  # no or broken defaults: `check --render` reports what Helm makes of them
    return values if isinstance(values, dict) else {}


def coalesce(defaults: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of user values over chart defaults: mappings merge, null deletes a key."""
    merged = dict(defaults)
    for key, value in over.items():
        old = merged.get(key)
        if value is None:
            merged.pop(key, None)
        elif isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = coalesce(old, value)
        else:
            merged[key] = value
    return merged


def _env_problems(
    doc: Document, spec: Spec, index: int, env: Environment, schema: dict[str, Any], defaults: dict[str, Any]
) -> list[Problem]:
    import jsonschema  # only for charts that ship a schema

    from ..render.core import overlay

    values = coalesce(defaults, overlay(spec, env, env.pin or PROBE_TAG))
    validator_class = jsonschema.validators.validator_for(schema)
    problems = []
    for error in validator_class(schema).iter_errors(values):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
            for extra in _extras(error.instance, error.schema):
                known = sorted(error.schema.get("properties", {}))
                close = difflib.get_close_matches(extra, known, n=1, cutoff=0.6)
                loc = _origin(spec, index, (*path, extra))
                hint = f"did you mean {close[0]}?" if close else None
                problems.append(doc.problem(loc, "the chart allows no such value", hint=hint, key=True))
        else:
            message = f"the chart's {SCHEMA_FILE} refuses it: {error.message}"
            problems.append(doc.problem(_origin(spec, index, path), message))
    return problems


def _extras(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    known, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    return [key for key in instance if key not in known and not any(re.search(p, key) for p in patterns)]


def _origin(spec: Spec, index: int, path: tuple[Any, ...]) -> Loc:
    """The spec field that set the value at `path` of environment `index`: its own values,
    then the app-wide ones, then the image's value paths; else the environment."""
    env = spec.environments[index]
    for values, loc in ((env.values, ("environments", index, "values")), (spec.values, ("values",))):
        depth = _depth(values, path)
        if depth == len(path) and path:
            return (*loc, *path)
    for field, keys in valuepaths.owned(spec.image):
        if path[: len(keys)] == keys:
            return ("image", "repository") if field != "tag" else ("environments", index)
    for values, loc in ((env.values, ("environments", index, "values")), (spec.values, ("values",))):
        depth = _depth(values, path)
        if depth:
            return (*loc, *path[:depth])
    return ("environments", index)


def _depth(values: Any, path: tuple[Any, ...]) -> int:
    """How many leading keys of `path` `values` sets."""
    depth = 0
    for part in path:
        if isinstance(values, Mapping) and part in values:
            values = values[part]
        elif isinstance(values, list) and isinstance(part, int) and part < len(values):
            values = values[part]
        else:
            break
        depth += 1
    return depth
