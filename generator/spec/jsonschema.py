"""The JSON Schema of the spec, generated from the model."""

from __future__ import annotations

import json

from .model import Spec

SCHEMA_ID = "https://shipspec.dev/schemas/v1/shipspec.schema.json"


def json_schema() -> dict[str, object]:
    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "$comment": "generated from the shipspec model by `shipspec schema`; do not edit",
        **schema,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
