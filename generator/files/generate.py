"""The core of `shipspec generate`: render every spec, then write only what changed.

Two passes, app by app, so memory stays flat in the number of apps. The
first proves apps in sync from their headers or loads, renders and plans
them, keeping only what the second needs; it stops the run, with nothing on
disk changed, at an invalid spec, a missing charts checkout, a file shipspec
did not generate or a file two specs would generate. The second writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_OK, InvalidSpec, Problem, UsageError
from ..output import err, out, plural
from ..render import header
from . import drift, fastcheck, monorepo, parallel, rootpipeline, writer
from .discovery import find_specs
from .paths import display_path
from .writer import Change, Status

if TYPE_CHECKING:
    from ..render.monorepo import Member
    from ..spec.validation import LoadedSpec

# Rendered text kept from the first pass for the second; beyond it, apps are rendered again.
_KEEP_CHARS = 8 * 1024 * 1024


@dataclass
class _Pending:
    """An app with something to write or remove."""

    spec: Path
    changes: list[Change] | None  # None: render again in the second pass
    stale: list[Path]


@dataclass
class _Plan:
    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    pending: list[_Pending] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    foreign: list[Path] = field(default_factory=list)
    # Hash of each absolute path -> the spec that writes it (one shared Path per app): flat memory.
    claimed: dict[int, Path] = field(default_factory=dict)
    known: rootpipeline.Known = field(default_factory=dict)  # for the root pipelines (see rootpipeline.members)
    kept: int = 0
    cwd: str = field(default_factory=os.getcwd)  # abspath's, read once rather than per file

    def claim(self, spec: Path, paths: Sequence[Path], override: Path | None) -> None:
        for path in paths:
            text = os.fspath(path)
            key = hash(os.path.normpath(text if os.path.isabs(text) else f"{self.cwd}{os.sep}{text}"))
            other = self.claimed.setdefault(key, spec)
            if other is not spec:
                raise UsageError(_collision(path, (other, spec), override))


def generate(
    arguments: Sequence[str], *, dry_run: bool = False, force: bool = False, charts_dir: str | None = None,
    prune: bool = True, jobs: int | None = None,
) -> int:
    override = Path(charts_dir) if charts_dir is not None else None
    fastcheck.forget_listings()
    paths = find_specs(arguments)
    monorepo.forget()
    # The pipeline each repository shares: proven in sync from its header, else planned after the apps
    # from what each app's first pass read of its spec (every spec is loaded once).
    repositories = monorepo.repositories(paths)
    fast = drift.fast_path_enabled()
    proofs = [rootpipeline.prove(repository) if fast else None for repository in repositories]
    plan = _first_pass(paths, override, parallel.workers(jobs, len(paths)), members=None in proofs)
    _plan_root_pipelines(repositories, proofs, plan)
    fastcheck.forget_listings()  # the second pass writes
    if plan.problems:
        raise InvalidSpec(plan.problems)
    if plan.foreign and not force:
        listing = "\n".join(f"  {display_path(path)}" for path in plan.foreign)
        raise UsageError(
            f"refusing to overwrite {plural(len(plan.foreign), 'file')} that shipspec did not generate "
            f"(no shipspec header):\n{listing}\nmove them aside, or pass --force to overwrite them"
        )
    stale = 0
    for batch in _batches(plan.pending, override):
        if not dry_run:  # all or nothing per batch of apps: one durability barrier for all their files
            writer.write_all([c for _, changes in batch for c in changes if c.status is not Status.UNCHANGED])
        for pending, changes in batch:
            _report(changes, dry_run=dry_run)
            stale += _stale(pending.stale, dry_run=dry_run, prune=prune)
    _summary(plan.counts, stale, dry_run=dry_run, prune=prune)
    return EXIT_OK


def _plan_root_pipelines(
    repositories: Sequence[monorepo.Repository], proofs: Sequence[drift.AppReport | None], plan: _Plan
) -> None:
    """The root pipeline of each repository the specs belong to (SPEC "Monorepos"): proven from its
    header, else rendered from every spec of the repository; its stale siblings of other providers."""
    for repository, proof in zip(repositories, proofs):
        if proof is not None:
            plan.counts[Status.UNCHANGED] += 1
            continue
        try:
            change, stale = rootpipeline.plan(repository, plan.known)
        except InvalidSpec as exc:
            plan.problems.extend(p for p in exc.problems if p not in plan.problems)
            continue
        plan.counts[change.status] += 1
        if change.foreign and change.status is not Status.UNCHANGED:
            plan.foreign.append(change.path)
        if stale or change.status is not Status.UNCHANGED:
            plan.pending.append(_Pending(repository.root, [change], stale))


def _first_pass(paths: Sequence[Path], override: Path | None, jobs: int, *, members: bool) -> _Plan:
    """`members`: also keep what each app's pass read of its spec for the root pipeline (plan.known)."""
    plan = _Plan()
    fast = drift.fast_path_enabled()
    drift.warm_workers(paths, override, jobs, fast=fast, members=members)
    work = partial(_plan_chunk, override=override, fast=fast, members=members)
    for path, planned in zip(paths, parallel.map_chunks(work, paths, jobs)):
        rootpipeline.learn(plan.known, path, planned.member, planned.problems)
        if planned.error is not None:  # raised here, in the order of the specs, as one process would
            raise UsageError(planned.error)
        if planned.proof is not None:
            plan.claim(path, [*planned.proof.files, *planned.proof.reserved], override)
            plan.counts[Status.UNCHANGED] += len(planned.proof.files)
            continue
        if planned.problems is not None:
            plan.problems.extend(planned.problems)
            continue
        changes = planned.changes or []
        # An Application a first release will write is claimed too: two apps must never share one.
        plan.claim(path, [change.path for change in changes] + planned.reserved, override)
        for change in changes:
            plan.counts[change.status] += 1
            if change.foreign and change.status is not Status.UNCHANGED:
                plan.foreign.append(change.path)
        if planned.stale or any(change.status is not Status.UNCHANGED for change in changes):
            size = sum(len(change.text) for change in changes)
            keep = not plan.problems and plan.kept + size <= _KEEP_CHARS
            plan.kept += size if keep else 0
            plan.pending.append(_Pending(path, changes if keep else None, planned.stale))
    return plan


