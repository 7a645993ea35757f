"""The sample projects, rendered in memory or into a temporary tree."""

from __future__ import annotations

from pathlib import Path

try:
    from .tools import REPO_ROOT
except ImportError:  # tests/ is on sys.path rather than imported as a package
    from tools import REPO_ROOT  # type: ignore[no-redef]

from generator.render import Output, render
from generator.spec import LoadedSpec, load

SAMPLES_DIR = REPO_ROOT / "sample-projects"
SAMPLES = {
    "myapp": "myapp/shipspec.yaml",
    "minimal": "minimal/shipspec.yaml",
    "five-env": "five-env/shipspec.yaml",
    "monorepo-api": "monorepo/api/shipspec.yaml",
    "monorepo-worker": "monorepo/worker/shipspec.yaml",
    "published-chart": "published-chart/shipspec.yaml",
    "registry-split": "registry-split/shipspec.yaml",
}


def load_sample(name: str) -> LoadedSpec:
    return load(SAMPLES_DIR / SAMPLES[name])


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
