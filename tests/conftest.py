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


def pytest_sessionstart(session: pytest.Session) -> None:
    """The tests exercise the installed `shipspec` (the source folder generator/ is not importable
    under that name): refuse to run against an install that is not this source tree."""
    import shipspec

    installed = Path(shipspec.__file__).parent
    pairs = [(REPO_ROOT / "generator", installed, "*.py"), (REPO_ROOT / "templates", installed / "templates", "*"),
             (REPO_ROOT / "schemas", installed / "schemas", "*")]
    stale = [str(source.relative_to(REPO_ROOT)) for here, there, pattern in pairs
             for source in sorted(here.rglob(pattern)) if source.is_file() and "__pycache__" not in source.parts
             and _differs(source, there / source.relative_to(here))]
    if stale:
        pytest.exit(f"the installed shipspec ({installed}) is not this source tree ({', '.join(stale[:5])} "
                    "differ): run `bash tests/run.sh`, which reinstalls it", returncode=4)


def _differs(source: Path, installed: Path) -> bool:
    try:
        return source.read_bytes() != installed.read_bytes()
    except OSError:
        return True


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
