"""Find the external tools the test suite runs (helm, shellcheck, yamllint, ...).

Tools come from `bash tests/install-tools.sh`: Python ones land in the venv's
bin directory, Helm in `<repo>/.tools/bin`, node packages in `<repo>/.tools/node`. A missing tool skips the test on a
developer machine and fails it in CI, where a skip would hide a broken install.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"
INSTALL_HINT = "bash tests/install-tools.sh"

KNOWN_TOOLS = (
    "helm",
    "shellcheck",
    "check-jsonschema",
    "yamllint",
    "kubernetes-validate",
    "pre-commit",
    "make",
    "git",
    "zizmor",
    "node",
)
NODE_MODULES = REPO_ROOT / ".tools" / "node" / "node_modules"  # npm ci of tests/node/package-lock.json


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _search_dirs() -> list[Path]:
    # Not resolved on purpose: .venv/bin/python is a symlink to the base
    # interpreter, and the console scripts live next to the link.
    venv_bin = Path(sys.executable).parent
    return [TOOLS_BIN, venv_bin]


@functools.cache
def find_tool(name: str) -> str | None:
    """Absolute path of `name` in .tools/bin, the venv's bin dir, then PATH."""
    for directory in _search_dirs():
        found = shutil.which(name, path=str(directory))
        if found:
            return os.path.abspath(found)
    found = shutil.which(name)
    return os.path.abspath(found) if found else None


def require_tool(name: str) -> str:
    """Absolute path of tool `name`; skip the test (fail it in CI) if missing."""
    path = find_tool(name)
    if path is not None:
        return path
    message = f"required tool {name!r} not found; install it with `{INSTALL_HINT}`"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
