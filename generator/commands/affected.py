"""`shipspec affected`: which apps a build must build or release (monorepos).

Exit 0 ok, 1 when the history or the charts repo cannot be read (a git
failure), 2 on bad input. Missing history is not a failure: it is said on
stderr and every app counts as affected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..errors import EXIT_OK, UsageError
from ..files.discovery import find_specs
from ..output import emit_json, err, out
from ..release.affected import Result, affected


def run(arguments: Sequence[str], *, base: str | None, release: str | None, output_format: str = "text",
        charts_url: str | None = None, charts_dir: str | None = None, script: str | None = None,
        outputs: str | None = None, gitlab_child: str | None = None, schedule: bool = False,
        outputs_prefix: str = "") -> int:
    if outputs_prefix and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", outputs_prefix):
        raise UsageError(f"--outputs-prefix {outputs_prefix!r}: letters, digits, _ and - only (a GitHub output name)")
    directory = Path(charts_dir) if charts_dir is not None else None
    if directory is not None and not directory.is_dir():
        raise UsageError(f"--charts-dir {charts_dir}: not a directory; pass a checkout of the charts repo")
    result = affected(find_specs(arguments), base=base, release=release, charts_url=charts_url, charts_dir=directory,
                      schedule=schedule)
    for note in result.notes:
        err(f"shipspec affected: {note}")
    if script is not None:
        Path(script).write_text(result.script(), encoding="utf-8")
    if outputs is not None:  # GitHub's $GITHUB_OUTPUT file: appended to, as its other steps do
        with Path(outputs).open("a", encoding="utf-8") as handle:
            handle.write(result.github_outputs(outputs_prefix))
    if gitlab_child is not None:
        Path(gitlab_child).write_text(result.gitlab_child(), encoding="utf-8")
    if output_format == "json":
        emit_json({"version": __version__, **result.as_json()})
    else:
        out(text(result))
    return EXIT_OK


def text(result: Result) -> str:
    lines = []
    for app in result.apps:
        if not app.affected:
            continue
        what = []
        if app.build and not app.pushes:
            what.append("build")
        if app.deploy:
            what.append(f"deploy {', '.join(app.deploy)}")
        what += [f"propose {p.env} {p.tag}" for p in app.propose]
        lines.append(f"{app.name} ({app.spec}): {'; '.join(what)}")
    count = sum(app.affected for app in result.apps)
    lines.append(f"{count} of {len(result.apps)} app{'' if len(result.apps) == 1 else 's'} affected")
    return "\n".join(lines)
