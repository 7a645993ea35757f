"""Shared fixtures: the repository root and a subprocess runner for the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


def run_shipspec(*args: str, cwd: Path | str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -m generator ARGS` as a user would, capturing text output."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("SHIPSPEC_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
