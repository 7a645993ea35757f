"""Drift: what differs between an app's generated files on disk and what its spec renders.

The report of one app is plain data (picklable for `--jobs` workers) that
both the fast path and the full comparison build, so their output is one.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import InvalidSpec, Problem, ShipspecError
from ..render import header
from ..spec import defaults
from . import fastcheck, monorepo, parallel, writer
from .paths import SPEC_NAME, display_path, in_repository, run_real_path

if TYPE_CHECKING:
    from ..render.monorepo import Member
    from ..spec.validation import LoadedSpec

FULL_PATH_ENV = "SHIPSPEC_FULL_CHECK"  # "1": never take the digest fast path (the tests run both paths)


class AppStatus(str, Enum):
    IN_SYNC = "in_sync"
    DRIFTED = "drifted"
    INVALID = "invalid"


class FileStatus(str, Enum):
    MISSING = "missing"
    CHANGED = "changed"
    STALE = "stale"
    RENDER = "render"  # check --render: Helm renders the environment wrongly


@dataclass(frozen=True)
class FileDrift:
    path: str  # as the user reads it
    status: FileStatus
    cause: str
    diff: str = ""  # unified diff, for changed files only
    header_only: bool = False  # changed, but only in its shipspec header (e.g. after any spec edit)


@dataclass(frozen=True)
class AppReport:
    """The verdict on one spec: in sync, drifted (with its files) or invalid (with its problems)."""

    spec: str
    app: str | None
    status: AppStatus
    files: tuple[FileDrift, ...] = ()
    problems: tuple[Problem, ...] = ()
    error: str | None = None  # an app-level usage error, e.g. a missing charts checkout
    checked: int = 0  # generated files compared
    awaiting: tuple[str, ...] = ()  # environments without a tag yet: no Application until their first release
    charts_checked: bool = True  # False: no charts checkout, only the app's own files were compared
    stale_paths: tuple[Path, ...] = field(default=(), compare=False)
    # With `check_app(member=True)`: the app as its repository's root pipeline reads it (None: its spec is
    # invalid, or it renders a pipeline of its own), so that the root pipeline never loads it again.
    member: Member | None = field(default=None, compare=False)


def in_sync(spec_path: Path, proof: fastcheck.Proof) -> AppReport:
    return AppReport(display_path(spec_path), proof.name, AppStatus.IN_SYNC, checked=len(proof.files),
                     awaiting=proof.awaiting)


def compare_app(
    spec_path: Path, charts_override: Path | None, *, app_only: bool = False, helm: bool = False,
    member: bool = False,
) -> AppReport:
    """The full comparison: load, validate, render with the tags on disk, compare every file.

    `app_only`: only the files next to the spec; no charts checkout is needed.
    `helm`: also render every environment with Helm (`check --render`).
    `member`: also the app as its root pipeline reads it (AppReport.member).
    """
    from ..render.core import awaiting_release, render
    from . import valueschema, workspace
    from .specfile import load

    shown = display_path(spec_path)
    seen = None
    try:
        loaded = load(spec_path)
        seen = root_member(loaded) if member else None
        charts = workspace.charts_root(loaded, charts_override) if not app_only else None
        if charts is not None:
            valueschema.verify(loaded, charts)
    except InvalidSpec as exc:
        return AppReport(shown, None, AppStatus.INVALID, problems=tuple(exc.problems), member=seen)
    except ShipspecError as exc:
        return AppReport(shown, None, AppStatus.INVALID, error=exc.message, member=seen)
    contents: dict[str, bytes | None] = {}  # the overlays, read once: for their tags, then to compare
    tags = workspace.current_tags(loaded, charts, contents) if charts is not None else {}
    rendered = render(loaded, tags)
    command = ""  # the fix-it command, built for an app that drifted only
    files: list[FileDrift] = []
    folders = {"app": str(loaded.directory), "charts": str(charts)}
    for output, text in rendered.items():
        if charts is not None or output.root == "app":
            where = workspace.checked_path(output, folders[output.root])
            known = contents.get(output.path, _UNREAD) if output.root == "charts" else _UNREAD
            current = writer.read_existing(where) if known is _UNREAD else known
            if current == text.encode("utf-8"):
                continue
            root = loaded.directory if output.root == "app" else charts or Path()
            command = command or generate_command(spec_path, charts_override)
            drift = compare_file(root / output.path, text, command, repo_root=root, current=current)
            files += [drift] if drift is not None else []
    produced = {str(output) for output in rendered}
    stale = stale_files(loaded.directory, charts, layout_of(loaded), loaded.repo_path, produced)
    if stale:
        command = command or generate_command(spec_path, charts_override)
    stale_cause = f"generated for this app, but the spec no longer produces it: {command} (it removes it)"
    files += [FileDrift(display_path(path), FileStatus.STALE, stale_cause) for path in stale]
    if helm and charts is not None:
        from . import helmrender

        files += [FileDrift(path, FileStatus.RENDER, cause) for path, cause in helmrender.problems(loaded, charts)]
    checked = len(rendered) if charts is not None else sum(1 for output in rendered if output.root == "app")
    status = AppStatus.DRIFTED if files else AppStatus.IN_SYNC
    awaiting = tuple(awaiting_release(loaded.spec, tags)) if charts is not None else ()
    return AppReport(shown, loaded.spec.name, status, tuple(files), checked=checked, awaiting=awaiting,
                     charts_checked=app_only or charts is not None, stale_paths=tuple(stale), member=seen)


def root_member(loaded: LoadedSpec) -> Member | None:
    """The app as its repository's root pipeline reads it; None when it renders a pipeline of its own."""
    if loaded.own_pipeline or loaded.root_path is None:
        return None
    from ..render.monorepo import member

    return member(loaded, loaded.root_path)


