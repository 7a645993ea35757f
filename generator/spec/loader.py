"""Safe, bounded YAML loading that remembers where every value came from.

We compose with libyaml (when present) and construct the Python values
ourselves: that is where duplicate keys, non-string keys, explicit tags and
alias bombs are caught, and where each value's line and column are recorded
so that model errors can point at the exact spot in the file. A clean spec
(most of them) is built by a lean pass and located only if a problem is
reported later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

try:  # libyaml is several times faster; the pure-Python loader is the fallback.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from ..errors import InvalidSpec, Problem

MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64
# Aliases can repeat one long string many times: bound the text as well as the node count.
MAX_TEXT = 8 * MAX_BYTES

Loc = tuple[str | int, ...]
Mark = tuple[int, int]

_TEXT_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MAP, _SEQ, _BOOL = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:bool"
_COLLECTION_TAGS = {_MAP, _SEQ}
# YAML 1.2 (what an editor with the JSON Schema reads) has only these booleans; PyYAML,
# being YAML 1.1, also reads yes/no/on/off as booleans. Those words are remembered so
# that a boolean field can refuse them instead of silently agreeing with one reader.
_YAML12_BOOLS = {"true", "false"}
_constructor = yaml.constructor.SafeConstructor()


@lru_cache(maxsize=4096)
def _plain_tag(value: str) -> str:
    """The tag PyYAML's resolver gives a plain scalar (keys and words repeat: remembered, bounded)."""
    for tag, pattern in _BaseLoader.yaml_implicit_resolvers.get(value[:1], ()):
        if pattern.match(value):
            return tag
    return _BaseLoader.DEFAULT_SCALAR_TAG


