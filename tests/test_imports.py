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


def test_check_of_apps_in_sync_stays_light() -> None:
    """The digest fast path (a monorepo and its root pipeline) needs no model, no
    YAML parser and no template: `check` in a pre-commit hook costs about a `--help`."""
    modules = imported_modules("check", "sample-projects/monorepo")
    assert "shipspec.files.fastcheck" in modules, "the measurement saw no check"
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY) == []


def test_validate_does_import_them() -> None:
    # the control: the same measurement does see pydantic when a command needs it
    modules = imported_modules("validate", "sample-projects/minimal/shipspec.yaml")
    assert "pydantic" in modules and "yaml" in modules


_WARM = """
import sys
from pathlib import Path
from shipspec.files import drift
paths = sorted(Path("apps").glob("*/shipspec.yaml"))
drift.warm_workers(paths, None, 2, fast=sys.argv[1] == "fast")
heavy = "pydantic" in sys.modules
from shipspec.render import core as render
print(heavy, sorted(name for _, name in render.environment().cache._mapping))
"""


@pytest.mark.parametrize("fast", ["fast", "full"])
def test_workers_inherit_the_full_path_only_when_the_first_app_needs_it(tmp_path, fast: str) -> None:
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import workload

    workload.create(tmp_path, 70, git=False)  # more than one chunk of work
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    subprocess.run([sys.executable, "-m", "shipspec", "generate", "apps"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    done = subprocess.run([sys.executable, "-c", _WARM, fast], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    if fast == "fast":  # proven in sync from its headers: the parent stays light, as check's fast path must
        assert done.stdout.startswith("False")
    else:  # the model imported and the first app's templates compiled before the fork
        assert done.stdout.startswith("True") and "travis.yml.j2" in done.stdout and "Makefile.j2" in done.stdout