def generate_command(spec_path: Path, charts_override: Path | None, *flags: str) -> str:
    """"run `shipspec generate ...`", exactly as it works from the working directory."""
    words = ["shipspec", "generate", *flags]
    shown = display_path(spec_path)
    if shown != SPEC_NAME:  # the default SPEC
        words.append(shown)
    if charts_override is not None:
        words += ["--charts-dir", display_path(charts_override)]
    return f"run `{shlex.join(words)}`"


def layout_of(loaded: LoadedSpec) -> fastcheck.Layout:
    spec = loaded.spec
    return fastcheck.Layout(spec.name, spec.charts.checkout, spec.charts.path, spec.argocd.manifests, spec.ci)


def stale_files(app_dir: Path, charts: Path | None, where: fastcheck.Layout, spec_path: str, produced: set[str]) -> list[Path]:
    """Files with this app's header (same app, same spec) that the spec no longer produces."""
    stale = []
    # An app at the root of a monorepo: its old pipeline's path now holds the root pipeline, which replaces it.
    replaced = f"app:{defaults.CI_FILES[where.ci]}" if _at_monorepo_root(app_dir) else None
    for key, path in fastcheck.candidates(app_dir, charts, where, skip=produced).items():
        if key != replaced and fastcheck.is_ours(_first_header(path), where.name, spec_path):
            stale.append(path)
    return stale


def _at_monorepo_root(app_dir: Path) -> bool:
    folder = run_real_path(str(app_dir))
    return monorepo.is_root(folder) and not monorepo.owns_pipeline(Path(folder, SPEC_NAME))


def _first_header(path: Path) -> header.Header | None:
    try:
        with path.open("rb") as handle:
            block = b"".join(handle.readline(4096) for _ in range(header.LINES)).decode("utf-8", errors="replace")
    except OSError:
        return None
    return header.parse(block)


_UNREAD = object()


