"""Printing: the only module besides cli.py that writes to the terminal."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO


def out(text: str = "", *, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(text + "\n")


def err(text: str) -> None:
    sys.stderr.write(text + "\n")


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
