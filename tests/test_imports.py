"""`--version` and `--help` are the floor of every run: they must not import the heavy libraries."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

HEAVY = ("pydantic", "pydantic_core", "jinja2", "yaml")


def imported_modules(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "shipspec", *args],
        cwd=REPO_ROOT,
        capture_output=True, text=True, check=True,
    )
    lines = [line.split("|")[-1] for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.strip() for line in lines[1:]}


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["validate", "--help"], ["schema", "--help"]])
def test_cheap_commands_stay_light(args: list[str]) -> None:
    modules = imported_modules(*args)
    assert "shipspec.cli" in modules, "the measurement saw no imports at all"
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == []


def test_validate_does_import_them() -> None:
    # the control: the same measurement does see pydantic when a command needs it
    modules = imported_modules("validate", "sample-projects/minimal/shipspec.yaml")
    assert "pydantic" in modules and "yaml" in modules