def compare_file(
    path: Path, text: str, command: str = "run `shipspec generate`", diff_path: str | None = None, *,
    repo_root: Path | None = None, current: bytes | None | object = _UNREAD,
) -> FileDrift | None:
    """`diff_path`: the file's name in the diff (default: as shown), so that it applies with `git apply`;
    `repo_root`: name it relative to its git repository, else to that folder (see `in_repository`);
    `current`: the file's bytes when the caller has read them already (None: no such file)."""
    old_bytes: bytes | None = writer.read_existing(path) if current is _UNREAD else current  # type: ignore[assignment]
    if old_bytes == text.encode("utf-8"):
        return None  # the common case: no path to resolve or show
    shown = display_path(path)
    if old_bytes is None:
        return FileDrift(shown, FileStatus.MISSING, f"missing: {command}")
    old = old_bytes.decode("utf-8", errors="replace")
    if repo_root is not None:  # resolving costs a few stat calls: only for a diff
        diff_path = in_repository(path, repo_root)
    diff = writer.diff(writer.Change(path, text, old, writer.Status.UPDATED), diff_path or shown)
    header_only = header.split(old)[1] == header.split(text)[1]
    return FileDrift(shown, FileStatus.CHANGED, cause(old, text, command), diff, header_only)


def cause(old: str, new: str, command: str = "run `shipspec generate`") -> str:
    """Why a generated file differs from what the spec renders, in the user's terms;
    `command` is the generate command that fixes it."""
    first, rest = header.split(old)
    found, ours = header.parse(first), header.parse(header.split(new)[0])
    if found is None or ours is None:
        if header.is_generated(first):
            return f"its shipspec header is damaged: {command}"
        return "it has no shipspec header: not generated by shipspec, or the header was removed"
    if found.version != ours.version:
        return f"generated by shipspec {found.version}, this is shipspec {__version__}: {command}"
    if found.renderer != ours.renderer:
        return f"generated by another build of shipspec {__version__} (its templates differ): {command}"
    edited = header.body_digest(rest) != found.body_digest
    spec_changed = found.spec_digest != ours.spec_digest
    if edited and spec_changed:
        return f"edited by hand, and the spec changed since it was generated: move the edit into the spec, then {command}"
    if edited:
        return f"edited by hand since it was generated: make the change in the spec instead, then {command}"
    if spec_changed:
        return f"the spec changed since it was generated: {command}"
    if found.spec_path != ours.spec_path:
        return f"generated from {found.spec_path}, not {ours.spec_path}: {command}"
    return f"differs from what the spec renders: {command}"


def warm_workers(paths: Sequence[Path], override: Path | None, jobs: int, *, fast: bool, members: bool = False) -> None:
    """Before --jobs workers fork: when the first app takes the full path (every app does after a
    shipspec upgrade), import the model and compile its templates here, once (`members`: and what
    reads an app for the root pipeline). Forked workers inherit them; otherwise each worker would
    pay those ~0.2 s of CPU again."""
    if jobs <= 1 or len(paths) <= parallel.CHUNK:  # one process does all the work anyway
        return
    if fast and fastcheck.prove(paths[0], override) is not None:
        return
    from ..render.core import render
    from . import valueschema, workspace  # noqa: F401 (imported for the workers)
    from .specfile import load

    try:
        loaded = load(paths[0])
        render(loaded)
        if members:
            root_member(loaded)
    except Exception:  # only a warm-up: the worker reports this app's problems
        pass


def fast_path_enabled() -> bool:
    return os.environ.get(FULL_PATH_ENV) != "1"


def check_app(
    spec_path: Path, charts_override: Path | None, *, fast: bool = True, app_only: bool = False, helm: bool = False,
    member: bool = False,
) -> AppReport:
    """One app's report: proven in sync from its headers when possible, else the full comparison.
    `member`: with the app as its root pipeline reads it (a root pipeline that is not proven in sync)."""
    proof = fastcheck.prove(spec_path, charts_override, app_only=app_only) if fast and not helm else None
    if proof is None:
        return compare_app(spec_path, charts_override, app_only=app_only, helm=helm, member=member)
    report = in_sync(spec_path, proof)
    return dataclasses.replace(report, member=proven_member(spec_path)) if member else report


def proven_member(spec_path: Path) -> Member | None:
    """The root pipeline's view of an app proven in sync from its headers: its spec loaded after all
    (None when it fails to load now: the root pipeline loads it again and reports why)."""
    from .specfile import load

    try:
        return root_member(load(spec_path))
    except InvalidSpec:
        return None
