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
from . import paths
from .fastcheck import HEAD_BYTES  # our own overlay layout: a regex over its first bytes, no YAML parse
from .paths import display_path, read_file


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


def disk_path(output: Output, app_root: Path, charts: Path, links: dict[str, bool] | None = None) -> Path:
    """Where `output` lives; UsageError when a symbolic link would take it outside its root.

    `links`: given by a caller that writes nothing while the run's caches live (check, which starts
    with `paths.forget`): each folder is then asked once per run, the file itself by its folder's
    listing (which the stale scan takes anyway), and an overlay `current_tags` read comes back as the
    very path it read. Without it, every part is asked now."""
    root = app_root if output.root == "app" else charts
    shown = str(root)
    known = _read_paths.get((shown, output.path)) if links is not None and output.root == "charts" else None
    path = known or root / output.path
    # The spec's paths cannot climb out, but the tree can: a pull request may commit a
    # symlinked Makefile or chart folder pointing anywhere, and we would read or write there.
    if _link_below(shown, output.path) if links is not None else _has_link_below(shown, output.path, {}):
        real, real_root = os.path.realpath(path), os.path.realpath(root)
        if os.path.commonpath([real, real_root]) != real_root:
            raise UsageError(
                f"{display_path(path)} is or goes through a symbolic link to {real}, outside {display_path(root)}; "
                "shipspec only reads and writes inside the app's folder and the charts checkout: remove the link"
            )
    return path


def _link_below(root: str, relative: str) -> bool:
    """Whether a part of `relative` below `root` is a symbolic link, from what the run knows: each
    folder asked once, the file answered by its folder's listing."""
    folder, _, name = relative.rpartition("/")
    real = paths.link_free(root, folder)
    return real is None or paths.is_link(real, name, listed=True)


def _has_link_below(root: str, relative: str, links: dict[str, bool]) -> bool:
    """A few lstat calls instead of resolving the whole absolute path of every file; each folder's
    answer is kept in `links`."""
    current = root
    for part in relative.split("/"):
        current = os.path.join(current, part)
        link = links.get(current)
        if link is None:
            link = links[current] = os.path.islink(current)
        if link:
            return True
    return False


def current_tags(loaded: LoadedSpec, charts: Path, contents: dict[Path, bytes | None] | None = None) -> dict[str, str]:
    """Environment name -> the image tag its values overlay holds now (absent files are skipped).
    `contents`: filled with each overlay's bytes (None: no such file), so that a caller comparing
    them does not read them again."""
    tags: dict[str, str] = {}
    chart_path = loaded.spec.charts.path or ""
    where = valuepaths.tag_path(loaded.spec.image)
    if contents is not None:
        _read_paths.clear()
        shown = str(charts)
    for env in loaded.spec.environments:
        if contents is None:
            tag = read_tag(charts / chart_path / (env.values_file or ""), where)
        else:
            relative = f"{chart_path}/{env.values_file}" if chart_path and env.values_file else None
            path = charts / relative if relative else charts / chart_path / (env.values_file or "")
            if relative:
                _read_paths[(shown, relative)] = path
            tag = _read_whole(path, where, contents)
        if tag is not None:
            tags[env.name] = tag
    return tags


# The overlays `current_tags` read into `contents` for the app being compared, by (charts, path in
# it): `disk_path` (with `links`) hands back these very objects, so the caller's lookup of what was
# read finds them without building and hashing new ones.
_read_paths: dict[tuple[str, str], Path] = {}


def _read_whole(path: Path, where: TagPath, contents: dict[Path, bytes | None]) -> str | None:
    """`read_tag`, keeping the bytes read; a file that cannot be read is left to the caller's own read."""
    try:
        raw = contents[path] = read_file(path)
    except FileNotFoundError:
        contents[path] = None
        return None
    except OSError:
        return None
    return _tag_in(raw[:HEAD_BYTES].decode("utf-8", errors="replace"), path, where)


def read_tag(path: Path, where: TagPath = DEFAULT_TAG) -> str | None:
    """The tag the overlay at `path` holds at `where` (None when it holds none)."""
    try:
        head = read_file(path, HEAD_BYTES - 1).decode("utf-8", errors="replace")
    except OSError:
        return None
    return _tag_in(head, path, where)


def _tag_in(head: str, path: Path, where: TagPath) -> str | None:
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
