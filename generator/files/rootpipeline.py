"""`check` and `generate` of a repository's root pipeline (SPEC "Monorepos").

The fast path proves it in sync from its header: the digest of every spec of the repository (their
paths and bytes), the file list, the body, the shipspec version and the renderer. Anything else (an
unreadable spec, a spec the line scan cannot read, a stale root pipeline of another provider) is a
doubt, and the full path loads every spec and renders it: the same verdict.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..errors import InvalidSpec, ShipspecError, UsageError
from ..render import header
from ..spec import defaults
from . import drift, fastcheck, writer
from .monorepo import Repository, spec_sources
from .specfile import load
from .paths import display_path

LABEL = "root pipeline"


def load_members(repository: Repository):  # -> list[render.monorepo.Member]
    """Every spec of the repository, loaded and validated; InvalidSpec with every problem."""
    from ..render.monorepo import Member

    loaded, problems = [], []
    for spec in repository.specs:
        try:
            loaded.append(Member(load(spec, keep=True), repository.relative(spec)))
        except InvalidSpec as exc:
            problems += exc.problems
    if problems:
        raise InvalidSpec(problems)
    return loaded


def render_root(repository: Repository) -> tuple[Path, str]:
    """The root pipeline's path on disk and its text; UsageError on a conflict between specs."""
    from ..render import monorepo

    try:
        relative, text = monorepo.render(load_members(repository))
    except monorepo.Conflict as exc:
        raise UsageError(f"{display_path(repository.root)}: {exc.message}") from None
    return repository.root / relative, text


def prove(repository: Repository) -> drift.AppReport | None:
    """The report of a root pipeline proven in sync from its header; None on any doubt."""
    from ..render.monorepo import ROOT_APP, specs_digest

    sources = spec_sources(repository)
    if not sources:
        return None
    layouts = [fastcheck.layout(source) for _, source in sources]
    if any(found is None for found in layouts) or len({found.ci for found in layouts if found}) != 1:
        return None
    ci = layouts[0].ci  # type: ignore[union-attr]
    path = repository.root / defaults.CI_FILES[ci]
    if stale(repository, ci):
        return None
    try:
        first, body = header.split(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    found = header.parse(first)
    expected = (__version__, header.renderer_fingerprint(), ROOT_APP, specs_digest(sources),
                header.set_digest([f"root:{defaults.CI_FILES[ci]}"]), header.body_digest(body))
    if found is None or (found.version, found.renderer, found.app, found.spec_digest, found.set_digest,
                         found.body_digest) != expected:
        return None
    return drift.AppReport(display_path(path), LABEL, drift.AppStatus.IN_SYNC, checked=1)


def stale(repository: Repository, ci: str | None) -> list[Path]:
    """Root pipelines of the other providers (`ci:` changed) that carry a root pipeline's header."""
    from ..render.monorepo import ROOT_APP

    found = []
    for provider, name in defaults.CI_FILES.items():
        if provider == ci:
            continue
        path = repository.root / name
        read = drift._first_header(path)
        if read is not None and read.app == ROOT_APP:
            found.append(path)
    return found


def compare(repository: Repository) -> drift.AppReport:
    """The full comparison: load every spec of the repository, render the root pipeline, compare."""
    shown = display_path(repository.root / "shipspec.yaml")
    try:
        path, text = render_root(repository)
    except InvalidSpec as exc:
        return drift.AppReport(shown, LABEL, drift.AppStatus.INVALID, problems=tuple(exc.problems))
    except ShipspecError as exc:
        return drift.AppReport(shown, LABEL, drift.AppStatus.INVALID, error=exc.message)
    command = "run `shipspec generate`"
    files = []
    found = drift.compare_file(path, text, command, repo_root=repository.root)
    files += [found] if found is not None else []
    ci_now = next(p for p, name in defaults.CI_FILES.items() if repository.root / name == path)
    files += [drift.FileDrift(display_path(p), drift.FileStatus.STALE,
                              f"a root pipeline the specs no longer produce (their `ci:` changed): {command}")
              for p in stale(repository, ci_now)]
    status = drift.AppStatus.DRIFTED if files else drift.AppStatus.IN_SYNC
    return drift.AppReport(display_path(path), LABEL, status, tuple(files), checked=1,
                           stale_paths=tuple(stale(repository, ci_now)))


def check(repository: Repository, *, fast: bool) -> drift.AppReport:
    proof = prove(repository) if fast else None
    return proof if proof is not None else compare(repository)


def plan(repository: Repository) -> tuple[writer.Change, list[Path]]:
    """generate: the root pipeline's change, and the stale root pipelines of other providers."""
    path, text = render_root(repository)
    ci_now = next(p for p, name in defaults.CI_FILES.items() if repository.root / name == path)
    return writer.plan(path, text), stale(repository, ci_now)
