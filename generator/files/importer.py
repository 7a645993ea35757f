"""The core of `shipspec import`: read the charts checkout, adopt, write the spec and move the
adopted Applications to the file names the spec renders."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import EXIT_FAILED, EXIT_OK, UsageError
from ..output import err, out, plural
from ..render.adoption.inverse import adopt
from . import appscan
from .paths import SPEC_NAME, display_path
from .writer import write_atomic


def import_app(app: str, *, charts_dir: str | None = None, envs: Sequence[str] = (), output: str | None = None,
               force: bool = False) -> int:
    """Write the spec that renders what the charts checkout deploys for `app`; exit 0 adopted
    exactly, 1 something could not be carried over (nothing written without `force`)."""
    spec_path = Path(output or SPEC_NAME)
    if spec_path.exists():
        raise UsageError(f"{display_path(spec_path)} exists; import writes a new spec: move it aside, or pass "
                         "--output")
    root = Path(charts_dir) if charts_dir is not None else spec_path.parent / "../charts"
    checkout = Path(os.path.relpath(root.resolve(), spec_path.parent.resolve())).as_posix()
    if len(set(envs)) != len(envs):
        raise UsageError("--env names an environment twice")
    adopted = adopt(appscan.scan(root, app, tuple(envs), checkout))
    for line in adopted.left_out:
        err(f"left out {line}")
    for finding in adopted.findings:
        err(f"{_shown(root, finding.file)}{str(finding)[len(finding.file):]}")
    if adopted.document is None:
        err(f"{app}: no environment could be adopted; nothing was written")
        return EXIT_FAILED
    if adopted.findings and not force:
        err(f"{plural(len(adopted.findings), 'field')} the spec cannot carry over; nothing was written "
            "(--force writes the spec with this list at its top)")
        return EXIT_FAILED
    _move(root, adopted.moves)
    try:
        write_atomic(spec_path, adopted.text())
    except OSError as exc:
        _move(root, [(new, old) for old, new in reversed(adopted.moves)])
        raise UsageError(f"cannot write {display_path(spec_path)}: {exc.strerror or exc}; nothing was changed") from None
    out(f"wrote     {display_path(spec_path)}")
    for old, new in adopted.moves:
        out(f"moved     {display_path(root / old)} -> {display_path(root / new)}")
    for env, tag in adopted.tags.items():
        out(f"{env}: runs {tag}")
    out("next: shipspec generate (it adopts the overlays and Applications the spec now renders)")
    return EXIT_FAILED if adopted.findings else EXIT_OK


def _shown(root: Path, relative: str) -> str:
    return display_path(root / relative) if relative != SPEC_NAME else relative


def _move(root: Path, moves: Sequence[tuple[str, str]]) -> None:
    """Rename each Application file to the spec's name for it: all, or (undone) none."""
    done: list[tuple[str, str]] = []
    for old, new in moves:
        try:
            (root / new).parent.mkdir(parents=True, exist_ok=True)
            if (root / new).exists():
                raise FileExistsError(0, "the target exists", str(root / new))
            os.rename(root / old, root / new)
        except OSError as exc:
            for undo_old, undo_new in reversed(done):
                os.rename(root / undo_new, root / undo_old)
            raise UsageError(f"cannot move {display_path(root / old)} to {display_path(root / new)}: "
                             f"{exc.strerror or exc}; nothing was changed") from None
        done.append((old, new))
