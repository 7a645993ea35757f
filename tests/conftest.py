"""Shared fixtures: the repository root and a subprocess runner for the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parent.parent

# Property tests: "ci" keeps the default suite fast; HYPOTHESIS_PROFILE=nightly runs
# many more examples (tests that set their own max_examples are scaled by `examples`).
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "nightly", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(default: int) -> int:
    """`default` examples in the normal suite, 50x that in the nightly profile."""
    return default * 50 if os.environ.get("HYPOTHESIS_PROFILE") == "nightly" else default


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


def run_shipspec(*args: str, cwd: Path | str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -m shipspec ARGS` as a user would, capturing text output."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("SHIPSPEC_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "shipspec", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