@dataclass
class _Planned:
    """One app's first pass, done where its chunk runs (a --jobs worker or this process): plain data."""

    proof: fastcheck.Proof | None = None
    changes: list[Change] | None = None
    stale: list[Path] = field(default_factory=list)
    reserved: list[Path] = field(default_factory=list)
    problems: list[Problem] | None = None  # the spec is invalid
    member: Member | None = None  # the app as its root pipeline reads it (first pass with `members`)
    error: str | None = None  # a UsageError's message (e.g. a missing --charts-dir), for the parent to raise


def _plan_chunk(chunk: Sequence[Path], *, override: Path | None, fast: bool, members: bool) -> list[_Planned]:
    """Prove each app in sync from its headers, else load, render and plan it (the cost of a fresh run)."""
    return [_plan_one(path, override, fast, members) for path in chunk]


def _plan_one(path: Path, override: Path | None, fast: bool, members: bool) -> _Planned:
    proof = fastcheck.prove(path, override) if fast else None
    if proof is not None:
        return _Planned(proof=proof, member=drift.proven_member(path) if members else None)
    member = None
    try:
        loaded = _load(path)
        member = drift.root_member(loaded) if members else None
        changes, stale = plan_app(loaded, override)
        return _Planned(changes=changes, stale=stale, reserved=_reserved(loaded, override, changes), member=member)
    except InvalidSpec as exc:
        return _Planned(problems=list(exc.problems), member=member)
    except UsageError as exc:
        return _Planned(error=exc.message, member=member)


def _collision(path: Path, specs: tuple[Path, Path], override: Path | None) -> str:
    """Both specs that would write `path`, and which of their fields make it the same file."""
    reasons = "\n".join(f"  {display_path(spec)}: {_origin(_load(spec), path, override)}" for spec in specs)
    return (
        f"{display_path(path)} would be generated by two specs:\n{reasons}\n"
        "change one of them so that each app has files of its own"
    )


def _origin(loaded: LoadedSpec, path: Path, override: Path | None) -> str:
    from ..render.core import outputs
    from . import workspace

    spec, charts = loaded.spec, workspace.charts_root(loaded, override)
    target = os.path.normpath(os.path.abspath(path))
    output = next(
        o for o in outputs(spec)
        if os.path.normpath(os.path.abspath(workspace.disk_path(o, loaded.directory, charts))) == target
    )
    if output.root == "app":
        return "writes it next to itself (two specs in one folder, through a link?)"
    where = f"charts checkout {display_path(charts)}"
    if output.path.startswith(f"{spec.charts.path}/"):
        default = "" if "path" in spec.charts.model_fields_set else f" (the default for app {spec.name!r})"
        return f"its values overlay, in charts.path {spec.charts.path!r}{default} of {where}"
    env = next(e for e in spec.environments if output.path == f"{spec.argocd.manifests}/{spec.name}-{e.name}.yaml")
    return (
        f"the Application of app {spec.name!r}, environment {env.name!r}, named <name>-<env> in argocd.manifests "
        f"{spec.argocd.manifests!r} of {where}"
    )


