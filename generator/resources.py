"""The one place that knows where templates/ and schemas/ live.

In a wheel they are package data (`shipspec/templates`); in a source
checkout or an editable install they sit beside the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"shipspec is installed without its {name}/ folder")


def templates_dir() -> Path:
    return data_dir("templates")


def compiled_templates_dir() -> Path:
    """The templates compiled into Python modules: only a wheel has them (see templating.py)."""
    return _PACKAGE / "compiled_templates"


def schema_file() -> Path:
    return data_dir("schemas") / "shipspec.schema.json"
