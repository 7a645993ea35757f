"""`shipspec check`: compare every app's generated files with what its spec renders.

Apps are checked one at a time (or in chunks by `--jobs` workers) and
reported as they finish, in spec order, so memory stays flat in the number
of apps. Exit 0 in sync, 1 drift, 2 when any spec is invalid.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from .. import __version__
from ..errors import EXIT_DRIFT, EXIT_OK, EXIT_USAGE, UsageError
from ..files import fastcheck, monorepo, parallel, rootpipeline
from ..files.discovery import find_specs
from ..files.drift import AppReport, AppStatus, check_app, fast_path_enabled, warm_workers
from ..output import out, plural


def run(
    arguments: Sequence[str], *, output_format: str = "text", jobs: int | None = None, charts_dir: str | None = None,
    skip_charts: bool = False, helm: bool = False,
) -> int:
    if helm:
        if skip_charts:
            raise UsageError("--render renders the chart-side files: it cannot be combined with --skip-charts")
        from ..files import helmrender  # only for --render: it brings subprocess, tempfile and PyYAML

        helmrender.helm()  # a missing Helm is one clear error, before any app is checked
    paths = find_specs(arguments)
    override = Path(charts_dir) if charts_dir is not None else None
    fastcheck.forget_listings()
    monorepo.forget()
    reporter = JsonReporter() if output_format == "json" else TextReporter(color=_color())
    counts = dict.fromkeys(AppStatus, 0)
    without_charts = 0
    # The pipeline their repository shares: proven in sync from its header, else rendered after the apps
    # from what each app's own pass read of its spec (every spec is loaded once), and reported after them.
    repositories = monorepo.repositories(paths)
    proofs = [rootpipeline.prove(repository) if fast_path_enabled() else None for repository in repositories]
    want = any(proof is None for proof in proofs)
    known: rootpipeline.Known = {}
    reporter.start()
    every = reports(paths, override, parallel.workers(jobs, len(paths)), app_only=skip_charts, helm=helm, members=want)
    for path, report in zip(paths, every):
        counts[report.status] += 1
        without_charts += not report.charts_checked
        reporter.app(report)
        if want:
            rootpipeline.learn(known, path, report.member, report.problems)
    roots = [proof or rootpipeline.compare(repository, known) for repository, proof in zip(repositories, proofs)]
    for report in roots:
        reporter.pipeline(report)
    reporter.finish(counts, without_charts)
    worst = {report.status for report in roots} | {status for status, count in counts.items() if count}
    if AppStatus.INVALID in worst:
        return EXIT_USAGE
    return EXIT_DRIFT if AppStatus.DRIFTED in worst else EXIT_OK


def reports(
    paths: Sequence[Path], override: Path | None, jobs: int, *, app_only: bool = False, helm: bool = False,
    members: bool = False,
) -> Iterator[AppReport]:
    """Each app's report, in the order of `paths` (`members`: with AppReport.member)."""
    fast = fast_path_enabled()
    warm_workers(paths, override, jobs, fast=fast and not helm, members=members)
    check = partial(_check_chunk, override=override, fast=fast, app_only=app_only, helm=helm, members=members)
    return parallel.map_chunks(check, paths, jobs)


def _check_chunk(
    chunk: Sequence[Path], *, override: Path | None, fast: bool, app_only: bool, helm: bool, members: bool
) -> list[AppReport]:
    return [check_app(path, override, fast=fast, app_only=app_only, helm=helm, member=members) for path in chunk]


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def summary(counts: dict[AppStatus, int]) -> str:
    total = sum(counts.values())
    return (
        f"{plural(total, 'app')} checked: {counts[AppStatus.IN_SYNC]} in sync, "
        f"{counts[AppStatus.DRIFTED]} drifted, {counts[AppStatus.INVALID]} invalid"
    )


