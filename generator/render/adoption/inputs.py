"""What `shipspec import` reads, as plain data (files/ reads it from the charts checkout), and
what it reports: a field of an existing file that the spec cannot carry over."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import format_loc

Loc = tuple[Any, ...]


@dataclass(frozen=True)
class Located:
    """One YAML document of a file in the charts checkout (path relative to it, POSIX)."""

    path: str
    data: Any
    marks: Mapping[Loc, tuple[int, int]] = field(default_factory=dict)
    documents: int = 1  # how many documents its file holds

    def at(self, loc: Loc) -> tuple[int | None, int | None]:
        """The line and column of `loc`, or of its nearest ancestor that has one."""
        while True:
            if loc in self.marks:
                return self.marks[loc]
            if not loc:
                return None, None
            loc = loc[:-1]

    def get(self, loc: Loc, default: Any = None) -> Any:
        node = self.data
        for key in loc:
            if isinstance(node, Mapping) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                return default
        return node


@dataclass(frozen=True)
class Finding:
    """A field that the spec cannot express: what import lists instead of dropping it."""

    file: str
    line: int | None
    column: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


def finding(doc: Located, loc: Loc, reason: str) -> Finding:
    line, column = doc.at(loc)
    return Finding(doc.path, line, column, format_loc(loc), reason)


@dataclass(frozen=True)
class Adoption:
    """Everything import reads about one app, read from disk by files/."""

    app: str
    applications: Sequence[Located]  # the Applications that deploy the app, in file order
    overlays: Mapping[str, Located | None]  # each value file they name (None: missing or not YAML mapping)
    charts: Mapping[str, Located]  # chart folder -> its values.yaml ({} when it has none)
    users: Mapping[str, Sequence[str]]  # value file -> names of every Application in the checkout naming it
    envs: Sequence[str] = ()  # --env, in promotion order; empty: infer
    default_branch: str | None = None  # the charts repo's default branch (what HEAD means)
    checkout: str = "../charts"  # charts.checkout: the charts checkout relative to the spec's folder
    existing: frozenset[str] = frozenset()  # files of the checkout (to refuse a move onto one)