def _reserved(loaded: LoadedSpec, override: Path | None, changes: Sequence[Change]) -> list[Path]:
    """The Applications the spec can generate that this run does not write (awaiting a first release)."""
    from ..render.core import outputs
    from . import workspace

    charts = workspace.charts_root(loaded, override)
    if charts is None:
        return []
    written = {change.path for change in changes}
    every = (workspace.disk_path(o, loaded.directory, charts) for o in outputs(loaded.spec) if o.root == "charts")
    return [path for path in every if path not in written]


def _load(path: Path) -> LoadedSpec:
    from .specfile import load

    return load(path)


def plan_app(loaded: LoadedSpec, charts_dir: Path | None) -> tuple[list[Change], list[Path]]:
    """Every file of one app with its status, and the stale files of the app."""
    from ..render.core import render
    from . import valueschema, workspace

    charts = workspace.charts_root(loaded, charts_dir)
    if charts is None:  # no charts checkout: the app's own files; releases write the chart side
        rendered = {output: text for output, text in render(loaded).items() if output.root == "app"}
        produced = {str(output) for output in rendered}
        # e.g. the pipeline beside a spec that is now an app of its repository's root pipeline
        stale = drift.stale_files(loaded.directory, None, drift.layout_of(loaded), loaded.repo_path, produced)
        return [writer.plan(workspace.disk_path(o, loaded.directory, Path()), t) for o, t in rendered.items()], stale
    valueschema.verify(loaded, charts)  # never write values the chart would refuse at sync
    rendered = render(loaded, workspace.current_tags(loaded, charts))
    changes = [
        writer.plan(workspace.disk_path(output, loaded.directory, charts), text) for output, text in rendered.items()
    ]
    if any(change.foreign for change in changes):
        from .adoption import adopt

        changes = adopt(loaded, charts, changes)
    produced = {str(output) for output in rendered}
    stale = drift.stale_files(loaded.directory, charts, drift.layout_of(loaded), loaded.repo_path, produced)
    return changes, stale


# Text (new and old) of the apps written together; bounded so that memory stays flat.
_BATCH_CHARS = 4 * 1024 * 1024


def _batches(pending: Sequence[_Pending], override: Path | None) -> Iterator[list[tuple[_Pending, list[Change]]]]:
    """Consecutive apps, with their changes, in batches of at most about _BATCH_CHARS of text."""
    batch: list[tuple[_Pending, list[Change]]] = []
    size = 0
    for app in pending:
        changes = app.changes if app.changes is not None else plan_app(_load(app.spec), override)[0]
        batch.append((app, changes))
        size += sum(len(change.text) + len(change.old or "") for change in changes)
        if size >= _BATCH_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _report(changes: Sequence[Change], *, dry_run: bool) -> None:
    for change in changes:
        if change.status is Status.UNCHANGED:
            continue
        if dry_run:
            out(writer.diff(change, display_path(change.path)).rstrip("\n"))
        else:
            out(f"{change.status.value:<9} {display_path(change.path)}")
            _warn_replaced_edits(change)


_SHOWN_EDIT_LINES = 20


def _warn_replaced_edits(change: Change) -> None:
    """A generated file edited by hand loses the edit: say which lines, and where they belong."""
    block, old_body = header.split(change.old or "")
    found = header.parse(block)
    if found is None or header.body_digest(old_body) == found.body_digest:
        return  # not ours, or not edited since it was generated
    import difflib

    diff = difflib.unified_diff(old_body.splitlines(), header.split(change.text)[1].splitlines(), n=0, lineterm="")
    lost = [f"  {line[1:]}" for line in diff if line.startswith("-") and not line.startswith("---")]
    if len(lost) > _SHOWN_EDIT_LINES:
        lost[_SHOWN_EDIT_LINES:] = [f"  ... and {len(lost) - _SHOWN_EDIT_LINES} more"]
    where = (
        "put your own targets in local.mk instead, which the Makefile includes"
        if change.path.name == "Makefile" else "make the change in the spec instead"
    )
    shown = display_path(change.path)
    err("\n".join([f"warning: {shown} was edited by hand; generate replaced these lines:", *lost, f"  ({where})"]))


def _stale(paths: Sequence[Path], *, dry_run: bool, prune: bool) -> int:
    for path in paths:
        if prune and not dry_run:
            path.unlink(missing_ok=True)
            out(f"{'removed':<9} {display_path(path)}")
        else:
            verb = "would remove" if prune else "stale"
            out(f"{verb:<9} {display_path(path)} (the spec no longer produces it)")
    return len(paths)


def _summary(counts: dict[Status, int], stale: int, *, dry_run: bool, prune: bool) -> None:
    verb = "would be " if dry_run else ""
    text = ", ".join(f"{counts[status]} {verb}{status.value}" for status in Status)
    if stale and prune:
        text += f", {stale} {verb}removed"
    elif stale:
        text += f"; {stale} stale (kept by --no-prune)"
    (err if dry_run else out)(f"{plural(sum(counts.values()), 'file')}: {text}")
