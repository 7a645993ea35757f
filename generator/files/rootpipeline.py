"""`check` and `generate` of a repository's root pipeline (SPEC "Monorepos").

The fast path proves it in sync from its header: the digest of every spec of the repository (their
paths and bytes), the file list, the body, the shipspec version and the renderer. Anything else (an
unreadable spec, a spec the line scan cannot read, a stale root pipeline of another provider) is a
doubt, and the full path loads every spec and renders it: the same verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import InvalidSpec, Problem, ShipspecError, UsageError
from ..render import header
from ..spec import defaults
from . import drift, fastcheck, writer
from .monorepo import Repository, spec_sources
from .paths import display_path, resolve

if TYPE_CHECKING:
    from ..render.monorepo import Member

LABEL = "root pipeline"


# What an app's own pass learnt of a spec of the repository, by its resolved path: the root pipeline's
# view of it, or the problems that made it invalid (the app's report shows them too).
Known = dict[Path, "Member | tuple[Problem, ...]"]


def members(repository: Repository, known: Known | None = None) -> list[Member]:
    """Every spec of the repository as the root pipeline reads it: taken from `known`, else loaded
    (a spec that was not named); InvalidSpec with every problem."""
    from ..render.monorepo import member
    from .specfile import load

    found, problems = [], []
    for spec in repository.specs:
        entry = (known or {}).get(spec)
        if entry is None:
            try:
                entry = member(load(spec), repository.relative(spec))
            except InvalidSpec as exc:
                entry = tuple(exc.problems)
        if isinstance(entry, tuple):
            problems += entry
        else:
            found.append(entry)
    if problems:
        raise InvalidSpec(problems)
    return found


def learn(known: Known, spec: Path, member: Member | None, problems: Sequence[Problem] | None) -> None:
    """Keep what an app's pass read of its spec for the root pipeline: the app as the pipeline reads it,
    else (its load failed) the spec's problems."""
    if member is not None:
        known[resolve(spec)] = member
    elif problems:
        known[resolve(spec)] = tuple(problems)


def render_root(repository: Repository, known: Known | None = None) -> tuple[Path, str]:
    """The root pipeline's path on disk and its text; UsageError on a conflict between specs."""
    from ..render import monorepo

    try:
        relative, text = monorepo.render(members(repository, known))
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
    digests = [(path, header.digest(source)) for path, source in sources]
    expected = (__version__, header.renderer_fingerprint(), ROOT_APP, specs_digest(digests),
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


def compare(repository: Repository, known: Known | None = None) -> drift.AppReport:
    """The full comparison: every spec of the repository (see `members`), the root pipeline rendered, compared."""
    shown = display_path(repository.root / "shipspec.yaml")
    try:
        path, text = render_root(repository, known)
    except InvalidSpec as exc:
        return drift.AppReport(shown, LABEL, drift.AppStatus.INVALID, problems=tuple(exc.problems))
    except ShipspecError as exc:
        return drift.AppReport(shown, LABEL, drift.AppStatus.INVALID, error=exc.message)
    command = "run `shipspec generate`"
    files = []
    found = drift.compare_file(path, text, command, repo_root=repository.root)
    files += [found] if found is not None else []
    ci_now = next(p for p, name in defaults.CI_FILES.items() if repository.root / name == path)
    others = stale(repository, ci_now)
    files += [drift.FileDrift(display_path(p), drift.FileStatus.STALE,
                              f"a root pipeline the specs no longer produce (their `ci:` changed): {command}")
              for p in others]
    status = drift.AppStatus.DRIFTED if files else drift.AppStatus.IN_SYNC
    return drift.AppReport(display_path(path), LABEL, status, tuple(files), checked=1, stale_paths=tuple(others))


def plan(repository: Repository, known: Known | None = None) -> tuple[writer.Change, list[Path]]:
    """generate: the root pipeline's change, and the stale root pipelines of other providers."""
    path, text = render_root(repository, known)
    ci_now = next(p for p, name in defaults.CI_FILES.items() if repository.root / name == path)
    return writer.plan(path, text), stale(repository, ci_now)
