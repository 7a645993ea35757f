"""The Trivy scan: its database cache lands where Trivy reads it and survives Travis builds;
`scan.image` replaces the pinned Trivy image without editing a generated file."""

from __future__ import annotations

import dataclasses
import os
import shlex
from pathlib import Path

import pytest
import yaml

from shipspec.render import Output, render
from shipspec.spec import LoadedSpec, validate
from shipspec.loader import parse_document
from samples import load_sample, write_tree
from validators import make_dry_run

DIGEST = "sha256:" + "0123456789abcdef" * 4


def _scan_words(app: Path, **variables: str) -> list[str]:
    (line,) = [line for line in make_dry_run(app, "docker-scan", TAG="abc1234", **variables) if "docker run" in line]
    return shlex.split(line)


def _with_scan_image(loaded: LoadedSpec, image: str) -> LoadedSpec:
    raw = loaded.source.replace(b"\nscan:\n", f"\nscan:\n  image: {image}\n".encode(), 1)
    assert raw != loaded.source, "the sample has a scan: block"
    return dataclasses.replace(loaded, spec=validate(parse_document(raw, "shipspec.yaml")), source=raw)


def test_the_cache_is_mounted_where_trivy_is_told_to_keep_it(tmp_path: Path) -> None:
    app, _ = write_tree(render(load_sample("myapp")), tmp_path)
    words = _scan_words(app)
    host, _, container = words[words.index("--volume", words.index("--volume") + 1) + 1].partition(":")
    assert container == words[words.index("--cache-dir") + 1] == "/root/.cache/trivy"
    assert host == os.path.expanduser("~/.cache/trivy")  # make's $(HOME)
    travis = yaml.safe_load((app / ".travis.yml").read_text())
    assert travis["cache"]["directories"] == ["$HOME/.cache/trivy"]
    words = _scan_words(app, TRIVY_CACHE="/ci/project/.trivy")  # e.g. a CI that caches only inside the checkout
    assert words[words.index("--volume", words.index("--volume") + 1) + 1] == "/ci/project/.trivy:/root/.cache/trivy"


def test_no_cache_entry_when_scanning_is_off() -> None:
    rendered = render(load_sample("monorepo-worker"))  # scan.enabled: false
    assert "cache" not in yaml.safe_load(rendered[Output("app", ".travis.yml")].split("\n", 1)[1])


@pytest.mark.parametrize("image", [f"registry.example.com/mirror/trivy@{DIGEST}", "aquasec/trivy:0.72.0"])
def test_scan_image_sets_the_trivy_image(image: str, tmp_path: Path) -> None:
    app, _ = write_tree(render(_with_scan_image(load_sample("myapp"), image)), tmp_path)
    assert image in _scan_words(app)
    assert "docker.io/aquasec/trivy:0.72.0" in _scan_words(app, TRIVY_IMAGE="docker.io/aquasec/trivy:0.72.0")
