"""Where a chart reads the image (`image.valuePaths`), and the values shipspec owns there.

Pure data and functions: the model, the renderer, the tag readers and check's
fast path all use them, so the layout of the tag is decided in one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .model import Image

Keys = tuple[str, ...]
DOCKER_HUB = "docker.io"


class TagPath(NamedTuple):
    """Where an overlay holds the released tag: a plain tag, or the tag inside a "<repository>:<tag>" ref."""

    keys: Keys
    ref: bool = False

    def __str__(self) -> str:
        return ".".join(self.keys)


DEFAULT_TAG = TagPath(("image", "tag"))


def keys(path: str) -> Keys:
    return tuple(path.split("."))


def tag_path(image: Image) -> TagPath:
    """Where the overlays of an app with this `image` hold the tag."""
    paths = image.value_paths
    if paths.ref is not None:
        return TagPath(keys(paths.ref), ref=True)
    return TagPath(keys(paths.tag or "image.tag"))


def registry_host(repository: str) -> str | None:
    """The registry of an image reference, or None for Docker Hub (Docker's own rule)."""
    first, slash, _ = repository.partition("/")
    return first if slash and ("." in first or ":" in first or first == "localhost") else None


def owned(image: Image) -> list[tuple[str, Keys]]:
    """(field of image.valuePaths, its keys) for every path shipspec writes, in overlay order."""
    paths = image.value_paths
    fields = ("ref",) if paths.ref is not None else ("registry", "repository", "tag")
    return [(name, keys(getattr(paths, name))) for name in fields if getattr(paths, name) is not None]


def image_entries(image: Image, tag: str | None) -> Iterator[tuple[Keys, str]]:
    """The values that put `image.repository` at `tag` where the chart reads it; no tag, no tag key."""
    paths = image.value_paths
    if paths.ref is not None:
        if tag:
            yield keys(paths.ref), f"{image.repository}:{tag}"
        return
    repository = image.repository
    if paths.registry is not None:
        host = registry_host(repository)
        yield keys(paths.registry), host or DOCKER_HUB
        repository = repository[len(host) + 1:] if host else repository
    yield keys(paths.repository or "image.repository"), repository
    if tag:
        yield keys(paths.tag or "image.tag"), tag


def put(tree: dict[str, Any], path: Keys, value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` merged into `base`: mappings key by key, anything else replaced (Helm's own rule)."""
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        merged[key] = merge(old, value) if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return merged


def find(tree: Any, path: Keys) -> tuple[int, Any] | None:
    """(how many keys of `path` lead to a value in `tree`, that value) when `tree` sets `path` or
    replaces one of its mappings by something else; None when `path` stays free."""
    for depth, key in enumerate(path):
        if not isinstance(tree, Mapping):
            return depth, tree
        if key not in tree:
            return None
        tree = tree[key]
    return len(path), tree
