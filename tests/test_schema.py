"""The committed JSON Schema equals the model's and accepts every valid spec."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import REPO_ROOT, run_shipspec
from shipspec.spec.loader import parse_document

COMMITTED = REPO_ROOT / "schemas" / "shipspec.schema.json"
VALID_SPECS = sorted(
    [*(REPO_ROOT / "tests" / "cases" / "valid").glob("*/shipspec.yaml"), *(REPO_ROOT / "sample-projects").rglob("shipspec.yaml")]
)


def test_committed_schema_is_current() -> None:
    result = run_shipspec("schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == COMMITTED.read_text(encoding="utf-8"), "run: python -m shipspec schema > schemas/shipspec.schema.json"


def properties(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            yield f"{where}.{name}", prop
        for key, child in node.items():
            yield from properties(child, f"{where}/{key}")
    elif isinstance(node, list):
        for child in node:
            yield from properties(child, where)


def test_every_property_has_title_and_description() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    found = list(properties(schema))
    assert len(found) > 40
    for where, prop in found:
        assert prop.get("title") and prop.get("description"), where


def test_titles_are_the_yaml_keys() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    for where, prop in properties(schema):
        assert prop["title"] == where.rsplit(".", 1)[1], where


@pytest.mark.parametrize("path", VALID_SPECS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_schema_accepts_valid_specs(path: Path) -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    data = parse_document(path.read_bytes(), path.name).data
    jsonschema.validators.validator_for(schema)(schema).validate(data)


@pytest.mark.parametrize(
    "case", ["unknown-field-top", "wrong-api-version", "sha-length-string", "name-integer", "literal-choices"]
)
def test_schema_rejects_structural_mistakes(case: str) -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    path = REPO_ROOT / "tests" / "cases" / "invalid" / case / "shipspec.yaml"
    data = parse_document(path.read_bytes(), path.name).data
    assert not jsonschema.validators.validator_for(schema)(schema).is_valid(data)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
