"""`install`: the pip requirement every generated pipeline installs shipspec from (SPEC 1.2)."""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from conftest import run_shipspec

from shipspec import __version__
from shipspec.render.core import render
from shipspec.spec import requirement
from shipspec.spec.loader import parse_document
from shipspec.spec.validation import LoadedSpec, validate

SHA = "0123456789abcdef0123456789abcdef01234567"
HASH = "a" * 64
ACCEPTED = [
    "shipspec==1.2.3",
    "shipspec == 1.2.3",
    "Shipspec==1.2.3rc1",
    "shipspec==2!1.0.post1.dev3+local.7",
    f"shipspec @ git+https://github.com/acme/shipspec@{SHA}",
    f"shipspec@git+ssh://git@git.example.com:2222/tools/shipspec.git@{SHA}",
    f"shipspec @ https://pypi.example.com/packages/shipspec-1.2.3.tar.gz#sha256={HASH}",
    f"shipspec @ https://files.example.com/shipspec-1.2.3-py3-none-any.whl#sha256={HASH}",
]
REFUSED = {
    "shipspec": "without pinning it",
    "shipspec>=1.2": "is not exactly one version",
    "shipspec~=1.2": "is not exactly one version",
    "shipspec==1.*": "wildcard",
    "shipspec===1.0": "is not exactly one version",
    "shipspec!=1.0": "is not exactly one version",
    "shipspec==1.0,<2": "is not a PEP 440 version",
    "shipspec[extra]==1.0": "extras",
    "shipspec==1.0; python_version>'3'": "markers",
    "ship-spec==1.0": "not shipspec",
    "shipspec-evil==1.0": "not shipspec",
    "https://example.com/shipspec.tar.gz": "not shipspec",
    "shipspec @ git+https://github.com/acme/shipspec@main": "not a full 40-hex commit sha",
    "shipspec @ git+https://github.com/acme/shipspec@0123456": "not a full 40-hex commit sha",
    "shipspec @ git+https://github.com/acme/shipspec": "must end with @<40-hex commit sha>",
    f"shipspec @ git+http://github.com/acme/shipspec@{SHA}": "git+https://",
    f"shipspec @ git+https://github.com/acme/shipspec@{SHA}#egg=shipspec": "must end with @<40-hex commit sha>",
    "shipspec @ https://example.com/shipspec-1.2.3.tar.gz": "#sha256=",
    f"shipspec @ https://example.com/shipspec-1.2.3.tar.gz#md5={HASH[:32]}": "#sha256=",
    f"shipspec @ http://example.com/shipspec-1.2.3.tar.gz#sha256={HASH}": "https:// archive",
    f"shipspec @ file:///tmp/shipspec-1.2.3.tar.gz#sha256={HASH}": "https:// archive",
    "shipspec @ git+https://github.com/acme/shipspec@$(id)": "'$'",
    "shipspec @ https://x.example/${{ github.token }}.tar.gz": "blank, quote",
    "shipspec @ https://x.example/a'b.tar.gz": "blank, quote",
}
SPEC = """\
apiVersion: shipspec/v1
kind: App
name: shop
image:
  repository: acme/shop
charts:
  repo: git@github.com:acme/charts.git
ci: {ci}
"""
PIPELINES = {"travis": ".travis.yml", "github": ".github/workflows/shipspec.yml", "gitlab": ".gitlab-ci.yml"}


@pytest.mark.parametrize("value", ACCEPTED)
def test_an_accepted_requirement_is_pep_508_and_pins_shipspec_exactly(value: str) -> None:
    assert requirement.check(value) is None
    parsed = Requirement(value)  # what pip reads: the parser agrees it is one requirement
    assert requirement.normalized(parsed.name) == "shipspec" and not parsed.extras and parsed.marker is None
    if parsed.url is None:
        (only,) = parsed.specifier
        assert only.operator == "=="
    else:
        assert parsed.url.endswith(f"@{SHA}") or parsed.url.endswith(f"#sha256={HASH}")


@pytest.mark.parametrize(("value", "reason"), REFUSED.items())
def test_anything_else_is_refused_with_the_reason(value: str, reason: str) -> None:
    found = requirement.check(value)
    assert found is not None and reason in found, found


def install_commands(ci: str, install: str | None) -> list[str]:
    text = SPEC.format(ci=ci) + (f"install: {yaml.safe_dump(install, default_style=chr(34)).strip()}\n" if install else "")
    raw = text.encode("utf-8")
    rendered = render(LoadedSpec(validate(parse_document(raw, "shipspec.yaml")), Path("shipspec.yaml"), raw, "shipspec.yaml"))
    pipeline = next(body for output, body in rendered.items() if output.path == PIPELINES[ci])
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and "pip install" in node:
            found.append(node)

    walk(yaml.safe_load(pipeline))
    return found


@pytest.mark.parametrize("ci", PIPELINES)
@pytest.mark.parametrize("install", [None, *ACCEPTED])
def test_every_provider_installs_exactly_the_requirement_as_one_shell_word(ci: str, install: str | None) -> None:
    commands = install_commands(ci, install)
    assert commands, "no install step"
    for command in commands:
        words = shlex.split(command)
        assert words[:4] in (["python3", "-m", "pip", "install"], ["python", "-m", "pip", "install"])
        assert words[-1] == (install or f"shipspec=={__version__}"), command
        assert words[-2] == "--quiet"
    if install is None:  # unchanged from before `install` existed
        assert all(command.endswith(f" --quiet 'shipspec=={__version__}'") for command in commands)


def test_pip_refuses_an_archive_whose_sha256_fragment_does_not_match(tmp_path: Path) -> None:
    """What an archive `install` relies on: pip checks a URL's #sha256= before it unpacks anything."""
    archive = tmp_path / "shipspec-9.9.9.tar.gz"
    archive.write_bytes(b"not what was pinned")
    wrong = hashlib.sha256(b"what was pinned").hexdigest()
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index",
         f"shipspec @ {archive.as_uri()}#sha256={wrong}"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode != 0 and "THESE PACKAGES DO NOT MATCH THE HASHES" in done.stderr, done.stderr


def test_init_install_sets_the_field_and_refuses_an_unpinned_one(tmp_path: Path) -> None:
    pinned = f"shipspec @ git+https://github.com/acme/shipspec@{SHA}"
    common = ["--name", "svc", "--image", "acme/svc", "--charts-repo", "git@github.com:acme/charts.git", "-y"]
    done = run_shipspec("init", str(tmp_path / "svc"), *common, "--install", pinned, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load((tmp_path / "svc/shipspec.yaml").read_text())["install"] == pinned
    travis = yaml.safe_load((tmp_path / "svc/.travis.yml").read_text())
    assert any(shlex.split(line)[-1] == pinned for line in travis["install"] if "pip install" in line)
    done = run_shipspec("init", str(tmp_path / "other"), *common, "--install", "shipspec>=1", cwd=tmp_path)
    assert done.returncode == 2 and "install: '>=1' is not exactly one version" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "other/shipspec.yaml").exists()
