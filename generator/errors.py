"""The one error hierarchy. Exceptions are data; only the CLI prints them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Problem:
    """One located problem in a spec file."""

    path: str
    line: int | None
    column: int | None
    loc: tuple[str | int, ...]
    message: str
    hint: str | None = None

    @property
    def field(self) -> str:
        return format_loc(self.loc)

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        text = f"{where}: {self.field}: {self.message}" if self.loc else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }


def format_loc(loc: tuple[str | int, ...]) -> str:
    """`('environments', 1, 'namespace')` -> `environments[1].namespace`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _PLAIN.fullmatch(part):
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
        else:
            text += f".{part}" if text else part
    return text


class ShipspecError(Exception):
    """Base of every error shipspec reports to a user."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(ShipspecError):
    """Bad arguments, missing files, refused writes: exit 2."""


class OperationFailed(ShipspecError):
    """An operation that was valid but could not be carried out (git, network): exit 1."""

    exit_code = EXIT_FAILED


@dataclass
class InvalidSpec(ShipspecError):
    """Every problem found in one or more spec files."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("\n".join(str(p) for p in self.problems))
