"""Where an app's generated files live on disk, and the tags they hold now.

`render` is pure; this is the small IO layer around it that `generate` and
`check` share: locating the charts checkout and reading the release
pipeline's current tag (at `image.valuePaths`) from each values overlay.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import UsageError
from ..redact import redact
from ..render import header
from ..render.core import Output
from ..spec import valuepaths
from ..spec.validation import LoadedSpec
from ..spec.valuepaths import DEFAULT_TAG, TagPath
from .fastcheck import HEAD_BYTES  # our own overlay layout: a regex over its first bytes, no YAML parse
from .paths import display_path


def charts_root(loaded: LoadedSpec, override: Path | None = None) -> Path | None:
    """The charts checkout: `--charts-dir` (which must exist), else `charts.checkout` relative to the spec.

    The checkout is optional: releases write the chart-side files, so without one `generate` and
    `check` work on the app's own files (None).
    """
    if override is None:
        root = loaded.directory / loaded.spec.charts.checkout
        return root if root.is_dir() else None
    if not override.is_dir():
        raise UsageError(
            f"charts checkout {display_path(override)} (--charts-dir) is not a directory; clone the charts repo there "
            f"(git clone {redact(loaded.spec.charts.repo)} {display_path(override)}) or leave out --charts-dir"
        )
    return override


def disk_path(output: Output, app_root: Path, charts: Path) -> Path:
    """Where `output` lives; UsageError when a symbolic link would take it outside its root."""
    root = app_root if output.root == "app" else charts
    path = root / output.path
    # The spec's paths cannot climb out, but the tree can: a pull request may commit a
    # symlinked Makefile or chart folder pointing anywhere, and we would read or write there.
    if _has_link_below(str(root), output.path):
        real, real_root = os.path.realpath(path), os.path.realpath(root)
        if os.path.commonpath([real, real_root]) != real_root:
            raise UsageError(
                f"{display_path(path)} is or goes through a symbolic link to {real}, outside {display_path(root)}; "
                "shipspec only reads and writes inside the app's folder and the charts checkout: remove the link"
            )
    return path


def _has_link_below(root: str, relative: str) -> bool:
    """A few lstat calls instead of resolving the whole absolute path of every file."""
    current = root
    for part in relative.split("/"):
        current = os.path.join(current, part)
        if os.path.islink(current):
            return True
    return False


def current_tags(loaded: LoadedSpec, charts: Path) -> dict[str, str]:
    """Environment name -> the image tag its values overlay holds now (absent files are skipped)."""
    tags: dict[str, str] = {}
    chart_dir = charts / (loaded.spec.charts.path or "")
    where = valuepaths.tag_path(loaded.spec.image)
    for env in loaded.spec.environments:
        tag = read_tag(chart_dir / (env.values_file or ""), where)
        if tag is not None:
            tags[env.name] = tag
    return tags


def read_tag(path: Path, where: TagPath = DEFAULT_TAG) -> str | None:
    """The tag the overlay at `path` holds at `where` (None when it holds none)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    if not header.is_generated(head):  # a file generate has not written yet (adopted by import): read as YAML
        return _yaml_tag(path, where)
    match = header.find_tag(head, where)
    return header.read_tag(match, where) if match else None


def _yaml_tag(path: Path, where: TagPath) -> str | None:
    import yaml

    try:
        node = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    for key in where.keys:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, str):
        return None
    return (node.rpartition(":")[2] if where.ref else node) or None