class TextReporter:
    """Drifted and invalid apps in detail, then the one-line summary."""

    _COLORS = {"+": "32", "-": "31", "@": "36"}

    def __init__(self, *, color: bool) -> None:
        self.color = color
        self.pipelines: list[AppStatus] = []

    def start(self) -> None:
        pass

    def app(self, report: AppReport) -> None:
        label = f"{report.spec} ({report.app})" if report.app else report.spec
        if report.awaiting:
            out(f"{'note':<8} {label}: {', '.join(report.awaiting)} {'awaits' if len(report.awaiting) == 1 else 'await'} "
                "the first release (no tag yet, so no Application; the first release writes it)")
        if report.status is AppStatus.IN_SYNC:
            return  # the summary counts it; JSON lists every app
        out(f"{report.status.value:<8} {label}")
        if report.error:
            out(f"  {report.error}")
        for problem in report.problems:
            out(f"  {problem}")
        # Real differences first; files that differ only in their header (every file of an
        # app after any spec edit) in one line, so they do not bury the change that matters.
        for drift in (d for d in report.files if not d.header_only):
            out(f"  {drift.status.value:<8} {drift.path}: {drift.cause}")
            if drift.diff:
                out(self._paint(drift.diff).rstrip("\n"))
        header_only = [d for d in report.files if d.header_only]
        if header_only:
            causes = "; ".join(dict.fromkeys(d.cause for d in header_only))
            paths = ", ".join(d.path for d in header_only)
            which = "file differs only in its" if len(header_only) == 1 else "files differ only in their"
            out(f"  {'header':<8} {len(header_only)} {which} shipspec header ({causes}): {paths}")

    def pipeline(self, report: AppReport) -> None:
        """A repository's root pipeline: shown like an app when it is not in sync, and in the summary."""
        self.pipelines.append(report.status)
        self.app(report)

    def _paint(self, diff: str) -> str:
        if not self.color:
            return diff
        return "".join(self._paint_line(line) for line in diff.splitlines(keepends=True))

    def _paint_line(self, line: str) -> str:
        code = "1" if line.startswith(("+++ ", "--- ")) else self._COLORS.get(line[:1])
        return f"\x1b[{code}m{line.rstrip(chr(10))}\x1b[0m\n" if code else line

    def finish(self, counts: dict[AppStatus, int], without_charts: int = 0) -> None:
        note = (f"; chart-side files not checked for {plural(without_charts, 'app')} (no charts checkout: "
                "releases write them)") if without_charts else ""
        roots = ""
        if self.pipelines:
            states = [status.value.replace("_", " ") for status in self.pipelines]
            roots = f"; {plural(len(states), 'root pipeline')}: {', '.join(states)}"
        out(summary(counts) + roots + note)


class JsonReporter:
    """One JSON document, written app by app: {"version", "apps": [...], "summary"}."""

    def __init__(self) -> None:
        self.first = True
        self.pipelines: list[AppReport] = []

    def pipeline(self, report: AppReport) -> None:
        self.pipelines.append(report)

    def start(self) -> None:
        sys.stdout.write(f'{{\n  "version": {json.dumps(__version__)},\n  "apps": [')

    def app(self, report: AppReport) -> None:
        text = json.dumps(as_json(report), indent=2, ensure_ascii=False).replace("\n", "\n    ")
        sys.stdout.write(("\n    " if self.first else ",\n    ") + text)
        self.first = False

    def finish(self, counts: dict[AppStatus, int], without_charts: int = 0) -> None:
        totals = {"apps": sum(counts.values()), **{status.value: counts[status] for status in AppStatus}}
        closing = "]" if self.first else "\n  ]"
        pipelines = json.dumps([as_json(report) for report in self.pipelines], indent=2, ensure_ascii=False)
        sys.stdout.write(f'{closing},\n  "pipelines": {pipelines.replace(chr(10), chr(10) + "  ")},\n'
                         f'  "summary": {json.dumps(totals)}\n}}\n')


def as_json(report: AppReport) -> dict[str, object]:
    return {
        "spec": report.spec,
        "app": report.app,
        "status": report.status.value,
        "files": [
            {"path": f.path, "status": f.status.value, "cause": f.cause, "diff": f.diff or None,
             "headerOnly": f.header_only}
            for f in report.files
        ],
        "problems": [problem.as_dict() for problem in report.problems],
        "error": report.error,
        "awaiting_release": list(report.awaiting),
        "charts_checked": report.charts_checked,
    }

