"""The Trivy scan: its database cache lands where Trivy reads it and survives Travis builds;
`scan.image` replaces the pinned Trivy image without editing a generated file."""

from __future__ import annotations

import dataclasses
import os
import shlex
from pathlib import Path

import pytest
import yaml

from shipspec.render.core import Output, render
from shipspec.spec.validation import LoadedSpec, validate
from shipspec.spec.loader import parse_document
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
    # scan.enabled: false; rendered as an app with a pipeline of its own (in the sample it is an app of the
    # monorepo's root pipeline)
    rendered = render(dataclasses.replace(load_sample("monorepo-worker"), own_pipeline=True))
    assert "cache" not in yaml.safe_load(rendered[Output("app", ".travis.yml")].split("\n", 1)[1])


@pytest.mark.parametrize("image", [f"registry.example.com/mirror/trivy@{DIGEST}", "aquasec/trivy:0.72.0"])
def test_scan_image_sets_the_trivy_image(image: str, tmp_path: Path) -> None:
    app, _ = write_tree(render(_with_scan_image(load_sample("myapp"), image)), tmp_path)
    assert image in _scan_words(app)
    assert "docker.io/aquasec/trivy:0.72.0" in _scan_words(app, TRIVY_IMAGE="docker.io/aquasec/trivy:0.72.0")


def _with_ci(loaded: LoadedSpec, ci: str, *, scan: bool = True) -> LoadedSpec:
    raw = loaded.source + f"ci: {ci}\n".encode()
    if not scan:
        raw = raw.replace(b"\nscan:\n", b"\nscan:\n  enabled: false\n", 1)
    return dataclasses.replace(loaded, spec=validate(parse_document(raw, "shipspec.yaml")), source=raw)


def _github_jobs(loaded: LoadedSpec) -> dict[str, dict]:
    return yaml.safe_load(render(loaded)[Output("app", ".github/workflows/shipspec.yml")])["jobs"]


def test_github_caches_the_database_in_the_build_job_only(tmp_path: Path) -> None:
    loaded = _with_ci(load_sample("myapp"), "github")
    jobs = _github_jobs(loaded)
    caches = {name: [s for s in job["steps"] if s.get("uses", "").startswith("actions/cache@")]
              for name, job in jobs.items()}
    (step,) = caches.pop("build")
    # Where make's default TRIVY_CACHE ($(HOME)/.cache/trivy) puts the database.
    assert step["with"]["path"] == "~/.cache/trivy"
    # One cache a day (Actions caches are immutable), restored from the latest on a miss.
    assert step["with"]["key"] == "trivy-${{ runner.os }}-${{ steps.trivy-day.outputs.day }}"
    assert step["with"]["restore-keys"] == "trivy-${{ runner.os }}-"
    day = next(s for s in jobs["build"]["steps"] if s.get("id") == "trivy-day")
    assert jobs["build"]["steps"].index(day) < jobs["build"]["steps"].index(step)
    # Release jobs never restore a cache that a build of any branch could have written.
    assert caches and not any(caches.values())
    app, _ = write_tree(render(loaded), tmp_path)
    words = _scan_words(app)
    volume = words[words.index("--volume", words.index("--volume") + 1) + 1]
    assert volume.startswith(os.path.expanduser("~/.cache/trivy") + ":")


def test_github_has_no_cache_step_when_scanning_is_off() -> None:
    jobs = _github_jobs(_with_ci(load_sample("myapp"), "github", scan=False))
    assert not [s for job in jobs.values() for s in job["steps"] if "actions/cache" in s.get("uses", "")]


def test_gitlab_caches_the_database_inside_the_project_dir(tmp_path: Path) -> None:
    loaded = _with_ci(load_sample("myapp"), "gitlab")
    app, _ = write_tree(render(loaded), tmp_path)
    pipeline = yaml.safe_load((app / ".gitlab-ci.yml").read_text())
    jobs = {name: job for name, job in pipeline.items() if "script" in name or "script" in job}
    assert len(jobs) == 4
    for job in jobs.values():
        assert job["cache"]["paths"] == [".trivy-cache/"]
        assert job["variables"]["TRIVY_CACHE"] == "$CI_PROJECT_DIR/.trivy-cache"
    words = _scan_words(app, TRIVY_CACHE="/builds/acme/app/.trivy-cache")  # as GitLab expands it
    assert "/builds/acme/app/.trivy-cache:/root/.cache/trivy" in words
    off = yaml.safe_load(render(_with_ci(load_sample("myapp"), "gitlab", scan=False))[Output("app", ".gitlab-ci.yml")])
    assert not [job for job in off.values() if isinstance(job, dict) and ("cache" in job or "TRIVY_CACHE" in str(job))]
