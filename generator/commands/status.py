"""`shipspec status`: what runs where, per app and environment, from git alone.

Exit 0 when the table could be made, 1 when a charts repo cannot be read
(a git failure), 2 on bad input (an invalid spec, a missing --charts-dir).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import EXIT_OK, UsageError
from ..files.discovery import find_specs
from ..output import emit_json, out
from ..release.status import AppStatus, EnvStatus, collect

AWAITING = "awaiting first release"
SUBJECT_WIDTH = 48
COLUMNS = ("ENV", "TAG", "BEHIND", "DATE", "COMMIT", "NOTE")
LIVE_COLUMNS = ("SYNC", "HEALTH", "IMAGES")  # with argocd.server (SPEC 1.2), before NOTE


def run(arguments: Sequence[str], *, output_format: str = "text", charts_url: str | None = None,
        charts_dir: str | None = None) -> int:
    directory = Path(charts_dir) if charts_dir is not None else None
    if directory is not None and not directory.is_dir():
        raise UsageError(f"--charts-dir {charts_dir}: not a directory; pass a checkout of the charts repo")
    apps = collect(find_specs(arguments), charts_url=charts_url, charts_dir=directory)
    if output_format == "json":
        emit_json({"version": __version__, "apps": [as_json(app) for app in apps]})
    else:
        out("\n\n".join(table(app) for app in apps))
    return EXIT_OK


def table(app: AppStatus) -> str:
    """One app as a compact aligned table, environments in promotion order."""
    columns = (*COLUMNS[:-1], *LIVE_COLUMNS, COLUMNS[-1]) if app.live else COLUMNS
    rows = [columns] + [_row(env, live=app.live) for env in app.environments]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns) - 1)]
    lines = [f"{app.name} ({app.spec}): {app.branch} of {app.repo}"]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def _row(env: EnvStatus, *, live: bool = False) -> tuple[str, ...]:
    commit = env.commit
    subject = commit.subject if commit else "-"
    if len(subject) > SUBJECT_WIDTH:
        subject = subject[: SUBJECT_WIDTH - 3] + "..."
    behind = "-" if env.behind is None else str(env.behind)
    cells = (env.name, env.tag or "-", behind, commit.date[:10] if commit else "-", subject)
    if live:
        now = env.live
        cells += (now.sync, now.health, ",".join(now.images) or "-") if now else ("-", "-", "-")
    return (*cells, "; ".join(_notes(env)))


def _notes(env: EnvStatus) -> list[str]:
    notes = []
    if env.tag is None:
        notes.append(AWAITING)
    elif env.commit is None:
        notes.append("tag not in the app repo's history")
    if env.pin is not None:
        notes.append("pinned" if env.pin == env.tag else f"pinned to {env.pin}, not yet in the charts repo")
    if env.proposal is not None:
        proposed = f" proposes {env.proposal.tag}" if env.proposal.tag else " open"
        notes.append(env.proposal.label + proposed)
    return notes


def as_json(app: AppStatus) -> dict[str, Any]:
    """The documented JSON shape of one app (README, `shipspec status`)."""
    return {
        "name": app.name,
        "spec": app.spec,
        "charts": {"repo": app.repo, "branch": app.branch},
        "environments": [_env_json(env, previous, live=app.live) for env, previous in
                         zip(app.environments, [None, *app.environments[:-1]])],
    }


def _env_json(env: EnvStatus, previous: EnvStatus | None, *, live: bool = False) -> dict[str, Any]:
    commit, proposal = env.commit, env.proposal
    return {
        "name": env.name,
        "tag": env.tag,
        "pinned": env.pin is not None,
        "pin": env.pin,
        "commit": {"sha": commit.sha, "subject": commit.subject, "date": commit.date} if commit else None,
        "behind": ({"environment": previous.name, "commits": env.behind}
                   if previous is not None and env.behind is not None else None),
        "proposal": ({"kind": proposal.kind, "number": proposal.number,
                      "url": proposal.url, "branch": proposal.branch, "tag": proposal.tag} if proposal else None),
        **({"live": _live_json(env)} if live else {}),
    }


def _live_json(env: EnvStatus) -> dict[str, Any] | None:
    now = env.live
    return {"sync": now.sync, "health": now.health, "images": list(now.images), "url": now.url} if now else None
