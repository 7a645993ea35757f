"""The Jinja templates, compiled once: into Python modules when the wheel is built (by
`hatch_build.py`, which ships them as `shipspec/compiled_templates/`), else in every process
that renders (a source tree). Compiling them costs some 40 ms of every command's start.

Nothing here imports the package: the build hook loads this file on its own.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jinja2

# The options that shape the compiled code; `render.environment` adds the ones read at run time.
OPTIONS: dict[str, Any] = {"keep_trailing_newline": True, "trim_blocks": True, "lstrip_blocks": True,
                           "autoescape": False}
# The filters the templates use, by name: the compiler needs each to exist (see `compile_all`).
FILTERS = ("q", "key", "sh", "shq", "block", "checked_tag", "entry", "item")
_STAMP = "stamp.json"


def stamp(templates: Path) -> dict[str, Any]:
    """What a compilation is of: this Jinja version and every template's source digest."""
    digests = {
        path.relative_to(templates).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(templates.rglob("*.j2"))
    }
    return {"jinja2": jinja2.__version__, "templates": digests}


def compile_all(templates: Path, target: Path) -> None:
    """Compile every template under `templates` into modules in `target`, with their stamp."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), **OPTIONS)
    # Only a filter's name and calling convention reach the compiled code (plain functions, as
    # render's are); the code looks the filter up by name when it runs.
    env.filters.update(dict.fromkeys(FILTERS, _stand_in))
    env.compile_templates(target, zip=None, filter_func=lambda name: name.endswith(".j2"), ignore_errors=False)
    (target / _STAMP).write_text(json.dumps(stamp(templates), indent=1, sort_keys=True) + "\n", encoding="utf-8")


def loader(templates: Path, compiled: Path) -> jinja2.BaseLoader:
    """The compiled templates when they are these very templates compiled by this Jinja, else the sources."""
    try:
        recorded = json.loads((compiled / _STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    if recorded == stamp(templates):
        return jinja2.ModuleLoader(str(compiled))
    return jinja2.FileSystemLoader(str(templates))


def _stand_in(value: Any, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - never called
    raise AssertionError("a template compiled for shipping is never rendered by the build")
