"""The sample projects, rendered in memory or into a temporary tree."""

from __future__ import annotations

import dataclasses
from pathlib import Path

try:
    from .tools import REPO_ROOT
except ImportError:  # tests/ is on sys.path rather than imported as a package
    from tools import REPO_ROOT  # type: ignore[no-redef]

from shipspec.render.header import AWAITING
from shipspec.render.core import Output, render
from shipspec.spec.validation import LoadedSpec
from shipspec.files.specfile import load

SAMPLES_DIR = REPO_ROOT / "sample-projects"
SAMPLES = {
    "myapp": "myapp/shipspec.yaml",
    "minimal": "minimal/shipspec.yaml",
    "five-env": "five-env/shipspec.yaml",
    "monorepo-api": "monorepo/api/shipspec.yaml",
    "monorepo-worker": "monorepo/worker/shipspec.yaml",
    "github-actions": "github-actions/shipspec.yaml",
    "gitlab-ci": "gitlab-ci/shipspec.yaml",
    "published-chart": "published-chart/shipspec.yaml",
    "registry-split": "registry-split/shipspec.yaml",
    "gated": "gated/shipspec.yaml",
}


def load_sample(name: str) -> LoadedSpec:
    return load(SAMPLES_DIR / SAMPLES[name])


def standalone(name: str) -> LoadedSpec:
    """The sample's spec as if it were alone at the root of its repository, with a pipeline of its own
    (the monorepo samples are apps of their repository's root pipeline: see tests/test_root_pipeline.py)."""
    return dataclasses.replace(load_sample(name), own_pipeline=True)


def render_sample(name: str) -> dict[Output, str]:
    return render(load_sample(name))


def write_tree(rendered: dict[Output, str], root: Path) -> tuple[Path, Path]:
    """Write a render below `root`: app files in root/app, chart files in root/charts."""
    app, charts = root / "app", root / "charts"
    for output, text in rendered.items():
        path = (app if output.root == "app" else charts) / output.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return app, charts


def seed_released(charts: Path, app: str = "myapp") -> None:
    """Give `charts` the sample's values overlays, whose tags say every environment was released.

    `generate` keeps the tag an overlay holds, so the next generate writes each Application
    as it stands after a first release.
    """
    source = SAMPLES_DIR / "charts" / "charts" / app
    target = charts / "charts" / app
    target.mkdir(parents=True, exist_ok=True)
    for overlay in sorted(source.glob("values.*.yaml")):
        (target / overlay.name).write_bytes(overlay.read_bytes())


def release_overlays(folder: Path, tag: str = "0a1b2c3") -> None:
    """Set `tag` in every overlay of `folder` that awaits its first release, as a release would;
    the next `generate` then writes their Applications."""
    for overlay in sorted(folder.glob("values.*.yaml")):
        text = overlay.read_text(encoding="utf-8")
        head, _, body = text.partition("\n")
        match = AWAITING.search(body)
        if match:
            body = body[:match.start()] + body[match.end() + 1:]
            repository = body.index("\n", body.index("  repository: ")) + 1
            overlay.write_text(f'{head}\n{body[:repository]}  tag: "{tag}"\n{body[repository:]}', encoding="utf-8")
