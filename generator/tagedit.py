"""Read the tag of a values file (at `image.valuePaths`), and replace the `image.tag` scalar of a values file in place.

A release changes one scalar; everything else in the file (comments, key
order, indentation, quoting) is the charts repo's business. The YAML node
marks give the exact character span of that scalar, so only those characters
change and the file stays byte-for-byte identical elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from generator.errors import OperationFailed
from generator.valuepaths import DEFAULT_TAG, TagPath
from generator.yamlout import quote

MAX_CHARS = 1024 * 1024


@dataclass(frozen=True)
class TagSpan:
    """Where `image.tag` sits in the text, and its current value."""

    start: int
    end: int
    value: str


def find_tag(text: str, where: str, path: TagPath = DEFAULT_TAG) -> TagSpan | None:
    """The editable tag scalar at `path`, or None when there is none that can be edited safely
    (a `ref` holds more than the tag: it is rewritten whole)."""
    if path.ref:
        return None
    node = _compose(text, where)
    for key in path.keys[:-1]:
        node = _value(node, key)
    pair = _pair(node, path.keys[-1])
    if pair is None:
        return None
    key, node = pair
    if not isinstance(node, yaml.ScalarNode) or node.style in ("|", ">"):
        return None
    start, end = node.start_mark.index, node.end_mark.index
    # An alias points at another node's marks; an anchor or explicit tag sits inside the span.
    if start < key.end_mark.index or text[start] in "&!*":
        return None
    return TagSpan(start, end, node.value)


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


def replace_tag(
    text: str, tag: str, where: str, *, drop_comment: str | None = None, path: TagPath = DEFAULT_TAG
) -> str | None:
    """`text` with only the image.tag scalar replaced, or None when it has no editable one.

    `drop_comment`: a comment that, when it follows the scalar on its line, goes with the old value.
    """
    span = find_tag(text, where, path)
    if span is None:
        return None
    end = span.end
    line_end = text.find("\n", end)
    tail = text[end : line_end if line_end >= 0 else len(text)].rstrip("\r")
    if drop_comment and tail.startswith(drop_comment):
        end += len(tail)
    return text[: span.start] + quote(tag) + text[end:]


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
