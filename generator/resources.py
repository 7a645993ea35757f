"""The one place that knows where templates/ and schemas/ live.

In a wheel they are package data (`shipspec/templates`); in a source
checkout or an editable install they sit beside the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"shipspec is installed without its {name}/ folder")


def templates_dir() -> Path:
    return data_dir("templates")


def compiled_templates_dir() -> Path:
    """The templates compiled into Python modules: only a wheel has them (see templating.py)."""
    return _PACKAGE / "compiled_templates"


def schema_file() -> Path:
    return data_dir("schemas") / "shipspec.schema.json"


def schema_source() -> str | None:
    """The installed `shipspec.schema.json`, or None in a source tree that never wrote it out."""
    try:
        return schema_file().read_text(encoding="utf-8")
    except (OSError, FileNotFoundError):
        return None


def template_texts(folder: str) -> dict[str, str]:
    """Every file below templates/<folder>, by its POSIX path relative to that folder."""
    root = templates_dir() / folder
    return {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(p for p in root.rglob("*") if p.is_file())}


def renderer_sources(modules: tuple[str, ...]) -> list[bytes]:
    """The bytes of the package modules named (relative to the package) and of every top-level template,
    with Windows line ends read as Unix ones, so a Windows checkout renders the same."""
    sources = [_PACKAGE / name for name in modules] + sorted(templates_dir().glob("*.j2"))
    return [_read_normalized(path) for path in sources]


def _read_normalized(path: Path) -> bytes:
    try:
        return path.read_bytes().replace(b"\r\n", b"\n")
    except OSError:  # e.g. a build that ships only bytecode: the templates still count
        return b""
