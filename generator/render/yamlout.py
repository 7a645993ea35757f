"""YAML and shell text that no spec value can break out of.

Every string scalar leaves through `scalar`: JSON-style double quotes, which
YAML 1.1 and 1.2 both read back as the same string, so "yes", "012", "1e3",
"a: b", "#x" or "{{ x }}" stay strings. Keys may stay plain when no YAML
version could read them as anything but that string.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Mapping
from functools import lru_cache
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

# Besides what JSON escapes: DEL, C1 controls and the line/paragraph separators,
# which some YAML readers treat as line breaks or refuse in a document.
_EXTRA_ESCAPES = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def quote(value: str) -> str:
    """A double-quoted YAML scalar that reads back as exactly `value`."""
    text = encode_basestring(value)  # json.dumps' own string encoder, without its per-call set-up
    if (text.isascii() and "\x7f" not in text) or _EXTRA_ESCAPES.search(text) is None:
        return text  # (ASCII without DEL holds none of them: two scans in C, cheaper than the regex)
    return _EXTRA_ESCAPES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def key(value: str) -> str:
    if _PLAIN_KEY.fullmatch(value) and value.lower() not in _YAML11_WORDS:
        return value
    return quote(value)


def scalar(value: Any, indent: int | None = None, width: int = 100) -> str:
    """A YAML scalar of the same type and value in YAML 1.1, 1.2, Python and Go.

    With `indent`, a long string is folded over lines at single spaces: inside
    double quotes YAML reads each line break (and the next line's indentation)
    back as exactly one space.
    """
    if indent is None and (text := _SCALAR_TEXT.get(type(value))) is not None:
        return text(value)  # the types YAML loads, written by type (no isinstance chain)
    # Escapes count: a value within `width` may still be wider once quoted.
    if isinstance(value, str) and indent is not None and len(quote(value)) - 2 > width:
        return _folded(value, indent, width)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"not a YAML scalar: {type(value).__name__}")


def _folded(value: str, indent: int, width: int) -> str:
    words = value.split(" ")
    if any(not word for word in words) or value != value.strip():
        return quote(value)  # runs of spaces would fold into one: keep it on one line
    lines = [""]
    for word in words:
        joined = f"{lines[-1]} {word}" if lines[-1] else word
        # Measured as written: escapes (`\"`, `\\`, `\uXXXX`) count towards the line's width.
        if lines[-1] and len(quote(joined)) - 2 > width:
            lines.append(word)
        else:
            lines[-1] = joined
    inner = [quote(line)[1:-1] for line in lines]
    return '"' + ("\n" + " " * indent).join(inner) + '"'


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    mantissa, _, exponent = repr(value).partition("e")
    if "." not in mantissa:  # YAML 1.1 reads `1e5` as a string; `1.0e+5` is a float everywhere
        mantissa += ".0"
    if exponent and exponent[0] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}" if exponent else mantissa


# yamllint's default line length. A longer `key: value` line puts the value on the next
# line, folded at spaces: a line that is one word (a long key, a long base64 string) is
# what yamllint's `allow-non-breakable-words` lets through.
MAX_LINE = 80


def entry(key_text: str, value: Any, indent: int, *, dash: bool = False) -> str:
    """`key: value` at `indent` (after `- ` with `dash`), within MAX_LINE where the text allows."""
    lead = " " * indent + ("- " if dash else "")
    line = f"{lead}{key_text}: {_inline(value)}"
    if len(line) <= MAX_LINE or not isinstance(value, str):
        return line
    if EXPRESSION in value:
        return _expression_line(line, indent)
    inner = len(lead) + 2
    return f"{lead}{key_text}:\n{' ' * inner}{scalar(value, inner, MAX_LINE - inner - 2)}"


def item(value: Any, indent: int) -> str:
    """`- value` at `indent`, folded like `entry` when too long."""
    line = f"{' ' * indent}- {_inline(value)}"
    if len(line) <= MAX_LINE or not isinstance(value, str):
        return line
    if EXPRESSION in value:
        return _expression_line(line, indent)
    return f"{' ' * indent}- {scalar(value, indent + 2, MAX_LINE - indent - 4)}"


# A GitHub expression is never folded over lines: @actions/workflow-parser (0.3.61, behind
# GitHub's editor tooling) takes the `${{ }}` of a multi-line scalar from its raw source, so a
# folded double-quoted checkout ref evaluates to "refs/heads/x" with the quote characters, and
# a folded block scalar (`>-`) to the ref with its indentation and a line break. One line
# reads the same in every parser; yamllint's line-length rule is told so on the line above
# (its `disable-line` directive), as yamllint's "Disable with comments" documents.
EXPRESSION = "${{"
LONG_LINE = "# yamllint disable-line rule:line-length"


def _expression_line(line: str, indent: int) -> str:
    return f"{' ' * indent}{LONG_LINE}\n{line}"


def block(value: Any, indent: int = 0) -> list[str]:
    """Lines of a block-style mapping or sequence; empty collections stay flow (`{}`, `[]`)."""
    lines: list[str] = []
    _block(value, indent, lines)
    return lines


def _block(value: Any, indent: int, lines: list[str]) -> None:
    # The hot loop of every values overlay: the scalar types YAML loads are written directly;
    # floats, empty collections and long strings take the general `entry`/`item` path.
    pad = " " * indent
    if type(value) is dict or isinstance(value, Mapping):
        for name, member in value.items():
            text = _SCALAR_TEXT.get(type(member))
            line = f"{pad}{_key(name)}: {text(member)}" if text else ""
            if line and (len(line) <= MAX_LINE or type(member) is not str):
                lines.append(line)
            elif _is_nested(member):
                lines.append(f"{pad}{_key(name)}:")
                _block(member, indent + 2, lines)
            else:
                lines.append(entry(_key(name), member, indent))
        return
    for member in value:
        text = _SCALAR_TEXT.get(type(member))
        line = f"{pad}- {text(member)}" if text else ""
        if line and (len(line) <= MAX_LINE or type(member) is not str):
            lines.append(line)
        elif _is_nested(member):
            first = len(lines)
            _block(member, indent + 2, lines)
            lines[first] = f"{pad}- {lines[first][indent + 2:]}"
        else:
            lines.append(item(member, indent))


_SCALAR_TEXT: dict[type, Callable[[Any], str]] = {
    str: quote,
    int: str,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "null",
}
# Keys repeat across environments and apps: remember how each is written (bounded).
_key = lru_cache(maxsize=4096)(key)


def _is_nested(value: Any) -> bool:
    if type(value) is dict or type(value) is list:  # what YAML loads: no ABC check
        return len(value) > 0
    return isinstance(value, (Mapping, list, tuple)) and len(value) > 0


def _inline(value: Any) -> str:
    text = _SCALAR_TEXT.get(type(value))
    if text is not None:  # what the spec's fields hold: no ABC checks
        return text(value)
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    return scalar(value)


def shell_word(value: str) -> str:
    """One shell word, always single-quoted (a quote inside it closed, escaped and reopened)."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


def shell(value: str) -> str:
    """A shell word for a Makefile recipe: shell-quoted, with `$` doubled for make."""
    return shlex.quote(value).replace("$", "$$")


_TAG_REFS = ("$(TAG)", "${TAG}")  # both six characters long
_SH_SPECIAL = re.compile(r"[$\\\"']")  # what can start a reference, an escape or a quote


def checked_tag(recipe: str) -> str:
    """A recipe line with every make reference to TAG turned into the checked tag (never
    empty), double-quoted where sh would otherwise split or glob it. Quotes are tracked as sh
    reads them; `$$` is make's literal `$`, and a reference right after a backslash stays bare
    (the backslash escapes the tag's first character, and would escape a quote instead)."""
    out, i, quote = [], 0, None
    while (special := _SH_SPECIAL.search(recipe, i)) is not None:
        at = special.start()
        out.append(recipe[i:at])  # nothing sh or make reads specially: copied as it is
        char, step = recipe[at], 1
        if char == "$":
            if recipe.startswith(_TAG_REFS, at):
                out.append("$(CHECKED_TAG)" if quote else '"$(CHECKED_TAG)"')
                i = at + 6
                continue
            step = 2 if recipe.startswith("$$", at) else 1
        elif char == "\\":
            if quote != "'" and recipe.startswith(_TAG_REFS, at + 1):
                out.append("\\$(CHECKED_TAG)")
                i = at + 7
                continue
            step = 2 if quote != "'" else 1
        elif quote in (None, char):
            quote = None if quote else char
        out.append(recipe[at:at + step])
        i = at + step
    out.append(recipe[i:])
    return "".join(out)
