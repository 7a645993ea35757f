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
from ..render.core import Output, values_output
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


def disk_path(output: Output, app_root: Path, charts: Path) -> Path:
    """Where `output` lives; UsageError when a symbolic link would take it outside its root."""
    root = app_root if output.root == "app" else charts
    path = root / output.path
    # The spec's paths cannot climb out, but the tree can: a pull request may commit a
    # symlinked Makefile or chart folder pointing anywhere, and we would read or write there.
    if _has_link_below(str(root), output.path, {}):
        _refuse_escape(path, root)
    return path


def checked_path(output: Output, root: str) -> str:
    """`disk_path` as text, below `root` (the app's folder or the charts checkout, as a string), for a
    caller that writes nothing while the run's caches live (check, which starts with `paths.forget`):
    each folder asked once per run, the file itself by its folder's listing (which the stale scan
    takes anyway), and no Path built for a file that turns out in sync."""
    if _link_below(root, output.path):
        _refuse_escape(Path(root, output.path), Path(root))
    return f"{root}/{output.path}"


def _refuse_escape(path: Path, root: Path) -> None:
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    if os.path.commonpath([real, real_root]) != real_root:
        raise UsageError(
            f"{display_path(path)} is or goes through a symbolic link to {real}, outside {display_path(root)}; "
            "shipspec only reads and writes inside the app's folder and the charts checkout: remove the link"
        )


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


def current_tags(loaded: LoadedSpec, charts: Path, contents: dict[str, bytes | None] | None = None) -> dict[str, str]:
    """Environment name -> the image tag its values overlay holds now (absent files are skipped).
    `contents`: filled with each overlay's bytes by its output path in the charts checkout (None: no
    such file), so that a caller comparing them does not read them again."""
    tags: dict[str, str] = {}
    where = valuepaths.tag_path(loaded.spec.image)
    if contents is None:
        chart_path = loaded.spec.charts.path or ""
        found = {env.name: read_tag(charts / chart_path / (env.values_file or ""), where)
                 for env in loaded.spec.environments}
    else:
        shown = str(charts)
        found = {env.name: _read_whole(shown, values_output(loaded.spec, env).path, where, contents)
                 for env in loaded.spec.environments}
    for name, tag in found.items():
        if tag is not None:
            tags[name] = tag
    return tags


def _read_whole(charts: str, relative: str, where: TagPath, contents: dict[str, bytes | None]) -> str | None:
    """`read_tag`, keeping the bytes read; a file that cannot be read is left to the caller's own read."""
    path = f"{charts}/{relative}"
    try:
        raw = contents[relative] = read_file(path)
    except FileNotFoundError:
        contents[relative] = None
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


def _tag_in(head: str, path: Path | str, where: TagPath) -> str | None:
    if not header.is_generated(head):  # a file generate has not written yet (adopted by import): read as YAML
        return _yaml_tag(path, where)
    match = header.find_tag(head, where)
    return header.read_tag(match, where) if match else None


def _yaml_tag(path: Path | str, where: TagPath) -> str | None:
    import yaml

    try:
        node = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    for key in where.keys:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, str):
        return None
    return (node.rpartition(":")[2] if where.ref else node) or None
