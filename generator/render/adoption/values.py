"""`shipspec import`, the values: where the overlays hold the image, the tag each environment
runs, and the values left once shipspec's own are taken out (shared ones lifted to the app)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...spec import names
from .inputs import Finding, Located, finding
from .argocdview import helm_values

Keys = tuple[str, ...]
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class ImageAt:
    """Where the overlays hold the image: `ref` one "<repository>:<tag>" string at `keys`, else a
    mapping at `keys` with repository and tag (and registry when `registry`)."""

    keys: Keys
    ref: bool = False
    registry: bool = False

    def owned(self) -> list[Keys]:
        if self.ref:
            return [self.keys]
        return [(*self.keys, name) for name in (("registry",) if self.registry else ()) + ("repository", "tag")]

    def value_paths(self) -> dict[str, str] | None:
        dotted = ".".join(self.keys)
        if self.ref:
            return {"ref": dotted}
        if self.keys == ("image",) and not self.registry:
            return None
        paths = {"registry": f"{dotted}.registry"} if self.registry else {}
        return {**paths, "repository": f"{dotted}.repository", "tag": f"{dotted}.tag"}


def candidates(overlay: Any, merged: Any, keys: Keys = ()) -> list[ImageAt]:
    """Every place an overlay sets an image tag: a `tag` beside a `repository` (in the merged
    values), or an `image: <repository>:<tag>` string."""
    found: list[ImageAt] = []
    if not isinstance(overlay, Mapping):
        return found
    parent = _get(merged, keys)
    if "tag" in overlay and isinstance(overlay["tag"], _SCALARS) and isinstance(parent, Mapping) \
            and isinstance(parent.get("repository"), str):
        found.append(ImageAt(keys, registry="registry" in parent))
    for key, value in overlay.items():
        if key == "image" and isinstance(value, str) and ":" in value.rpartition("/")[2]:
            found.append(ImageAt((*keys, key), ref=True))
        elif isinstance(value, Mapping) and isinstance(key, str):
            found += candidates(value, merged, (*keys, key))
    return found


def choose(every: Sequence[ImageAt]) -> list[ImageAt]:
    """The image place shared by the overlays: the chart convention `image` first."""
    unique = list(dict.fromkeys(every))
    preferred = [at for at in unique if at.keys in (("image",),) and not at.ref] or \
                [at for at in unique if at.keys == ("image",)]
    return preferred or unique


def _get(tree: Any, keys: Keys) -> Any:
    for key in keys:
        if not isinstance(tree, Mapping) or key not in tree:
            return None
        tree = tree[key]
    return tree


def image_of(at: ImageAt, overlay: Located, chart_values: Any, found: list[Finding]) -> tuple[str, str] | None:
    """(repository, tag) this environment runs, from its overlay over the chart's values."""
    merged = helm_values(chart_values, overlay.data)
    value = _get(overlay.data, at.keys if at.ref else (*at.keys, "tag"))
    loc = at.keys if at.ref else (*at.keys, "tag")
    if value is None:
        found.append(finding(overlay, at.keys[:1] or (), (
            f"sets no image tag at {'.'.join(loc)}: the environment runs the chart's default, and shipspec keeps "
            "the tag each environment runs in its overlay")))
        return None
    if not isinstance(value, str):
        found.append(finding(overlay, loc, (
            f"is a YAML {type(value).__name__}, not a string: write it quoted (\"{value}\") so the tag is a string")))
        return None
    if at.ref:
        repository, _, tag = value.rpartition(":")
    else:
        parent = _get(merged, at.keys)
        repository, tag = parent["repository"], value
        if at.registry:
            registry = parent.get("registry")
            if not isinstance(registry, str) or not registry:
                found.append(finding(overlay, (*at.keys, "registry"), "is not a registry host"))
                return None
            repository = f"{registry}/{repository}"
    for what, reason in (("repository", names.image_repository(repository)), ("tag", names.image_tag(tag))):
        if reason:
            found.append(finding(overlay, loc, f"image {what} {(repository if what == 'repository' else tag)!r} {reason}"))
            return None
    return repository, tag


def strip(overlay: Any, owned: Sequence[Keys]) -> dict[str, Any]:
    """The overlay without shipspec's own paths (mappings emptied by that go too)."""
    values = copy.deepcopy(dict(overlay)) if isinstance(overlay, Mapping) else {}
    for keys in owned:
        _remove(values, keys)
    return values


def _remove(tree: dict[str, Any], keys: Keys) -> None:
    node = tree.get(keys[0])
    if len(keys) == 1:
        tree.pop(keys[0], None)
    elif isinstance(node, dict) and node:
        _remove(node, keys[1:])
        if not node:
            del tree[keys[0]]


def unsupported(doc: Located, node: Any, loc: tuple[Any, ...] = ()) -> Finding | None:
    """The first value the spec cannot hold (a non-string key, a timestamp...), else None."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if not isinstance(key, str):
                return finding(doc, loc, f"has the key {key!r}, which is not a string")
            bad = unsupported(doc, value, (*loc, key))
            if bad:
                return bad
    elif isinstance(node, list):
        for i, value in enumerate(node):
            bad = unsupported(doc, value, (*loc, i))
            if bad:
                return bad
    elif not isinstance(node, _SCALARS):
        return finding(doc, loc, f"is a YAML {type(node).__name__}: write it as a quoted string")
    return None


def same(one: Any, other: Any) -> bool:
    """Equal as YAML data: True is not 1, 1 is not 1.0."""
    if type(one) is not type(other):
        return False
    if isinstance(one, dict):
        return one.keys() == other.keys() and all(same(one[k], other[k]) for k in one)
    if isinstance(one, list):
        return len(one) == len(other) and all(same(a, b) for a, b in zip(one, other))
    return bool(one == other)


def common(trees: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The values every tree sets alike, key by key into mappings."""
    shared: dict[str, Any] = {}
    for key, value in trees[0].items():
        others = [tree[key] for tree in trees[1:] if key in tree]
        if len(others) != len(trees) - 1:
            continue
        if all(same(value, other) for other in others):
            shared[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and value and all(isinstance(o, dict) for o in others):
            inner = common([value, *others])
            if inner:
                shared[key] = inner
    return shared


def without(tree: dict[str, Any], shared: Mapping[str, Any]) -> dict[str, Any]:
    """`tree` less what `shared` sets alike: merging it over `shared` gives `tree` back."""
    rest: dict[str, Any] = {}
    for key, value in tree.items():
        if key not in shared:
            rest[key] = value
        elif same(value, shared[key]):
            continue
        else:  # a mapping that shares some of its keys
            inner = without(value, shared[key])
            if inner:
                rest[key] = inner
    return rest