class _ShortcutLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The same tags as PyYAML's safe resolver, which libyaml calls back for every node; most
    plain scalars start with a character no implicit type can (`image`, `charts`): plain strings.
    That holds while the resolver has no path and no catch-all resolvers (the safe one has neither)."""

    _starts = frozenset(_BaseLoader.yaml_implicit_resolvers)

    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            plain = implicit[0] and (not value or value[0] in self._starts)
            return _plain_tag(value) if plain else self.DEFAULT_SCALAR_TAG
        return self.DEFAULT_MAPPING_TAG if kind is yaml.MappingNode else self.DEFAULT_SEQUENCE_TAG


_SHORTCUT_HOLDS = not _BaseLoader.yaml_path_resolvers and None not in _BaseLoader.yaml_implicit_resolvers
_Loader = _ShortcutLoader if _SHORTCUT_HOLDS else _BaseLoader


@dataclass
class Document:
    """A loaded spec: its data and the position of every key and value in it."""

    path: str
    data: dict[str, Any]
    raw: bytes
    # Values written as a YAML 1.1-only boolean word (`yes`, `off`...), with the word.
    yaml11_bools: dict[Loc, str] = field(default_factory=dict)
    # Problems found while building `data` (duplicate keys, tags...); the offending
    # entries are left out, so the model can still report everything else.
    problems: list[Problem] = field(default_factory=list)
    # A clean document keeps its composed tree and locates its values only when asked to
    # (a problem to report): most specs never are.
    node: yaml.Node | None = field(default=None, repr=False, compare=False)
    _located: tuple[dict[Loc, Mark], dict[Loc, Mark]] | None = field(default=None, repr=False, compare=False)

    @property
    def values(self) -> dict[Loc, Mark]:
        return self._locate()[0]

    @property
    def keys(self) -> dict[Loc, Mark]:
        return self._locate()[1]

    def _locate(self) -> tuple[dict[Loc, Mark], dict[Loc, Mark]]:
        if self._located is None:
            builder = _Builder(self.path)
            if self.node is not None:
                builder.build(self.node, ())
            self._located = builder.values, builder.keys
        return self._located

    def position(self, loc: Loc, *, key: bool = False) -> Mark | None:
        """The position of `loc`, or of its nearest ancestor that has one."""
        values, keys = self._locate()
        while True:
            found = (keys.get(loc) if key else None) or values.get(loc)
            if found or not loc:
                return found
            loc = loc[:-1]

    def problem(
        self, loc: Loc, message: str, *, hint: str | None = None, key: bool = False, at: Loc | None = None
    ) -> Problem:
        """A problem of field `loc`, positioned at `at` (default: `loc` itself)."""
        line, column = self.position(loc if at is None else at, key=key) or (None, None)
        return Problem(self.path, line, column, loc, message, hint)


class _TooBig(Exception):
    pass


class _Unusual(Exception):
    """Something `_Plain` leaves to `_Builder`: a problem, a YAML 1.1 boolean word, a limit."""


class _Plain:
    """The data of a clean document, fast: no positions. Anything the positioned builder would
    report or record raises _Unusual, and that builder then builds the document instead."""

    def __init__(self) -> None:
        self.nodes = 0
        self.text = 0

    def data(self, node: yaml.Node) -> Any:
        data = self.build(node)
        if self.text > MAX_TEXT:
            raise _Unusual
        return data

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise _Unusual
        tag, kind = node.tag, type(node)
        if kind is yaml.ScalarNode:
            self.text += len(node.value)
            if tag in _TEXT_TAGS:
                return node.value
            if tag not in _SCALAR_TAGS or tag == _BOOL and node.value.lower() not in _YAML12_BOOLS:
                raise _Unusual
            value = _constructor.construct_object(node)
            _constructor.constructed_objects.pop(node, None)  # see _Builder._scalar
            return value
        if tag == _MAP and kind is yaml.MappingNode:
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag not in _TEXT_TAGS or type(key_node) is not yaml.ScalarNode:
                    raise _Unusual  # a key that is not a plain string, or a merge key
                key = key_node.value
                self.text += len(key)
                if key in result:
                    raise _Unusual
                result[key] = self.build(value_node, depth + 1)
            return result
        if tag == _SEQ and kind is yaml.SequenceNode:
            return [self.build(child, depth + 1) for child in node.value]
        raise _Unusual


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.values: dict[Loc, Mark] = {}
        self.keys: dict[Loc, Mark] = {}
        self.yaml11_bools: dict[Loc, str] = {}
        self.nodes = 0
        self.text = 0
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, loc: Loc, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(f"more than {MAX_NODES} values (after expanding aliases); a spec never needs that many")
        if depth > MAX_DEPTH:
            raise _TooBig(f"nested deeper than {MAX_DEPTH} levels")
        self.values.setdefault(loc, _mark(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _BOOL and node.value.lower() not in _YAML12_BOOLS:
                self.yaml11_bools[loc] = node.value
            return self._scalar(node, loc)
        if node.tag not in _COLLECTION_TAGS:
            self._report(node, loc, f"YAML tag {_short(node.tag)} is not supported")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc, depth)
        return [self.build(child, (*loc, i), depth + 1) for i, child in enumerate(node.value)]

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._report(key_node, loc, "merge keys (<<) are not supported; write the fields out")
                continue
            key = self._scalar(key_node, loc) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self._report(key_node, loc, *_key_problem(key_node, key))
                continue
            child = (*loc, key)
            if key in result:
                line, _ = self.keys[child]
                self._report(key_node, child, f"duplicate key (first defined on line {line})")
                continue
            self.keys[child] = _mark(key_node)
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def _scalar(self, node: yaml.Node, loc: Loc) -> Any:
        self.text += len(node.value)
        if self.text > MAX_TEXT:
            raise _TooBig(f"more than {MAX_TEXT // MAX_BYTES} MiB of text after expanding aliases")
        if node.tag in _TEXT_TAGS:  # most scalars: no constructor round trip
            return node.value  # (a date in `values` stays the text the user wrote)
        if node.tag not in _SCALAR_TAGS:
            self._report(node, loc, f"YAML tag {_short(node.tag)} is not supported")
            return None
        value = _constructor.construct_object(node)
        # The shared constructor memoizes every node it builds: forget it, or memory grows with every spec.
        _constructor.constructed_objects.pop(node, None)
        return value

    def _report(self, node: yaml.Node, loc: Loc, message: str, hint: str | None = None) -> None:
        line, column = _mark(node)
        self.problems.append(Problem(self.path, line, column, loc, message, hint))


def _key_problem(node: yaml.Node, key: Any) -> tuple[str, str | None]:
    if not isinstance(node, yaml.ScalarNode):
        return "a mapping key must be a plain string, not a collection", None
    read_as = "null" if key is None else repr(key).lower()
    return f"key {node.value!r} is read by YAML as {read_as}, not a string", "quote it"


def _short(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!", 1)


def _mark(node: yaml.Node) -> Mark:
    return node.start_mark.line + 1, node.start_mark.column + 1


def parse_document(raw: bytes, shown: str) -> Document:
    """Parse a spec. Unreadable input raises InvalidSpec; problems inside a
    well-formed document (duplicate keys, tags) are left in `doc.problems`."""
    def fail(message: str, line: int | None = None, column: int | None = None) -> InvalidSpec:
        return InvalidSpec([Problem(shown, line, column, (), message)])

    if len(raw) > MAX_BYTES:
        raise fail(f"larger than {MAX_BYTES // 1024} KiB; a spec is a few KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail("not valid UTF-8", line, column) from None
    if "\x00" in text:
        raise fail("contains a NUL byte; a spec is text")
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise InvalidSpec([_syntax_problem(exc, text, shown)]) from None
    except yaml.YAMLError as exc:
        raise fail(f"invalid YAML: {exc}", 1, 1) from None
    if node is None:  # located like every other error, so an editor can jump to it
        raise fail("empty file; a spec needs at least apiVersion, kind, name, image and charts", 1, 1)
    if not isinstance(node, yaml.MappingNode):
        line, column = _mark(node)
        raise fail("the top level must be a mapping of fields", line, column)
    try:
        return Document(shown, _Plain().data(node), raw, node=node)
    except (_Unusual, RecursionError):
        pass
    builder = _Builder(shown)
    try:
        data = builder.build(node, ())
    except _TooBig as exc:
        raise fail(str(exc)) from None
    except RecursionError:
        raise fail(f"nested deeper than {MAX_DEPTH} levels") from None
    return Document(shown, data, raw, builder.yaml11_bools, builder.problems, _located=(builder.values, builder.keys))


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, shown: str) -> Problem:
    """PyYAML's parse error, in the words of what the user most likely did."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message, hint = f"invalid YAML: {exc.problem or exc.context}", None
    source = text.splitlines()[line - 1] if mark and line <= len(text.splitlines()) else ""
    indent = source[: len(source) - len(source.lstrip(" \t"))]
    if "\t" in indent:
        column = indent.index("\t") + 1
        message = "invalid YAML: a tab is used for indentation"
        hint = "YAML indents with spaces only; replace the tab with spaces"
    elif "another document" in message:
        message = "a spec is a single YAML document; remove the second one"
    elif source.lstrip().startswith("- ") or source.strip() == "-":
        hint = "this list item is indented differently from the item before it; line up the `-` of every item"
    return Problem(shown, line, column, (), message, hint)
