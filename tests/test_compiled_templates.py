"""The templates the wheel ships compiled (hatch_build.py, shipspec.templating): used when they are
these templates compiled by this Jinja, rendering exactly what the sources render; else the sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jinja2
import pytest

from shipspec.render import core as render, scaffold
from shipspec import templating
from shipspec.resources import compiled_templates_dir, templates_dir
from samples import SAMPLES, load_sample


def test_the_installed_package_renders_with_its_compiled_templates() -> None:
    # tests/run.sh installs the wheel, and conftest makes sure it is this tree's
    assert isinstance(render.environment().loader, jinja2.ModuleLoader)
    compiled = {path.name for path in compiled_templates_dir().glob("tmpl_*.py")}
    names = [path.relative_to(templates_dir()).as_posix() for path in templates_dir().rglob("*.j2")]
    assert compiled == {jinja2.ModuleLoader.get_module_filename(name) for name in names}


@pytest.fixture
def from_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render with the template sources, compiled in this process, and nothing else changed."""
    sources = render.environment().overlay(loader=jinja2.FileSystemLoader(str(templates_dir())), cache_size=100)
    monkeypatch.setattr(render, "environment", lambda: sources)
    monkeypatch.setattr(scaffold, "environment", lambda: sources)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_compiled_templates_render_what_the_sources_render(name: str, request: pytest.FixtureRequest) -> None:
    loaded = load_sample(name)
    tags = {env.name: f"{env.name}-0123abc" for env in loaded.spec.environments}  # every Application too
    compiled = render.render(loaded), render.render(loaded, tags), scaffold.service_files(loaded.spec)
    request.getfixturevalue("from_sources")
    assert (render.render(loaded), render.render(loaded, tags), scaffold.service_files(loaded.spec)) == compiled


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    copy = tmp_path / "templates"
    shutil.copytree(templates_dir(), copy)
    return copy


def test_a_compilation_of_these_templates_by_this_jinja_is_used(templates: Path, tmp_path: Path) -> None:
    templating.compile_all(templates, tmp_path / "compiled")
    assert isinstance(templating.loader(templates, tmp_path / "compiled"), jinja2.ModuleLoader)


def test_an_edited_template_is_compiled_from_its_source(templates: Path, tmp_path: Path) -> None:
    templating.compile_all(templates, tmp_path / "compiled")
    edited = templates / "values.yaml.j2"
    edited.write_text(edited.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    loader = templating.loader(templates, tmp_path / "compiled")
    assert isinstance(loader, jinja2.FileSystemLoader)
    env = jinja2.Environment(loader=loader, **templating.OPTIONS)
    assert env.get_template("values.yaml.j2").render(note="n", awaiting=None, body="b").endswith("# edited\n")


def test_another_jinja_version_compiles_from_the_sources(templates: Path, tmp_path: Path) -> None:
    compiled = tmp_path / "compiled"
    templating.compile_all(templates, compiled)
    stamp = json.loads((compiled / "stamp.json").read_text(encoding="utf-8"))
    (compiled / "stamp.json").write_text(json.dumps({**stamp, "jinja2": "0.0"}), encoding="utf-8")
    assert isinstance(templating.loader(templates, compiled), jinja2.FileSystemLoader)


def test_a_source_tree_without_compiled_templates_uses_the_sources(templates: Path, tmp_path: Path) -> None:
    assert isinstance(templating.loader(templates, tmp_path / "absent"), jinja2.FileSystemLoader)
