"""Read the tag a values overlay in the charts repo releases, at the app's `image.valuePaths`.

The file may have been edited by hand or written by another shipspec
version, so it is parsed as YAML rather than matched as our own layout.
"""

from __future__ import annotations

import yaml

from ..errors import OperationFailed
from ..spec.valuepaths import DEFAULT_TAG, TagPath

MAX_CHARS = 1024 * 1024


def current_tag(text: str | None, where: str, path: TagPath = DEFAULT_TAG) -> str | None:
    """The tag a values file releases at `path` (None when absent or empty)."""
    if text is None:
        return None
    node = _compose(text, where)
    for key in path.keys:
        node = _value(node, key)
    if not isinstance(node, yaml.ScalarNode):
        return None
    if not path.ref:
        return node.value or None
    repository, colon, tag = node.value.rpartition(":")
    return tag if colon and repository and tag and "/" not in tag else None


def _compose(text: str, where: str) -> yaml.Node | None:
    if len(text) > MAX_CHARS:
        raise OperationFailed(f"{where}: larger than {MAX_CHARS} characters; refusing to edit it")
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise OperationFailed(
            f"{where}{at}: not valid YAML ({getattr(exc, 'problem', None) or exc}); fix it in the charts repo"
        ) from None


def _pair(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    # YAML loaders keep the last of duplicate keys; so do we.
    found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
    return found[-1] if found else None


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    pair = _pair(node, key)
    return pair[1] if pair else None
