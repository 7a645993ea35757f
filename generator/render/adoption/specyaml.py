"""The spec import writes, as block YAML: plain scalars where every YAML reader agrees, quoted
(yamlout's JSON-style quoting) everywhere else."""

from __future__ import annotations

import re
from typing import Any

from ..yamlout import key, scalar

# A string that every YAML reader takes as that same string can go unquoted: easier to edit.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9._/-]*")
_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _text(value: Any) -> str:
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value.lower() not in _WORDS:
        return value
    return "{}" if value == {} else "[]" if value == [] else scalar(value)


def spec_lines(value: Any, indent: int) -> list[str]:
    """The spec as block YAML, like yamlout.block, with plain scalars where they are unambiguous."""
    pad, lines = " " * indent, []
    if isinstance(value, dict):
        for name, member in value.items():
            if isinstance(member, (dict, list)) and member:
                lines += [f"{pad}{key(name)}:", *spec_lines(member, indent + 2)]
            else:
                lines.append(f"{pad}{key(name)}: {_text(member)}")
        return lines
    for member in value:
        if isinstance(member, (dict, list)) and member:
            inner = spec_lines(member, indent + 2)
            lines += [f"{pad}- {inner[0][indent + 2:]}", *inner[1:]]
        else:
            lines.append(f"{pad}- {_text(member)}")
    return lines
