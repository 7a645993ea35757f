"""`shipspec init`: scaffold a service repo and its chart, then generate; all or nothing.

Every file is computed, and the answers validated as the spec they become,
before the first byte is written; a file that already exists stops the run
with nothing written, and a failed write removes what this run wrote.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import EXIT_OK, InvalidSpec, Problem, UsageError
from ..files import monorepo, rootpipeline, workspace, writer
from ..files.paths import display_path, repo_relative
from ..output import out, plural
from ..render import header, scaffold
from ..render.core import render
from ..spec.loader import parse_document
from ..spec.model import DEFAULT_ENVIRONMENTS
from ..spec.validation import LoadedSpec, validate

Prompt = Callable[[str, "str | None"], str]  # (question, default or None) -> answer
File = tuple[Path, str]


@dataclass(frozen=True)
class Flags:
    """The command line as given; None means not given."""

    directory: str = "."
    name: str | None = None
    image: str | None = None
    charts_repo: str | None = None
    charts_dir: str | None = None
    environments: tuple[str, ...] = ()
    team: str | None = None
    namespace: str | None = None
    schema_ref: str | None = None
    ci: str = "travis"
    chart: str | None = None  # REPO/NAME@VERSION
    chart_repo: str | None = None
    chart_name: str | None = None
    chart_version: str | None = None
    install: str | None = None  # the pip requirement CI installs shipspec from


def run(flags: Flags, *, yes: bool = False, prompt: Prompt | None = None) -> int:
    """Scaffold into `flags.directory`; `prompt` asks for missing values (None: never ask)."""
    directory = _physical(Path(flags.directory))
    answers = resolve(flags, directory, yes=yes, prompt=prompt)
    spec_path = directory / scaffold.SPEC_NAME
    text = scaffold.spec_text(answers, flags.schema_ref or scaffold.VENDORED_SCHEMA_REF)
    loaded = _validated(text, spec_path)
    charts = _physical(loaded.directory / loaded.spec.charts.checkout)
    files = plan(loaded, text, charts, vendor_schema=flags.schema_ref is None)
    root = None if loaded.own_pipeline else _root_pipeline(loaded)
    _refuse_existing(files)
    write_all(files)
    for path, _ in files:
        out(f"created   {display_path(path)}")
    if root is not None:  # an app of a monorepo: its repository's root pipeline now serves it too
        status = "updated" if root[0].exists() else "created"
        writer.write_atomic(*root)
        out(f"{status:<9} {display_path(root[0])} (the root pipeline of every app of this repository)")
    _next_steps(loaded, charts, len(files) + (root is not None))
    return EXIT_OK


def _physical(path: Path) -> Path:
    """`path` with `..` resolved as the file system will once init has created the missing folders.

    `app/../charts` cannot be tested for existence while `app` does not exist;
    realpath resolves existing parts (symlinks) physically and missing ones by name.
    """
    resolved = path.resolve()
    try:
        return Path(os.path.relpath(resolved))
    except ValueError:  # pragma: no cover - another Windows drive
        return resolved


def resolve(flags: Flags, directory: Path, *, yes: bool, prompt: Prompt | None) -> scaffold.Answers:
    """The answers: flags first, then prompts or (with --yes) defaults; missing ones are an error."""
    name, default_name = flags.name, scaffold.default_name(directory.resolve().name)
    if prompt is not None:
        name = name or _ask(prompt, "App name", default_name)
        image = flags.image or _ask(prompt, "Docker image repository (without tag)", None)
        charts_repo = flags.charts_repo or _ask(prompt, "Charts repo git URL", None)
        namespace = flags.namespace or _ask(prompt, "Kubernetes namespace", name)
    else:
        given = (("--image", flags.image), ("--charts-repo", flags.charts_repo))
        missing = [flag for flag, value in given if not value]
        if not yes and not name:
            missing.insert(0, "--name")
        if missing:
            raise UsageError(_missing_message(missing, yes=yes))
        name, image, charts_repo = name or default_name, flags.image or "", flags.charts_repo or ""
        namespace = flags.namespace or name
    return scaffold.Answers(
        name=name,
        image=image,
        charts_repo=charts_repo,
        checkout=flags.charts_dir if flags.charts_dir is not None else scaffold.DEFAULT_CHECKOUT,
        environments=flags.environments or DEFAULT_ENVIRONMENTS,
        team=flags.team or None,
        namespace=namespace,
        ci=flags.ci,
        chart=published_chart(flags),
        install=flags.install,
    )


def published_chart(flags: Flags) -> tuple[str, str, str] | None:
    """(repoURL, name, version) from --chart REPO/NAME@VERSION or the three --chart-* flags."""
    parts = {"--chart-repo": flags.chart_repo, "--chart-name": flags.chart_name, "--chart-version": flags.chart_version}
    given = [flag for flag, value in parts.items() if value]
    if flags.chart:
        if given:
            raise UsageError(f"--chart already names the repository, chart and version: drop {', '.join(given)}")
        reference, at, version = flags.chart.rpartition("@")
        repo, slash, name = reference.rpartition("/")
        if not (at and slash and repo and name and version) or repo.endswith(":/"):
            raise UsageError(f"--chart {flags.chart!r}: expected REPO/NAME@VERSION, e.g. "
                             "https://charts.bitnami.com/bitnami/nginx@22.1.1 or oci://ghcr.io/org/charts/app@1.2.3")
        return repo, name, version
    if not given:
        return None
    if len(given) < len(parts):
        missing = [flag for flag in parts if flag not in given]
        raise UsageError(
            f"a published chart needs --chart-repo, --chart-name and --chart-version: add {', '.join(missing)}")
    return flags.chart_repo or "", flags.chart_name or "", flags.chart_version or ""


def _ask(prompt: Prompt, question: str, default: str | None) -> str:
    return prompt(question, default).strip()


def _missing_message(missing: Sequence[str], *, yes: bool) -> str:
    why = "they have no default" if yes else "init only asks on a terminal or with --interactive"
    hint = "" if yes or "--name" not in missing else "; --yes takes the directory's name for --name"
    return f"init needs {', '.join(missing)} ({why}){hint}"


# Where each spec field came from, so an invalid answer names the flag to fix.
_FLAGS = {
    ("name",): "--name",
    ("team",): "--team",
    ("image",): "--image",
    ("charts", "repo"): "--charts-repo",
    ("charts", "checkout"): "--charts-dir",
    ("charts", "chart"): "--chart",
    ("environments",): "--env",
    ("branches",): "--env",
}


def _validated(text: str, spec_path: Path) -> LoadedSpec:
    raw = text.encode("utf-8")
    try:
        spec = validate(parse_document(raw, display_path(spec_path)))
    except InvalidSpec as exc:
        problems = exc.problems
        if any(p.loc[:1] == ("environments",) for p in problems):  # the table is derived from --env: noise
            problems = [p for p in problems if p.loc[:1] != ("branches",)]
        raise InvalidSpec([_blame(problem) for problem in problems]) from None
    return LoadedSpec(spec, spec_path, raw, repo_relative(spec_path), monorepo.owns_pipeline(spec_path))


def _blame(problem: Problem) -> Problem:
    loc = problem.loc
    flag = "--namespace" if loc[:1] == ("environments",) and loc[-1:] == ("namespace",) else None
    flag = flag or next((f for prefix, f in _FLAGS.items() if loc[: len(prefix)] == prefix), None)
    if flag is None:
        return problem
    hint = f"from {flag}" if not problem.hint else f"{problem.hint}; from {flag}"
    return dataclasses.replace(problem, hint=hint)


def plan(loaded: LoadedSpec, spec_text: str, charts: Path, *, vendor_schema: bool = True) -> list[File]:
    """Every file init writes, in write order: the service repo first, then the charts checkout."""
    app = loaded.directory
    rendered = [(workspace.disk_path(output, app, charts), body) for output, body in render(loaded).items()]
    root_path, root_text = scaffold.root_application(loaded.spec)
    # One root Application per charts repo: the first app's init writes it, later ones leave it alone.
    root = [] if os.path.lexists(charts / root_path) else [(charts / root_path, root_text)]
    schema = [(app / scaffold.SCHEMA_NAME, scaffold.schema_text())] if vendor_schema else []
    return [
        (app / scaffold.SPEC_NAME, spec_text),
        *schema,
        *((app / path, body) for path, body in scaffold.service_files(loaded.spec).items()),
        *sorted((path, body) for path, body in rendered if not _under(path, charts)),
        # A published chart is deployed as it is: only the overlays live in the charts repo.
        *((charts / path, body) for path, body in scaffold.chart_files(loaded.spec).items()
          if loaded.spec.charts.chart is None),
        *sorted((path, body) for path, body in rendered if _under(path, charts)),
        *root,
    ]


def _under(path: Path, root: Path) -> bool:
    return root == path or root in path.parents


def _root_pipeline(loaded: LoadedSpec) -> File:
    """The root pipeline of the repository the new app joins, rendered with it (SPEC "Monorepos")."""
    from ..render.monorepo import Conflict, member
    from ..render.monorepo import render as render_root

    monorepo.forget()
    root = monorepo.root_of(loaded.path.resolve().parent)
    assert root is not None
    repository = monorepo.Repository(root, monorepo.members(root), root)
    members = [*rootpipeline.members(repository), member(loaded, loaded.path.resolve().relative_to(root).as_posix())]
    try:
        relative, text = render_root(members)
    except Conflict as exc:
        raise UsageError(f"{exc.message} (the new app's answers come from init's flags, e.g. --ci)") from None
    path = monorepo.named(root) / relative
    existing = writer.read_existing(path)
    if existing is not None and not header.is_generated(existing.decode("utf-8", errors="replace")):
        raise UsageError(f"refusing to overwrite {display_path(path)}: shipspec did not generate it; nothing was written")
    return path, text


def _refuse_existing(files: Sequence[File]) -> None:
    blocked = [path for path, _ in files if _blocked(path)]
    if blocked:
        listing = "\n".join(f"  {display_path(path)}" for path in blocked)
        raise UsageError(
            f"refusing to overwrite: {plural(len(blocked), 'file')} that init would write already exist:\n"
            f"{listing}\nnothing was written; move them aside or init into another directory"
        )


def _blocked(path: Path) -> bool:
    """The path exists, or one of its parents exists as something other than a directory."""
    if os.path.lexists(path):
        return True
    return any(os.path.lexists(parent) and not parent.is_dir() for parent in path.parents)


def write_all(files: Sequence[File]) -> None:
    """Write each file atomically; on any failure remove every file and folder this call made."""
    new_dirs = {folder for path, _ in files for folder in path.parents if not os.path.lexists(folder)}
    written: list[Path] = []
    try:
        for path, text in files:
            writer.write_atomic(path, text)
            written.append(path)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
        for folder in sorted(new_dirs, key=lambda d: len(d.parts), reverse=True):  # deepest first
            try:
                folder.rmdir()
            except OSError:
                pass  # not empty: someone else's files, or it was never created
        if isinstance(exc, OSError):
            raise UsageError(
                f"cannot write {display_path(Path(exc.filename or ''))}: {exc.strerror or exc}; "
                f"removed the {plural(len(written), 'file')} already written"
            ) from None
        raise


def _next_steps(loaded: LoadedSpec, charts: Path, count: int) -> None:
    app, shown_charts = display_path(loaded.directory), display_path(charts)
    spec = loaded.spec
    out(f"{plural(count, 'file')} written. Next:")
    if loaded.own_pipeline:
        out(f"  cd {app} && git init && git add -A && git commit -m 'shipspec init {spec.name}'")
    else:
        out(f"  git add -A && git commit -m 'shipspec init {spec.name}' (the app and the root pipeline)")
    if not (charts / ".git").exists():
        out(f"  {shown_charts} is not a git clone: move its files into your clone of {spec.charts.repo}")
    out(f"  commit {spec.charts.path}/ (and bootstrap/, on the first app) in {shown_charts}; the first release "
        "writes each environment's Application")
    token = spec.github.charts_token if spec.ci == "github" else spec.gitlab.charts_token
    out(f"  {_SECRETS[spec.ci].format(token=token)}")


_SECRETS = {
    "travis": "add DOCKER_USER, DOCKER_PASS and GITHUB_TOKEN (a token that may push to the charts repo and open pull "
              "requests) to travis.secure with `travis encrypt`, then shipspec generate",
    "github": "create the repository secrets DOCKER_USER, DOCKER_PASS and {token} (see the README's pipeline section)",
    "gitlab": "create the masked, protected CI/CD variables DOCKER_USER, DOCKER_PASS and {token}, and protect the "
              "release branches (see the README's pipeline section)",
}
