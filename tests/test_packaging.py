"""Build the wheel, install it into a fresh venv, and run shipspec from there."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import jinja2
import pytest

from conftest import REPO_ROOT


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Without network for the build backend when hatchling is already here; otherwise pip fetches it.
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    result = run(sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", out, REPO_ROOT, cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("shipspec-*.whl")
    return built


def test_wheel_carries_templates_and_schemas(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "shipspec/schemas/shipspec.schema.json" in names
    templates = [n.removeprefix("shipspec/templates/") for n in names if n.startswith("shipspec/templates/")]
    assert any(n.endswith(".j2") for n in templates)
    # ... and compiled (hatch_build.py): one module per template, and what they were compiled from
    compiled = {n.removeprefix("shipspec/compiled_templates/") for n in names if "/compiled_templates/" in n}
    assert compiled == {"stamp.json"} | {jinja2.ModuleLoader.get_module_filename(n) for n in templates if n.endswith(".j2")}
    assert "shipspec/cli.py" in names and not any(n.startswith("tests/") for n in names)
    # Nothing called `generator` (a name taken on the package index) is installed.
    assert not any(n.split("/")[0] == "generator" for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "shipspec = shipspec.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_installed_wheel_runs(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    install = run(bin_dir / "python", "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    assert install.returncode == 0, install.stdout + install.stderr
    shipspec = bin_dir / "shipspec"
    sample = REPO_ROOT / "sample-projects" / "myapp" / "shipspec.yaml"
    validated = run(shipspec, "validate", sample, cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr
    schema = run(shipspec, "schema", cwd=tmp_path)
    assert schema.returncode == 0
    assert schema.stdout == (REPO_ROOT / "schemas" / "shipspec.schema.json").read_text(encoding="utf-8")
    # the installed package, not this checkout, answered
    where = run(bin_dir / "python", "-c", "import shipspec; print(shipspec.__file__)", cwd=tmp_path)
    assert str(env_dir) in where.stdout
    assert run(bin_dir / "python", "-m", "shipspec", "--version", cwd=tmp_path).stdout == "shipspec 0.1.0\n"
    assert run(bin_dir / "python", "-c", "import generator", cwd=tmp_path).returncode != 0
